"""Reads of the screening app, always through the user's scope.

A campaign is visible to users whose scope covers its place (they manage it) and to
the members of its teams. A team's page is visible to its members and the managers;
the dwellings and people it lists pass through `scope_for` as well.

Progress is derived from the visits at read time: a dwelling's status in a campaign
is that of its latest visit (none → not visited; nobody home → revisit; refused;
answered or vacant → visited). Coverage is visited of total; refusals are counted
apart (a cadre follows them up). Person-times (人次) count every person found present,
once per visit.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from types import SimpleNamespace
from zoneinfo import ZoneInfo

from django.db import connection
from django.db.models import (
    Count,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
)
from django.db.models.functions import TruncDate
from django.http import Http404

from fangyi.duty.scope import scope_for
from fangyi.people.models import Person
from fangyi.people.selectors import people_for
from fangyi.places.models import Building, Community, Dwelling, Zone
from fangyi.screening.choices import DwellingStatus, Outcome
from fangyi.screening.models import Campaign, Team, TeamArea, TeamMember, Visit, VisitPerson

SHANGHAI = ZoneInfo("Asia/Shanghai")
STATUS_OF_OUTCOME: dict[str, str] = {
    Outcome.ANSWERED: DwellingStatus.DONE,
    Outcome.VACANT: DwellingStatus.DONE,
    Outcome.REFUSED: DwellingStatus.REFUSED,
    Outcome.NOBODY_HOME: DwellingStatus.REVISIT,
}
STATUS_ORDER: dict[str, int] = {
    DwellingStatus.NOT_VISITED: 0,
    DwellingStatus.REVISIT: 1,
    DwellingStatus.REFUSED: 2,
    DwellingStatus.DONE: 3,
}


def _managed_q(user) -> Q | None:
    """The campaigns whose place's person files the user keeps; None: all of them.

    None rather than an empty Q, which an OR drops (`Q() | Q(x)` is `Q(x)`): operators
    would have seen only the campaigns they are on a team of."""
    scope = scope_for(user)
    if scope.everything:
        return None
    q = Q(pk__in=[])
    for level in ("district", "street", "community", "zone"):
        ids = scope.people_ids.get(level)
        if ids:
            q |= Q(**{f"{level}_id__in": sorted(ids)})
    return q


def campaigns_for(user) -> QuerySet[Campaign]:
    """Campaigns the user manages (scope covers the place) or is on a team of."""
    if not user.is_authenticated:
        return Campaign.objects.none()
    managed = _managed_q(user)
    campaigns = Campaign.objects.all()
    if managed is not None:
        member = Campaign.objects.filter(teams__memberships__staff__user=user).values("pk")
        campaigns = campaigns.filter(managed | Q(pk__in=member))
    return campaigns.select_related("street", "community", "zone")


def campaign_manages(user, campaign: Campaign) -> bool:
    """Whether the user's scope covers the person files of the campaign's place (may form
    teams, see all)."""
    return scope_for(user).covers_people_of(campaign.level, campaign.place)


def campaign_get(user, pk: int) -> Campaign:
    """A campaign the user manages or is on a team of (who closed it loaded), or 404."""
    campaign = campaigns_for(user).select_related("closed_by__staff").filter(pk=pk).first()
    if campaign is None:
        raise Http404
    return campaign


def teams_of(user) -> QuerySet[Team]:
    """The teams the user is a member of, newest campaign first."""
    if not user.is_authenticated:
        return Team.objects.none()
    return (
        Team.objects.filter(memberships__staff__user=user)
        .select_related("campaign")
        .order_by("-campaign__starts_on", "name")
    )


def team_get(user, pk: int) -> Team:
    """A team the user is on or manages, or 404."""
    team = (
        Team.objects.select_related("campaign__street", "campaign__community", "campaign__zone")
        .filter(pk=pk)
        .first()
    )
    if team is None or not user.is_authenticated:
        raise Http404
    if not (
        team.memberships.filter(staff__user=user).exists() or campaign_manages(user, team.campaign)
    ):
        raise Http404
    return team


def _areas_q(areas: list[TeamArea]) -> Q:
    q = Q(pk__in=[])
    whole = sorted({a.building_id for a in areas if a.floor is None})
    if whole:
        q |= Q(building_id__in=whole)
    for area in areas:
        if area.floor is not None:
            q |= Q(building_id=area.building_id, floor=area.floor)
    return q


def team_dwellings_qs(user, team: Team) -> QuerySet[Dwelling]:
    """The dwellings of a team's areas that the user may see."""
    areas = list(team.areas.all())
    return Dwelling.objects.filter(scope_for(user).dwelling_q()).filter(_areas_q(areas))


