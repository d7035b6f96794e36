"""Shapes of the alerts API (health.api)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from ninja import Schema


class AlertItem(Schema):
    id: int
    kind: str
    kind_label: str
    source: str
    status: str
    person_id: int | None
    # The person's name, masked for those who may not open the file; a gate visitor's.
    name: str
    zone_id: int | None
    building_id: int | None
    facility_id: int | None
    case_id: int | None
    gate_check_id: int | None
    gate: str | None
    date: dt.date
    slot: str
    temperature: Decimal | None
    detail: str
    created_at: dt.datetime
    acknowledged_at: dt.datetime | None
    closed_at: dt.datetime | None
    note: str
    may_act: bool


class AlertPage(Schema):
    count: int
    limit: int
    offset: int
    items: list[AlertItem]


class AlertActionIn(Schema):
    note: str = ""
