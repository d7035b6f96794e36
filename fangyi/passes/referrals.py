"""What a guard's decision sets moving (issue 14): "send to the observation point" moves
the person's quarantine case there (or opens one there) and alerts the duty chain; "send
to the health station" tells the station's doctor to expect a returnee.

`gate_referral` runs in the transaction of the decision, whether it was recorded with the
check (passes.scanning.record) or after it (services.gate_check_decide), so the person's
state (people.state) and every page that reads it change with the decision. Only these
two decisions come here: a green or an ordinary yellow check costs nothing more.
"""

from __future__ import annotations

import datetime as dt

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from fangyi.health.alerts import raise_alert
from fangyi.health.choices import AlertKind, AlertSource
from fangyi.passes.choices import Decision
from fangyi.passes.models import GateCheck
from fangyi.people.models import Person
from fangyi.people.state import refresh as refresh_state
from fangyi.quarantine.referrals import case_observe_from_gate, station_for

# The alert's detail (stored as written, in the guard's language).
DETAIL_OBSERVATION = _("Gate %(gate)s → %(point)s")
DETAIL_NO_POINT = _("Gate %(gate)s: no observation point has room; find the person a place")
DETAIL_STATION = _("Gate %(gate)s: returnee sent to %(station)s")
DETAIL_NO_STATION = _("Gate %(gate)s: returnee sent to the health station")


@transaction.atomic
def gate_referral(*, check_id: int, decision: str, guard, now: dt.datetime):
    """Follow a guard's decision on check `check_id` (observation or station; any other
    decision is left as it is). `guard` is the user who decided (or their id). Returns
    the alert raised, if any."""
    if decision not in (Decision.OBSERVATION, Decision.STATION):
        return None
    if not hasattr(guard, "is_authenticated"):
        guard = get_user_model().objects.get(pk=guard)
    check = GateCheck.objects.select_related("gate").get(pk=check_id)
    gate = check.gate.name
    if check.person_id is None:  # a visitor is never red nor a returnee: nobody to send
        return None
    if decision == Decision.STATION:
        return _to_station(check, check.person_id, gate, guard)
    case, point = case_observe_from_gate(
        guard=guard, person_id=check.person_id, gate_name=gate, fever=check.fever, now=now
    )
    if point is not None:
        detail = DETAIL_OBSERVATION % {"gate": gate, "point": point.name}
    else:
        detail = DETAIL_NO_POINT % {"gate": gate}
    alert = raise_alert(
        kind=AlertKind.GATE_OBSERVATION,
        source=AlertSource.GATE,
        person=check.person_id,
        case=case,
        facility=point,
        zone=check.zone_id,
        gate_check=check,
        temperature=check.temperature,
        detail=str(detail),
        by=guard,
    )
    refresh_state([check.person_id])
    return alert


def _to_station(check: GateCheck, person_id: int, gate: str, guard):
    """A returnee stopped at the gate goes to the health station: its staff are told to
    expect them (the alert puts them on the doctor's worklist, with the intake)."""
    district_id, community_id = (
        Person.objects.filter(pk=person_id).values_list("district_id", "community_id").get()
    )
    station = station_for(district_id, community_id)
    if station is not None:
        detail = DETAIL_STATION % {"gate": gate, "station": station.name}
    else:
        detail = DETAIL_NO_STATION % {"gate": gate}
    return raise_alert(
        kind=AlertKind.STATION_REFERRAL,
        source=AlertSource.GATE,
        person=person_id,
        facility=station,
        zone=check.zone_id,
        gate_check=check,
        temperature=check.temperature,
        detail=str(detail),
        by=guard,
    )
