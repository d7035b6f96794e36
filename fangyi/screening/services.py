"""Writes of the screening app: campaigns, teams and visits.

Changes to person files found on a visit go through `people.services` with the source
"screening team <name>", so each file's history shows which team did it.
"""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fangyi.core.policy import policy_in_force, values_of
from fangyi.core.temperature import body_temperature
from fangyi.duty.models import Staff
from fangyi.duty.scope import scope_for
from fangyi.people.choices import HealthStatus, TravelStatus
from fangyi.people.models import Person
from fangyi.people.services import person_create, person_update
from fangyi.places.models import Building, Community, Dwelling, Street, Zone
from fangyi.screening.choices import Outcome
from fangyi.screening.findings import Finding, visit_alerts
from fangyi.screening.models import Campaign, Team, TeamArea, TeamMember, Visit, VisitPerson

TEAM_SIZE = 3
SOURCE_MAX = 50

ERR_PLACE_SCOPE = _("You may start a campaign only in your own area.")
ERR_DATES = _("The last day cannot be before the first day.")
ERR_TEAM_SIZE = _("A team has three members.")
ERR_TEAM_LEADER = _("The leader must be one of the three members.")
ERR_TEAM_NAME = _("Enter the team's name.")
ERR_TEAM_NAME_TAKEN = _("This campaign already has a team with this name.")
ERR_AREA_NONE = _("Give the team at least one building.")
ERR_AREA_OUTSIDE = _("Building {name} is not in the campaign's area.")
ERR_FLOOR = _("Building {name} has no floor {floor}.")
ERR_MEMBER_SCOPE = _("{name} is not assigned to building {building}; assign them first.")
ERR_VISIT_DWELLING = _("This dwelling is not in the team's area.")
ERR_VISIT_KEY = _("This visit key was used for another dwelling.")
ERR_NAME = _("Enter the campaign's name.")
ERR_CAMPAIGN_CLOSED = _("Campaign {name} is closed: it takes no new visits or teams.")
ERR_ALREADY_CLOSED = _("Campaign {name} is already closed.")
ERR_NOT_CLOSED = _("Campaign {name} is not closed.")
ERR_TEAM_CLOSED = _("Campaign {name} is closed: reopen it to change its teams.")
ERR_TEAM_HAS_VISITS = _(
    "Team {name} has recorded visits and cannot be dissolved; close the campaign instead."
)
ERR_PEOPLE_WITHOUT_ANSWER = _("People can only be recorded when someone answered the door.")
ERR_WHO = _("{who}: {error}")
ERR_NEW_PERSON = _("person without a file no. {n}")
ERR_NOT_IN_DWELLING = _("This person does not live in this dwelling.")


def _closed_error(name: str) -> ValidationError:
    return ValidationError(ERR_CAMPAIGN_CLOSED.format(name=name), code="campaign_closed")


def team_source(team: Team) -> str:
    """The `source` of a person-file change made by a team (shown in the history)."""
    return f"screening team {team.name}"[:SOURCE_MAX]


@transaction.atomic
def campaign_check_start(*, user, place: Street | Community | Zone) -> None:
    """Refuse (PermissionDenied) unless the user keeps the person files of the place:
    a campaign visits every file there. Gate guards and volunteers never start one."""
    level = {Street: "street", Community: "community", Zone: "zone"}[type(place)]
    if not scope_for(user).covers_people_of(level, place):
        raise PermissionDenied(ERR_PLACE_SCOPE)


def campaign_create(
    *,
    user,
    name: str,
    place: Street | Community | Zone,
    starts_on: dt.date,
    ends_on: dt.date,
) -> Campaign:
    """Start a campaign over a street, community or zone of the user's area."""
    campaign_check_start(user=user, place=place)
    if ends_on < starts_on:
        raise ValidationError({"ends_on": [ERR_DATES]})
    campaign = Campaign(name=name.strip(), starts_on=starts_on, ends_on=ends_on, created_by=user)
    campaign.district_id = place.district_id
    if isinstance(place, Street):
        campaign.street = place
    elif isinstance(place, Community):
        campaign.street_id = place.street_id
        campaign.community = place
    else:
        campaign.street_id = place.street_id
        campaign.community_id = place.community_id
        campaign.zone = place
    campaign.full_clean()
    campaign.save()
    return campaign


