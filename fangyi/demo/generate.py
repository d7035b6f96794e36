"""A deterministic, Pingshan-shaped demo district (DESIGN.md §5).

`DemoDistrict(scale, seed)` plans the whole district up front (places,
dwellings, households, staff: all small enough to hold) and then yields
`Batch`es of plain row tuples in dependency order; people are made zone by
zone while yielding, so memory stays flat at full scale. Rows carry explicit
ids, so children can point at parents without asking the database, and the
same rows can be written by Django's `bulk_create` (fangyi.demo.write)
or by anything else (bench/demo.py writes them with plain sqlite3).

Determinism: every random draw comes from a `random.Random` seeded with a
string built from the seed and a purpose ("places", "people:<zone code>",
"staff"), so the same scale and seed give the same rows whatever Python's
hash seed, and changing how people are drawn does not move the buildings.
Sets are used only to test membership, never iterated.
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.db import models

from fangyi.demo import names
from fangyi.demo.logins import DEMO_LOGINS, LOGIN_ROLES
from fangyi.duty.choices import Role
from fangyi.duty.models import Assignment, Staff
from fangyi.people.choices import DocType, HealthStatus, Sex, TravelStatus
from fangyi.people.identity import check_char
from fangyi.people.models import Person
from fangyi.places.choices import ZoneKind
from fangyi.places.models import (
    Building,
    Community,
    District,
    Dwelling,
    Gate,
    Household,
    Street,
    Zone,
)

# The shape at scale 1.0 (DESIGN.md §5).
FULL_POPULATION = 551_000
FULL_ZONES = 233
COMPOUND_SHARE = 0.22
SINGLE_BUILDING_SHARE = 0.08

# The demo's "today": mid-February 2020, when people were coming back after
# the Spring Festival. Ages and return dates are drawn relative to it.
REFERENCE_DATE = dt.date(2020, 2, 15)
RETURN_FROM = dt.date(2020, 1, 25)  # the day after New Year's Eve
RETURN_DAYS = 35  # …to the end of February

PERSON_BATCH = 10_000
PLACE_BATCH = 20_000

# Models in the order their rows are written (parents first).
MODELS: tuple[type[models.Model], ...] = (
    District, Street, Community, Zone, Gate, Building, Dwelling, Household, Person,
    get_user_model(), Staff, Assignment,
)  # fmt: skip

COLUMNS: dict[type[models.Model], tuple[str, ...]] = {
    District: ("id", "name", "code"),
    Street: ("id", "district_id", "name", "code"),
    Community: ("id", "street_id", "district_id", "name", "code"),
    Zone: (
        "id", "community_id", "street_id", "district_id", "name", "code", "kind", "address",
        "contact_name", "contact_phone",
    ),
    Gate: ("id", "zone_id", "name"),
    Building: (
        "id", "zone_id", "community_id", "street_id", "district_id", "name", "floors", "polygon",
    ),
    Dwelling: ("id", "building_id", "zone_id", "floor", "room"),
    Household: ("id", "dwelling_id", "label"),
    Person: (
        "id", "name", "doc_type", "doc_number", "sex", "birth_date", "phone", "dwelling_id",
        "household_id", "building_id", "zone_id", "community_id", "street_id", "district_id",
        "origin", "travel_status", "return_date", "health_status", "verified", "elderly_alone",
        "disabled", "pregnant", "chronic_illness",
    ),
    get_user_model(): (
        "id", "password", "last_login", "is_superuser", "username", "first_name", "last_name",
        "email", "is_staff", "is_active", "date_joined",
    ),
    Staff: ("id", "user_id", "name", "phone", "role", "active"),
    Assignment: (
        "id", "staff_id", "district_id", "street_id", "community_id", "zone_id", "building_id",
        "duty",
    ),
}  # fmt: skip

# Plain strings (not enum members), so any database driver takes them as they are.
MALE, FEMALE = Sex.MALE.value, Sex.FEMALE.value
ID_CARD, HK_MACAU = DocType.ID_CARD.value, DocType.HK_MACAU.value
NEVER_LEFT, RETURNED = TravelStatus.NEVER_LEFT.value, TravelStatus.RETURNED.value
NEW_ARRIVAL, AWAY = TravelStatus.NEW_ARRIVAL.value, TravelStatus.AWAY.value
NORMAL = HealthStatus.NORMAL.value
URBAN_VILLAGE = ZoneKind.URBAN_VILLAGE.value
COMPOUND = ZoneKind.COMPOUND.value
SINGLE_BUILDING = ZoneKind.SINGLE_BUILDING.value

# Relative population of one zone of each kind; a single building holds a few hundred people.
KIND_WEIGHT = {URBAN_VILLAGE: 1.0, COMPOUND: 0.95, SINGLE_BUILDING: 0.3}
# Household sizes 1..6 by zone kind: urban villages rent many rooms to single
# workers, compounds house families.
HOUSEHOLD_SIZES = {
    URBAN_VILLAGE: (30, 25, 22, 14, 6, 3),
    COMPOUND: (12, 22, 32, 22, 9, 3),
    SINGLE_BUILDING: (35, 30, 20, 12, 3, 0),
}
# Share of dwellings occupied, before the last building's spare rooms.
OCCUPANCY = {URBAN_VILLAGE: 0.92, COMPOUND: 0.88, SINGLE_BUILDING: 0.85}
# The travel status of a household in mid-February 2020.
TRAVEL = ((NEVER_LEFT, 52), (AWAY, 25), (RETURNED, 18), (NEW_ARRIVAL, 5))
# People per status across the district at scale 1.0; at least one of each
# except "recovered", so small demos still show red passes.
HEALTH_AT_FULL_SCALE = (
    (HealthStatus.SYMPTOMS.value, 140),
    (HealthStatus.SUSPECTED.value, 22),
    (HealthStatus.CONFIRMED.value, 8),
    (HealthStatus.RECOVERED.value, 4),
)
SINGLE_ELDERLY_SHARE = 0.005  # of one-person households: an elderly person living alone
PERMIT_HOUSEHOLD_SHARE = 0.003  # households from Hong Kong or Macau


@dataclass(frozen=True)
class Batch:
    """Rows of one model: `columns` are attnames, each row a tuple in that order."""

    model: type[models.Model]
    columns: tuple[str, ...]
    rows: list[tuple]


@dataclass
class _Community:
    id: int
    street_id: int
    name: str
    code: str
    street_name: str
    population: int = 0
    zones: list[_Zone] = field(default_factory=list)


@dataclass
class _Zone:
    id: int
    code: str
    kind: str
    community: _Community
    population: int
    name: str = ""
    gates: list[str] = field(default_factory=list)
    building_ids: list[int] = field(default_factory=list)
    # (household id, dwelling id, building id, size), in dwelling order.
    households: list[tuple[int, int, int, int]] = field(default_factory=list)


def apportion(total: int, weights: Sequence[float], minimum: int = 0) -> list[int]:
    """Split `total` into integers proportional to `weights` (largest remainder).

    Each part gets at least `minimum` first. Ties go to the earlier index, so
    the result depends on nothing but the arguments.
    """
    parts = [minimum] * len(weights)
    rest = total - minimum * len(weights)
    if rest <= 0:
        return parts
    weight_sum = sum(weights)
    exact = [rest * w / weight_sum for w in weights]
    floors = [math.floor(x) for x in exact]
    short = rest - sum(floors)
    order = sorted(range(len(weights)), key=lambda i: (-(exact[i] - floors[i]), i))
    for i in order[:short]:
        floors[i] += 1
    return [p + f for p, f in zip(parts, floors, strict=True)]


def _cumulative(weights: Sequence[float]) -> list[float]:
    """Cumulative weights, for `random.choices(cum_weights=…)`, which then skips a sum per draw."""
    return list(itertools.accumulate(weights))


class DemoDistrict:
    """The plan of one demo district; `batches()` yields its rows.

    `first_ids` maps each model in MODELS to the first id to use (default 1),
    so a database that already holds, say, an admin user can take the demo.
    `skip_usernames` are demo logins that exist already and are not made again.
    `password_hash` is stored for every demo login (hash once, reuse);
    `now` is stored as the logins' date_joined. `district` is its (code, name), Pingshan
    by default; `used_numbers`, when given, holds the document numbers already taken by
    other districts of a city and receives this district's (see `DemoCity`).
    """

    def __init__(
        self,
        scale: float,
        seed: int,
        *,
        first_ids: dict[type[models.Model], int] | None = None,
        skip_usernames: Sequence[str] = (),
        password_hash: str = "!",
        now: dt.datetime | None = None,
        district: tuple[str, str] = names.DISTRICT,
        used_numbers: set[str] | None = None,
    ) -> None:
        if not scale > 0:
            raise ValueError("scale must be greater than 0")
        self.scale = scale
        self.seed = seed
        self.district = district
        # Pingshan's draws keep their names, so its rows do not change with the city's.
        self._purpose_prefix = "" if district == names.DISTRICT else f"{district[0]}:"
        self._used_numbers = used_numbers
        self.population = round(FULL_POPULATION * scale)
        self.zone_count = max(sum(len(c) for _s, c in names.STREETS), round(FULL_ZONES * scale))
        self.first_ids = dict.fromkeys(MODELS, 1) | dict(first_ids or {})
        self.skip_usernames = frozenset(skip_usernames)
        self.password_hash = password_hash
        self.now = now or dt.datetime(2020, 2, 1, tzinfo=dt.UTC)
        self._phones: set[str] = set()
        self._rows: dict[type[models.Model], list[tuple]] = {model: [] for model in MODELS}
        self._plan_places()
        self._plan_staff()
        self._planned_phones = frozenset(self._phones)
        self.counts: dict[type[models.Model], int] = {
            model: len(rows) for model, rows in self._rows.items()
        }
        self.counts[Person] = self.population

    @property
    def total_rows(self) -> int:
        """Rows over all tables, for a progress bar."""
        return sum(self.counts.values())

    def _rng(self, purpose: str) -> random.Random:
        return random.Random(f"fangyi-demo:{self.seed}:{self._purpose_prefix}{purpose}")

    def _phone(self, rng: random.Random) -> str:
        return unique_phone(rng, self._phones)

    # ---- places -------------------------------------------------------------------------

    def _plan_places(self) -> None:
        """District, streets, communities, zones, gates, buildings, dwellings, households."""
        rng = self._rng("places")
        ids = self.first_ids
        district_code, district_name = self.district
        self.district_id = ids[District]
        self._rows[District].append((self.district_id, district_name, district_code))

        communities: list[_Community] = []
        for s, (street_name, street_communities) in enumerate(names.STREETS):
            street_id = ids[Street] + s
            street_code = f"{district_code}{s + 1:03d}"
            self._rows[Street].append((street_id, self.district_id, street_name, street_code))
            for c, (community_name, _weight) in enumerate(street_communities):
                community = _Community(
                    id=ids[Community] + len(communities),
                    street_id=street_id,
                    name=community_name,
                    code=f"{street_code}{c + 1:03d}",
                    street_name=street_name,
                )
                communities.append(community)
                self._rows[Community].append(
                    (community.id, street_id, self.district_id, community.name, community.code)
                )
        self.communities = communities
        weights = [w for _s, cs in names.STREETS for _n, w in cs]
        for community, people in zip(communities, apportion(self.population, weights), strict=True):
            community.population = people

        # Kinds are dealt over the whole district so that each is present from 23 zones on.
        n_single = max(1, round(SINGLE_BUILDING_SHARE * self.zone_count))
        n_compound = max(1, round(COMPOUND_SHARE * self.zone_count))
        kinds = (
            [SINGLE_BUILDING] * n_single
            + [COMPOUND] * n_compound
            + [URBAN_VILLAGE] * (self.zone_count - n_single - n_compound)
        )
        rng.shuffle(kinds)
        # The demo logins' zone (the first) needs a property manager: make it a compound.
        first_compound = kinds.index(COMPOUND)
        kinds[0], kinds[first_compound] = kinds[first_compound], kinds[0]

        zones_per_community = apportion(self.zone_count, weights, minimum=1)
        kind_iter = iter(kinds)
        zones: list[_Zone] = []
        for community, n_zones in zip(communities, zones_per_community, strict=True):
            zone_kinds = [next(kind_iter) for _ in range(n_zones)]
            zone_weights = [KIND_WEIGHT[k] * rng.uniform(0.6, 1.4) for k in zone_kinds]
            for k, (kind, people) in enumerate(
                zip(zone_kinds, apportion(community.population, zone_weights), strict=True)
            ):
                zone = _Zone(
                    id=ids[Zone] + len(zones),
                    code=f"{community.code}{k + 1:03d}",
                    kind=kind,
                    community=community,
                    population=people,
                )
                zones.append(zone)
                community.zones.append(zone)
        self.zones = zones
        self._name_zones(rng)

        for zone in zones:
            self._plan_zone(rng, zone)

    def _name_zones(self, rng: random.Random) -> None:
        """Real-sounding zone names: villages cut into blocks, compounds, towers."""
        stems = list(names.VILLAGE_STEMS)
        rng.shuffle(stems)
        village_suffixes = ("村", "新村", "老村", "东村", "西村", "南村", "北村")
        compounds = [p + s for p in names.COMPOUND_PREFIXES for s in names.COMPOUND_SUFFIXES]
        rng.shuffle(compounds)
        towers = [p + s for p in names.TOWER_PREFIXES for s in names.TOWER_SUFFIXES]
        rng.shuffle(towers)
        villages_made = 0
        n_compounds = n_towers = 0
        for community in self.communities:
            villages = [z for z in community.zones if z.kind == URBAN_VILLAGE]
            i = 0
            while i < len(villages):
                # One village is cut into 1–3 blocks, each its own zone.
                blocks = min(len(villages) - i, rng.choice((1, 1, 2, 2, 3)))
                lap, at = divmod(villages_made, len(stems))
                village = stems[at] + village_suffixes[lap % len(village_suffixes)]
                villages_made += 1
                for b in range(blocks):
                    block = names.BLOCKS[b] if b else ""
                    villages[i + b].name = village + ("一区" if blocks > 1 and b == 0 else block)
                i += blocks
            for zone in community.zones:
                if zone.kind == COMPOUND:
                    lap, at = divmod(n_compounds, len(compounds))
                    zone.name = compounds[at] + ("" if not lap else f"{lap + 1}期")
                    n_compounds += 1
                elif zone.kind == SINGLE_BUILDING:
                    lap, at = divmod(n_towers, len(towers))
                    zone.name = towers[at] + ("" if not lap else f"{lap + 1}座")
                    n_towers += 1

    def _plan_zone(self, rng: random.Random, zone: _Zone) -> None:
        """Gates, buildings with floors and a site plan, dwellings and households of one zone."""
        community = zone.community
        contact = person_name(rng, rng.random() < 0.6, 45)
        address = f"{community.street_name}{rng.choice(names.ROADS)}{rng.randint(1, 399)}号"
        self._rows[Zone].append(
            (
                zone.id, community.id, community.street_id, self.district_id, zone.name,
                zone.code, zone.kind, address, contact, self._phone(rng),
            )
        )  # fmt: skip

        if zone.kind == URBAN_VILLAGE:
            zone.gates = list(names.GATE_NAMES[: rng.randint(5, 10)])
        elif zone.kind == COMPOUND:
            zone.gates = list(names.GATE_NAMES[: rng.randint(1, 3)])
        else:
            zone.gates = ["正门"]
        for gate in zone.gates:
            self._rows[Gate].append((self.first_ids[Gate] + len(self._rows[Gate]), zone.id, gate))

        sizes = self._household_sizes(rng, zone)
        needed = max(1, math.ceil(len(sizes) / OCCUPANCY[zone.kind]))
        # (floors, first residential floor, rooms per floor), added until the dwellings suffice.
        shapes: list[tuple[int, int, int]] = []
        capacity = 0
        while capacity < needed:
            if zone.kind == URBAN_VILLAGE:
                # Hand-shake buildings (握手楼): shops on the ground floor.
                shape = (rng.randint(5, 9), 2, rng.randint(2, 6))
            elif zone.kind == COMPOUND:
                shape = (rng.randint(18, 33), 2, rng.randint(4, 8))
            else:
                # One tower on a three-floor podium, as many flats per floor as it takes.
                floors = rng.randint(20, 40)
                shape = (floors, 4, max(4, math.ceil(needed / (floors - 3))))
            shapes.append(shape)
            capacity += (shape[0] - shape[1] + 1) * shape[2]

        polygons = _site_plan(rng, len(shapes), zone.kind)
        dwelling_buildings: list[int] = []  # building id of each of the zone's dwellings
        dwelling_labels: list[str] = []
        first_dwelling = self.first_ids[Dwelling] + len(self._rows[Dwelling])
        for b, ((floors, first_floor, rooms), polygon) in enumerate(
            zip(shapes, polygons, strict=True)
        ):
            building_id = self.first_ids[Building] + len(self._rows[Building])
            zone.building_ids.append(building_id)
            if zone.kind == URBAN_VILLAGE:
                lane, number = divmod(b, 8)
                building_name = f"{names.LANES[lane % 10]}巷{number + 1}号" + (
                    f"之{lane // 10 + 1}" if lane >= 10 else ""
                )
            elif zone.kind == COMPOUND:
                building_name = f"{b + 1}栋"
            else:
                building_name = "主楼" if b == 0 else f"{b + 1}号楼"
            self._rows[Building].append(
                (
                    building_id, zone.id, community.id, community.street_id, self.district_id,
                    building_name, floors, polygon,
                )
            )  # fmt: skip
            dwelling_rows = self._rows[Dwelling]
            for floor in range(first_floor, floors + 1):
                for room in range(1, rooms + 1):
                    room_number = f"{floor}{room:02d}"
                    dwelling_rows.append(
                        (len(dwelling_rows) + self.first_ids[Dwelling], building_id, zone.id,
                         floor, room_number)
                    )  # fmt: skip
                    dwelling_buildings.append(building_id)
                    dwelling_labels.append(building_name + room_number)

        # Households fill a random choice of the dwellings; the rest stand empty.
        occupied = sorted(rng.sample(range(capacity), len(sizes)))
        household_rows = self._rows[Household]
        for size, index in zip(sizes, occupied, strict=True):
            household_id = self.first_ids[Household] + len(household_rows)
            dwelling_id = first_dwelling + index
            household_rows.append((household_id, dwelling_id, dwelling_labels[index] + "室"))
            zone.households.append((household_id, dwelling_id, dwelling_buildings[index], size))

    def _household_sizes(self, rng: random.Random, zone: _Zone) -> list[int]:
        """Household sizes summing to the zone's population exactly."""
        cum = _cumulative(HOUSEHOLD_SIZES[zone.kind])
        sizes = []
        left = zone.population
        while left > 0:
            size = min(left, rng.choices((1, 2, 3, 4, 5, 6), cum_weights=cum)[0])
            sizes.append(size)
            left -= size
        return sizes

    # ---- people -------------------------------------------------------------------------

    def _people_rows(self) -> Iterator[list[tuple]]:
        """Person rows, zone by zone, in chunks of about PERSON_BATCH."""
        special: dict[int, str] = {}  # person index → health status other than normal
        health_rng = self._rng("health")
        quota = [(status, max(1, round(n * self.scale))) for status, n in HEALTH_AT_FULL_SCALE]
        quota[-1] = (quota[-1][0], round(HEALTH_AT_FULL_SCALE[-1][1] * self.scale))
        picks = health_rng.sample(
            range(self.population), min(self.population, sum(n for _s, n in quota))
        )
        for status, n in quota:
            for index in picks[:n]:
                special[index] = status
            picks = picks[n:]

        # A fresh copy of the planned phones, so that iterating twice gives the same rows.
        maker = _PersonMaker(
            set(self._planned_phones),
            self._used_numbers if self._used_numbers is not None else set(),
        )
        rows: list[tuple] = []
        index = 0
        person_id = self.first_ids[Person]
        for zone in self.zones:
            rng = self._rng(f"people:{zone.code}")
            community = zone.community
            place = (zone.id, community.id, community.street_id, self.district_id)
            for household_id, dwelling_id, building_id, size in zone.households:
                for member in maker.household(rng, size):
                    (name, doc_type, number, sex, born, phone, origin, travel, returned,
                     verified, alone, disabled, pregnant, chronic) = member  # fmt: skip
                    rows.append(
                        (person_id, name, doc_type, number, sex, born, phone, dwelling_id,
                         household_id, building_id, *place, origin, travel, returned,
                         special.get(index, NORMAL), verified, alone, disabled, pregnant,
                         chronic)
                    )  # fmt: skip
                    person_id += 1
                    index += 1
                if len(rows) >= PERSON_BATCH:
                    yield rows
                    rows = []
        if rows:
            yield rows

    # ---- staff and logins ---------------------------------------------------------------

    def _plan_staff(self) -> None:
        """Staff at every level (~6 per 1,000 residents), their assignments and the demo logins."""
        rng = self._rng("staff")
        user_model = get_user_model()
        users: dict[str, int] = {}
        for username, _role, _place in DEMO_LOGINS:
            if username in self.skip_usernames:
                continue
            user_id = self.first_ids[user_model] + len(self._rows[user_model])
            users[username] = user_id
            is_admin = username == "admin"
            self._rows[user_model].append(
                (user_id, self.password_hash, None, is_admin, username, "", "", "", is_admin,
                 True, self.now)
            )  # fmt: skip
        # The demo logins go to the first staff member of their role at these places.
        street_id = self.communities[0].street_id
        community = self.communities[0]
        zone = community.zones[0]
        login_at = {
            (LOGIN_ROLES["leader"], "district", self.district_id): "leader",
            (LOGIN_ROLES["cadre"], "street", street_id): "cadre",
            (LOGIN_ROLES["secretary"], "community", community.id): "secretary",
            (LOGIN_ROLES["doctor"], "community", community.id): "doctor",
            (LOGIN_ROLES["guard"], "zone", zone.id): "guard",
            (LOGIN_ROLES["property"], "zone", zone.id): "property",
            (LOGIN_ROLES["volunteer"], "zone", zone.id): "volunteer",
            (LOGIN_ROLES["grid"], "building", zone.building_ids[0]): "grid",
        }
        levels = ("district", "street", "community", "zone", "building")

        def add(role: str, level: str, place_ids: Sequence[int], duty: str) -> None:
            staff_id = self.first_ids[Staff] + len(self._rows[Staff])
            username = login_at.pop((role, level, place_ids[0]), None)
            user_id = users.get(username) if username else None
            name = person_name(rng, rng.random() < 0.55, 40)
            if user_id is not None:
                index = user_id - self.first_ids[user_model]
                row = self._rows[user_model][index]
                self._rows[user_model][index] = (*row[:5], name, "", *row[7:])
            self._rows[Staff].append((staff_id, user_id, name, self._phone(rng), role, True))
            slot = levels.index(level)
            for place_id in place_ids:
                place = [None] * 5
                place[slot] = place_id
                self._rows[Assignment].append(
                    (self.first_ids[Assignment] + len(self._rows[Assignment]), staff_id, *place,
                     duty)
                )  # fmt: skip

        for _ in range(max(1, min(3, round(self.population / 150_000)))):
            add(Role.DISTRICT_LEADER.value, "district", [self.district_id], "区疫情防控指挥部")
        streets = itertools.groupby(self.communities, key=lambda c: c.street_id)
        for street_id, street_communities in streets:
            people = sum(c.population for c in street_communities)
            for _ in range(max(1, round(people / 12_000))):
                add(Role.CADRE.value, "street", [street_id], "街道防控办")
        for community in self.communities:
            add(Role.COMMUNITY_SECRETARY.value, "community", [community.id], "社区党委书记")
            for _ in range(max(1, round(community.population / 2_000))):
                add(Role.CADRE.value, "community", [community.id], "驻点干部")
            for _ in range(max(1, round(community.population / 10_000))):
                add(Role.STATION_DOCTOR.value, "community", [community.id], "温馨驿站 健康监测")
        for zone in self.zones:
            for gate in zone.gates:
                add(Role.GATE_GUARD.value, "zone", [zone.id], f"{gate} 值守")
            if zone.kind != URBAN_VILLAGE:
                add(Role.PROPERTY_MANAGER.value, "zone", [zone.id], "物业服务中心")
            for _ in range(max(1, round(zone.population / 800))):
                add(Role.VOLUNTEER.value, "zone", [zone.id], rng.choice(names.VOLUNTEER_DUTIES))
            # A grid worker covers ~250 households: a run of neighbouring buildings.
            buildings = zone.building_ids
            workers = max(1, min(len(buildings), round(len(zone.households) / 250)))
            start = 0
            for w, share in enumerate(apportion(len(buildings), [1] * workers)):
                add(
                    Role.GRID_WORKER.value,
                    "building",
                    buildings[start : start + share],
                    f"第{w + 1}网格",
                )
                start += share

    # ---- output -------------------------------------------------------------------------

    def batches(self) -> Iterator[Batch]:
        """All rows, in MODELS order, in batches of at most PLACE_BATCH / about PERSON_BATCH."""
        for model in MODELS:
            columns = COLUMNS[model]
            if model is Person:
                for rows in self._people_rows():
                    yield Batch(model, columns, rows)
                continue
            rows = self._rows[model]
            for start in range(0, len(rows), PLACE_BATCH):
                yield Batch(model, columns, rows[start : start + PLACE_BATCH])