@dataclass
class DwellingRow:
    """A dwelling on a team's list, with its status in the campaign."""

    dwelling: Dwelling
    status: str
    people: int
    last_visit: Visit | None = None

    @property
    def status_label(self) -> str:
        return str(DwellingStatus(self.status).label)


def _latest_visits(campaign_id: int, **filters) -> dict[int, Visit]:
    latest: dict[int, Visit] = {}
    for visit in Visit.objects.filter(campaign_id=campaign_id, **filters).order_by("at", "id"):
        latest[visit.dwelling_id] = visit
    return latest


def team_dwellings(user, team: Team) -> list[DwellingRow]:
    """The team's list: not visited first, then revisits, refusals, visited."""
    dwellings = list(team_dwellings_qs(user, team).select_related("building"))
    building_ids = sorted({d.building_id for d in dwellings})
    latest = _latest_visits(team.campaign_id, dwelling__building_id__in=building_ids)
    counts = dict(
        people_for(user)
        .filter(building_id__in=building_ids)
        .values_list("dwelling_id")
        .annotate(n=Count("id"))
        .order_by()
    )
    rows = []
    for d in dwellings:
        visit = latest.get(d.pk)
        status = STATUS_OF_OUTCOME[visit.outcome] if visit else DwellingStatus.NOT_VISITED
        rows.append(DwellingRow(d, status, counts.get(d.pk, 0), visit))
    rows.sort(
        key=lambda r: (
            STATUS_ORDER[r.status],
            r.dwelling.building_id,
            r.dwelling.floor,
            r.dwelling.room,
        )
    )
    return rows


def team_dwelling_get(user, team: Team, pk: int) -> Dwelling:
    dwelling = team_dwellings_qs(user, team).select_related("building", "zone").filter(pk=pk)
    found = dwelling.first()
    if found is None:
        raise Http404
    return found


def dwelling_people(user, dwelling: Dwelling) -> QuerySet[Person]:
    """The files of a dwelling the user may see."""
    return people_for(user).filter(dwelling=dwelling).order_by("id")


# ---- progress -------------------------------------------------------------------------


@dataclass
class Coverage:
    """Counts of one group (a team, zone, community or the campaign)."""

    label: str
    total: int = 0
    done: int = 0
    revisit: int = 0
    refused: int = 0
    person_times: int = 0

    @property
    def not_visited(self) -> int:
        return self.total - self.done - self.revisit - self.refused

    @property
    def percent(self) -> int:
        return round(100 * self.done / self.total) if self.total else 0


@dataclass
class Progress:
    """A campaign's progress: overall and per team, zone and community."""

    campaign: Coverage
    teams: dict[int, Coverage] = field(default_factory=dict)
    zones: dict[int, Coverage] = field(default_factory=dict)
    communities: dict[int, Coverage] = field(default_factory=dict)
    unassigned: int = 0


