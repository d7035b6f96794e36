"""A confirmed (or asymptomatic, or suspected) case goes to hospital: the open quarantine
case is transferred there, or a case is opened there when the person has none.

reports.services.confirmed_case_create / _update call `case_admit_to_hospital` in the
transaction that records the case. The hospital is one of the person's district: the
active hospital with the most free places. When none has room, nothing moves and the
caller's alert says so. A case opened this way has the reason "other" (the confirmed-case
record is the reason, named in the intake note): a new reason would need a migration of
the case table for one word the history already shows.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, Q
from django.utils import timezone

from fangyi.core.policy import policy_in_force
from fangyi.people.models import Person
from fangyi.quarantine import rules, selectors
from fangyi.quarantine.choices import ACTIVE_STATES, CaseReason, CaseState, FacilityKind, StageKind
from fangyi.quarantine.models import Facility, QuarantineCase, Stage
from fangyi.quarantine.services import (
    ERR_ALREADY_OPEN,
    ERR_NOT_YOUR_CASE,
    _event,
    _refuse,
    _user,
    case_transfer_to_hospital,
)


class Outcome:
    MOVED = "moved"  # the open case was transferred to the hospital
    OPENED = "opened"  # a case was opened at the hospital
    ALREADY = "already"  # the open case was at a hospital already
    NO_HOSPITAL = "no_hospital"  # no active hospital of the district has room


@dataclass(frozen=True)
class Admission:
    """What `case_admit_to_hospital` did: the case (None when there is none), the
    hospital (None when none has room) and the outcome."""

    case: QuarantineCase | None
    facility: Facility | None
    outcome: str


def district_hospital(district_id: int | None) -> Facility | None:
    """The active hospital of the district with the most free places, if any has room."""
    if district_id is None:
        return None
    hospitals = (
        Facility.objects.filter(district_id=district_id, kind=FacilityKind.HOSPITAL, active=True)
        .annotate(occupied=Count("stages", filter=Q(stages__ended_at__isnull=True)))
        .order_by("name", "pk")
    )
    free = [(h.capacity - h.occupied, h) for h in hospitals if h.capacity > h.occupied]
    if not free:
        return None
    return max(free, key=lambda pair: pair[0])[1]


@transaction.atomic
def case_admit_to_hospital(
    *, by, person: Person, note: str, now: dt.datetime | None = None
) -> Admission:
    """Move the person's open case to a hospital of their district, or open one there.

    `by` must be allowed to act on the case (the keepers of the person's file are); the
    transfer is quarantine.services' own transition, with its event."""
    now = now or timezone.now()
    hospital = district_hospital(person.district_id)
    open_case = (
        QuarantineCase.objects.select_for_update()
        .filter(person_id=person.pk, state__in=ACTIVE_STATES)
        .first()
    )
    if open_case is not None and open_case.state == CaseState.HOSPITAL:
        facility = Facility.objects.filter(
            stages__case=open_case, stages__ended_at__isnull=True
        ).first()
        return Admission(open_case, facility, Outcome.ALREADY)
    if hospital is None:
        return Admission(open_case, None, Outcome.NO_HOSPITAL)
    if open_case is not None:
        case = case_transfer_to_hospital(
            by=by, case=open_case, facility=hospital, note=note, now=now
        )
        return Admission(case, hospital, Outcome.MOVED)
    if not selectors.intake_allowed_for(by, person, hospital):
        _refuse(by, ERR_NOT_YOUR_CASE)
    start = rules.local_date(now)
    case = QuarantineCase(
        person=person,
        zone_id=person.zone_id,
        reason=CaseReason.OTHER,
        arrived_at=now,
        start_date=start,
        policy=policy_in_force(start),
        state=CaseState.HOSPITAL,
        created_by=_user(by),
    )
    try:
        with transaction.atomic():
            case.save()
    except IntegrityError:
        # Another write opened a case for the person meanwhile.
        raise ValidationError({"person": [ERR_ALREADY_OPEN.format(case_no="")]}) from None
    case.case_no = f"GL{start:%Y%m%d}{case.pk:05d}"
    case.save(update_fields=["case_no"])
    Stage.objects.create(
        case=case,
        kind=StageKind.HOSPITAL,
        facility=hospital,
        started_at=now,
        decided_by=_user(by),
        note=note,
    )
    _event(
        case,
        by=by,
        action="intake",
        note=note,
        reason=case.reason,
        policy=case.policy.code,
        facility=hospital.name,
    )
    return Admission(case, hospital, Outcome.OPENED)
