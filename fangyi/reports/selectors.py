"""Reads behind the zone map, the poster, the overview and the statistics.

Every number is computed from the current data when asked (person files, quarantine
cases, alerts, confirmed cases): nothing is stored that could drift. Each function
runs a fixed number of set-based queries, whatever the number of buildings or zones.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from django.db.models import Count, Max, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from fangyi.core.text import (
    clause_separator,
    enumerate_items,
    parenthesised,
    phrase_separator,
)
from fangyi.duty.choices import Role
from fangyi.duty.models import Assignment
from fangyi.duty.scope import keeps_files, scope_for
from fangyi.duty.selectors import place_get, places_for, top_places
from fangyi.health.choices import AlertKind, AlertStatus
from fangyi.health.models import Alert
from fangyi.people.choices import TravelStatus
from fangyi.people.identity import mask_name
from fangyi.people.models import Person
from fangyi.places.models import Building, Community, Dwelling, Street, Zone
from fangyi.quarantine.selectors import in_quarantine_counts, quarantine_figures, zone_figures
from fangyi.reports.choices import CANVAS_WIDTH, RECENT_CASE_DAYS, TREND_DAYS, ZoneStatus
from fangyi.reports.labels import fit_label
from fangyi.reports.models import ConfirmedCase, ZoneMap
from fangyi.screening.selectors import (
    Coverage,
    ZoneScreening,
    covering_campaign,
    latest_outcome,
    status_of,
    zone_screening,
)

# Roles that see the map but may not change it (upload a picture, move a building).
READ_ONLY_ROLES = frozenset({Role.GATE_GUARD.value, Role.VOLUNTEER.value})
STATS_LEVELS = ("district", "street", "community", "zone")
OPEN_ALERT_STATES = (AlertStatus.OPEN, AlertStatus.ACKNOWLEDGED)
# The biggest label on the map, in canvas units (1000 across).
MAP_LABEL_MAX = 38.0
GATE_LABEL_MAX = 34.0
# Labels must read at this size on a phone: the map asks for the width that gives it.
READABLE_PX = 12
# The widths the map may ask for (CSS classes zoom-<width>), and the widest.
MAP_WIDTHS = (480, 640, 800, 1000, 1300, 1600)


@dataclass
class Counts:
    """The live numbers of a place, as the bottom of a zone map shows them."""

    residents: int = 0
    never_left: int = 0
    returned: int = 0
    new_arrival: int = 0
    away: int = 0
    in_quarantine: int = 0
    fever_alerts: int = 0
    # Close contacts under observation (exposed, or in quarantine as a contact).
    contacts: int = 0

    def as_dict(self) -> dict[str, int]:
        return dict(self.__dict__)


def travel_counts(level: str, place_id: int, group_by: str) -> dict[int, dict[str, int]]:
    """Residents per travel status, per `group_by` id inside a place (one GROUP BY).

    People with no `group_by` place (a file without a building) come under None.
    """
    rows = (
        Person.objects.filter(**{f"{level}_id": place_id})
        .values_list(f"{group_by}_id", "travel_status")
        .annotate(n=Count("id"))
        .order_by()
    )
    result: dict[int, dict[str, int]] = defaultdict(dict)
    for key, status, n in rows:
        result[key][status] = n
    return result


def fever_alert_counts(level: str, place_id: int, group_by: str) -> dict[int, int]:
    """Fever alerts not yet closed (health.Alert: at a gate, a visit or a check-in), per
    `group_by` id, by the places copied onto the alert (the person's; a gate visitor's:
    the gate's zone)."""
    rows = (
        Alert.objects.filter(
            kind=AlertKind.FEVER,
            status__in=OPEN_ALERT_STATES,
            **{f"{level}_id": place_id},
        )
        .values_list(f"{group_by}_id")
        .annotate(n=Count("id"))
        .order_by()
    )
    return {key: n for key, n in rows if key is not None}


def _sum_statuses(groups) -> dict[str, int]:
    total: dict[str, int] = defaultdict(int)
    for statuses in groups:
        for status, n in statuses.items():
            total[status] += n
    return total


def _counts(statuses: dict[str, int], in_quarantine: int, fever_alerts: int) -> Counts:
    return Counts(
        residents=sum(statuses.values()),
        never_left=statuses.get(TravelStatus.NEVER_LEFT, 0),
        returned=statuses.get(TravelStatus.RETURNED, 0),
        new_arrival=statuses.get(TravelStatus.NEW_ARRIVAL, 0),
        away=statuses.get(TravelStatus.AWAY, 0),
        in_quarantine=in_quarantine,
        fever_alerts=fever_alerts,
    )


def counts_by(level: str, place_id: int, group_by: str) -> dict[int, Counts]:
    """`Counts` for every `group_by` place inside a place: four queries in all."""
    travel = travel_counts(level, place_id, group_by)
    figures = quarantine_figures(level, place_id, group_by)
    quarantine = {key: q for key, (q, _c) in figures.items()}
    contacts = {key: c for key, (_q, c) in figures.items()}
    fever = fever_alert_counts(level, place_id, group_by)
    result: dict[int, Counts] = defaultdict(Counts)
    for key, statuses in travel.items():
        result[key] = _counts(statuses, 0, 0)
    for key, n in quarantine.items():
        result[key].in_quarantine = n
    for key, n in fever.items():
        result[key].fever_alerts = n
    for key, n in contacts.items():
        result[key].contacts = n
    return result


def place_counts(level: str, place_id: int) -> Counts:
    """`Counts` of one place (district … building)."""
    return counts_by(level, place_id, level).get(place_id, Counts())


# --- the zone map --------------------------------------------------------------------------


@dataclass
class BuildingOnMap:
    """One building as the map draws it."""

    id: int
    name: str
    floors: int
    polygon: list
    residents: int
    in_quarantine: int
    quarantine_floors: list[int]
    # Door-to-door screening of the building's dwellings (`with_screening`), if any.
    screening: Coverage | None = None

    @property
    def screening_state(self) -> str:
        """For the map's fill: "done" (every dwelling visited), "some", "none", or ""."""
        c = self.screening
        if c is None or not c.total:
            return ""
        return "done" if c.done == c.total else "some" if c.done else "none"

    @property
    def label_lines(self) -> list[tuple[str, str]]:
        """The map's label, line by line (kind, text): the name, the people in
        quarantine, the dwellings visited. Short, so it fits a building on a phone; the
        floors are in the building's title, its panel and the table."""
        from django.utils.translation import gettext as _

        lines = [("name", self.name)]
        if self.in_quarantine:
            lines.append(("q", _("in quarantine %(n)d") % {"n": self.in_quarantine}))
        if self.screening is not None:
            lines.append(
                (
                    "cov",
                    _("visited %(done)s/%(total)s")
                    % {"done": self.screening.done, "total": self.screening.total},
                )
            )
        return lines

    @cached_property
    def label(self) -> list[tuple[str, list[tuple[str, float]], float, float]]:
        """The label set inside the outline: per line (kind, [(text, baseline y)], x,
        size), a line broken in two having two parts; empty without an outline."""
        lines = self.label_lines
        fitted = fit_label(
            self.polygon,
            [text for _kind, text in lines],
            max_size=MAP_LABEL_MAX,
            breakable=frozenset(i for i, (kind, _t) in enumerate(lines) if kind == "cov"),
        )
        if fitted is None:
            return []
        return [
            (kind, parts, fitted.x, fitted.size)
            for (kind, _t), parts in zip(lines, fitted.baselines, strict=True)
        ]

    @property
    def label_size(self) -> float:
        label = self.label
        return label[0][3] if label else 0.0

    @property
    def title(self) -> str:
        """The building's full description (hover, screen readers)."""
        from django.utils.translation import gettext as _

        parts = [self.name]
        if self.in_quarantine:
            parts.append(
                _("in quarantine %(n)d · floors %(floors)s")
                % {"n": self.in_quarantine, "floors": self.floors_label}
            )
        if self.screening is not None:
            parts.append(
                _("visited %(done)s/%(total)s")
                % {"done": self.screening.done, "total": self.screening.total}
            )
        return " · ".join(parts)

    @property
    def points(self) -> str:
        """The polygon as an SVG `points` attribute."""
        return " ".join(f"{x},{y}" for x, y in self.polygon)

    @property
    def floors_label(self) -> str:
        return enumerate_items(self.quarantine_floors)


@dataclass
class ZoneMapData:
    """Everything a zone map (page, poster, API) shows, taken at one moment."""

    zone: Zone
    gates: list[str]
    duty: list[Assignment]
    counts: Counts
    buildings: list[BuildingOnMap]
    base_map: ZoneMap | None
    taken_at: dt.datetime
    can_edit: bool = False
    unplaced: list[BuildingOnMap] = field(default_factory=list)
    screening: ZoneScreening | None = None
    # Whether the user sees the zone's community (its overview) as well as the zone.
    community_visible: bool = False

    @property
    def duty_groups(self) -> list[DutyGroup]:
        return duty_groups(self.duty)

    @property
    def all_buildings(self) -> list[BuildingOnMap]:
        """Drawn buildings first, then those without an outline yet."""
        return self.buildings + self.unplaced

    @property
    def gate_marks(self) -> list[tuple[str, float, float]]:
        """The gates along the bottom of a drawn site plan: (name, x, font size), the
        size shrunk so that neighbouring names do not run into each other."""
        from fangyi.reports.labels import text_width

        n = len(self.gates)
        step = (CANVAS_WIDTH - 40) / (n + 1) if n else 0
        marks = []
        for i, name in enumerate(self.gates, start=1):
            size = min(GATE_LABEL_MAX, step * 0.9 / max(text_width(name), 1))
            marks.append((name, round(20 + step * i, 1), math.floor(size * 10) / 10))
        return marks

    @property
    def min_width(self) -> int:
        """The smallest width (CSS px) at which every label reads at `READABLE_PX`: 0
        when any width does (a phone's 356 px); else one of `MAP_WIDTHS`, the map then
        scrolling sideways in its frame."""
        sizes = [b.label_size for b in self.buildings if b.label_size]
        if not sizes:
            return 0
        needed = READABLE_PX * CANVAS_WIDTH / min(sizes)
        if needed <= 356:
            return 0
        return next((w for w in MAP_WIDTHS if w >= needed), MAP_WIDTHS[-1])


def zone_get(user, zone_id: int) -> Zone:
    """A zone in the user's scope (ancestors loaded), or 404."""
    return place_get(user, "zone", zone_id)


def zone_duty_chain(zone: Zone, building_ids: list[int] | None = None) -> list[Assignment]:
    """Who is responsible for a zone: its buildings' staff (grid workers), then the
    zone, community, street and district. One query (two without `building_ids`, the
    zone's buildings); the place rows already loaded with the zone are attached instead
    of joined again.

    The buildings are named by id, not joined: "the assignment's building is in the
    zone" OR'ed with the assignment's own columns made PostgreSQL read every assignment
    of the city (a city's zone map 2x its district's, bench/city.py); on the ids alone
    each condition is an index."""
    places = {
        "zone": zone,
        "community": zone.community,
        "street": zone.street,
        "district": zone.district,
    }
    if building_ids is None:
        building_ids = list(Building.objects.filter(zone_id=zone.pk).values_list("pk", flat=True))
    condition = Q(building_id__in=building_ids)
    for level, place in places.items():
        condition |= Q(**{f"{level}_id": place.pk})
    rows = list(
        Assignment.objects.filter(condition, staff__active=True).select_related("staff", "building")
    )
    for assignment in rows:
        for level, place in places.items():
            if getattr(assignment, f"{level}_id") == place.pk:
                setattr(assignment, level, place)
    rank = {level: i for i, level in enumerate(LEVEL_ORDER)}
    rows.sort(
        key=lambda a: (
            rank[a.level],
            a.building_id or 0,
            a.staff.role,
            a.staff.name,
            a.pk,
        )
    )
    return rows


# Per level and role, up to this many people are named; more are counted.
NAMED_PER_ROLE = 3
# Staff of the buildings (grid workers) named one by one up to this many.
NAMED_BUILDING_STAFF = 8
# Roles always counted, never listed: a zone has a dozen volunteers.
COUNTED_ROLES = frozenset({Role.VOLUNTEER.value})
LEVEL_ORDER = ("building", "zone", "community", "street", "district")


@dataclass
class DutyPerson:
    """One responsible person: name, role, duty, and the buildings they answer for."""

    name: str
    role: str
    duty: str
    places: list[str] = field(default_factory=list)


@dataclass
class DutyCount:
    """People of one role counted instead of listed (volunteers, a dozen gate guards)."""

    role: str
    count: int
    names: list[str]

    @property
    def more(self) -> int:
        return self.count - len(self.names)

    @property
    def label(self) -> str:
        from django.utils.translation import gettext as _

        return _("%(role)s: %(n)d people") % {"role": self.role, "n": self.count}


@dataclass
class DutyGroup:
    """The responsible people of one level of a zone's chain (buildings … district)."""

    level: str
    level_label: str
    place: str
    people: list[DutyPerson]
    counted: list[DutyCount]

    def text(self) -> str:
        """One line for the poster: 张三（网格员，1栋、2栋）；志愿者 16 名 (punctuated as the
        language does)."""
        parts = []
        for p in self.people:
            places = enumerate_items(p.places)
            detail = clause_separator().join(x for x in (p.role, p.duty, places) if x)
            parts.append(p.name + parenthesised(detail))
        parts += [c.label for c in self.counted]
        return phrase_separator().join(parts)


def duty_groups(assignments: list[Assignment]) -> list[DutyGroup]:
    """A zone's chain grouped by level, buildings first: each role's people named (a
    grid worker once, with their buildings), volunteers and crowds counted."""
    from django.utils.translation import gettext as _

    by_level: dict[str, list[Assignment]] = defaultdict(list)
    for a in assignments:
        by_level[a.level].append(a)
    labels = {
        "building": _("buildings"),
        "zone": _("zone"),
        "community": _("community"),
        "street": _("street"),
        "district": _("district"),
    }
    groups = []
    for level in LEVEL_ORDER:
        rows = by_level.get(level)
        if not rows:
            continue
        places = sorted({a.place.name for a in rows}) if level != "building" else []
        by_role: dict[str, list[Assignment]] = defaultdict(list)
        for a in rows:
            by_role[a.staff.role].append(a)
        people: list[DutyPerson] = []
        counted: list[DutyCount] = []
        for role, items in by_role.items():
            staff: dict[int, DutyPerson] = {}
            for a in items:
                person = staff.setdefault(
                    a.staff_id, DutyPerson(a.staff.name, a.staff.role_label, a.duty)
                )
                if level == "building":
                    person.places.append(a.place.name)
            limit = NAMED_BUILDING_STAFF if level == "building" else NAMED_PER_ROLE
            if role in COUNTED_ROLES or len(staff) > limit:
                names = [p.name for p in staff.values()][:NAMED_PER_ROLE]
                counted.append(DutyCount(items[0].staff.role_label, len(staff), names))
            else:
                people.extend(staff.values())
        groups.append(
            DutyGroup(level, str(labels[level]), enumerate_items(places), people, counted)
        )
    return groups


def building_duty(building_id: int) -> list[Assignment]:
    """Who answers for one building (its grid worker): one query."""
    return list(
        Assignment.objects.filter(building_id=building_id, staff__active=True)
        .select_related("staff", "building")
        .order_by("staff__name", "id")
    )


def can_edit_map(user, zone: Zone) -> bool:
    """Whether the user may change a zone's map: in scope and not a read-only role."""
    if not scope_for(user).covers("zone", zone):
        return False
    if user.is_superuser:
        return True
    staff = getattr(user, "staff", None)
    return staff is not None and staff.active and staff.role not in READ_ONLY_ROLES


def zone_map(user, zone_id: int) -> ZoneMapData:
    """The zone map of a zone in the user's scope (404 otherwise). Nine queries."""
    zone = zone_get(user, zone_id)
    taken_at = timezone.now()
    # Explicit empty orderings: the models' default orderings would join the zone table.
    gates = list(zone.gates.order_by("name").values_list("name", flat=True))
    buildings = list(
        Building.objects.filter(zone_id=zone.pk)
        .order_by("id")
        .values_list("id", "name", "floors", "polygon")
    )
    # The chain from the buildings (their grid workers) up to the district.
    duty = zone_duty_chain(zone, [pk for pk, *_rest in buildings])
    # One GROUP BY gives both the residents per building and the zone's travel counts.
    travel = travel_counts("zone", zone.pk, "building")
    residents = {key: sum(statuses.values()) for key, statuses in travel.items()}
    # Per dwelling, and (under None) people of the zone in no dwelling: a person has one
    # dwelling, so the counts add up to the zone's total.
    figures = quarantine_figures("zone", zone.pk, "dwelling", unplaced=True)
    quarantine_by_dwelling = {key: q for key, (q, _c) in figures.items() if q}
    floors_of: dict[int, set[int]] = defaultdict(set)
    in_quarantine: dict[int, int] = defaultdict(int)
    for dwelling_id, building_id, floor in (
        Dwelling.objects.filter(pk__in=sorted(k for k in quarantine_by_dwelling if k is not None))
        .order_by()
        .values_list("id", "building_id", "floor")
    ):
        floors_of[building_id].add(floor)
        in_quarantine[building_id] += quarantine_by_dwelling[dwelling_id]
    drawn: list[BuildingOnMap] = []
    unplaced: list[BuildingOnMap] = []
    for pk, name, floors, polygon in buildings:
        item = BuildingOnMap(
            id=pk,
            name=name,
            floors=floors,
            polygon=polygon or [],
            residents=residents.get(pk, 0),
            in_quarantine=in_quarantine.get(pk, 0),
            quarantine_floors=sorted(floors_of.get(pk, ())),
        )
        (drawn if len(item.polygon) >= 3 else unplaced).append(item)
    counts = _counts(
        _sum_statuses(travel.values()),
        sum(quarantine_by_dwelling.values()),
        fever_alert_counts("zone", zone.pk, "zone").get(zone.pk, 0),
    )
    counts.contacts = sum(c for _q, c in figures.values())
    return ZoneMapData(
        zone=zone,
        gates=gates,
        duty=duty,
        counts=counts,
        buildings=drawn,
        unplaced=unplaced,
        base_map=ZoneMap.objects.filter(zone_id=zone.pk).order_by().first(),
        taken_at=taken_at,
        can_edit=can_edit_map(user, zone),
        community_visible=scope_for(user).covers("community", zone.community),
    )


def with_screening(user, data: ZoneMapData) -> ZoneMapData:
    """Add the door-to-door screening of the campaign covering the zone, if any: the
    zone's totals and each building's visited / total dwellings. Two queries."""
    data.screening = zone_screening(user, data.zone)
    if data.screening is not None:
        for item in data.all_buildings:
            item.screening = data.screening.buildings.get(item.id, Coverage(item.name))
    return data


@dataclass
class FloorRow:
    floor: int
    # dwelling, residents, in quarantine, screening status ("" without a campaign)
    dwellings: list[tuple[Dwelling, int, int, str]]

    @property
    def residents(self) -> int:
        return sum(r for _d, r, _q, _s in self.dwellings)

    @property
    def in_quarantine(self) -> int:
        return sum(q for _d, _r, q, _s in self.dwellings)


@dataclass
class BuildingScreening:
    """The campaign covering a building, for its drill-down."""

    campaign_id: int
    campaign_name: str
    closed: bool
    visible: bool


def building_floors(
    user, building_id: int
) -> tuple[Building, list[FloorRow], BuildingScreening | None]:
    """A building in scope with its floors (top first) and dwellings, with counts and,
    when a screening campaign covers it, each dwelling's status in that campaign."""
    building = place_get(user, "building", building_id)
    found = covering_campaign(user, building.zone)
    screening = None
    dwellings = Dwelling.objects.filter(building_id=building.pk).order_by("floor", "room")
    if found is not None:
        dwellings = dwellings.annotate(outcome=latest_outcome(found["pk"]))
        screening = BuildingScreening(
            found["pk"], found["name"], found["closed_at"] is not None, found["visible"]
        )
    residents = dict(
        Person.objects.filter(building_id=building.pk)
        .values_list("dwelling_id")
        .annotate(n=Count("id"))
        .order_by()
    )
    quarantine = in_quarantine_counts("building", building.pk, "dwelling")
    floors: dict[int, FloorRow] = {}
    for dwelling in dwellings:
        row = floors.setdefault(dwelling.floor, FloorRow(dwelling.floor, []))
        status = status_of(getattr(dwelling, "outcome", None)) if screening else ""
        row.dwellings.append(
            (dwelling, residents.get(dwelling.pk, 0), quarantine.get(dwelling.pk, 0), status)
        )
    return building, sorted(floors.values(), key=lambda r: -r.floor), screening


# --- the overview --------------------------------------------------------------------------


@dataclass
class ZoneTile:
    """One zone on the overview."""

    id: int
    name: str
    kind: str
    kind_label: str
    community_id: int
    street_id: int
    residents: int
    in_quarantine: int
    fever_alerts: int
    recent_cases: int
    status: str
    contacts: int = 0


@dataclass(frozen=True)
class OverviewFigures:
    """Totals of an overview's tiles."""

    zones: int
    zones_quarantine: int
    zones_fever: int
    zones_new_case: int
    zones_clear: int
    in_quarantine: int
    fever_alerts: int
    recent_cases: int
    contacts: int = 0


@dataclass
class Overview:
    """Zones of the user's scope (optionally one street or community), grouped."""

    tiles: list[ZoneTile]
    streets: list[Street]
    communities: list[Community]
    street_id: int | None
    community_id: int | None
    taken_at: dt.datetime
    today: dt.date
    # The place whose case statistics the user may open (`level:id`), if any.
    stats_place: str | None = None

    def figures(self) -> OverviewFigures:
        """The totals of the tiles: zones having each condition and the sums of their
        figures, so that the legend and the home page say what the tiles say."""
        tiles = self.tiles
        return OverviewFigures(
            zones=len(tiles),
            zones_quarantine=sum(1 for t in tiles if t.in_quarantine),
            zones_fever=sum(1 for t in tiles if t.fever_alerts),
            zones_new_case=sum(1 for t in tiles if t.recent_cases),
            zones_clear=sum(1 for t in tiles if t.status == ZoneStatus.CLEAR),
            in_quarantine=sum(t.in_quarantine for t in tiles),
            fever_alerts=sum(t.fever_alerts for t in tiles),
            recent_cases=sum(t.recent_cases for t in tiles),
            contacts=sum(t.contacts for t in tiles),
        )

    def status_totals(self) -> list[tuple[str, str, int]]:
        """Per colour of the legend, the zones that have its condition (a zone with people
        in quarantine and a fever alert counts under both, as its tile shows both; its
        colour is the worse one)."""
        f = self.figures()
        having = {
            ZoneStatus.QUARANTINE: f.zones_quarantine,
            ZoneStatus.FEVER: f.zones_fever,
            ZoneStatus.NEW_CASE: f.zones_new_case,
            ZoneStatus.CLEAR: f.zones_clear,
        }
        return [(s.value, str(s.label), having[s]) for s in ZoneStatus]

    def groups(self) -> list[tuple[Community, list[ZoneTile]]]:
        by_community: dict[int, list[ZoneTile]] = defaultdict(list)
        for tile in self.tiles:
            by_community[tile.community_id].append(tile)
        return [(c, by_community[c.pk]) for c in self.communities if by_community.get(c.pk)]

    def attention(self) -> list[tuple[Community, ZoneTile]]:
        """The zones that are not clear, worst colour first (the ZoneStatus order), then
        the most people in quarantine, fever alerts and new cases: what a leader reads
        first. Each with its community, since the list crosses communities."""
        rank = {status.value: i for i, status in enumerate(ZoneStatus)}
        communities = {c.pk: c for c in self.communities}
        tiles = sorted(
            (t for t in self.tiles if t.status != ZoneStatus.CLEAR),
            key=lambda t: (rank[t.status], -t.in_quarantine, -t.fever_alerts, -t.recent_cases),
        )
        return [(communities[t.community_id], t) for t in tiles]

    def clear_groups(self) -> list[tuple[Community, list[ZoneTile]]]:
        """The clear zones, by community."""
        return [
            (c, clear)
            for c, tiles in self.groups()
            if (clear := [t for t in tiles if t.status == ZoneStatus.CLEAR])
        ]


def zone_status(in_quarantine: int, fever_alerts: int, recent_cases: int) -> str:
    """The overview colour of a zone: the worst that applies."""
    if in_quarantine:
        return ZoneStatus.QUARANTINE
    if fever_alerts:
        return ZoneStatus.FEVER
    if recent_cases:
        return ZoneStatus.NEW_CASE
    return ZoneStatus.CLEAR


def _roots(
    user, street_id: int | None, community_id: int | None, tops: list[tuple[str, Any]]
) -> list[tuple[str, Any]]:
    """The places whose zones the overview covers: the filter if given, else the user's
    assigned places (zones and above; a building alone shows no zone)."""
    if community_id:
        return [("community", place_get(user, "community", community_id))]
    if street_id:
        return [("street", place_get(user, "street", street_id))]
    return [(level, p) for level, p in tops if level != "building"]


def overview(user, *, street_id: int | None = None, community_id: int | None = None) -> Overview:
    """The zones under the filter (or all of the user's scope), with status and counts.

    A fixed number of queries, whatever the number of zones and assigned places.
    """
    today = timezone.localdate()
    since = today - dt.timedelta(days=RECENT_CASE_DAYS - 1)
    tops = top_places(user)
    roots = _roots(user, street_id, community_id, tops)
    # The zones of every root at once: each figure is one query over all of them, so a
    # city's overview reads the people once, not once per district.
    covered = Q(pk__in=[])
    for level, place in roots:
        covered |= Q(pk=place.pk) if level == "zone" else Q(**{f"{level}_id": place.pk})
    in_scope = Zone.objects.filter(covered).order_by()
    zones = {zone.pk: zone for zone in in_scope}
    figures = zone_figures(in_scope)
    fever = dict(
        Alert.objects.filter(
            kind=AlertKind.FEVER, status__in=OPEN_ALERT_STATES, zone_id__in=in_scope.values("pk")
        )
        .values_list("zone_id")
        .annotate(n=Count("id"))
        .order_by()
    )
    recent = dict(
        ConfirmedCase.objects.counted()
        .filter(zone_id__in=in_scope.values("pk"), date__range=(since, today))
        .values_list("zone_id")
        .annotate(n=Count("id"))
        .order_by()
    )
    kind_labels = dict(Zone._meta.get_field("kind").flatchoices)
    tiles = []
    for zone in sorted(zones.values(), key=lambda z: z.code):
        residents, q, contacts = figures.get(zone.pk, (0, 0, 0))
        f, r = fever.get(zone.pk, 0), recent.get(zone.pk, 0)
        tiles.append(
            ZoneTile(
                id=zone.pk,
                name=zone.name,
                kind=zone.kind,
                kind_label=str(kind_labels.get(zone.kind, zone.kind)),
                community_id=zone.community_id,
                street_id=zone.street_id,
                residents=residents,
                in_quarantine=q,
                fever_alerts=f,
                recent_cases=r,
                status=zone_status(q + contacts, f, r),
                contacts=contacts,
            )
        )
    community_ids = sorted({t.community_id for t in tiles})
    # The filter lists: every street and community of the user's scope.
    return Overview(
        tiles=tiles,
        streets=list(places_for(user, "street")),
        communities=list(
            Community.objects.filter(pk__in=community_ids)
            | places_for(user, "community").filter(
                **({"street_id": street_id} if street_id else {})
            )
        ),
        street_id=street_id,
        community_id=community_id,
        taken_at=timezone.now(),
        today=today,
        stats_place=next((f"{level}:{p.pk}" for level, p in tops if level in STATS_LEVELS), None),
    )


# --- case statistics -----------------------------------------------------------------------


@dataclass
class CaseStats:
    """Confirmed cases of one place up to `today`."""

    level: str
    place_id: int
    name: str
    today: dt.date
    cumulative: int
    new_today: int
    last_case_on: dt.date | None
    series: list[tuple[dt.date, int, int]]  # (day, new, cumulative) for the trend window
    # Door-to-door screening (fangyi.screening): people checked, every visit counting.
    screening_person_times: int = 0
    screening_person_times_today: int = 0
    # People of the place now (their one epidemic state, people.state).
    in_quarantine: int = 0
    contacts: int = 0

    @property
    def days_since_last(self) -> int | None:
        """Days since the last new case: 0 when there was one today; None for "no cases"."""
        if self.last_case_on is None:
            return None
        return (self.today - self.last_case_on).days


def parse_place(value: str) -> tuple[str, int]:
    """`level:id` (e.g. `community:12`) → (level, id); 404 when malformed."""
    level, _sep, raw = (value or "").partition(":")
    if level not in STATS_LEVELS or not raw.isdigit():
        raise Http404
    return level, int(raw)


def case_stats(
    user, level: str, place_id: int, *, today: dt.date | None = None, days: int = TREND_DAYS
) -> CaseStats:
    """Cumulative, new today, days since the last new case and the daily series (one query)."""
    place = place_get(user, level, place_id) if level in STATS_LEVELS else None
    if place is None:
        raise Http404
    today = today or timezone.localdate()
    per_day = dict(
        ConfirmedCase.objects.counted()
        .filter(**{f"{level}_id": place.pk}, date__lte=today)
        .values_list("date")
        .annotate(n=Count("id"))
        .order_by()
    )
    stats = _stats(level, place.pk, place.name, today, per_day, days)
    stats.screening_person_times, stats.screening_person_times_today = screening_person_times(
        level, place.pk, today
    )
    stats.in_quarantine, stats.contacts = quarantine_figures(level, place.pk, level).get(
        place.pk, (0, 0)
    )
    return stats


def screening_person_times(level: str, place_id: int, today: dt.date) -> tuple[int, int]:
    """Person-times (人次) screened in a place: in all, and on `today` (Asia/Shanghai)."""
    from fangyi.screening.models import VisitPerson

    column = "visit__zone_id" if level == "zone" else f"visit__zone__{level}_id"
    start = timezone.make_aware(dt.datetime.combine(today, dt.time.min))
    end = start + dt.timedelta(days=1)
    totals = VisitPerson.objects.filter(present=True, **{column: place_id}).aggregate(
        total=Count("id"),
        today=Count("id", filter=Q(visit__at__gte=start, visit__at__lt=end)),
    )
    return totals["total"], totals["today"]


def _stats(
    level: str, pk: int, name: str, today: dt.date, per_day: dict[dt.date, int], days: int
) -> CaseStats:
    start = today - dt.timedelta(days=max(1, days) - 1)
    running = sum(n for day, n in per_day.items() if day < start)
    series = []
    for i in range((today - start).days + 1):
        day = start + dt.timedelta(days=i)
        new = per_day.get(day, 0)
        running += new
        series.append((day, new, running))
    return CaseStats(
        level=level,
        place_id=pk,
        name=name,
        today=today,
        cumulative=sum(per_day.values()),
        new_today=per_day.get(today, 0),
        last_case_on=max(per_day) if per_day else None,
        series=series,
    )


def child_stats(user, level: str, place_id: int, *, today: dt.date) -> list[CaseStats]:
    """Case statistics of each child of a place (streets of a district, …), two queries."""
    children_level = {"district": "street", "street": "community", "community": "zone"}.get(level)
    if children_level is None:
        return []
    model: Any = {"street": Street, "community": Community, "zone": Zone}[children_level]
    children = list(model.objects.filter(**{f"{level}_id": place_id}).order_by("code"))
    rows = (
        ConfirmedCase.objects.counted()
        .filter(**{f"{level}_id": place_id}, date__lte=today)
        .values_list(f"{children_level}_id", "date")
        .annotate(n=Count("id"))
        .order_by()
    )
    per_child: dict[int, dict[dt.date, int]] = defaultdict(dict)
    for key, day, n in rows:
        per_child[key][day] = n
    return [
        _stats(children_level, c.pk, c.name, today, per_child.get(c.pk, {}), 1) for c in children
    ]


def confirmed_cases_for(user) -> QuerySet[ConfirmedCase]:
    """Confirmed cases in the user's scope (by the zone they were counted in)."""
    scope = scope_for(user)
    if scope.is_empty:
        return ConfirmedCase.objects.none()
    return ConfirmedCase.objects.filter(zone__in=places_for(user, "zone").values("pk"))


# The statistics page lists this many of a place's latest cases.
RECENT_CASES = 20


@dataclass(frozen=True)
class RecentCase:
    """A confirmed case as the statistics page lists it."""

    case: ConfirmedCase
    # The person's name in full when `linked`, masked otherwise; "" without a person.
    name: str
    # Whether the user may open the person's file (the name links to it).
    linked: bool


def recent_cases(user, level: str, place_id: int, limit: int = RECENT_CASES) -> list[RecentCase]:
    """The latest confirmed cases of a place, in the user's view (`confirmed_cases_for`),
    with the person's name in full and linked only for those who may open the file (its
    scope covers the person: the keepers of the files, a volunteer serving the person),
    masked for everybody else."""
    scope = scope_for(user)
    rows = []
    for case in (
        confirmed_cases_for(user)
        .filter(**{f"{level}_id": place_id})
        .select_related("zone", "person")[:limit]
    ):
        person = case.person
        linked = person is not None and scope.covers("person", person)
        name = "" if person is None else person.name if linked else mask_name(person.name)
        rows.append(RecentCase(case, name, linked))
    return rows


def may_record_case_in(user, zone: Zone) -> bool:
    """Whether `user` may record a confirmed case counted in `zone`, which changes the
    official statistics: the staff keeping the person files of the zone
    (`duty.scope.keeps_files`: operators everywhere, never a guard or a volunteer); None,
    the system. The one rule of `services.confirmed_case_create` and of its form's list."""
    return user is None or keeps_files(user, "zone", zone)


def case_zones(user) -> QuerySet[Zone]:
    """The zones the confirmed-case form offers: those of the user's view where
    `may_record_case_in`, by code."""
    zones = places_for(user, "zone").only("pk", "district_id", "street_id", "community_id")
    return Zone.objects.filter(
        pk__in=[z.pk for z in zones if may_record_case_in(user, z)]
    ).order_by("code", "pk")


# --- the daily report ----------------------------------------------------------------------


@dataclass
class DailyRow:
    """One community's line of the daily report (日报)."""

    street: str
    community: str
    counts: Counts
    new_cases: int
    cumulative: int
    last_case_on: dt.date | None
    day: dt.date

    @property
    def days_since_last(self) -> int | None:
        return None if self.last_case_on is None else (self.day - self.last_case_on).days


def daily_rows(level: str, place_id: int, day: dt.date) -> list[DailyRow]:
    """One row per community inside a place (the district for the command): six queries.

    Case figures are for `day`; the people and quarantine figures are the current ones
    (the files keep no daily snapshot), so the report says when its data was taken.
    """
    communities = list(
        Community.objects.filter(**{f"{level}_id" if level != "community" else "pk": place_id})
        .select_related("street")
        .order_by("street__code", "code")
    )
    counts = counts_by(level, place_id, "community")
    cases: dict[int, dict[str, Any]] = defaultdict(dict)
    for community_id, n, new, last in (
        ConfirmedCase.objects.counted()
        .filter(**{f"{level}_id": place_id}, date__lte=day)
        .values_list("community_id")
        .annotate(n=Count("id"), new=Count("id", filter=Q(date=day)), last=Max("date"))
        .order_by()
    ):
        cases[community_id] = {"n": n, "new": new, "last": last}
    return [
        DailyRow(
            street=c.street.name,
            community=c.name,
            counts=counts.get(c.pk, Counts()),
            new_cases=cases[c.pk].get("new", 0),
            cumulative=cases[c.pk].get("n", 0),
            last_case_on=cases[c.pk].get("last"),
            day=day,
        )
        for c in communities
    ]


# --- files to verify -----------------------------------------------------------------------

UNVERIFIED_LIMIT = 200


def unverified_people(user) -> QuerySet[Person]:
    """Person files not yet verified in the places whose files the user keeps (not the
    single files granted to a volunteer: those are not its to verify), by dwelling."""
    return (
        Person.objects.filter(scope_for(user).rows_q(person_field=None), verified=False)
        .select_related("zone", "building", "dwelling")
        .order_by("zone_id", "building_id", "dwelling__floor", "dwelling__room", "id")
    )
