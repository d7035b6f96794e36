"""The demo district: its shape, its data's validity, determinism, and the command's guards."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import os
import subprocess
import sys
from collections import Counter
from itertools import combinations

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.models import Count, F, Q

from fangyi.demo import names
from fangyi.demo.generate import RETURN_DAYS, RETURN_FROM, DemoDistrict
from fangyi.demo.logins import DEMO_LOGINS, DEMO_PASSWORD, LOGIN_ROLES, demo_logins
from fangyi.demo.management.commands.demo import ERR_NOT_EMPTY, ERR_SCALE, MSG_SKIPPED
from fangyi.duty.choices import Role
from fangyi.duty.models import Assignment, Staff
from fangyi.people.choices import DocType, HealthStatus, Sex, TravelStatus
from fangyi.people.identity import parse_document, parse_id_number, parse_phone
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

SCALE = 0.004  # 2,204 people: the full tree of places, small enough to build in a second
SEED = 7


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings):
    # The demo hashes its one password once; PBKDF2's million rounds add nothing to these tests.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def run_demo(scale: float = SCALE, seed: int = SEED, **options) -> str:
    out = io.StringIO()
    call_command(
        "demo", scale=scale, seed=seed, no_progress=True, activity=False, stdout=out, **options
    )
    return out.getvalue()


def table_counts() -> dict[str, int]:
    return {
        model.__name__: model.objects.count()
        for model in (District, Street, Community, Zone, Gate, Building, Dwelling, Household,
                      Person, Staff, Assignment, get_user_model())
    }  # fmt: skip


def db_digest() -> str:
    """A digest of what a user sees: people with their dwelling, buildings, staff and duties."""
    sha = hashlib.sha256()
    people = Person.objects.order_by("doc_type", "doc_number").values_list(
        "name", "doc_type", "doc_number", "sex", "birth_date", "phone", "origin",
        "travel_status", "return_date", "health_status", "verified", "elderly_alone",
        "zone__code", "dwelling__building__name", "dwelling__room",
    )  # fmt: skip
    buildings = Building.objects.order_by("zone__code", "name").values_list(
        "zone__code", "zone__name", "name", "floors", "polygon"
    )
    staff = Assignment.objects.order_by("staff__phone", "id").values_list(
        "staff__name", "staff__phone", "staff__role", "staff__user__username", "duty",
        "district__code", "street__code", "community__code", "zone__code", "building__name",
    )  # fmt: skip
    for query in (people, buildings, staff):
        for row in query:
            sha.update(repr(row).encode())
    return sha.hexdigest()


def delete_demo() -> None:
    """Empty the demo's tables, children first (what `fangyi flush` does, without the rest)."""
    for model in (Assignment, Staff, Person, Household, Dwelling, Building, Gate, Zone,
                  Community, Street, District):  # fmt: skip
        model.objects.all().delete()
    usernames = [username for username, _role, _place in DEMO_LOGINS]
    get_user_model().objects.filter(username__in=usernames).delete()


# ---- shape ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_place_tree_has_pingshan_shape():
    run_demo()
    assert District.objects.get().code == names.DISTRICT[0]
    assert list(Street.objects.values_list("name", flat=True)) == [
        "坪山街道", "马峦街道", "碧岭街道", "石井街道", "坑梓街道", "龙田街道",
    ]  # fmt: skip
    assert Community.objects.count() == 23
    assert not Community.objects.annotate(n=Count("zones")).filter(n=0).exists()
    assert Zone.objects.count() == 23
    kinds = Counter(Zone.objects.values_list("kind", flat=True))
    assert set(kinds) == set(ZoneKind.values)
    assert kinds[ZoneKind.URBAN_VILLAGE] > kinds[ZoneKind.COMPOUND] > 0
    assert Person.objects.count() == round(551_000 * SCALE)
    assert not Zone.objects.filter(Q(contact_name="") | Q(contact_phone="")).exists()