def city_district_count(scale: float) -> int:
    """Districts of a demo at `scale`: one up to 1.0, then one per started 1.0 (at most as
    many as names.CITY_DISTRICTS), each of an equal share of the scale."""
    return max(1, min(len(names.CITY_DISTRICTS), math.ceil(scale - 1e-9)))


class DemoCity:
    """The demo at any scale: up to 1.0 the one demo district (the very same rows), above
    it `city_district_count(scale)` districts of Shenzhen, each a `DemoDistrict` of an
    equal share of the scale (scale 5.0: five districts of ~551,000 people).

    The demo logins belong to the first district (Pingshan); ids run on from one district
    to the next and document numbers are unique over the city. Same interface as
    `DemoDistrict` for writing: `batches()`, `counts`, `total_rows`, `skip_usernames`.
    """

    def __init__(
        self,
        scale: float,
        seed: int,
        *,
        first_ids: dict[type[models.Model], int] | None = None,
        skip_usernames: Sequence[str] = (),
        password_hash: str = "!",
        now: dt.datetime | None = None,
        districts: int | None = None,
    ) -> None:
        if not scale > 0:
            raise ValueError("scale must be greater than 0")
        self.scale = scale
        self.seed = seed
        self.skip_usernames = frozenset(skip_usernames)
        # `districts` overrides the count (tests make a city at a tiny scale).
        n = districts or city_district_count(scale)
        if not 1 <= n <= len(names.CITY_DISTRICTS):
            raise ValueError(f"districts must be between 1 and {len(names.CITY_DISTRICTS)}")
        ids = dict.fromkeys(MODELS, 1) | dict(first_ids or {})
        # Shared by the districts only when there are several: one district alone keeps
        # the generator's own behaviour (iterating its batches twice gives the same rows).
        numbers: set[str] | None = set() if n > 1 else None
        all_logins = [username for username, _role, _place in DEMO_LOGINS]
        self.districts: list[DemoDistrict] = []
        for k in range(n):
            district = DemoDistrict(
                scale / n,
                seed,
                first_ids=ids,
                skip_usernames=skip_usernames if k == 0 else all_logins,
                password_hash=password_hash,
                now=now,
                district=names.CITY_DISTRICTS[k],
                used_numbers=numbers,
            )
            self.districts.append(district)
            ids = {model: ids[model] + district.counts[model] for model in MODELS}
        self.counts: dict[type[models.Model], int] = {
            model: sum(d.counts[model] for d in self.districts) for model in MODELS
        }

    @property
    def total_rows(self) -> int:
        """Rows over all tables and districts, for a progress bar."""
        return sum(self.counts.values())

    def batches(self) -> Iterator[Batch]:
        """Every district's batches, one district after the other (parents first in each)."""
        for district in self.districts:
            yield from district.batches()


