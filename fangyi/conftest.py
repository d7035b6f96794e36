"""Shared fixtures: a small place tree with people and one persona per level.

personas: district, street, community, zone and building staff each see
exactly their subtree; `outsider` is assigned to a zone in another street.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import pytest
from django.contrib.auth import get_user_model

from fangyi.duty.choices import Role
from fangyi.duty.models import Assignment, Staff
from fangyi.people.identity import check_char
from fangyi.people.models import Person
from fangyi.places.choices import ZoneKind
from fangyi.places.models import (
    Building,
    Community,
    District,
    Dwelling,
    Household,
    Street,
    Zone,
)

PASSWORD = "test-pass-123"


def make_id_number(seq: int, born: dt.date = dt.date(1985, 3, 14), region: str = "440310") -> str:
    first17 = f"{region}{born:%Y%m%d}{seq % 1000:03d}"
    return first17 + check_char(first17)


@dataclass
class Tree:
    district: District
    streets: list[Street]
    communities: list[Community]
    zones: list[Zone]
    buildings: list[Building]
    dwellings: list[Dwelling]
    people: list[Person]
    users: dict[str, object] = field(default_factory=dict)

    def people_in(self, level: str, place) -> set[int]:
        return {p.pk for p in self.people if getattr(p, f"{level}_id") == place.pk}


def _user(username: str, role: str, **place):
    user = get_user_model().objects.create_user(username, password=PASSWORD)
    staff = Staff.objects.create(user=user, name=f"{username}员", role=role)
    Assignment.objects.create(staff=staff, **place)
    return user


@pytest.fixture
def tree(db) -> Tree:
    district = District.objects.create(name="坪山区", code="440310")
    s1 = Street.objects.create(district=district, name="坪山街道", code="S1")
    s2 = Street.objects.create(district=district, name="坑梓街道", code="S2")
    c1 = Community.objects.create(street=s1, district=district, name="六和社区", code="C1")
    c2 = Community.objects.create(street=s2, district=district, name="秀新社区", code="C2")
    zones, buildings, dwellings, people = [], [], [], []
    seq = 0
    for community, codes in ((c1, ("Z1", "Z2")), (c2, ("Z3",))):
        for code in codes:
            zone = Zone.objects.create(
                community=community,
                street=community.street,
                district=district,
                name=f"{code}小区",
                code=code,
                kind=ZoneKind.COMPOUND,
            )
            zone.gates.create(name="东门")
            zones.append(zone)
            for b in range(2):
                building = Building.objects.create(
                    zone=zone,
                    community=community,
                    street=community.street,
                    district=district,
                    name=f"{b + 1}栋",
                    floors=6,
                    polygon=[
                        [10 + b * 100, 10],
                        [90 + b * 100, 10],
                        [90 + b * 100, 60],
                        [10 + b * 100, 60],
                    ],
                )
                buildings.append(building)
                for room in ("101", "102"):
                    dwelling = Dwelling.objects.create(
                        building=building, zone=zone, floor=1, room=room
                    )
                    dwellings.append(dwelling)
                    household = Household.objects.create(dwelling=dwelling)
                    for _ in range(2):
                        seq += 1
                        people.append(
                            Person.objects.create(
                                name=f"居民{seq}",
                                doc_number=make_id_number(seq),
                                sex="M" if seq % 2 else "F",
                                birth_date=dt.date(1985, 3, 14),
                                phone=f"1380013{seq:04d}",
                                dwelling=dwelling,
                                household=household,
                                building=building,
                                zone=zone,
                                community=community,
                                street=community.street,
                                district=district,
                            )
                        )
    tree = Tree(district, [s1, s2], [c1, c2], zones, buildings, dwellings, people)
    tree.users = {
        "district": _user("d_leader", Role.DISTRICT_LEADER, district=district),
        "street": _user("s_cadre", Role.CADRE, street=s1),
        "community": _user("c_secretary", Role.COMMUNITY_SECRETARY, community=c1),
        "zone": _user("z_property", Role.PROPERTY_MANAGER, zone=zones[0]),
        "building": _user("b_grid", Role.GRID_WORKER, building=buildings[0]),
        "outsider": _user("outsider", Role.GRID_WORKER, zone=zones[2]),
    }
    return tree


# The persona → the place it is assigned to, as (level, index into the tree's lists).
PERSONA_PLACE = {
    "district": ("district", None),
    "street": ("street", 0),
    "community": ("community", 0),
    "zone": ("zone", 0),
    "building": ("building", 0),
}


def persona_place(tree: Tree, persona: str):
    level, index = PERSONA_PLACE[persona]
    if index is None:
        return level, tree.district
    plural = {"street": "streets", "community": "communities", "zone": "zones"}.get(
        level, level + "s"
    )
    return level, getattr(tree, plural)[index]


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # PBKDF2's deliberate slowness would dominate the suite's run time.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _forget_expired_state_checks():
    # people.state looks for expired states once a day per process; each test's database
    # (rolled back after it) is a new one to look at.
    from fangyi.people.state import forget_expired_checks

    forget_expired_checks()
    yield
    forget_expired_checks()


@pytest.fixture
def job_worker(settings, monkeypatch):
    """A job worker running in a thread (transactional tests: it has its own connection).

    The SQLite test database is in memory with a shared cache, where a write that meets
    another connection's lock fails at once ("database table is locked") instead of
    waiting as a file database does (busy_timeout, as deployed): while the worker runs,
    statements wait and try again, as they would on a file.
    """
    from django.db.backends.sqlite3.base import SQLiteCursorWrapper

    from fangyi.jobs.tests.helpers import WorkerThread, patient_execute

    monkeypatch.setattr(
        SQLiteCursorWrapper, "execute", patient_execute(SQLiteCursorWrapper.execute)
    )
    settings.JOBS_RUN_INLINE = False
    running = WorkerThread().start()
    yield running
    running.stop()
