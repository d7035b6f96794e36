import datetime as dt

from ninja import Schema


class ApplicationIn(Schema):
    name: str
    doc_type: str = "id_card"
    doc_number: str
    phone: str
    dwelling_id: int


class ApplicationOut(Schema):
    id: int
    status: str
    pass_url: str
    code: str


class QueueItemOut(Schema):
    id: int
    name: str
    doc_number_masked: str
    phone_masked: str
    dwelling_id: int
    created_at: dt.datetime


class RejectIn(Schema):
    reason: str


class DecidedOut(Schema):
    id: int
    status: str
    person_id: int | None = None
    reject_reason: str = ""


class ScanIn(Schema):
    gate_id: int
    token: str = ""
    code: str = ""
    temperature: str
    decision: str = ""


class ScanOut(Schema):
    check_id: int
    colour: str
    reason: str
    reason_label: str
    instruction: str
    name_masked: str
    fever: bool
    decision: str
    observation_point: str | None = None
    observation_address: str | None = None
    policy: str


class DecisionIn(Schema):
    decision: str


class GateOut(Schema):
    id: int
    name: str
    zone_id: int
    zone_name: str


class BoardRowOut(Schema):
    zone_id: int
    zone_name: str
    gate_id: int
    gate_name: str
    hour: int
    checks: int
    reds: int
    yellows: int
    fevers: int
