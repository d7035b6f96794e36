"""Screening API: a campaign's progress, a team's list, and recording a visit.

`POST /api/screening/visits` is idempotent on the client's `key` (a UUID made once per
form): a retry answers 200 with the visit already recorded, a first save 201. A visit to
a closed campaign is refused with 422 and the error code `campaign_closed` (a retry of a
visit recorded before the close still answers 200).

Offline (docs/offline.md): `GET /api/screening/teams/{id}/offline-list` is the team's list
kept on the phone, and `POST /api/screening/visits/batch` sends the visits recorded
offline, answered one by one (created, duplicate, conflict, refused).
"""

from __future__ import annotations

import datetime as dt
import uuid

from ninja import Field, Router, Schema, Status

from fangyi.people.selectors import person_get
from fangyi.screening import offline, selectors, services

router = Router(tags=["screening"])


class CoverageOut(Schema):
    label: str
    total: int
    done: int
    revisit: int
    refused: int
    not_visited: int
    person_times: int


class ProgressOut(Schema):
    closed_at: dt.datetime | None
    campaign: CoverageOut
    teams: list[CoverageOut]
    zones: list[CoverageOut]
    communities: list[CoverageOut]


class DwellingOut(Schema):
    id: int
    building: str
    floor: int
    room: str
    people: int
    status: str


class VisitPersonIn(Schema):
    person_id: int
    present: bool = True
    temperature: str | None = None
    symptoms: bool = False
    came_from: str = ""
    came_on: dt.date | None = None
    phone: str = ""


class NewPersonIn(Schema):
    name: str
    doc_type: str = "id_card"
    doc_number: str
    phone: str = ""
    temperature: str | None = None
    symptoms: bool = False
    came_from: str = ""
    came_on: dt.date | None = None


class VisitIn(Schema):
    key: uuid.UUID
    team_id: int
    dwelling_id: int
    outcome: str
    people: list[VisitPersonIn] = []
    new_people: list[NewPersonIn] = []
    notes: str = ""


class VisitOut(Schema):
    id: int
    key: uuid.UUID
    outcome: str
    created: bool


def _coverage(c) -> dict:
    return {
        "label": c.label,
        "total": c.total,
        "done": c.done,
        "revisit": c.revisit,
        "refused": c.refused,
        "not_visited": c.not_visited,
        "person_times": c.person_times,
    }


@router.get("/campaigns/{campaign_id}/progress", response=ProgressOut)
def campaign_progress(request, campaign_id: int):
    campaign = selectors.campaign_get(request.user, campaign_id)
    progress = selectors.campaign_progress(campaign)
    return {
        "closed_at": campaign.closed_at,
        "campaign": _coverage(progress.campaign),
        "teams": [_coverage(c) for c in progress.teams.values()],
        "zones": [_coverage(c) for c in progress.zones.values()],
        "communities": [_coverage(c) for c in progress.communities.values()],
    }


@router.get("/teams/{team_id}/dwellings", response=list[DwellingOut])
def team_dwellings(request, team_id: int):
    team = selectors.team_get(request.user, team_id)
    return [
        {
            "id": r.dwelling.pk,
            "building": r.dwelling.building.name,
            "floor": r.dwelling.floor,
            "room": r.dwelling.room,
            "people": r.people,
            "status": r.status,
        }
        for r in selectors.team_dwellings(request.user, team)
    ]


@router.post("/visits", response={200: VisitOut, 201: VisitOut})
def visit_create(request, payload: VisitIn):
    team = selectors.team_get(request.user, payload.team_id)
    dwelling = selectors.team_dwelling_get(request.user, team, payload.dwelling_id)
    checks = []
    for check in payload.people:
        values = check.dict()
        values["person"] = person_get(request.user, values.pop("person_id"))
        checks.append(values)
    visit, created = services.visit_record(
        user=request.user,
        team=team,
        dwelling=dwelling,
        key=payload.key,
        outcome=payload.outcome,
        people=checks,
        new_people=[p.dict() for p in payload.new_people],
        notes=payload.notes,
    )
    body = {"id": visit.pk, "key": visit.key, "outcome": visit.outcome, "created": created}
    return Status(201 if created else 200, body)


class TeamOfflinePersonOut(Schema):
    id: int
    name: str
    doc: str


class TeamOfflineVisitOut(Schema):
    at: dt.datetime
    outcome: str
    outcome_label: str
    team: str
    by: str


class TeamOfflineDwellingOut(Schema):
    id: int
    building: str
    floor: int
    room: str
    zone: str
    people: list[TeamOfflinePersonOut]
    visits: list[TeamOfflineVisitOut]


class VisitOutcomeOut(Schema):
    value: str
    label: str


class TeamOfflineListOut(Schema):
    taken_at: dt.datetime
    expires_at: dt.datetime
    team_id: int
    team: str
    campaign: str
    closed: bool
    fever_threshold: str
    temperature_min: str
    temperature_max: str
    outcomes: list[VisitOutcomeOut]
    dwellings: list[TeamOfflineDwellingOut]


@router.get("/teams/{team_id}/offline-list", response=TeamOfflineListOut)
def team_offline_list(request, team_id: int):
    team = selectors.team_get(request.user, team_id)
    return offline.team_offline_list(request.user, team)


class TeamOfflineVisitIn(Schema):
    """A visit recorded offline: every field of POST /api/screening/visits (the same
    people and new_people), with when it was recorded and the list it was recorded from."""

    key: uuid.UUID
    dwelling_id: int
    outcome: str
    people: list[VisitPersonIn] = []
    new_people: list[NewPersonIn] = []
    notes: str = ""
    at: dt.datetime
    list_taken_at: dt.datetime


class VisitBatchIn(Schema):
    team_id: int
    visits: list[TeamOfflineVisitIn]


class VisitSyncResultOut(Schema):
    key: uuid.UUID
    status: str
    visit_id: int | None
    message: str
    errors: list[str]
    fields: dict[str, list[str]] = Field(
        default_factory=dict,
        description="A refused visit's errors by field, as POST /api/screening/visits "
        "answers them (people.N.<field>, new_people.N.<field>, outcome, notes…).",
    )
    by: str
    team: str
    at: dt.datetime | None


class VisitBatchOut(Schema):
    results: list[VisitSyncResultOut]


@router.post("/visits/batch", response=VisitBatchOut)
def visit_batch(request, payload: VisitBatchIn):
    team = selectors.team_get(request.user, payload.team_id)
    visits = [v.dict() for v in payload.visits]
    return {"results": offline.visits_sync(user=request.user, team=team, visits=visits)}