_SURNAMES = tuple(s for s, _w in names.SURNAMES)
_SURNAME_CUM = _cumulative([w for _s, w in names.SURNAMES])
_ORIGIN_CUM = _cumulative([w for _o, w, _c in names.ORIGINS])
_TRAVEL = tuple(t for t, _w in TRAVEL)
_TRAVEL_CUM = _cumulative([w for _t, w in TRAVEL])
_REFERENCE_ORDINAL = REFERENCE_DATE.toordinal()
_RETURN_ORDINAL = RETURN_FROM.toordinal()


def person_name(rng: random.Random, male: bool, age: int, surname: str = "") -> str:
    """A Chinese name: surname plus one or two characters in the fashion of the birth year."""
    if not surname:
        surname = rng.choices(_SURNAMES, cum_weights=_SURNAME_CUM)[0]
    if age < 15 and rng.random() < 0.75:
        return surname + rng.choice(names.CHILD_MALE if male else names.CHILD_FEMALE)
    pool = names.MALE_CHARS if male else names.FEMALE_CHARS
    if rng.random() < 0.3:
        return surname + rng.choice(pool)
    return surname + rng.choice(pool) + rng.choice(pool)


def unique_phone(rng: random.Random, used: set[str]) -> str:
    """A mobile number in use in 2020 (prefix + 8 digits) not yet in `used`; adds it there."""
    while True:
        phone = rng.choice(names.PHONE_PREFIXES) + f"{rng.randrange(100_000_000):08d}"
        if phone not in used:
            used.add(phone)
            return phone


