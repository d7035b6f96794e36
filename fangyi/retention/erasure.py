"""Erasing one person's file on request (PIPL art. 47), and what hangs from it.

The file's row stays as an empty shell with its id (no name, document, phone, birth
date, place or flags) and every personal row that hangs from it is deleted, or kept
without its personal content where a count or the access log needs the row: the
confirmed-case statistics, the screening person-times, the gate board, the supplier's
orders, and the access log's fact that a user revealed a field of file N at a time. The
table of what happens to each kind of row is in docs/retention.md.

Who may: operators, and community secretaries who keep the person's file (the file lies
in the places they are assigned to). Refused while the person is under quarantine (an
open case is a legal duty, not data that is no longer needed). The erasure writes one
retention.Erasure row: who, which file id, when, and how many rows of each kind.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from django.apps import apps
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Model, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fangyi.audit.models import AccessLog
from fangyi.duty.choices import Role
from fangyi.duty.scope import keeps_files
from fangyi.health.models import Alert
from fangyi.passes.models import GateCheck, Pass, PassApplication
from fangyi.people.choices import DocType, HealthStatus, Sex, TravelStatus
from fangyi.people.models import Person, PersonEvent
from fangyi.people.state import refresh as refresh_state
from fangyi.quarantine.choices import ACTIVE_STATES
from fangyi.quarantine.models import (
    CaseEvent,
    HealthCheck,
    NucleicTest,
    QuarantineCase,
    Stage,
    new_checkin_key,
)
from fangyi.reports.models import ConfirmedCase
from fangyi.retention.models import Erasure
from fangyi.screening.models import VisitPerson
from fangyi.support.choices import OPEN_REQUEST_STATES, OrderStatus, RequestStatus
from fangyi.support.models import Order, RecurringVisit, ResidentLink, ServiceRequest
from fangyi.support.services import order_cancel

# The shell left of an erased file. No typed document has a dash or lower case letters
# (people.identity normalises them away), so these numbers never meet a real one.
ERASED_NAME = "—"
ERASED_DOC_PREFIX = "erased-"

ERR_NOT_ALLOWED = _("Only operators and the community secretary who keeps this file may erase it.")
ERR_ALREADY_ERASED = _("This file was already erased.")
ERR_UNDER_QUARANTINE = _(
    "This person is under quarantine (case {case}): the file cannot be erased until the "
    "case is released or transferred out."
)

DELETED = "deleted"
ANONYMISED = "anonymised"
CANCELLED = "cancelled"
KEPT = "kept"
ACTIONS = {
    DELETED: _("deleted"),
    ANONYMISED: _("kept without personal content"),
    CANCELLED: _("cancelled"),
    KEPT: _("kept as they are"),
}


def may_erase(user, person: Person) -> bool:
    """Operators, or an active community secretary who keeps the person's file."""
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    if user.is_superuser:
        return True
    staff = getattr(user, "staff", None)
    return (
        staff is not None
        and staff.active
        and staff.role == Role.COMMUNITY_SECRETARY
        and keeps_files(user, "person", person)
    )


def is_erased(person: Person) -> bool:
    return person.doc_number.startswith(ERASED_DOC_PREFIX)


def erasure_lines(counts: dict[str, int]) -> Iterator[tuple[str, str, int]]:
    """(kind of rows, what happened, count) in the active language, for an erasure's
    counts (keys `app_label.Model:action`)."""
    for key, n in counts.items():
        label, action = key.split(":")
        model = apps.get_model(label)
        yield str(model._meta.verbose_name_plural), str(ACTIONS[action]), n


class _DryRun(Exception):
    def __init__(self, erasure: Erasure):
        self.erasure = erasure


def person_erase(
    *,
    by,
    person: Person,
    channel: str = "web",
    dry_run: bool = False,
    now: dt.datetime | None = None,
) -> Erasure:
    """Erase `person`'s file for `by` (see the module); returns the Erasure record.

    `dry_run` does everything, counts, and rolls it all back: the record returned is
    not saved."""
    try:
        with transaction.atomic():
            erasure = _erase(by=by, person=person, channel=channel, now=now or timezone.now())
            if dry_run:
                raise _DryRun(erasure)
    except _DryRun as done:
        done.erasure.pk = None
        return done.erasure
    return erasure


def _count(counts: dict[str, int], model: type[Model], action: str, n: int) -> None:
    if n:
        key = f"{model._meta.label}:{action}"
        counts[key] = counts.get(key, 0) + n


