import datetime as dt

from ninja import Field, Schema


class ZoneOut(Schema):
    id: int
    code: str
    name: str
    kind: str
    kind_label: str
    address: str
    community: str
    street: str
    contact_name: str
    contact_phone: str
    gates: list[str]


class MapDutyOut(Schema):
    level: str
    place: str
    name: str
    role: str
    duty: str
    phone: str


class MapCountsOut(Schema):
    residents: int
    never_left: int
    returned: int
    new_arrival: int
    away: int
    in_quarantine: int
    fever_alerts: int
    # close contacts under observation (exposed, or in quarantine as a contact)
    contacts: int


class MapCoverageOut(Schema):
    """Dwellings of a building or zone in the covering screening campaign, by the latest
    visit: done (answered or vacant), revisit (nobody home), refused, not visited; the
    names of the campaign progress API (`/api/screening/campaigns/{id}/progress`)."""

    total: int
    done: int
    revisit: int
    refused: int
    not_visited: int


class MapScreeningOut(MapCoverageOut):
    campaign_id: int
    campaign_name: str
    closed: bool
    person_times: int


class BuildingOut(Schema):
    id: int
    name: str
    floors: int
    polygon: list[list[float]]
    residents: int
    in_quarantine: int
    quarantine_floors: list[int]
    # null when no screening campaign covers the zone
    screening: MapCoverageOut | None


class ZoneMapOut(Schema):
    zone: ZoneOut
    duty_chain: list[MapDutyOut]
    counts: MapCountsOut
    buildings: list[BuildingOut]
    # The door-to-door screening of the campaign covering the zone; null without one.
    screening: MapScreeningOut | None
    base_image_url: str | None
    taken_at: dt.datetime


class DayOut(Schema):
    date: dt.date
    new: int
    cumulative: int


class StatsOut(Schema):
    level: str
    id: int
    name: str
    date: dt.date
    cumulative: int
    new: int
    last_case_on: dt.date | None
    days_since_last_case: int | None
    screening_person_times: int
    screening_person_times_today: int
    # people of the place now under quarantine or isolation, and close contacts under
    # observation (their one epidemic state)
    in_quarantine: int
    contacts: int
    series: list[DayOut]


class ConfirmedCaseIn(Schema):
    person_id: int
    date: dt.date = Field(description="the day of the diagnosis (Asia/Shanghai), not in the future")
    classification: str = Field(description="confirmed, asymptomatic or suspected")
    onset_date: dt.date | None = Field(None, description="the day symptoms began, when known")
    note: str = Field("", max_length=200)


class ConfirmedCaseOut(Schema):
    id: int
    date: dt.date
    classification: str
    classification_label: str
    onset_date: dt.date | None
    zone_id: int
    zone_name: str
    # Null when the record names nobody in the files; the name is masked unless the
    # caller may open the person's file.
    person_id: int | None
    person_name: str
    note: str
    recorded_at: dt.datetime


class ConfirmedCaseRecordedOut(ConfirmedCaseOut):
    # Where the person's quarantine case is after the record (null: none, e.g. no
    # hospital of the district had room; the alert says so).
    quarantine_case_id: int | None
    quarantine_state: str | None
    facility_name: str
