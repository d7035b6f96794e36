"""GET /api/alerts, POST /api/alerts/{id}/acknowledge and /close (health.alerts)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext
from ninja import Query, Router, Schema

from fangyi.health import alerts as services
from fangyi.health import selectors
from fangyi.health.choices import AlertKind, AlertSource, AlertStatus
from fangyi.health.schemas import AlertActionIn, AlertItem, AlertPage

router = Router(tags=["alerts"])
MAX_LIMIT = 500


class AlertFilter(Schema):
    kind: str | None = None
    status: str | None = None
    source: str | None = None
    zone: int | None = None
    limit: int = 50
    offset: int = 0


def item(row: selectors.AlertRow) -> dict:
    a = row.alert
    return {
        "id": a.pk,
        "kind": a.kind,
        "kind_label": str(a.get_kind_display()),
        "source": a.source,
        "status": a.status,
        "person_id": a.person_id if row.file_link else None,
        "name": row.name,
        "zone_id": a.zone_id,
        "building_id": a.building_id,
        "facility_id": a.facility_id,
        "case_id": a.case_id,
        "gate_check_id": a.gate_check_id,
        "gate": a.gate_check.gate.name if a.gate_check_id else None,
        "date": a.date,
        "slot": a.slot,
        "temperature": a.temperature,
        "detail": a.detail,
        "created_at": a.created_at,
        "acknowledged_at": a.acknowledged_at,
        "closed_at": a.closed_at,
        "note": a.note,
        "may_act": row.may_act,
    }


def _check(field: str, value: str | None, choices) -> str:
    if value and value not in choices.values:
        raise ValidationError(
            {
                field: [
                    gettext("Unknown value %(value)s: use one of %(choices)s.")
                    % {"value": value, "choices": ", ".join(choices.values)}
                ]
            }
        )
    return value or ""


@router.get("/alerts", response=AlertPage)
def alert_list(request, filters: Query[AlertFilter]):
    """The alerts routed to the caller (the duty chain of the person's places, the staff on
    duty at the facility, a gate's staff for its checks), open ones first; filter by
    kind, status ("active": open or acknowledged), source and zone."""
    status = filters.status or ""
    if status != "active":
        _check("status", status, AlertStatus)
    alerts = selectors.alerts_list(
        request.user,
        kind=_check("kind", filters.kind, AlertKind),
        status=status,
        source=_check("source", filters.source, AlertSource),
        zone=filters.zone,
    )
    limit = max(1, min(filters.limit, MAX_LIMIT))
    offset = max(0, filters.offset)
    count = alerts.count()
    rows = selectors.alert_rows(request.user, alerts[offset : offset + limit])
    return {"count": count, "limit": limit, "offset": offset, "items": [item(r) for r in rows]}


def _row(user, alert) -> dict:
    return item(selectors.alert_rows(user, [selectors.alerts_list(user).get(pk=alert.pk)])[0])


@router.post("/alerts/{alert_id}/acknowledge", response=AlertItem)
def alert_acknowledge(request, alert_id: int):
    """Take the alert on (those who may act on it: file keepers, the facility's staff)."""
    alert = selectors.alert_get(request.user, alert_id)
    services.alert_acknowledge(by=request.user, alert=alert)
    return _row(request.user, alert)


@router.post("/alerts/{alert_id}/close", response=AlertItem)
def alert_close(request, alert_id: int, payload: AlertActionIn):
    """Close the alert with what was done (`note`, required)."""
    alert = selectors.alert_get(request.user, alert_id)
    services.alert_close(by=request.user, alert=alert, note=payload.note)
    return _row(request.user, alert)