def _adult_age(rng: random.Random, buckets: Sequence[tuple[int, int]], cum: list[float]) -> int:
    """An age drawn from weighted (low, high) buckets, uniform within the bucket."""
    low, high = rng.choices(buckets, cum_weights=cum)[0]
    return rng.randint(low, high)


# Ages of people living on their own, and of the heads of families (Shenzhen is young).
_SINGLE_AGES = ((18, 24), (25, 34), (35, 49), (50, 59))
_SINGLE_CUM = _cumulative((30, 42, 20, 8))
_HEAD_AGES = ((24, 29), (30, 39), (40, 49), (50, 60))
_HEAD_CUM = _cumulative((22, 40, 25, 13))


class _PersonMaker:
    """Makes the members of one household at a time; keeps document numbers unique."""

    def __init__(self, phones: set[str], numbers: set[str]) -> None:
        self.phones = phones
        self.numbers = numbers

    def household(self, rng: random.Random, size: int) -> list[tuple]:
        """(name, doc type, number, sex, birth date, phone, origin, travel status, return
        date, verified, elderly alone, disabled, pregnant, chronic illness) per member."""
        # Members as (age, male, surname source): 0 = own surname, 1 = head's, 2 = father's.
        if size == 1:
            if rng.random() < SINGLE_ELDERLY_SHARE:
                members = [(rng.randint(60, 89), rng.random() < 0.4, 0)]
            else:
                members = [(_adult_age(rng, _SINGLE_AGES, _SINGLE_CUM), rng.random() < 0.58, 0)]
        else:
            head_age = _adult_age(rng, _HEAD_AGES, _HEAD_CUM)
            head_male = rng.random() < 0.62
            members = [(head_age, head_male, 0)]
            slots = size - 1
            if rng.random() < 0.88:
                gap = rng.randint(-1, 5)
                spouse_age = head_age - gap if head_male else head_age + gap
                members.append((max(20, spouse_age), not head_male, 0))
                slots -= 1
            if (slots >= 2 and rng.random() < 0.35) or (slots == 1 and rng.random() < 0.06):
                # Grandparents who came to look after the children.
                for g in range(1 if slots < 3 or rng.random() < 0.6 else 2):
                    # Grandfather with the head's surname, grandmother with her own.
                    members.append(
                        (min(92, head_age + rng.randint(23, 32)), g == 0, 1 if g == 0 else 0)
                    )
                    slots -= 1
            oldest_child = max(0, min(24, head_age - 20))
            for _ in range(slots):
                members.append((rng.randint(0, oldest_child), rng.random() < 0.52, 2))

        permit = rng.random() < PERMIT_HOUSEHOLD_SHARE
        own_origin = ""
        if permit:
            origin, prefix = rng.choice(names.PERMIT_ORIGINS)
            codes: tuple[str, ...] = ()
        else:
            origin, _w, codes = _origin(rng)
            prefix = ""
        region = rng.choice(codes) if codes else ""
        travel = rng.choices(_TRAVEL, cum_weights=_TRAVEL_CUM)[0]
        returned = _return_date(rng)

        head_surname = rng.choices(_SURNAMES, cum_weights=_SURNAME_CUM)[0]
        father_surname = head_surname
        result = []
        for m, (age, male, surname_from) in enumerate(members):
            if m == 0:
                surname = head_surname
            elif surname_from == 0:
                surname = rng.choices(_SURNAMES, cum_weights=_SURNAME_CUM)[0]
                if male:
                    father_surname = surname
            elif surname_from == 1:
                surname = head_surname
            else:
                surname = father_surname
            name = person_name(rng, male, age, surname)
            born = dt.date.fromordinal(
                _REFERENCE_ORDINAL - age * 365 - age // 4 - rng.randrange(365)
            )
            if permit:
                own_origin = origin
                doc_type, number = HK_MACAU, self._permit_number(rng, prefix)
            else:
                # A spouse from elsewhere keeps the hukou of their own home town.
                own_origin, own_region = origin, region
                if m == 1 and surname_from == 0 and rng.random() < 0.35:
                    own_origin, _w, own_codes = _origin(rng)
                    own_region = rng.choice(own_codes)
                doc_type, number = ID_CARD, self._id_number(rng, own_region, born, male)
            phone = (
                unique_phone(rng, self.phones)
                if age >= 14 or (age >= 11 and rng.random() < 0.5)
                else ""
            )
            status = (
                travel if rng.random() < 0.9 else rng.choices(_TRAVEL, cum_weights=_TRAVEL_CUM)[0]
            )
            verified = rng.random() < (0.6 if status == NEW_ARRIVAL else 0.87)
            alone = size == 1 and age >= 60
            disabled = rng.random() < (0.05 if age >= 60 else 0.01)
            pregnant = not male and 20 <= age <= 40 and rng.random() < 0.05
            chronic = rng.random() < (0.3 if age >= 60 else 0.08 if age >= 40 else 0.01)
            result.append(
                (name, doc_type, number, MALE if male else FEMALE, born, phone, own_origin, status,
                 returned if status == RETURNED else None, verified, alone, disabled, pregnant,
                 chronic)
            )  # fmt: skip
        return result

    def _id_number(self, rng: random.Random, region: str, born: dt.date, male: bool) -> str:
        """A valid GB 11643 number: region, birth date, sequence (odd for men), check char."""
        head = f"{region}{born.year:04d}{born.month:02d}{born.day:02d}"
        sequence = rng.randrange(500) * 2 + (1 if male else 0)
        while True:
            first17 = f"{head}{sequence:03d}"
            number = first17 + check_char(first17)
            if number not in self.numbers:
                self.numbers.add(number)
                return number
            sequence = (sequence + 2) % 1000

    def _permit_number(self, rng: random.Random, prefix: str) -> str:
        """A Hong Kong/Macau travel permit number: H or M and eight digits."""
        while True:
            number = f"{prefix}{rng.randrange(100_000_000):08d}"
            if number not in self.numbers:
                self.numbers.add(number)
                return number


