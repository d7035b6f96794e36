"""The quarantine side of close contacts (health.exposures, issue 14).

A close contact's quarantine counts from the last exposure, not from arrival: the day of
the last exposure is day 1 and the release date is that day + the policy's quarantine
days (quarantine.rules.release_date). A later exposure moves an open case's day 1 (and
so its release date), recorded in the case history; an earlier one never moves it back.

Registered with health (`health.contact_hooks.register`) in quarantine's AppConfig, so
that the exposure services, which sit below quarantine, reach it without importing it.
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fangyi.core.policy import values_of
from fangyi.health.contact_hooks import OpenCase
from fangyi.health.models import Exposure
from fangyi.quarantine import rules, services
from fangyi.quarantine.choices import ACTIVE_STATES, CaseReason, CaseState, FacilityKind
from fangyi.quarantine.models import Facility, QuarantineCase, Stage

ERR_FACILITY = _("Choose an active health station, observation point or quarantine hotel.")
# The case history's action for a day 1 moved by an exposure (quarantine.choices.CASE_ACTIONS).
DAY1_MOVED = "contact_day1_moved"
FIRST_STATE_OF_KIND = {
    FacilityKind.STATION: CaseState.STATION,
    FacilityKind.OBSERVATION: CaseState.OBSERVATION,
    FacilityKind.HOTEL: CaseState.OBSERVATION,
}


def _open_case(case: QuarantineCase) -> OpenCase:
    return OpenCase(
        case_id=case.pk,
        case_no=case.case_no,
        state=case.state,
        start_date=case.start_date,
        release_date=rules.release_date(
            case.start_date, values_of(case.policy), case.extension_days
        ),
        url=reverse("quarantine:case", args=[case.pk]),
    )


def _set_day1(case: QuarantineCase, *, by, day1: dt.date) -> None:
    """Day 1 of the (locked) case becomes `day1`, recorded with the old and new release
    dates."""
    values = values_of(case.policy)
    old = rules.release_date(case.start_date, values, case.extension_days)
    case.start_date = day1
    case.save(update_fields=["start_date"])
    new = rules.release_date(case.start_date, values, case.extension_days)
    services._event(
        case,
        by=by,
        action=DAY1_MOVED,
        from_state=case.state,
        note=f"{old:%Y-%m-%d} → {new:%Y-%m-%d}",
        day1=day1.isoformat(),
        old_release=old.isoformat(),
        new_release=new.isoformat(),
    )


@transaction.atomic
def follow_exposure(*, by, contact_id: int, last_exposure_on: dt.date) -> None:
    """A new exposure of a contact under quarantine: a later last exposure moves the open
    case's day 1 to it (release = last exposure + quarantine days); never earlier. The
    exposure was recorded by someone allowed to (health.exposures), so this follows it
    whoever keeps the contact's case."""
    case = (
        QuarantineCase.objects.select_for_update()
        .select_related("policy")
        .filter(person_id=contact_id, state__in=ACTIVE_STATES)
        .first()
    )
    if case is not None and last_exposure_on > case.start_date:
        _set_day1(case, by=by, day1=last_exposure_on)


@transaction.atomic
def open_contact_case(*, by, contact, facility_id: int | None) -> OpenCase:
    """Open a close contact's case: at home, or at the facility given (a station, an
    observation point or a hotel), day 1 the last exposure (`start_from_last_exposure`). Refused as any intake is
    (quarantine.services.case_intake: the user keeps the contact's file or is on duty at
    the facility)."""
    facility = None
    first_state = CaseState.HOME
    if facility_id is not None:
        facility = Facility.objects.filter(
            pk=facility_id, active=True, kind__in=list(FIRST_STATE_OF_KIND)
        ).first()
        if facility is None:
            raise ValidationError({"facility_id": [ERR_FACILITY]})
        first_state = FIRST_STATE_OF_KIND[FacilityKind(facility.kind)]
    case = services.case_intake(
        by=by,
        person=contact,
        reason=CaseReason.CLOSE_CONTACT,
        arrived_at=timezone.now(),
        first_state=first_state,
        facility=facility,
    )
    # Day 1 is already the last exposure (the intake of a close contact sees to it).
    return _open_case(QuarantineCase.objects.select_related("policy").get(pk=case.pk))


def start_from_last_exposure(case: QuarantineCase, *, by) -> None:
    """A case just opened for a close contact (any intake with that reason): day 1 is the
    contact's last recorded exposure, while its watch runs (release after today)."""
    last = (
        Exposure.objects.filter(contact_id=case.person_id)
        .order_by("-last_exposure_on")
        .values_list("last_exposure_on", flat=True)
        .first()
    )
    if last is None or last == case.start_date:
        return
    if (
        rules.release_date(last, values_of(case.policy), case.extension_days)
        <= timezone.localdate()
    ):
        return
    _set_day1(case, by=by, day1=last)


def intake_url(person_id: int) -> str:
    """The intake page opened for this person (a contact to take in at a facility)."""
    return reverse("quarantine:intake") + f"?person={person_id}"


def open_cases(person_ids: list[int]) -> dict[int, OpenCase]:
    cases = QuarantineCase.objects.filter(
        person_id__in=person_ids, state__in=ACTIVE_STATES
    ).select_related("policy")
    return {case.person_id: _open_case(case) for case in cases}


def on_duty_for(user, person_id: int) -> bool:
    """Whether the user is on duty at the facility of the person's open case now (a
    station or observation point doctor treating an index person)."""
    if user is None or not user.is_authenticated:
        return False
    return Stage.objects.filter(
        case__person_id=person_id,
        case__state__in=ACTIVE_STATES,
        ended_at__isnull=True,
        facility__staff__user=user,
    ).exists()
