import datetime as dt

from ninja import Field, Schema

# Confirmed, asymptomatic and suspected are a confirmed-case record's (people.services.CASE_HEALTH).
HEALTH_HELP = (
    "normal, symptoms or recovered; confirmed, asymptomatic and suspected are set by "
    "recording the case (POST /api/confirmed-cases) and answer 422 here"
)


class PersonListItem(Schema):
    id: int
    name: str
    doc_type: str
    doc_number_masked: str
    phone_masked: str
    sex: str
    birth_date: dt.date | None
    zone_id: int | None
    building_id: int | None
    dwelling_id: int | None
    travel_status: str
    health_status: str
    verified: bool
    epidemic_state: str = Field(
        description="the person's one epidemic state, derived from the facts (docs/state.md): "
        "confirmed, positive, suspected, hospital, observation, station, home, contact, "
        "review, returnee, unverified or clear"
    )


class PersonPage(Schema):
    count: int
    limit: int
    offset: int
    items: list[PersonListItem]


class DutyOut(Schema):
    level: str
    place: str
    staff: str
    role: str


class PersonOut(PersonListItem):
    origin: str
    return_date: dt.date | None
    elderly_alone: bool
    disabled: bool
    pregnant: bool
    chronic_illness: bool
    notes: str
    duty_chain: list[DutyOut]


class PersonIn(Schema):
    dwelling_id: int | None = None
    name: str
    doc_type: str = "id_card"
    doc_number: str
    phone: str = ""
    origin: str = ""
    travel_status: str = "never_left"
    return_date: dt.date | None = None
    health_status: str = Field("normal", description=HEALTH_HELP)
    verified: bool = False
    elderly_alone: bool = False
    disabled: bool = False
    pregnant: bool = False
    chronic_illness: bool = False
    notes: str = ""


class PersonPatch(Schema):
    name: str | None = None
    doc_type: str | None = None
    doc_number: str | None = None
    phone: str | None = None
    origin: str | None = None
    travel_status: str | None = None
    return_date: dt.date | None = None
    health_status: str | None = Field(None, description=HEALTH_HELP)
    verified: bool | None = None
    elderly_alone: bool | None = None
    disabled: bool | None = None
    pregnant: bool | None = None
    chronic_illness: bool | None = None
    notes: str | None = None


class RevealIn(Schema):
    field: str


class RevealOut(Schema):
    field: str
    value: str


class EventOut(Schema):
    at: dt.datetime
    by: str | None
    source: str
    action: str
    changes: dict