def _campaign_for_change(user, campaign: Campaign) -> Campaign:
    """The campaign row, locked, after checking the user may manage it."""
    if not scope_for(user).covers_people_of(campaign.level, campaign.place):
        raise PermissionDenied(ERR_PLACE_SCOPE)
    return Campaign.objects.select_for_update().get(pk=campaign.pk)


@transaction.atomic
def campaign_update(
    *, user, campaign: Campaign, name: str, starts_on: dt.date, ends_on: dt.date
) -> Campaign:
    """Rename a campaign or change its dates; the place stays (teams and visits hang on it).

    A closed campaign may be corrected too: its dates are a record, not a switch.
    """
    locked = _campaign_for_change(user, campaign)
    errors: dict[str, list] = {}
    name = (name or "").strip()
    if not name:
        errors["name"] = [ERR_NAME]
    if ends_on < starts_on:
        errors["ends_on"] = [ERR_DATES]
    if errors:
        raise ValidationError(errors)
    locked.name, locked.starts_on, locked.ends_on = name, starts_on, ends_on
    locked.full_clean()
    locked.save(update_fields=["name", "starts_on", "ends_on"])
    campaign.name, campaign.starts_on, campaign.ends_on = name, starts_on, ends_on
    return locked


@transaction.atomic
def campaign_close(*, user, campaign: Campaign) -> Campaign:
    """Close a campaign: no new visits or teams; its lists and progress stay readable.

    The row is locked so that a visit being saved at this moment either lands before the
    close or is refused after it (see `visit_record`).
    """
    locked = _campaign_for_change(user, campaign)
    if locked.closed_at is not None:
        raise ValidationError(ERR_ALREADY_CLOSED.format(name=locked.name), code="closed")
    locked.closed_at = timezone.now()
    locked.closed_by = user if user is not None and user.is_authenticated else None
    locked.save(update_fields=["closed_at", "closed_by"])
    campaign.closed_at, campaign.closed_by = locked.closed_at, locked.closed_by
    return locked


@transaction.atomic
def campaign_reopen(*, user, campaign: Campaign) -> Campaign:
    """Reopen a closed campaign (the same people who may close it)."""
    locked = _campaign_for_change(user, campaign)
    if locked.closed_at is None:
        raise ValidationError(ERR_NOT_CLOSED.format(name=locked.name), code="not_closed")
    locked.closed_at, locked.closed_by = None, None
    locked.save(update_fields=["closed_at", "closed_by"])
    campaign.closed_at, campaign.closed_by = None, None
    return locked


def campaign_buildings(campaign: Campaign):
    """The buildings a campaign covers."""
    return Building.objects.filter(**{f"{campaign.level}_id": campaign.place.pk})


def _building_q_for(campaign: Campaign) -> dict[str, int]:
    return {f"{campaign.level}_id": campaign.place.pk}


def _team_errors(
    *,
    campaign: Campaign,
    team: Team | None,
    name: str,
    members: list[Staff],
    leader: Staff | None,
    areas: list[tuple[Building, int | None]],
) -> dict[str, list]:
    """What is wrong with a team's name, members and areas (shared by create and update)."""
    errors: dict[str, list] = {}
    if not name:
        errors["name"] = [ERR_TEAM_NAME]
    else:
        same_name = Team.objects.filter(campaign=campaign, name=name)
        if team is not None:
            same_name = same_name.exclude(pk=team.pk)
        if same_name.exists():
            errors["name"] = [ERR_TEAM_NAME_TAKEN]
    if len({m.pk for m in members}) != TEAM_SIZE:
        errors["members"] = [ERR_TEAM_SIZE]
    elif leader is None or leader.pk not in {m.pk for m in members}:
        errors["leader"] = [ERR_TEAM_LEADER]
    if not areas:
        errors["areas"] = [ERR_AREA_NONE]
    place_column = f"{campaign.level}_id"
    for building, floor in areas:
        if getattr(building, place_column) != campaign.place.pk:
            errors.setdefault("areas", []).append(ERR_AREA_OUTSIDE.format(name=building.name))
        elif floor is not None and not 1 <= floor <= building.floors:
            errors.setdefault("areas", []).append(ERR_FLOOR.format(name=building.name, floor=floor))
        for member in members:
            if member.user_id and not scope_for(member.user).covers("building", building):
                errors.setdefault("members", []).append(
                    ERR_MEMBER_SCOPE.format(name=member.name, building=building.name)
                )
    return errors


