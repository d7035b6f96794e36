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

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Model
from django.utils import timezone
from django.utils.translation import gettext_lazy

from fangyi.duty.scope import ERR_PLACES_ONLY, is_places_only
from fangyi.health.choices import (
    HOLDING_KINDS,
    NOT_HOLDING_SOURCES,
    AlertKind,
    AlertSource,
    AlertStatus,
)
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


def raise_alerts(alerts: list[Alert]) -> int:
    """Raise many alerts at once (the missed check-in sweep): their places are copied from
    their people in one query and those already raised are skipped by the unique
    constraints. None of these kinds holds a person for review. Returns how many."""
    if not alerts:
        return 0
    ids = {a.person_id for a in alerts if a.person_id is not None}
    places = {
        row["id"]: row
        for row in Person.objects.filter(pk__in=ids).values(
            "id", *(f"{level}_id" for level in PLACE_LEVELS)
        )
    }
    for alert in alerts:
        row = places.get(alert.person_id)
        if row is not None:
            for level in PLACE_LEVELS:
                setattr(alert, f"{level}_id", row[f"{level}_id"])
    Alert.objects.bulk_create(alerts, ignore_conflicts=True)
    return len(alerts)


ERR_NOT_YOURS = gettext_lazy(
    "You may not act on this alert: it is for the staff who keep the person's file or are "
    "on duty at the facility."
)
ERR_NOT_OPEN = gettext_lazy("Only an open alert can be acknowledged.")
ERR_CLOSED = gettext_lazy("The alert is already closed.")
ERR_NOTE = gettext_lazy("Write what was done.")


def _require_may_act(by, alert: Alert) -> None:
    from fangyi.health.selectors import alert_may_act

    if not alert_may_act(by, alert):
        raise PermissionDenied(ERR_PLACES_ONLY if is_places_only(by) else ERR_NOT_YOURS)


def _acting(by):
    return by if by is not None and getattr(by, "is_authenticated", False) else None


@transaction.atomic
def alert_acknowledge(*, by, alert: Alert, now: dt.datetime | None = None) -> Alert:
    """Somebody responsible took the alert on (it stays on the lists until closed)."""
    alert = Alert.objects.select_for_update().get(pk=alert.pk)
    _require_may_act(by, alert)
    if alert.status != AlertStatus.OPEN:
        raise ValidationError(ERR_NOT_OPEN)
    alert.status = AlertStatus.ACKNOWLEDGED
    alert.acknowledged_by = _acting(by)
    alert.acknowledged_at = now or timezone.now()
    alert.save(update_fields=["status", "acknowledged_by", "acknowledged_at"])
    return alert


@transaction.atomic
def alert_close(*, by, alert: Alert, note: str, now: dt.datetime | None = None) -> Alert:
    """Close an alert with what was done; a closed fever or symptoms alert no longer holds
    the person for review (the state is refreshed)."""
    alert = Alert.objects.select_for_update().get(pk=alert.pk)
    _require_may_act(by, alert)
    if alert.status == AlertStatus.CLOSED:
        raise ValidationError(ERR_CLOSED)
    if not (note or "").strip():
        raise ValidationError({"note": [ERR_NOTE]})
    now = now or timezone.now()
    if alert.acknowledged_at is None:
        alert.acknowledged_by, alert.acknowledged_at = _acting(by), now
    alert.status = AlertStatus.CLOSED
    alert.closed_by = _acting(by)
    alert.closed_at = now
    alert.note = note.strip()
    alert.save()
    if alert.person_id is not None and holds_for_review(alert.kind, alert.source):
        refresh_state([alert.person_id])
    return alert


@transaction.atomic
def alerts_resolved_by(
    *, person_id: int, kinds: tuple[str, ...], note: str, by=None, now: dt.datetime | None = None
) -> int:
    """Close a person's alerts of these kinds that a fact has answered (a referred returnee
    taken in at the station closes the referral): part of the service that recorded the
    fact, which decided who may record it. Returns how many were closed."""
    now = now or timezone.now()
    acting = _acting(by)
    waiting = Alert.objects.filter(person_id=person_id, kind__in=kinds).exclude(
        status=AlertStatus.CLOSED
    )
    closed = 0
    for alert in waiting.select_for_update():
        if alert.acknowledged_at is None:
            alert.acknowledged_by, alert.acknowledged_at = acting, now
        alert.status = AlertStatus.CLOSED
        alert.closed_by, alert.closed_at, alert.note = acting, now, note
        alert.save()
        closed += 1
    if closed and any(holds_for_review(kind, "") for kind in kinds):
        refresh_state([person_id])
    return closed
