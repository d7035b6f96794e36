"""A screening team working without the network (issue 15, point 3; docs/offline.md).

While online the team's page keeps the team's offline list on the phone: its dwellings,
their residents with masked documents (no phones) and the campaign's previous visits of
each. Visits recorded offline are queued with their visit keys and sent back together;
`visits_sync` records each one through `services.visit_record` (the same rules as the
form) and answers for each: created, duplicate (its key was recorded already), conflict
(somebody recorded the same dwelling after the list was taken: who and when) or refused
(the form's own error messages). Nothing is dropped without an answer.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fangyi.core.policy import policy_in_force, values_of
from fangyi.core.templatetags.fangyi_tags import author
from fangyi.people.identity import mask_document
from fangyi.people.selectors import people_for, person_get
from fangyi.screening import selectors, services
from fangyi.screening.choices import Outcome
from fangyi.screening.models import Team, Visit

# Previous visits kept per dwelling on the phone: the latest few are what a team reads.
VISITS_PER_DWELLING = 3
# Visits sent in one request; the page sends its queue in batches of this size.
BATCH_MAX = 200

ERR_BATCH_SIZE = _("At most {n} visits can be sent at once.")
ERR_NOT_YOURS = _("This dwelling is not on a list of yours.")
ERR_TOO_EARLY = _("The visit's time is before its list was taken.")


def _outcome_label(value: str) -> str:
    return str(Outcome(value).label)


def team_offline_list(user, team: Team) -> dict[str, Any]:
    """The team's list for the phone, for a member or a manager of the campaign (others:
    404 from `selectors.team_get`, which the caller used). The least the form needs:
    dwellings as the form shows them, residents by name with masked documents (no
    phones), and the latest previous visits; with the time it was taken and its expiry
    (policy `screening_offline_hours`)."""
    now = timezone.now()
    values = values_of(policy_in_force(timezone.localdate()))
    dwellings = list(
        selectors.team_dwellings_qs(user, team)
        .select_related("building", "zone")
        .order_by("building__name", "building_id", "floor", "room", "id")
    )
    ids = [d.pk for d in dwellings]
    residents: dict[int, list[dict[str, Any]]] = {}
    people = (
        people_for(user)
        .filter(building_id__in=sorted({d.building_id for d in dwellings}), dwelling_id__in=ids)
        .order_by("id")
        .values_list("id", "dwelling_id", "name", "doc_number")
    )
    for pk, dwelling_id, name, doc in people:
        residents.setdefault(dwelling_id, []).append(
            {"id": pk, "name": name, "doc": mask_document(doc)}
        )
    visits: dict[int, list[dict[str, Any]]] = {}
    previous = (
        Visit.objects.filter(campaign_id=team.campaign_id, dwelling_id__in=ids)
        .select_related("team", "by__staff")
        .order_by("-at", "-id")
    )
    for visit in previous:
        kept = visits.setdefault(visit.dwelling_id, [])
        if len(kept) < VISITS_PER_DWELLING:
            kept.append(
                {
                    "at": visit.at,
                    "outcome": visit.outcome,
                    "outcome_label": _outcome_label(visit.outcome),
                    "team": visit.team.name,
                    "by": author(visit.by),
                }
            )
    return {
        "taken_at": now,
        "expires_at": now + dt.timedelta(hours=values.screening_offline_hours),
        "team_id": team.pk,
        "team": team.name,
        "campaign": team.campaign.name,
        "closed": team.campaign.is_closed,
        "fever_threshold": str(values.fever_threshold),
        "temperature_min": str(values.temperature_min),
        "temperature_max": str(values.temperature_max),
        "outcomes": [{"value": v, "label": str(label)} for v, label in Outcome.choices],
        "dwellings": [
            {
                "id": d.pk,
                "building": d.building.name,
                "floor": d.floor,
                "room": d.room,
                "zone": d.zone.name,
                "people": residents.get(d.pk, []),
                "visits": visits.get(d.pk, []),
            }
            for d in dwellings
        ],
    }


@dataclass
class SyncResult:
    """The answer for one visit sent from the phone."""

    key: uuid.UUID
    status: str  # created, duplicate, conflict, refused
    visit_id: int | None = None
    message: str = ""
    errors: list[str] = field(default_factory=list)
    # A refused visit's errors by field, as the online visit answers them.
    fields: dict[str, list[str]] = field(default_factory=dict)
    by: str = ""
    team: str = ""
    at: dt.datetime | None = None


def _messages(exc: ValidationError) -> list[str]:
    if hasattr(exc, "error_dict"):
        return [str(m) for messages in exc.message_dict.values() for m in messages]
    return [str(m) for m in exc.messages]


def _fields(exc: ValidationError) -> dict[str, list[str]]:
    if hasattr(exc, "error_dict"):
        return {name: [str(m) for m in messages] for name, messages in exc.message_dict.items()}
    return {}


def _conflict(team: Team, dwelling_id: int, since: dt.datetime, batch_keys) -> Visit | None:
    """A visit to the dwelling in the campaign recorded after the list was taken, by
    anybody (a teammate online, another team), that is not part of this batch."""
    return (
        Visit.objects.filter(campaign_id=team.campaign_id, dwelling_id=dwelling_id, at__gt=since)
        .exclude(key__in=batch_keys)
        .select_related("team", "by__staff")
        .order_by("-at", "-id")
        .first()
    )


def visits_sync(*, user, team: Team, visits: list[dict[str, Any]]) -> list[SyncResult]:
    """Record visits made offline; one answer per visit, in the order sent.

    `team` is one the user is on or manages (`selectors.team_get`). Each entry has every
    field of the online visit, read by the same service (`services.visit_record`): {key,
    dwelling_id, outcome, people: [{person_id, present, temperature, symptoms, came_from,
    came_on, phone}], new_people: [{name, doc_type, doc_number, phone, temperature,
    symptoms, came_from, came_on}], notes}, plus at (when it was recorded on the phone)
    and list_taken_at (the offline list it was recorded from). A key already recorded answers
    `duplicate` (sending the same batch twice records nothing more). A dwelling that
    somebody else visited after the list was taken answers `conflict` with who and when,
    and nothing is recorded: the team looks at the dwelling again. Otherwise the visit is
    recorded as the form records it, at the time it was made on the phone (never later
    than now nor before its list); errors answer `refused` with the form's messages, and
    each visit is its own transaction, so one refused visit keeps none of its changes and
    does not hold back the others; a refused visit's errors come by field too (`fields`,
    as the online visit's 422 names them). A dwelling the user may not see or not on the team's
    list: refused."""
    if len(visits) > BATCH_MAX:
        raise ValidationError(ERR_BATCH_SIZE.format(n=BATCH_MAX), code="batch_too_large")
    now = timezone.now()
    batch_keys = [entry["key"] for entry in visits]
    results: list[SyncResult] = []
    for entry in visits:
        key = entry["key"]
        existing = Visit.objects.filter(key=key).first()
        if existing is not None and existing.team_id == team.pk:
            results.append(SyncResult(key, "duplicate", visit_id=existing.pk))
            continue
        try:
            dwelling = selectors.team_dwelling_get(user, team, entry["dwelling_id"])
            people = [
                {**check, "person": person_get(user, check["person_id"])}
                for check in entry.get("people", [])
            ]
        except Http404:
            results.append(SyncResult(key, "refused", errors=[str(ERR_NOT_YOURS)]))
            continue
        taken_at = entry["list_taken_at"]
        at = min(entry.get("at") or now, now)
        if at < taken_at:
            results.append(SyncResult(key, "refused", errors=[str(ERR_TOO_EARLY)]))
            continue
        other = _conflict(team, dwelling.pk, taken_at, batch_keys)
        if other is not None:
            results.append(
                SyncResult(
                    key,
                    "conflict",
                    visit_id=other.pk,
                    message=_outcome_label(other.outcome),
                    by=author(other.by),
                    team=other.team.name,
                    at=other.at,
                )
            )
            continue
        try:
            with transaction.atomic():
                visit, created = services.visit_record(
                    user=user,
                    team=team,
                    dwelling=dwelling,
                    key=key,
                    outcome=entry["outcome"],
                    people=people,
                    new_people=entry.get("new_people") or [],
                    notes=entry.get("notes", ""),
                    at=at,
                )
        except ValidationError as exc:
            results.append(SyncResult(key, "refused", errors=_messages(exc), fields=_fields(exc)))
            continue
        except PermissionDenied as exc:
            results.append(SyncResult(key, "refused", errors=[str(exc)]))
            continue
        results.append(SyncResult(key, "created" if created else "duplicate", visit_id=visit.pk))
    return results