def _distinct_areas(
    areas: list[tuple[Building, int | None]],
) -> list[tuple[Building, int | None]]:
    """The areas without repeats (a floor kept and added again is one area)."""
    seen: dict[tuple[int, int | None], tuple[Building, int | None]] = {}
    for building, floor in areas:
        seen.setdefault((building.pk, floor), (building, floor))
    return list(seen.values())


def _team_fill(team: Team, members: list[Staff], leader: Staff, areas) -> None:
    TeamMember.objects.bulk_create(
        [TeamMember(team=team, staff=m, leader=m.pk == leader.pk) for m in members]
    )
    TeamArea.objects.bulk_create(
        [TeamArea(team=team, building=b, zone_id=b.zone_id, floor=f) for b, f in areas]
    )


@transaction.atomic
def team_create(
    *,
    user,
    campaign: Campaign,
    name: str,
    members: list[Staff],
    leader: Staff,
    areas: list[tuple[Building, int | None]],
) -> Team:
    """Form a team of three (one leader) and give it buildings or floors.

    Members with a login must have each building in their scope, because the team's
    pages show people only through the one scoping function. A closed campaign takes
    no new team.
    """
    locked = _campaign_for_change(user, campaign)
    if locked.closed_at is not None:
        raise _closed_error(locked.name)
    name = (name or "").strip()
    areas = _distinct_areas(areas)
    errors = _team_errors(
        campaign=campaign, team=None, name=name, members=members, leader=leader, areas=areas
    )
    if errors:
        raise ValidationError(errors)
    team = Team.objects.create(campaign=campaign, name=name)
    _team_fill(team, _distinct_members(members), leader, areas)
    return team


def _distinct_members(members: list[Staff]) -> list[Staff]:
    return list({m.pk: m for m in members}.values())


@transaction.atomic
def team_update(
    *,
    user,
    team: Team,
    name: str,
    members: list[Staff],
    leader: Staff,
    areas: list[tuple[Building, int | None]],
) -> Team:
    """Change a team's name, members, leader and areas, under the rules of `team_create`.

    Members and areas are replaced as a whole. Visits already recorded stay the team's;
    a dwelling taken off its list keeps its status in the campaign's progress.
    """
    campaign = _campaign_for_change(user, team.campaign)
    if campaign.closed_at is not None:
        raise ValidationError(ERR_TEAM_CLOSED.format(name=campaign.name), code="closed")
    locked = Team.objects.select_for_update().get(pk=team.pk)
    name = (name or "").strip()
    areas = _distinct_areas(areas)
    errors = _team_errors(
        campaign=team.campaign, team=locked, name=name, members=members, leader=leader, areas=areas
    )
    if errors:
        raise ValidationError(errors)
    if locked.name != name:
        locked.name = name
        locked.save(update_fields=["name"])
    TeamMember.objects.filter(team=locked).delete()
    TeamArea.objects.filter(team=locked).delete()
    _team_fill(locked, _distinct_members(members), leader, areas)
    team.name = name
    return locked


@transaction.atomic
def team_dissolve(*, user, team: Team) -> None:
    """Delete a team that has recorded no visit (a team with visits is kept as a record:
    close the campaign instead)."""
    campaign = _campaign_for_change(user, team.campaign)
    if campaign.closed_at is not None:
        raise ValidationError(ERR_TEAM_CLOSED.format(name=campaign.name), code="closed")
    locked = Team.objects.select_for_update().get(pk=team.pk)
    if Visit.objects.filter(team=locked).exists():
        raise ValidationError(ERR_TEAM_HAS_VISITS.format(name=locked.name), code="has_visits")
    locked.delete()


