"""Reads of confirmed-case records for the record page and the API (scoped to the user).

`reports.selectors.confirmed_cases_for` decides which records a user sees (by the zone
they were counted in); the person's name is given in full only to those whose scope
covers the person, masked to everybody else, as on the statistics page.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import NoReverseMatch, reverse

from fangyi.duty.scope import scope_for
from fangyi.people.identity import mask_name
from fangyi.quarantine.choices import ACTIVE_STATES
from fangyi.quarantine.models import QuarantineCase, Stage
from fangyi.reports.models import ConfirmedCase
from fangyi.reports.selectors import confirmed_cases_for

# The index person's exposures form (the contacts' pages), by the names it may have.
EXPOSURE_FORM_NAMES = ("contacts:new",)


@dataclass(frozen=True)
class CaseRow:
    """A confirmed-case record as a user may see it."""

    case: ConfirmedCase
    # The person's name in full when `linked`, masked otherwise; "" without a person.
    name: str
    # Whether the user may open the person's file.
    linked: bool


def case_rows(user, *, zone_id: int | None = None, limit: int = 100) -> list[CaseRow]:
    """The latest records in the user's view (optionally of one zone), newest first."""
    scope = scope_for(user)
    cases = confirmed_cases_for(user).select_related("person", "zone")
    if zone_id is not None:
        cases = cases.filter(zone_id=zone_id)
    return [_row(scope, case) for case in cases[:limit]]


def case_row(user, pk: int) -> CaseRow | None:
    """One record in the user's view (None: none, or out of the user's view)."""
    case = confirmed_cases_for(user).select_related("person", "zone").filter(pk=pk).first()
    return None if case is None else _row(scope_for(user), case)


def _row(scope, case: ConfirmedCase) -> CaseRow:
    person = case.person
    linked = person is not None and scope.covers("person", person)
    name = "" if person is None else person.name if linked else mask_name(person.name)
    return CaseRow(case, name, linked)


@dataclass(frozen=True)
class RecordedCase:
    """What the record page shows after recording: the record, where the person's
    quarantine case is now, and where to record the close contacts."""

    row: CaseRow
    quarantine_case: QuarantineCase | None
    facility_name: str
    contacts_url: str


def recorded_case(user, pk: int) -> RecordedCase | None:
    row = case_row(user, pk)
    if row is None:
        return None
    qcase = None
    facility_name = ""
    contacts_url = ""
    if row.linked and row.case.person_id is not None:
        qcase = (
            QuarantineCase.objects.filter(person_id=row.case.person_id, state__in=ACTIVE_STATES)
            .order_by("-id")
            .first()
        )
        if qcase is not None:
            facility_name = (
                Stage.objects.filter(case=qcase, ended_at__isnull=True, facility__isnull=False)
                .values_list("facility__name", flat=True)
                .first()
                or ""
            )
        contacts_url = exposure_form_url(row.case.person_id)
    return RecordedCase(row, qcase, facility_name, contacts_url)


def exposure_form_url(person_id: int) -> str:
    """The index person's exposures form, or their file's page until there is one."""
    for name in EXPOSURE_FORM_NAMES:
        try:
            return reverse(name, args=[person_id])
        except NoReverseMatch:
            continue
    return reverse("person", args=[person_id])