@pytest.mark.parametrize("scale", [0.004, 0.1, 0.3, 1.0])
def test_zone_count_and_kinds_follow_scale(scale):
    # Planning alone (no people made, no database): cheap even at full scale.
    demo = DemoDistrict(scale, SEED)
    assert demo.counts[Zone] == max(23, round(233 * scale))
    assert demo.counts[Person] == round(551_000 * scale)
    kinds = Counter(zone.kind for zone in demo.zones)
    assert set(kinds) == set(ZoneKind.values)
    share = kinds[ZoneKind.URBAN_VILLAGE] / len(demo.zones)
    assert 0.6 <= share <= 0.75
    assert sum(c.population for c in demo.communities) == demo.population
    assert sum(size for z in demo.zones for *_ids, size in z.households) == demo.population


@pytest.mark.django_db
def test_zones_have_gates_and_buildings_of_their_kind():
    run_demo()
    gate_ranges = {ZoneKind.URBAN_VILLAGE: (5, 10), ZoneKind.COMPOUND: (1, 3),
                   ZoneKind.SINGLE_BUILDING: (1, 1)}  # fmt: skip
    floor_ranges = {ZoneKind.URBAN_VILLAGE: (5, 9), ZoneKind.COMPOUND: (18, 33),
                    ZoneKind.SINGLE_BUILDING: (20, 40)}  # fmt: skip
    for zone in Zone.objects.annotate(gates_n=Count("gates", distinct=True)):
        low, high = gate_ranges[zone.kind]
        assert low <= zone.gates_n <= high, zone
    for building in Building.objects.select_related("zone"):
        low, high = floor_ranges[building.zone.kind]
        assert low <= building.floors <= high, building
    assert not Building.objects.filter(zone__kind=ZoneKind.SINGLE_BUILDING, name="2号楼").exists()
    # Ancestors copied down the tree agree with the parents.
    assert not Community.objects.exclude(district_id=F("street__district_id")).exists()
    assert not Zone.objects.exclude(street_id=F("community__street_id")).exists()
    assert not Zone.objects.exclude(district_id=F("community__district_id")).exists()
    assert not Building.objects.exclude(community_id=F("zone__community_id")).exists()
    assert not Building.objects.exclude(street_id=F("zone__street_id")).exists()
    assert not Building.objects.exclude(district_id=F("zone__district_id")).exists()
    assert not Dwelling.objects.exclude(zone_id=F("building__zone_id")).exists()
    assert not Dwelling.objects.filter(floor__gt=F("building__floors")).exists()


@pytest.mark.django_db
def test_building_polygons_lie_on_the_site_plan_without_overlapping():
    run_demo()
    by_zone: dict[int, list[tuple[float, float, float, float]]] = {}
    for zone_id, polygon in Building.objects.values_list("zone_id", "polygon"):
        assert len(polygon) >= 4
        xs = [x for x, _y in polygon]
        ys = [y for _x, y in polygon]
        assert 0 <= min(xs) < max(xs) <= 1000
        assert 0 <= min(ys) < max(ys) <= 700
        by_zone.setdefault(zone_id, []).append((min(xs), min(ys), max(xs), max(ys)))
    for boxes in by_zone.values():
        for a, b in combinations(boxes, 2):
            assert a[2] <= b[0] or b[2] <= a[0] or a[3] <= b[1] or b[3] <= a[1], (a, b)


@pytest.mark.django_db
def test_households_fill_some_dwellings_and_people_carry_their_place_ids():
    run_demo()
    assert not Person.objects.filter(
        Q(dwelling=None) | Q(household=None) | Q(building=None) | Q(zone=None)
        | Q(community=None) | Q(street=None) | Q(district=None)
    ).exists()  # fmt: skip
    consistent = (
        Q(household__dwelling_id=F("dwelling_id"))
        & Q(building_id=F("dwelling__building_id"))
        & Q(zone_id=F("dwelling__zone_id"))
        & Q(community_id=F("dwelling__building__community_id"))
        & Q(street_id=F("dwelling__building__street_id"))
        & Q(district_id=F("dwelling__building__district_id"))
    )
    assert not Person.objects.exclude(consistent).exists()
    # One household per occupied dwelling, every household with people, some dwellings empty.
    assert Household.objects.values("dwelling").distinct().count() == Household.objects.count()
    assert not Household.objects.annotate(n=Count("members")).filter(n=0).exists()
    assert Dwelling.objects.filter(households=None).exists()
    assert Dwelling.objects.filter(households=None).count() < Dwelling.objects.count() / 2


