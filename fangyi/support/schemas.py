import datetime as dt
from decimal import Decimal

from ninja import Schema


class LineOut(Schema):
    id: int
    item_id: int
    item: str
    supplier: str
    quantity: int
    unit_price: Decimal
    missing: int


class OrderOut(Schema):
    id: int
    person_id: int
    person_name: str
    zone_id: int
    building: str | None
    room: str | None
    delivery_date: dt.date
    status: str
    channel: str
    to_door: bool
    deliverer_id: int | None
    amount_due: Decimal
    delivered_at: dt.datetime | None
    lines: list[LineOut]


class OrderIn(Schema):
    person_id: int
    quantities: dict[int, int]
    note: str = ""


class DeliverIn(Schema):
    missing: dict[int, int] = {}
    note: str = ""


class PickLineOut(Schema):
    item_id: int
    item: str
    unit: str
    quantity: int
    orders: int


class PickListOut(Schema):
    supplier_id: int
    supplier: str
    lines: list[PickLineOut]


class RoundOut(Schema):
    zone_id: int
    date: dt.date
    orders: list[OrderOut]
    pick_lists: list[PickListOut]


class RequestOut(Schema):
    id: int
    person_id: int
    person_name: str
    zone_id: int
    kind: str
    description: str
    channel: str
    status: str
    assigned_to_id: int | None
    created_at: dt.datetime
    done_at: dt.datetime | None
    note: str


class RequestIn(Schema):
    person_id: int
    kind: str
    description: str = ""


class DoneIn(Schema):
    note: str = ""


class DueVisitOut(Schema):
    visit_id: int
    person_id: int
    person_name: str
    due_on: dt.date
    volunteer_id: int | None


class CountOut(Schema):
    id: int
    name: str
    count: int


class CountsOut(Schema):
    total: int
    per_volunteer: list[CountOut]
    per_zone: list[CountOut]
    per_community: list[CountOut]