def _add_errors(errors: dict[str, list], key: str, who: str, exc: ValidationError) -> None:
    """Put a person's errors under `key.<field>`, each message naming whose it is, so a
    household's form says which of its people to correct."""
    by_field = exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
    for field, messages in by_field.items():
        errors.setdefault(f"{key}.{field}", []).extend(
            ERR_WHO.format(who=who, error=message) for message in messages
        )


def _travel_values(person: Person | None, came_from: str, came_on: dt.date | None) -> dict:
    values: dict[str, Any] = {}
    if came_from and (person is None or person.origin != came_from):
        values["origin"] = came_from
    if came_on is not None and (person is None or person.return_date != came_on):
        values["return_date"] = came_on
        if person is None or person.travel_status != TravelStatus.RETURNED:
            values["travel_status"] = TravelStatus.RETURNED
    return values


@transaction.atomic
def visit_record(
    *,
    user,
    team: Team,
    dwelling: Dwelling,
    key: uuid.UUID | str,
    outcome: str,
    people: list[dict[str, Any]] | None = None,
    new_people: list[dict[str, Any]] | None = None,
    notes: str = "",
    at: dt.datetime | None = None,
) -> tuple[Visit, bool]:
    """Record one visit; returns (visit, created).

    A visit whose key is already recorded is returned as it is (a double tap or a retry),
    and nothing else is written. `people` are checks of files living in the dwelling:
    {person, present, temperature, symptoms, came_from, came_on, phone}; `new_people` are
    people found there without a file: {name, doc_type, doc_number, phone, came_from,
    came_on, temperature, symptoms}, created unverified. A fever or symptoms mark the
    file "has symptoms" and, with a new arrival from a high-risk area (policy), raise
    alerts to the duty chain and the station (screening.findings). Temperatures are read as typed on a phone (`36,8`, `36。8`,
    `３６.８`, `36.8℃`) and refused outside the policy's plausible range; the temperature
    of someone not present is ignored. Errors name the field, prefixed `people.N.` /
    `new_people.N.`, and each message names the person it is about (the file's name, the
    name typed, or "person without a file no. N"). On any error nothing is saved.
    """
    key = uuid.UUID(str(key))
    existing = Visit.objects.filter(key=key).first()
    if existing is not None:
        if existing.dwelling_id != dwelling.pk or existing.team_id != team.pk:
            raise ValidationError({"key": [ERR_VISIT_KEY]})
        return existing, False
    if team.campaign.closed_at is not None:
        raise _closed_error(team.campaign.name)
    if not team_dwellings_q_matches(team, dwelling):
        raise ValidationError({"dwelling": [ERR_VISIT_DWELLING]})
    people = people or []
    new_people = new_people or []
    if outcome not in Outcome.values:
        raise ValidationError({"outcome": [_("Choose an outcome.")]})
    if outcome != Outcome.ANSWERED and (people or new_people):
        raise ValidationError({"outcome": [ERR_PEOPLE_WITHOUT_ANSWER]})
    try:
        with transaction.atomic():
            visit = Visit.objects.create(
                key=key,
                campaign_id=team.campaign_id,
                team=team,
                dwelling=dwelling,
                zone_id=dwelling.zone_id,
                outcome=outcome,
                # A visit recorded offline is sent later with the time it was made.
                at=at or timezone.now(),
                by=user if user is not None and user.is_authenticated else None,
                notes=notes[:200],
            )
    except IntegrityError:
        # The same key committed by a concurrent request: that one is the visit.
        return Visit.objects.get(key=key), False
    # Checked again after the insert: on PostgreSQL the new row's foreign key holds a
    # KEY SHARE lock on the campaign row, which `campaign_close` (FOR UPDATE) waits for;
    # so a visit either commits before the close or sees it here and rolls back.
    closed = Campaign.objects.filter(pk=team.campaign_id, closed_at__isnull=False)
    name = closed.values_list("name", flat=True).first()
    if name is not None:
        raise _closed_error(name)
    source = team_source(team)
    policy = values_of(policy_in_force(timezone.localdate()))
    fever = policy.fever_threshold
    checks: list[VisitPerson] = []
    findings: list[Finding] = []
    errors: dict[str, list] = {}

    def temperature_of(raw: Any, who: str, key: str) -> Decimal | None:
        try:
            return body_temperature(raw, low=policy.temperature_min, high=policy.temperature_max)
        except ValidationError as exc:
            _add_errors(errors, key, who, ValidationError({"temperature": exc.messages}))
            return None

    for index, entry in enumerate(people):
        person: Person = entry["person"]
        key_of = f"people.{index}"
        if person.dwelling_id != dwelling.pk:
            errors[f"{key_of}.person"] = [
                ERR_WHO.format(who=person.name, error=ERR_NOT_IN_DWELLING)
            ]
            continue
        present = bool(entry.get("present", True))
        # The temperature of someone not at home is not read (nobody took it).
        temperature = (
            temperature_of(entry.get("temperature"), person.name, key_of) if present else None
        )
        symptoms = bool(entry.get("symptoms")) and present
        came_from = (entry.get("came_from") or "").strip()
        came_on = entry.get("came_on")
        values = _travel_values(person, came_from, came_on)
        phone = (entry.get("phone") or "").strip()
        if phone and phone != person.phone:
            values["phone"] = phone
        unwell = symptoms or (temperature is not None and temperature >= fever)
        if present and unwell and person.health_status == HealthStatus.NORMAL:
            values["health_status"] = HealthStatus.SYMPTOMS
        if values:
            try:
                person_update(user=user, person=person, values=values, source=source)
            except ValidationError as exc:
                _add_errors(errors, key_of, person.name, exc)
        checks.append(
            VisitPerson(
                visit=visit,
                person=person,
                present=present,
                temperature=temperature,
                symptoms=symptoms,
                came_from=came_from[:100],
                came_on=came_on,
            )
        )
        findings.append(Finding(person, present, temperature, symptoms, came_from, came_on))
    for index, entry in enumerate(new_people):
        key_of = f"new_people.{index}"
        who = (entry.get("name") or "").strip() or str(ERR_NEW_PERSON.format(n=index + 1))
        temperature = temperature_of(entry.get("temperature"), who, key_of)
        came_from = (entry.get("came_from") or "").strip()
        came_on = entry.get("came_on")
        values = {
            "name": entry.get("name", ""),
            "doc_type": entry.get("doc_type") or "id_card",
            "doc_number": entry.get("doc_number", ""),
            "phone": entry.get("phone", ""),
            "verified": False,
            **_travel_values(None, came_from, came_on),
        }
        symptoms = bool(entry.get("symptoms"))
        if symptoms or (temperature is not None and temperature >= fever):
            values["health_status"] = HealthStatus.SYMPTOMS
        try:
            person = person_create(user=user, dwelling=dwelling, values=values, source=source)
        except ValidationError as exc:
            _add_errors(errors, key_of, who, exc)
            continue
        checks.append(
            VisitPerson(
                visit=visit,
                person=person,
                present=True,
                temperature=temperature,
                symptoms=symptoms,
                came_from=came_from[:100],
                came_on=came_on,
                new_file=True,
            )
        )
        findings.append(Finding(person, True, temperature, symptoms, came_from, came_on))
    if errors:
        # Nothing half-saved: the visit and every change above roll back.
        raise ValidationError(errors)
    VisitPerson.objects.bulk_create(checks)
    # A fever, symptoms or a new arrival from a high-risk area: alerts to the duty chain
    # and the station, the people's states refreshed (screening.findings).
    visit_alerts(
        user=user, visit=visit, findings=findings, values=policy, today=timezone.localdate()
    )
    return visit, True


def team_dwellings_q_matches(team: Team, dwelling: Dwelling) -> bool:
    """Whether a dwelling lies in one of the team's areas (building, or floor of it)."""
    for area in team.areas.all():
        if area.building_id == dwelling.building_id and (
            area.floor is None or area.floor == dwelling.floor
        ):
            return True
    return False
