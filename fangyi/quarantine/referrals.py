"""Where the gate and the door send people: the observation point and the health station
of a person's place, the case a guard's "send to the observation point" moves or opens,
and what the station doctor's worklist shows of them (issue 14).

A guard is not one of the staff who act on quarantine cases (quarantine.selectors.
case_writable): the authority is the gate check, which only the guard who made it
decides (passes.services.gate_check_decide; at the scan, passes.scanning.record). So the
case moves here on the decision's behalf, with the guard as the one who decided (the
stage's `decided_by`, the event's `by`) and the gate named in the event's note.
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db.models import Case, IntegerField, QuerySet, Value, When
from django.utils.translation import gettext_lazy as _

from fangyi.duty.scope import scope_for
from fangyi.health.choices import HOLDING_STATUSES, AlertKind, AlertSource
from fangyi.health.models import Alert
from fangyi.health.selectors import AlertRow, alert_rows, alerts_for
from fangyi.people.models import Person
from fangyi.quarantine import services
from fangyi.quarantine.choices import (
    ACTIVE_STATES,
    CaseReason,
    CaseState,
    FacilityKind,
    StageKind,
)
from fangyi.quarantine.models import Facility, QuarantineCase

# A case already here stays where it is: the red was sent to it (the gate named it).
AT_FACILITY = (CaseState.OBSERVATION, CaseState.HOSPITAL)
# The case event's note: the gate and the point (the guard is the event's author).
NOTE_FROM_GATE = _("Red at gate %(gate)s: the guard sent the person to %(point)s.")


def _nearest(kind: str, district_id: int | None, community_id: int | None) -> list[Facility]:
    """Active facilities of a kind in the person's district, their own community's first,
    then by name (the order the gate check names an observation point in:
    passes.scanning.observation_point)."""
    if district_id is None:
        return []
    return list(
        Facility.objects.filter(kind=kind, active=True, district_id=district_id)
        .annotate(
            own=Case(
                When(community_id=community_id, then=Value(0)),
                default=Value(1),
                output_field=IntegerField(),
            )
        )
        .order_by("own", "name", "id")[:20]
    )


def station_for(district_id: int | None, community_id: int | None) -> Facility | None:
    """The health station a returnee stopped at the gate, or a fever found at the door, is
    reported to: their community's, else the district's first."""
    found = _nearest(FacilityKind.STATION, district_id, community_id)
    return found[0] if found else None


def observation_point_for(district_id: int | None, community_id: int | None) -> Facility | None:
    """The observation point a red is sent to: the one the gate check named (their
    community's, else the district's first by name) while it has room, else the next
    with room; None when every one is full."""
    for facility in _nearest(FacilityKind.OBSERVATION, district_id, community_id):
        try:
            services._check_facility(StageKind.OBSERVATION, facility)
        except ValidationError:
            continue
        return facility
    return None


def _reason(person: Person, fever: bool) -> str:
    """The reason of a case opened at the gate: the fever found there, else a close
    contact's watch, else other (a confirmed or suspected case, a positive test)."""
    if fever:
        return CaseReason.FEVER
    if person.epidemic_state == "contact":
        return CaseReason.CLOSE_CONTACT
    return CaseReason.OTHER


def case_observe_from_gate(
    *,
    guard,
    person_id: int,
    gate_name: str,
    fever: bool,
    now: dt.datetime,
) -> tuple[QuarantineCase | None, Facility | None]:
    """The guard sent a red to the observation point: the person's open case moves there
    (from a station or home), or a case is opened there (_reason). A case already at an observation point or in hospital stays.
    Returns the case (None: no observation point has room, nothing moved) and the point.
    Call it in the decision's transaction; the caller refreshes the person's state."""
    person = Person.objects.select_for_update().get(pk=person_id)
    open_case = (
        QuarantineCase.objects.select_for_update()
        .select_related("policy")
        .filter(person_id=person_id, state__in=ACTIVE_STATES)
        .first()
    )
    if open_case is not None and open_case.state in AT_FACILITY:
        stage = open_case.stages.filter(ended_at__isnull=True).select_related("facility").first()
        return open_case, stage.facility if stage is not None else None
    point = observation_point_for(person.district_id, person.community_id)
    if point is None:
        return None, None
    note = str(NOTE_FROM_GATE % {"gate": gate_name, "point": point.name})
    if open_case is not None:
        moved = services._move(
            open_case,
            by=guard,
            to_state=CaseState.OBSERVATION,
            stage_kind=StageKind.OBSERVATION,
            facility=point,
            now=now,
            note=note,
            action="send_to_observation",
        )
        return moved, point
    case = services._open_case(
        by=guard,
        person=person,
        reason=_reason(person, fever),
        arrived_at=now,
        first_state=CaseState.OBSERVATION,
        facility=point,
        origin="",
        note=note,
        now=now,
    )
    return case, point


def expected_at_station(user) -> QuerySet[Alert]:
    """Returnees a guard sent to the station and not taken in yet: the open referrals
    (station_referral alerts) to the stations where the user is on duty (operators:
    every station), of people without an open case, oldest first. The station doctor's
    worklist shows them with the intake opened for each."""
    if not user.is_authenticated:
        return Alert.objects.none()
    rows = Alert.objects.filter(
        kind=AlertKind.STATION_REFERRAL, status__in=HOLDING_STATUSES, person__isnull=False
    )
    if not scope_for(user).everything:
        rows = rows.filter(facility__staff__user=user)
    return (
        rows.exclude(person__quarantine_cases__state__in=ACTIVE_STATES)
        .select_related("person", "person__zone", "gate_check__gate", "facility")
        .order_by("created_at", "id")
        .distinct()
    )


# How many of the door's findings the worklist shows (the alerts page has them all).
DOOR_ROWS = 20


def found_at_the_door(user) -> list[AlertRow]:
    """Fevers, symptoms and arrivals from a high-risk area found by screening teams, open
    or acknowledged and routed to the user (health.selectors: the duty chain, the station
    on duty), newest first: the station doctor's worklist shows them above the lists, and
    the alerts page acts on them. Names outside the user's files are masked there."""
    rows = (
        alerts_for(user)
        .filter(source=AlertSource.VISIT, status__in=HOLDING_STATUSES)
        .select_related("person", "zone", "building")
        .order_by("-created_at", "-id")[:DOOR_ROWS]
    )
    return alert_rows(user, rows)