def campaign_progress(campaign: Campaign) -> Progress:
    """Coverage of a campaign at every level; a fixed number of queries."""
    place_filter = {f"{campaign.level}_id": campaign.place.pk}
    buildings = {
        pk: (zone_id, community_id)
        for pk, zone_id, community_id in Building.objects.filter(**place_filter).values_list(
            "pk", "zone_id", "community_id"
        )
    }
    zone_names = dict(
        Zone.objects.filter(pk__in={z for z, _c in buildings.values()}).values_list("pk", "name")
    )
    community_names = dict(
        Community.objects.filter(pk__in={c for _z, c in buildings.values()}).values_list(
            "pk", "name"
        )
    )
    community_of_zone = dict(buildings.values())
    teams = {t.pk: t for t in campaign.teams.all()}
    areas = list(TeamArea.objects.filter(team__campaign=campaign))
    whole = {a.building_id: a.team_id for a in areas if a.floor is None}
    by_floor = {(a.building_id, a.floor): a.team_id for a in areas if a.floor is not None}
    progress = Progress(campaign=Coverage(str(campaign.place)))
    progress.teams = {pk: Coverage(t.name) for pk, t in teams.items()}
    latest = dict(
        Visit.objects.filter(campaign=campaign)
        .order_by("at", "id")
        .values_list("dwelling_id", "outcome")
    )
    dwellings = Dwelling.objects.filter(building__in=Building.objects.filter(**place_filter))
    for pk, building_id, floor in dwellings.values_list("pk", "building_id", "floor"):
        zone_id, community_id = buildings[building_id]
        outcome = latest.get(pk)
        status = STATUS_OF_OUTCOME[outcome] if outcome else DwellingStatus.NOT_VISITED
        team_id = by_floor.get((building_id, floor), whole.get(building_id))
        groups = [
            progress.campaign,
            progress.zones.setdefault(zone_id, Coverage(zone_names.get(zone_id, ""))),
            progress.communities.setdefault(
                community_id, Coverage(community_names.get(community_id, ""))
            ),
        ]
        if team_id is not None:
            groups.append(progress.teams[team_id])
        else:
            progress.unassigned += 1
        for group in groups:
            group.total += 1
            if status == DwellingStatus.DONE:
                group.done += 1
            elif status == DwellingStatus.REVISIT:
                group.revisit += 1
            elif status == DwellingStatus.REFUSED:
                group.refused += 1
    checked = (
        VisitPerson.objects.filter(visit__campaign=campaign, present=True)
        .values_list("visit__team_id", "visit__zone_id")
        .annotate(n=Count("id"))
        .order_by()
    )
    for team_id, zone_id, n in checked:
        progress.campaign.person_times += n
        if team_id in progress.teams:
            progress.teams[team_id].person_times += n
        if zone_id in progress.zones:
            progress.zones[zone_id].person_times += n
            in_community = community_of_zone.get(zone_id)
            if in_community is not None and in_community in progress.communities:
                progress.communities[in_community].person_times += n
    return progress


@dataclass
class DayRow:
    """One team's work on one day."""

    day: dt.date
    team: str
    visits: int = 0
    answered: int = 0
    nobody_home: int = 0
    refused: int = 0
    vacant: int = 0
    person_times: int = 0
    new_files: int = 0


def daily_summary(campaign: Campaign) -> list[DayRow]:
    """Per team and day (Asia/Shanghai): visits by outcome, person-times, new files."""
    names = dict(campaign.teams.values_list("pk", "name"))
    rows: dict[tuple[dt.date, int], DayRow] = {}
    visits = (
        Visit.objects.filter(campaign=campaign)
        .annotate(day=TruncDate("at", tzinfo=SHANGHAI))
        .values_list("day", "team_id", "outcome")
        .annotate(n=Count("id"))
        .order_by()
    )
    for day, team_id, outcome, n in visits:
        row = rows.setdefault((day, team_id), DayRow(day, names.get(team_id, "")))
        row.visits += n
        setattr(row, outcome, getattr(row, outcome) + n)
    checks = (
        VisitPerson.objects.filter(visit__campaign=campaign)
        .annotate(day=TruncDate("visit__at", tzinfo=SHANGHAI))
        .values_list("day", "visit__team_id")
        .annotate(
            present=Count("id", filter=Q(present=True)), new=Count("id", filter=Q(new_file=True))
        )
        .order_by()
    )
    for day, team_id, present, new in checks:
        row = rows.setdefault((day, team_id), DayRow(day, names.get(team_id, "")))
        row.person_times += present
        row.new_files += new
    return sorted(rows.values(), key=lambda r: (r.day, r.team), reverse=False)


