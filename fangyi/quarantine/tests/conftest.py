import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from fangyi.duty.choices import Role
from fangyi.duty.models import Assignment, Staff
from fangyi.quarantine.choices import FacilityKind
from fangyi.quarantine.models import Facility

SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(y, m, d, hh=10, mm=0) -> dt.datetime:
    """An aware datetime in Asia/Shanghai."""
    return dt.datetime(y, m, d, hh, mm, tzinfo=SHANGHAI)


@pytest.fixture
def facilities(tree):
    station = Facility.objects.create(
        district=tree.district,
        community=tree.communities[0],
        kind=FacilityKind.STATION,
        name="六和温馨驿站",
        address="六和路1号",
        capacity=2,
    )
    observation = Facility.objects.create(
        district=tree.district,
        kind=FacilityKind.OBSERVATION,
        name="坪山指定观察点",
        address="坪山大道88号",
        capacity=10,
    )
    hospital = Facility.objects.create(
        district=tree.district,
        kind=FacilityKind.HOSPITAL,
        name="坪山区人民医院",
        address="东门北路",
        capacity=100,
    )
    return {"station": station, "observation": observation, "hospital": hospital}


@pytest.fixture
def doctor(tree, facilities, django_user_model):
    """A station doctor on duty at the station, assigned to no place."""
    user = django_user_model.objects.create_user("doc", password="test-pass-123")
    staff = Staff.objects.create(user=user, name="驿站医生", role=Role.STATION_DOCTOR)
    facilities["station"].staff.add(staff)
    return user


@pytest.fixture
def community_doctor(tree, django_user_model):
    user = django_user_model.objects.create_user("cdoc", password="test-pass-123")
    staff = Staff.objects.create(user=user, name="社康医生", role=Role.STATION_DOCTOR)
    Assignment.objects.create(staff=staff, community=tree.communities[0])
    return user