# ---- people -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_documents_phones_and_names_are_valid_and_consistent():
    run_demo()
    origin_codes = {origin: codes for origin, _w, codes in names.ORIGINS}
    permit_origins = {origin for origin, _prefix in names.PERMIT_ORIGINS}
    rows = Person.objects.values_list(
        "name", "doc_type", "doc_number", "sex", "birth_date", "phone", "origin"
    )
    phones = []
    for name, doc_type, number, sex, born, phone, origin in rows:
        assert 2 <= len(name) <= 4
        if doc_type == DocType.ID_CARD:
            info = parse_id_number(number)
            assert info.number == number
            assert (info.sex, info.birth_date) == (sex, born)
            assert number[:6] in origin_codes[origin], (number, origin)
        else:
            assert doc_type == DocType.HK_MACAU
            assert parse_document(doc_type, number).number == number
            assert origin in permit_origins
            assert sex in (Sex.MALE, Sex.FEMALE) and born is not None
        if phone:
            assert parse_phone(phone) == phone
            phones.append(phone)
    assert len(phones) == len(set(phones))
    assert len(phones) > 0.75 * len(rows)
    for phone in Staff.objects.values_list("phone", flat=True):
        assert parse_phone(phone) == phone


@pytest.mark.django_db
def test_statuses_and_flags_have_a_realistic_mix():
    run_demo(scale=0.01)
    people = Person.objects.count()
    travel = Counter(Person.objects.values_list("travel_status", flat=True))
    assert set(travel) == set(TravelStatus.values)
    assert travel[TravelStatus.NEVER_LEFT] > travel[TravelStatus.RETURNED] > 0
    returns = Person.objects.filter(travel_status=TravelStatus.RETURNED)
    assert not returns.filter(return_date=None).exists()
    last_return = RETURN_FROM + dt.timedelta(days=RETURN_DAYS - 1)
    assert not returns.exclude(return_date__range=(RETURN_FROM, last_return)).exists()
    assert (
        not Person.objects.exclude(travel_status=TravelStatus.RETURNED)
        .exclude(return_date=None)
        .exists()
    )
    health = Counter(Person.objects.values_list("health_status", flat=True))
    assert health[HealthStatus.NORMAL] > 0.99 * people
    for status in (HealthStatus.SYMPTOMS, HealthStatus.SUSPECTED, HealthStatus.CONFIRMED):
        assert 1 <= health[status] <= 10
    assert 0.8 <= Person.objects.filter(verified=True).count() / people <= 0.9
    # Flags go to the people they fit.
    sixty = dt.date(2020 - 60, 2, 15)
    alone = Person.objects.filter(elderly_alone=True)
    assert alone.exists()
    assert not alone.filter(birth_date__gt=sixty).exists()
    assert not alone.annotate(n=Count("household__members")).exclude(n=1).exists()
    assert not Person.objects.filter(pregnant=True).exclude(sex=Sex.FEMALE).exists()
    assert Person.objects.filter(disabled=True).exists()
    assert Person.objects.filter(chronic_illness=True).exists()
    children = Person.objects.filter(birth_date__gt=dt.date(2014, 1, 1)).count()
    elderly = Person.objects.filter(birth_date__lte=sixty).count()
    assert 0.08 * people < children < 0.25 * people
    assert 0.02 * people < elderly < 0.1 * people


# ---- staff and logins -------------------------------------------------------------------