def _erase(*, by, person: Person, channel: str, now: dt.datetime) -> Erasure:
    if not may_erase(by, person):
        raise PermissionDenied(ERR_NOT_ALLOWED)
    person = Person.objects.select_for_update().get(pk=person.pk)
    if is_erased(person) or Erasure.objects.filter(person_id=person.pk).exists():
        raise ValidationError(ERR_ALREADY_ERASED, code="erased")
    open_case = QuarantineCase.objects.filter(person=person, state__in=ACTIVE_STATES).first()
    if open_case is not None:
        raise ValidationError(
            str(ERR_UNDER_QUARANTINE).format(case=open_case.case_no or open_case.pk),
            code="quarantine",
        )
    counts: dict[str, int] = {}
    _support(by, person, counts, now)
    _passes(person, counts, now)
    _quarantine(person, counts)
    _count(
        counts,
        ConfirmedCase,
        ANONYMISED,
        ConfirmedCase.objects.filter(person=person).update(person=None, note=""),
    )
    _count(
        counts,
        VisitPerson,
        ANONYMISED,
        VisitPerson.objects.filter(person=person).update(
            temperature=None, symptoms=False, came_from="", came_on=None
        ),
    )
    _count(counts, AccessLog, KEPT, AccessLog.objects.filter(person=person).count())
    _count(counts, PersonEvent, DELETED, PersonEvent.objects.filter(person=person).delete()[0])
    Person.objects.filter(pk=person.pk).update(
        name=ERASED_NAME,
        doc_type=DocType.ID_CARD,
        doc_number=f"{ERASED_DOC_PREFIX}{person.pk}",
        sex=Sex.UNKNOWN,
        birth_date=None,
        phone="",
        dwelling=None,
        household=None,
        building=None,
        zone=None,
        community=None,
        street=None,
        district=None,
        origin="",
        travel_status=TravelStatus.NEVER_LEFT,
        return_date=None,
        health_status=HealthStatus.NORMAL,
        verified=False,
        elderly_alone=False,
        disabled=False,
        pregnant=False,
        chronic_illness=False,
        notes="",
        updated_at=now,
    )
    _count(counts, Person, ANONYMISED, 1)
    # What is left of the file is no one's state: derived again from the cleared facts.
    refresh_state([person.pk])
    return Erasure.objects.create(
        at=now, by=by, person_id=person.pk, channel=channel, counts=counts
    )


def _support(by, person: Person, counts: dict[str, int], now: dt.datetime) -> None:
    """Open orders are cancelled through support (their stock goes back), open requests
    too; the rows stay for the supplier's accounts and the services counted, without notes."""
    for order in Order.objects.filter(person=person, status=OrderStatus.PLACED):
        order_cancel(order=order, by=by, now=now)
        _count(counts, Order, CANCELLED, 1)
    # A request has nothing to give back: cancelled in one statement.
    _count(
        counts,
        ServiceRequest,
        CANCELLED,
        ServiceRequest.objects.filter(person=person, status__in=OPEN_REQUEST_STATES).update(
            status=RequestStatus.CANCELLED
        ),
    )
    _count(
        counts,
        Order,
        ANONYMISED,
        Order.objects.filter(person=person).update(note="", delivery_note=""),
    )
    _count(
        counts,
        ServiceRequest,
        ANONYMISED,
        ServiceRequest.objects.filter(person=person).update(description="", note=""),
    )
    # Plans of visits to somebody no longer on file; the visits done stay as requests.
    _count(
        counts,
        RecurringVisit,
        DELETED,
        RecurringVisit.objects.filter(person=person).delete()[1].get(RecurringVisit._meta.label, 0),
    )
    _count(counts, ResidentLink, DELETED, ResidentLink.objects.filter(person=person).delete()[0])


def _passes(person: Person, counts: dict[str, int], now: dt.datetime) -> None:
    """Applications go (they hold the document number, also those never linked to the
    file); passes stay as anonymous revoked tokens, so gate checks that showed them keep
    their row (counted on the gate board) without saying whose they were."""
    applications = PassApplication.objects.filter(
        Q(person=person) | Q(doc_type=person.doc_type, doc_number=person.doc_number)
    )
    passes = Pass.objects.filter(Q(person=person) | Q(application__in=applications.values("pk")))
    passes.filter(revoked_at=None).update(revoked_at=now)
    _count(counts, Pass, ANONYMISED, passes.update(person=None, application=None))
    _count(
        counts,
        GateCheck,
        ANONYMISED,
        GateCheck.objects.filter(person=person).update(
            person=None, visitor_name="", visitor_phone="", visitor_note=""
        ),
    )
    # Alerts not about a case (a fever at a gate or a visit, an exposure): kept for the
    # counts without the person (a case's alerts go with its readings, _quarantine).
    _count(
        counts,
        Alert,
        ANONYMISED,
        Alert.objects.filter(person=person, case__isnull=True).update(
            person=None, building=None, note="", detail=""
        ),
    )
    _count(counts, PassApplication, DELETED, applications.delete()[0])


def _quarantine(person: Person, counts: dict[str, int]) -> None:
    """Closed cases stay (their dates and places are counted) without what was written
    about the person; readings and alerts go; test results stay, anonymous."""
    cases = QuarantineCase.objects.filter(person=person)
    case_ids = list(cases.values_list("pk", flat=True))
    if not case_ids:
        return
    _count(counts, Alert, DELETED, Alert.objects.filter(case__in=case_ids).delete()[0])
    _count(counts, HealthCheck, DELETED, HealthCheck.objects.filter(case__in=case_ids).delete()[0])
    Stage.objects.filter(case__in=case_ids).update(note="")
    _count(
        counts,
        CaseEvent,
        ANONYMISED,
        CaseEvent.objects.filter(case__in=case_ids).exclude(note="").update(note=""),
    )
    _count(counts, NucleicTest, KEPT, NucleicTest.objects.filter(case__in=case_ids).count())
    for case_id in case_ids:
        # A new key: the old check-in link now answers "replaced".
        QuarantineCase.objects.filter(pk=case_id).update(origin="", checkin_key=new_checkin_key())
    _count(counts, QuarantineCase, ANONYMISED, len(case_ids))
