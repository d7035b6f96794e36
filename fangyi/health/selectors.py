"""Who sees which alert (routing) and who may act on it.

An alert is routed to
- the duty chain of the person's places (district … building, copied onto the alert):
  the staff who keep those person files (not gate guards and volunteers);
- the staff on duty at the alert's facility (a station doctor sees the alerts of the
  people at the station, wherever they live);
- for an alert raised at a gate, also the staff of the gate's zone, guards included (the
  gate's fever list), who see it without acting on it;
- operators: every alert.
Acting (acknowledge, close) is for the first two and operators (`alert_may_act`).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q, QuerySet
from django.http import Http404

from fangyi.duty.scope import is_places_only, scope_for
from fangyi.health.choices import AlertStatus
from fangyi.health.models import Alert
from fangyi.places.models import Zone

OPEN_STATUSES = (AlertStatus.OPEN, AlertStatus.ACKNOWLEDGED)


def _facility_ids(user) -> list[int]:
    """The facilities where the user is on duty (read once per request)."""
    cached = getattr(user, "_fangyi_alert_facilities", None)
    if cached is not None:
        return cached
    staff = getattr(user, "staff", None)
    ids = (
        []
        if staff is None or not staff.active
        else list(staff.facilities.values_list("pk", flat=True))
    )
    user._fangyi_alert_facilities = ids
    return ids


def alerts_for(user) -> QuerySet[Alert]:
    """The alerts routed to the user (see the module's docstring)."""
    if user is None or not user.is_authenticated:
        return Alert.objects.none()
    scope = scope_for(user)
    if scope.everything:
        return Alert.objects.all()
    condition = scope.rows_q(None)
    facilities = _facility_ids(user)
    if facilities:
        condition |= Q(facility_id__in=facilities)
    zones = Zone.objects.filter(scope.place_q("zone")).values("pk")
    if any(scope.ids.values()):
        condition |= Q(gate_check__zone_id__in=zones)
    return Alert.objects.filter(condition)


def alert_may_act(user, alert: Alert) -> bool:
    """Acknowledge or close: operators, the staff who keep the person files of the alert's
    places, the staff on duty at its facility; never a gate guard or a volunteer (a guard
    would clear their own hold)."""
    if user is None:
        return True
    if not user.is_authenticated or is_places_only(user):
        return False
    scope = scope_for(user)
    if scope.everything or scope.covers_people_of("person", alert):
        return True
    return alert.facility_id is not None and alert.facility_id in _facility_ids(user)


def alert_get(user, pk: int) -> Alert:
    """One alert routed to the user, else 404."""
    alert = alerts_for(user).filter(pk=pk).first()
    if alert is None:
        raise Http404
    return alert


def alerts_list(
    user, *, kind: str = "", status: str = "", zone: int | None = None, source: str = ""
) -> QuerySet[Alert]:
    """The alerts routed to the user, filtered; open ones first, the newest first.
    `status` "active" means open or acknowledged."""
    alerts = alerts_for(user)
    if kind:
        alerts = alerts.filter(kind=kind)
    if status == "active":
        alerts = alerts.filter(status__in=OPEN_STATUSES)
    elif status:
        alerts = alerts.filter(status=status)
    if zone is not None:
        alerts = alerts.filter(zone_id=zone)
    if source:
        alerts = alerts.filter(source=source)
    return alerts.select_related(
        "person", "zone", "building", "facility", "case", "gate_check__gate"
    ).order_by("status", "-created_at", "-id")


@dataclass(frozen=True)
class AlertRow:
    """An alert as a list shows it to the user."""

    alert: Alert
    name: str  # the person's name, or the gate visitor's (masked)
    file_link: bool  # the name may link to the person file
    may_act: bool  # acknowledge / close are shown


def mask(name: str) -> str:
    """A visitor's name as the gate shows it: the family name and stars."""
    return name[:1] + "*" * max(len(name) - 1, 1) if name else ""


def alert_rows(user, alerts) -> list[AlertRow]:
    scope = scope_for(user)
    rows = []
    for a in alerts:
        person = a.person
        if person is not None:
            link = scope.covers("person", person)
            name = person.name if link else mask(person.name)
        else:
            link = False
            name = mask(a.gate_check.visitor_name) if a.gate_check_id else ""
        rows.append(AlertRow(alert=a, name=name, file_link=link, may_act=alert_may_act(user, a)))
    return rows