# ---- one zone, for the zone map ----------------------------------------------------------


@dataclass
class ZoneScreening:
    """The screening of one zone in the campaign that covers it: for the zone map."""

    campaign_id: int
    campaign_name: str
    closed: bool
    visible: bool  # may the reader open the campaign's page (manager or team member)
    zone: Coverage
    buildings: dict[int, Coverage] = field(default_factory=dict)


PLACE_IDS = ("district_id", "street_id", "community_id")


# The zone map's campaign lookup in plain SQL: built by the ORM it cost ~3 ms of Python
# (Q objects, Exists, Subquery, compilation) for under 1 ms of SQL on every map.
_COVERING_SQL = """
SELECT c.id, c.name, c.closed_at, c.starts_on, c.zone_id, c.district_id, c.street_id,
  c.community_id,
  EXISTS (SELECT 1 FROM screening_teammember m
          JOIN screening_team t ON t.id = m.team_id
          JOIN duty_staff s ON s.id = m.staff_id
          WHERE t.campaign_id = c.id AND s.user_id = %s){person_times}
FROM screening_campaign c
WHERE c.zone_id = %s OR (c.zone_id IS NULL AND c.community_id = %s)
  OR (c.community_id IS NULL AND c.street_id = %s)
"""
_PERSON_TIMES = """,
  (SELECT COUNT(*) FROM screening_visitperson vp
   JOIN screening_visit v ON v.id = vp.visit_id
   WHERE v.campaign_id = c.id AND v.zone_id = %s AND vp.present)"""
_COVERING = {
    False: _COVERING_SQL.format(person_times=""),
    True: _COVERING_SQL.format(person_times=_PERSON_TIMES),
}
_COVERING_COLUMNS = (
    "pk", "name", "closed_at", "starts_on", "zone_id", "district_id", "street_id",
    "community_id", "member", "person_times",
)  # fmt: skip


def covering_campaign(user, zone, *, person_times: bool = False) -> dict | None:
    """The campaign shown on a zone's map: an open one covering the zone (the latest to
    start), else the latest closed one; None if none covers it. One query.

    `visible`: may the user open its page (manages it, or is on one of its teams).
    `person_times`: the people found present in the zone's visits of that campaign.
    """
    params = [user.pk] + ([zone.pk] if person_times else [])
    with connection.cursor() as cursor:
        cursor.execute(
            _COVERING[person_times], [*params, zone.pk, zone.community_id, zone.street_id]
        )
        rows = [dict(zip(_COVERING_COLUMNS, row, strict=False)) for row in cursor.fetchall()]
    if not rows:
        return None
    # A zone is covered by a handful of campaigns at most: chosen here, not in SQL.
    row = min(
        rows,
        key=lambda r: (r["closed_at"] is not None, -_day(r["starts_on"]).toordinal(), -r["pk"]),
    )
    level = "zone" if row["zone_id"] else "community" if row["community_id"] else "street"
    place = SimpleNamespace(pk=row[f"{level}_id"], **{k: row[k] for k in PLACE_IDS})
    row["visible"] = bool(row["member"]) or scope_for(user).covers_people_of(level, place)
    row["person_times"] = row.get("person_times") or 0
    return row


def _day(value) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value)[:10])


def latest_outcome(campaign_id: int) -> Subquery:
    """The outcome of a dwelling's latest visit in a campaign (the dwelling's status)."""
    return Subquery(
        Visit.objects.filter(campaign_id=campaign_id, dwelling_id=OuterRef("pk"))
        .order_by("-at", "-id")
        .values("outcome")[:1]
    )


