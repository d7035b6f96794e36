import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth import get_user_model

from fangyi.conftest import PASSWORD
from fangyi.duty.choices import Role
from fangyi.duty.models import Assignment, Staff
from fangyi.passes.models import GatePost
from fangyi.quarantine.choices import FacilityKind
from fangyi.quarantine.models import Facility

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = dt.datetime(2020, 2, 20, 9, 30, tzinfo=SHANGHAI)


def at(y, m, d, hh=10, mm=0) -> dt.datetime:
    return dt.datetime(y, m, d, hh, mm, tzinfo=SHANGHAI)


@pytest.fixture
def observation(tree):
    return Facility.objects.create(
        district=tree.district,
        kind=FacilityKind.OBSERVATION,
        name="坪山指定观察点",
        address="坪山大道88号",
        capacity=10,
    )


@pytest.fixture
def station(tree):
    return Facility.objects.create(
        district=tree.district,
        community=tree.communities[0],
        kind=FacilityKind.STATION,
        name="六和温馨驿站",
        address="六和路1号",
        capacity=10,
    )


@pytest.fixture
def guard(tree):
    """A gate guard posted at the east gate of zone Z1 only (no place assignment)."""
    user = get_user_model().objects.create_user("guard1", password=PASSWORD)
    staff = Staff.objects.create(user=user, name="门岗甲", role=Role.GATE_GUARD)
    GatePost.objects.create(staff=staff, gate=tree.zones[0].gates.get())
    return user


@pytest.fixture
def other_guard(tree):
    """A guard of zone Z3 (another street), by a zone assignment."""
    user = get_user_model().objects.create_user("guard3", password=PASSWORD)
    staff = Staff.objects.create(user=user, name="门岗丙", role=Role.GATE_GUARD)
    Assignment.objects.create(staff=staff, zone=tree.zones[2])
    return user


@pytest.fixture
def gate(tree):
    return tree.zones[0].gates.select_related("zone__district").get()


@pytest.fixture
def green_pass(tree):
    """A pass of a verified file with nothing against it: green at the gate."""
    from fangyi.passes import services

    person = tree.people[0]
    person.verified = True
    person.save()
    return services.pass_issue(by=None, person=person)