@pytest.mark.django_db
def test_staff_at_every_level_each_assignment_on_one_place():
    run_demo()
    assert set(Staff.objects.values_list("role", flat=True)) == set(Role.values)
    for level in ("district", "street", "community", "zone", "building"):
        assert Assignment.objects.filter(**{f"{level}__isnull": False}).exists(), level
    assert not Staff.objects.filter(assignments=None).exists()
    assert Staff.objects.exclude(user=None).count() == len(LOGIN_ROLES)
    # Every zone has a guard per gate; grid workers cover every building.
    for zone in Zone.objects.annotate(n=Count("gates")):
        guards = Assignment.objects.filter(zone=zone, staff__role=Role.GATE_GUARD).count()
        assert guards == zone.n
    covered = Assignment.objects.filter(staff__role=Role.GRID_WORKER).values("building")
    assert not Building.objects.exclude(pk__in=covered).exists()


def test_full_scale_staff_ratio_is_about_six_per_thousand():
    demo = DemoDistrict(1.0, SEED)
    per_thousand = demo.counts[Staff] / demo.population * 1000
    assert 4 <= per_thousand <= 8


@pytest.mark.django_db
def test_one_login_per_role_assigned_at_the_right_level():
    run_demo()
    users = {user.username: user for user in get_user_model().objects.all()}
    assert set(users) == {username for username, _role, _place in DEMO_LOGINS}
    admin = users["admin"]
    assert admin.is_superuser and admin.is_staff
    assert not Staff.objects.filter(user=admin).exists()
    for user in users.values():
        assert user.check_password(DEMO_PASSWORD)

    street = Street.objects.order_by("code").first()
    community = Community.objects.filter(street=street).order_by("code").first()
    zone = Zone.objects.filter(community=community).order_by("code").first()
    building = Building.objects.filter(zone=zone).order_by("id").first()
    expected = {
        "leader": ("district", District.objects.get()),
        "cadre": ("street", street),
        "secretary": ("community", community),
        "doctor": ("community", community),
        "guard": ("zone", zone),
        "property": ("zone", zone),
        "volunteer": ("zone", zone),
        "grid": ("building", building),
    }
    for username, role in LOGIN_ROLES.items():
        staff = Staff.objects.get(user=users[username])
        assert staff.role == role
        assignment = staff.assignments.order_by("id").first()
        level, place = expected[username]
        assert (assignment.level, assignment.place) == (level, place), username


@pytest.mark.django_db
def test_print_logins_lists_logins_with_places_and_writes_nothing():
    out = run_demo(print_logins=True)
    assert "No demo logins" in out
    assert District.objects.count() == 0

    run_demo()
    logins = demo_logins()
    assert [login.username for login in logins] == [u for u, _r, _p in DEMO_LOGINS]
    assert all(login.place and login.place != "—" for login in logins)
    before = table_counts()
    out = run_demo(print_logins=True)
    for login in logins:
        assert login.username in out and login.place in out
    assert DEMO_PASSWORD in out
    assert table_counts() == before


@pytest.mark.django_db
def test_existing_login_is_left_alone_and_ids_follow_existing_rows():
    admin = get_user_model().objects.create_user("admin", password="own password")
    run_demo()
    admin.refresh_from_db()
    assert admin.check_password("own password") and not admin.is_superuser
    assert get_user_model().objects.count() == len(DEMO_LOGINS)
    assert Staff.objects.exclude(user=None).count() == len(LOGIN_ROLES)
    assert Person.objects.count() == round(551_000 * SCALE)


# ---- determinism ------------------------------------------------------------------------


def _generated(scale: float, seed: int) -> list:
    return [(b.model, b.columns, b.rows) for b in DemoDistrict(scale, seed).batches()]


def test_generator_gives_the_same_rows_for_the_same_seed_and_others_for_another():
    first = _generated(0.003, SEED)
    assert first == _generated(0.003, SEED)
    demo = DemoDistrict(0.003, SEED)
    assert [b.rows for b in demo.batches()] == [b.rows for b in demo.batches()]
    assert first != _generated(0.003, SEED + 1)