def _origin(rng: random.Random) -> tuple[str, int, tuple[str, ...]]:
    """A place of origin by weight: (origin text, weight, region codes)."""
    return names.ORIGINS[rng.choices(range(len(names.ORIGINS)), cum_weights=_ORIGIN_CUM)[0]]


def _return_date(rng: random.Random) -> dt.date:
    """A return to Shenzhen after the Spring Festival, most around 10 February."""
    days = int(rng.triangular(0, RETURN_DAYS, 16))
    return dt.date.fromordinal(_RETURN_ORDINAL + min(days, RETURN_DAYS - 1))


def _site_plan(rng: random.Random, n: int, kind: str) -> list[list[list[float]]]:
    """Polygons for `n` buildings on a 1000 × 700 site plan, none overlapping.

    The site is cut into a grid of cells (a 30-unit margin is left for the
    fence and gates); each building is a rectangle, or for some compound
    towers an L, strictly inside its own cell.
    """
    margin = 30.0
    width, height = 1000 - 2 * margin, 700 - 2 * margin
    cols = max(1, math.ceil(math.sqrt(n * width / height)))
    rows = math.ceil(n / cols)
    cell_w, cell_h = width / cols, height / rows
    fill = {URBAN_VILLAGE: (0.7, 0.9), COMPOUND: (0.35, 0.6), SINGLE_BUILDING: (0.3, 0.5)}[kind]
    polygons = []
    for i in range(n):
        row, col = divmod(i, cols)
        w = cell_w * rng.uniform(*fill)
        h = cell_h * rng.uniform(*fill)
        x0 = margin + col * cell_w + rng.uniform(0.05 * cell_w, 0.95 * cell_w - w)
        y0 = margin + row * cell_h + rng.uniform(0.05 * cell_h, 0.95 * cell_h - h)
        x1, y1 = x0 + w, y0 + h
        if kind == COMPOUND and rng.random() < 0.3:
            xm, ym = x0 + w * rng.uniform(0.4, 0.6), y0 + h * rng.uniform(0.4, 0.6)
            points = [(x0, y0), (x1, y0), (x1, ym), (xm, ym), (xm, y1), (x0, y1)]
        else:
            points = [(x0, y0), (x1, y0), (x1, y1), (x0, y1)]
        polygons.append([[round(x, 1), round(y, 1)] for x, y in points])
    return polygons
