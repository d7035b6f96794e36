"""Raising alerts: the one way every app records something staff must look at.

`raise_alert` copies the person's places onto the alert (a gate visitor's: the gate's
zone), so that who sees it (health.selectors.alerts_for: the duty chain of the person's
building and zone, and the staff on duty at the alert's facility) is one indexed filter.
It keeps one alert per missed slot, per health check and kind, per test and kind, per
gate check and per visit, person and kind: raising one again returns the one there.
A fever or symptoms alert holds the person for review (people.state), so the person's
state is refreshed in the same transaction.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Model
from django.utils import timezone

from fangyi.health.choices import HOLDING_KINDS, NOT_HOLDING_SOURCES, AlertKind, AlertSource
from fangyi.health.models import Alert
from fangyi.people.models import Person
from fangyi.people.state import refresh as refresh_state
from fangyi.places.models import Zone

PLACE_LEVELS = ("district", "street", "community", "zone", "building")


def _id(value: Any) -> int | None:
    if value is None:
        return None
    return value.pk if isinstance(value, Model) else int(value)


def _places(person_id: int | None, zone_id: int | None, case: Any) -> dict[str, int | None]:
    """The place ids the alert is routed by: the person's, else the zone's."""
    if person_id is not None:
        row = (
            Person.objects.filter(pk=person_id)
            .values(*(f"{level}_id" for level in PLACE_LEVELS))
            .first()
        )
        if row is not None and (row["zone_id"] is not None or zone_id is None):
            return row
    if zone_id is None and case is not None:
        zone_id = getattr(case, "zone_id", None)
    places: dict[str, int | None] = {f"{level}_id": None for level in PLACE_LEVELS}
    zone = (
        Zone.objects.filter(pk=zone_id).values("district_id", "street_id", "community_id").first()
        if zone_id is not None
        else None
    )
    if zone is not None:
        places["district_id"] = zone["district_id"]
        places["street_id"] = zone["street_id"]
        places["community_id"] = zone["community_id"]
        places["zone_id"] = zone_id
    return places


def _existing(alert: Alert) -> Alert | None:
    """The alert already raised for the same fact (the unique constraints' keys)."""
    keys: dict[str, Any] | None = None
    if alert.kind == AlertKind.MISSED_CHECK and alert.case_id is not None:
        keys = {"case_id": alert.case_id, "date": alert.date, "slot": alert.slot}
    elif alert.health_check_id is not None:
        keys = {"health_check_id": alert.health_check_id}
    elif alert.test_id is not None:
        keys = {"test_id": alert.test_id}
    elif alert.gate_check_id is not None:
        keys = {"gate_check_id": alert.gate_check_id}
    elif alert.visit_id is not None:
        keys = {"visit_id": alert.visit_id, "person_id": alert.person_id}
    if keys is None:
        return None
    return Alert.objects.filter(kind=alert.kind, **keys).first()


def holds_for_review(kind: str, source: str) -> bool:
    """Whether an open alert of this kind and source holds its person for review."""
    return kind in HOLDING_KINDS and source not in NOT_HOLDING_SOURCES


@transaction.atomic
def raise_alert(
    *,
    kind: str,
    person: Person | int | None,
    source: str,
    detail: str = "",
    case: Any = None,
    facility: Any = None,
    zone: Zone | int | None = None,
    date: dt.date | None = None,
    slot: str = "",
    temperature: Decimal | None = None,
    gate_check: Any = None,
    health_check: Any = None,
    test: Any = None,
    visit: Any = None,
    by: Any = None,
) -> Alert:
    """Raise an alert (or return the one already raised for the same fact) and refresh
    the person's state when the alert holds them for review. Callers pass model objects
    or ids; `by` is the user whose action raised it (None: the system)."""
    kind = AlertKind(kind).value
    source = AlertSource(source).value
    person_id = _id(person)
    alert = Alert(
        kind=kind,
        source=source,
        person_id=person_id,
        facility_id=_id(facility),
        case_id=_id(case),
        gate_check_id=_id(gate_check),
        health_check_id=_id(health_check),
        test_id=_id(test),
        visit_id=_id(visit),
        date=date or timezone.localdate(),
        slot=slot,
        temperature=temperature,
        detail=str(detail)[:200],
        raised_by_id=_id(by),
        **_places(person_id, _id(zone), case),
    )
    found = _existing(alert)
    if found is not None:
        return found
    try:
        with transaction.atomic():
            alert.save()
    except IntegrityError:
        # Raised at the same moment by another request: keep theirs.
        found = _existing(alert)
        if found is None:
            raise
        return found
    if person_id is not None and holds_for_review(kind, source):
        refresh_state([person_id])
    return alert