def test_generator_does_not_depend_on_the_hash_seed():
    # Set iteration order changes with PYTHONHASHSEED; the rows must not.
    code = (
        "import django, hashlib; django.setup();"
        "from fangyi.demo.generate import DemoDistrict;"
        "h = hashlib.sha256();"
        "[h.update(repr(b.rows).encode()) for b in DemoDistrict(0.002, 7).batches()];"
        "print(h.hexdigest())"
    )
    digests = set()
    for hash_seed in ("1", "2"):
        env = os.environ | {"PYTHONHASHSEED": hash_seed}
        env.setdefault("DJANGO_SETTINGS_MODULE", "fangyi.settings")
        result = subprocess.run(
            [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
        )
        digests.add(result.stdout.strip())
    assert len(digests) == 1


@pytest.mark.django_db
def test_same_seed_gives_the_same_data_in_the_database():
    run_demo()
    first = db_digest()
    first_ids = list(Person.objects.order_by("id").values_list("id", "doc_number")[:50])
    delete_demo()
    assert table_counts()["Person"] == 0
    run_demo()
    assert db_digest() == first
    assert list(Person.objects.order_by("id").values_list("id", "doc_number")[:50]) == first_ids


@pytest.mark.django_db
def test_another_seed_gives_other_data():
    run_demo()
    first = db_digest()
    names_first = set(Person.objects.values_list("doc_number", flat=True))
    delete_demo()
    run_demo(seed=SEED + 1)
    assert db_digest() != first
    overlap = names_first & set(Person.objects.values_list("doc_number", flat=True))
    assert len(overlap) < 0.01 * len(names_first)


# ---- the command's guards ---------------------------------------------------------------


@pytest.mark.django_db
def test_if_empty_does_nothing_on_a_database_with_data():
    run_demo()
    before = table_counts()
    digest = db_digest()
    out = run_demo(seed=SEED + 1, if_empty=True)
    assert MSG_SKIPPED.format(what="").split(":")[0] in out
    assert table_counts() == before
    assert db_digest() == digest


@pytest.mark.django_db
def test_refuses_to_run_twice():
    run_demo()
    before = table_counts()
    with pytest.raises(CommandError) as excinfo:
        run_demo()
    assert str(excinfo.value).startswith(ERR_NOT_EMPTY.split("{what}")[0])
    assert table_counts() == before


@pytest.mark.django_db
def test_refuses_when_people_exist_without_a_district():
    Person.objects.create(name="张三", doc_number="X1")
    with pytest.raises(CommandError):
        run_demo()
    assert District.objects.count() == 0


@pytest.mark.django_db
def test_scale_must_be_positive():
    with pytest.raises(CommandError, match=ERR_SCALE.split("(")[0].strip()):
        run_demo(scale=0)


@pytest.mark.django_db
def test_writes_in_bulk_not_row_by_row(django_assert_max_num_queries):
    demo = DemoDistrict(SCALE, SEED)
    # SQLite takes at most 999 parameters per INSERT (~38 person rows); PostgreSQL 2,000 rows.
    with django_assert_max_num_queries(demo.total_rows // 20):
        run_demo()


@pytest.mark.django_db
def test_ids_made_after_the_demo_do_not_collide():
    # The demo writes explicit ids; on PostgreSQL the sequences must be moved past them.
    run_demo()
    top = Person.objects.order_by("-id").values_list("id", flat=True).first()
    person = Person.objects.create(name="张三", doc_number="110101199003074477")
    assert person.id > top
    zone = Zone.objects.order_by("id").first()
    building = Building.objects.filter(zone=zone).first()
    dwelling = Dwelling.objects.create(building=building, zone=zone, floor=1, room="101X")
    assert dwelling.id > Dwelling.objects.exclude(pk=dwelling.pk).order_by("-id")[0].id
