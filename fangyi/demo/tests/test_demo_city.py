"""The demo above scale 1.0: a city of several districts, each of the demo district's shape."""

from __future__ import annotations

import io
from collections import Counter

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.models import F

from fangyi.demo import names
from fangyi.demo.generate import DemoCity, DemoDistrict, city_district_count
from fangyi.demo.logins import LOGIN_ROLES
from fangyi.demo.management.commands.demo import ERR_DISTRICTS
from fangyi.duty.models import Assignment, Staff
from fangyi.passes.models import Pass
from fangyi.people.models import Person
from fangyi.places.models import Community, District, Street, Zone
from fangyi.quarantine.models import QuarantineCase
from fangyi.reports.models import ConfirmedCase

SEED = 7


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def _rows(batches) -> list:
    return [(b.model, b.columns, b.rows) for b in batches]


@pytest.mark.parametrize(
    ("scale", "districts"), [(0.004, 1), (1.0, 1), (1.2, 2), (5.0, 5), (9.0, 9), (20.0, 9)]
)
def test_one_district_per_started_scale_unit_up_to_the_cities_districts(scale, districts):
    assert city_district_count(scale) == districts


def test_scale_five_plans_five_districts_of_551000_people():
    # Planning alone (people are drawn only while writing): a few seconds at 5.0.
    city = DemoCity(5.0, SEED)
    assert [d.district for d in city.districts] == list(names.CITY_DISTRICTS[:5])
    assert [d.population for d in city.districts] == [551_000] * 5
    assert city.counts[District] == 5
    assert city.counts[Person] == 2_755_000
    assert city.counts[Zone] == 5 * 233
    # Pingshan first, as the demo at 1.0 plans it: the bench compares the same zone.
    alone = DemoDistrict(1.0, SEED)
    assert city.districts[0].counts == alone.counts
    assert city.districts[0]._rows[Zone] == alone._rows[Zone]
    # The other districts are drawn on their own, not copies of Pingshan.
    assert city.districts[1]._rows[Zone][0][4] != alone._rows[Zone][0][4]


def test_up_to_scale_one_the_demo_is_the_one_district_unchanged():
    assert _rows(DemoCity(0.003, SEED).batches()) == _rows(DemoDistrict(0.003, SEED).batches())


@pytest.mark.django_db
def test_a_tiny_city_is_written_with_unique_codes_documents_and_ids():
    from fangyi.demo.write import write_with_django

    city = DemoCity(0.006, SEED, districts=3)
    counts = write_with_django(city.batches(), total=city.total_rows, progress=False)
    assert counts[Person] == Person.objects.count() == city.counts[Person]
    districts = list(District.objects.order_by("pk").values_list("code", "name"))
    assert districts == list(names.CITY_DISTRICTS[:3])
    for model in (Street, Community, Zone):
        codes = list(model.objects.values_list("code", flat=True))
        assert len(codes) == len(set(codes))
    # Each district has its own people, places and staff, and they agree with each other.
    per_district = Counter(Person.objects.values_list("district_id", flat=True))
    assert sorted(per_district.values()) == [round(551_000 * 0.002)] * 3
    assert not Person.objects.exclude(district_id=F("zone__district_id")).exists()
    assert not Person.objects.exclude(zone_id=F("dwelling__zone_id")).exists()
    assert not Zone.objects.exclude(district_id=F("community__district_id")).exists()
    leaders = Assignment.objects.filter(staff__role="district_leader")
    assert set(leaders.values_list("district_id", flat=True)) == set(
        District.objects.values_list("pk", flat=True)
    )
    numbers = list(Person.objects.values_list("doc_type", "doc_number"))
    assert len(numbers) == len(set(numbers))
    # The demo logins are made once, in the first district (Pingshan).
    pingshan = District.objects.get(code=names.DISTRICT[0])
    leader = Staff.objects.get(user__username="leader")
    assert leader.assignments.get().district == pingshan
    assert get_user_model().objects.filter(staff__isnull=False).count() == len(LOGIN_ROLES)


@pytest.mark.django_db
def test_the_activity_of_a_demo_city_is_seeded_in_the_logins_district():
    # Longhua (440309) sorts before Pingshan (440310): the activity went to the district
    # first by code, where no demo login works, when it must go where the logins are.
    call_command(
        "demo", scale=0.006, districts=3, seed=SEED, no_progress=True, stdout=io.StringIO()
    )
    pingshan = District.objects.get(code=names.DISTRICT[0])
    assert District.objects.count() == 3
    assert Pass.objects.exists()
    assert set(Pass.objects.values_list("district_id", flat=True)) == {pingshan.pk}
    assert QuarantineCase.objects.exists()
    assert set(QuarantineCase.objects.values_list("person__district_id", flat=True)) == {
        pingshan.pk
    }
    # The records of the people drawn confirmed or suspected are made in every district.
    assert ConfirmedCase.objects.values("district_id").distinct().count() == 3


@pytest.mark.django_db
@pytest.mark.parametrize("districts", [0, 10])
def test_districts_out_of_range_are_refused_by_name(districts):
    with pytest.raises(CommandError) as info:
        call_command("demo", scale=0.004, districts=districts, no_progress=True)
    assert str(info.value) == ERR_DISTRICTS
    assert not District.objects.exists()
