import datetime as dt
from decimal import Decimal

from ninja import Schema


class DaysOut(Schema):
    day: int
    total: int
    release_date: dt.date
    in_quarantine: bool
    due_for_release: bool
    station_day: int | None
    station_days_left: int | None


class StageOut(Schema):
    kind: str
    facility: str | None
    started_at: dt.datetime
    ended_at: dt.datetime | None


class TestOut(Schema):
    id: int
    sampled_on: dt.date
    lab: str
    result: str


class CaseOut(Schema):
    id: int
    case_no: str
    person_id: int
    person_name: str
    zone_id: int | None
    reason: str
    origin: str
    arrived_at: dt.datetime
    start_date: dt.date
    state: str
    policy: str
    extension_days: int
    released_on: dt.date | None
    days: DaysOut


class CaseDetailOut(CaseOut):
    stages: list[StageOut]
    tests: list[TestOut]


class CasePage(Schema):
    count: int
    limit: int
    offset: int
    items: list[CaseOut]


class IntakeIn(Schema):
    person_id: int
    reason: str
    arrived_at: dt.datetime
    first_state: str = "station"
    facility_id: int | None = None
    origin: str = ""
    note: str = ""


class TransitionIn(Schema):
    action: str
    facility_id: int | None = None
    kind: str = "normal"
    days: int | None = None
    note: str = ""


class TestIn(Schema):
    sampled_on: dt.date
    lab: str = ""


class ResultIn(Schema):
    result: str


class CheckIn(Schema):
    temperature: Decimal | str
    symptoms: list[str] = []


class CheckOut(Schema):
    id: int
    date: dt.date
    slot: str
    at: dt.datetime
    temperature: Decimal
    symptoms: list[str]
    channel: str


class AlertOut(Schema):
    id: int
    case_id: int
    kind: str
    date: dt.date
    slot: str
    detail: str
    status: str


class FacilityOut(Schema):
    id: int
    kind: str
    name: str
    address: str
    capacity: int
    occupied: int