def status_of(outcome: str | None) -> str:
    """A dwelling's status from the outcome of its latest visit (None: not visited)."""
    return STATUS_OF_OUTCOME[outcome] if outcome else DwellingStatus.NOT_VISITED


def _add_status(group: Coverage, status: str, n: int) -> None:
    if status == DwellingStatus.DONE:
        group.done += n
    elif status == DwellingStatus.REVISIT:
        group.revisit += n
    elif status == DwellingStatus.REFUSED:
        group.refused += n


def zone_screening(user, zone) -> ZoneScreening | None:
    """Coverage of one zone, and of each of its buildings, in the campaign covering it
    (`covering_campaign`); None when no campaign covers the zone. The numbers are those
    of `campaign_progress` for the zone (same rules), whatever the campaign's size.

    Three queries: the campaign (with the zone's person-times), the zone's visits in it
    (through the index on zone and campaign; the latest per dwelling is picked here), and
    the dwellings per building. Grouping the latest outcome per dwelling in SQL (a
    correlated subquery, or NOT EXISTS a later visit) gave the same numbers at about 3x
    the cost on SQLite.
    """
    found = covering_campaign(user, zone, person_times=True)
    if found is None:
        return None
    result = ZoneScreening(
        campaign_id=found["pk"],
        campaign_name=found["name"],
        closed=found["closed_at"] is not None,
        visible=found["visible"],
        zone=Coverage(zone.name, person_times=found["person_times"]),
    )
    latest: dict[int, tuple[int, str]] = {}  # dwelling → (building, outcome)
    visits = (
        Visit.objects.filter(zone_id=zone.pk, campaign_id=found["pk"])
        .order_by("at", "id")
        .values_list("dwelling_id", "dwelling__building_id", "outcome")
    )
    for dwelling_id, building_id, outcome in visits:
        latest[dwelling_id] = (building_id, outcome)
    for building_id, n in (
        Dwelling.objects.filter(zone_id=zone.pk)
        .values_list("building_id")
        .annotate(n=Count("id"))
        .order_by()
    ):
        result.buildings[building_id] = Coverage("", total=n)
        result.zone.total += n
    statuses = Counter((b, STATUS_OF_OUTCOME[outcome]) for b, outcome in latest.values())
    for (building_id, status), n in statuses.items():
        _add_status(result.zone, status, n)
        if building_id not in result.buildings:  # only if a dwelling changed zone
            result.buildings[building_id] = Coverage("")
        _add_status(result.buildings[building_id], status, n)
    return result


def team_members(campaign: Campaign) -> dict[int, list]:
    """Members of each team of a campaign, leader first (one query)."""
    members: dict[int, list] = defaultdict(list)
    for m in TeamMember.objects.filter(team__campaign=campaign).select_related("staff"):
        members[m.team_id].append(m)
    return members


def team_visit_counts(campaign: Campaign) -> dict[int, int]:
    """Visits recorded by each team of a campaign (one query); a team with none may be
    dissolved."""
    return dict(
        Visit.objects.filter(campaign=campaign)
        .values_list("team_id")
        .annotate(n=Count("id"))
        .order_by()
    )


def team_areas(campaign: Campaign) -> dict[int, list]:
    """Areas of each team of a campaign (one query)."""
    areas: dict[int, list] = defaultdict(list)
    for a in TeamArea.objects.filter(team__campaign=campaign).select_related("building"):
        areas[a.team_id].append(a)
    return areas


# The levels a campaign may cover.
CAMPAIGN_LEVELS = ("street", "community", "zone")


def campaign_places(user) -> list[tuple[str, object]]:
    """The top places (street, community, zone) where the user may start a campaign:
    those whose person files it keeps (services.campaign_check_start's rule)."""
    from fangyi.duty.selectors import top_places

    scope = scope_for(user)
    return [
        (level, place)
        for level, place in top_places(user)
        if level in CAMPAIGN_LEVELS and scope.covers_people_of(level, place)
    ]
