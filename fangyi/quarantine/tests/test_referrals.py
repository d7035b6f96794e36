"""What the station doctor's worklist shows of the gate's and the door's findings
(quarantine.referrals): the returnees a guard sent to the station, and the fevers,
symptoms and arrivals a screening team found, each to the users they are routed to."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from fangyi.conftest import PASSWORD
from fangyi.duty.choices import Role
from fangyi.duty.models import Staff
from fangyi.health.alerts import raise_alert
from fangyi.quarantine.choices import FacilityKind
from fangyi.quarantine.models import Facility
from fangyi.quarantine.referrals import expected_at_station, found_at_the_door

pytestmark = pytest.mark.django_db


@pytest.fixture
def station(tree):
    return Facility.objects.create(
        district=tree.district, community=tree.communities[0], kind=FacilityKind.STATION,
        name="六和温馨驿站", address="六和路1号", capacity=10,
    )  # fmt: skip


@pytest.fixture
def station_doctor(station):
    """A doctor on duty at the station only (no place of their own)."""
    user = get_user_model().objects.create_user("station_doc", password=PASSWORD)
    staff = Staff.objects.create(user=user, name="驿站医生", role=Role.STATION_DOCTOR)
    station.staff.add(staff)
    return user


@pytest.fixture
def door_fever(tree, station):
    person = tree.people[0]
    return raise_alert(
        kind="fever", source="visit", person=person, facility=station, zone=person.zone_id,
        detail="38.2 °C",
    )  # fmt: skip


def test_the_doors_findings_reach_the_chain_and_the_station_not_others(
    tree, door_fever, station_doctor
):
    person = tree.people[0]
    mine = found_at_the_door(tree.users["building"])
    assert [(r.alert.pk, r.name) for r in mine] == [(door_fever.pk, person.name)]
    # The station's doctor sees it, the name masked (the file is not theirs).
    theirs = found_at_the_door(station_doctor)
    assert [r.alert.pk for r in theirs] == [door_fever.pk]
    assert theirs[0].name != person.name and theirs[0].name.startswith(person.name[0])
    assert found_at_the_door(tree.users["outsider"]) == []


def test_the_worklist_shows_them_in_chinese(client, tree, door_fever):
    client.login(username="b_grid", password=PASSWORD)
    page = client.get(reverse("quarantine:worklists")).content.decode()
    assert 'data-testid="door-alerts"' in page and "入户排查发现" in page
    assert tree.people[0].name in page and "38.2 °C" in page
    client.login(username="outsider", password=PASSWORD)
    assert (
        'data-testid="door-alerts"'
        not in client.get(reverse("quarantine:worklists")).content.decode()
    )


def test_a_referral_is_expected_only_at_its_station(tree, station, station_doctor):
    person = tree.people[1]
    referral = raise_alert(
        kind="station_referral", source="gate", person=person, facility=station,
        zone=person.zone_id,
    )  # fmt: skip
    assert list(expected_at_station(station_doctor)) == [referral]
    # The building's grid worker keeps the file but is not on duty at the station.
    assert list(expected_at_station(tree.users["building"])) == []
    other = Facility.objects.create(
        district=tree.district, kind=FacilityKind.STATION, name="秀新温馨驿站",
        address="秀新路2号", capacity=10,
    )  # fmt: skip
    elsewhere = get_user_model().objects.create_user("other_doc", password=PASSWORD)
    other.staff.add(Staff.objects.create(user=elsewhere, name="别处医生", role=Role.STATION_DOCTOR))
    assert list(expected_at_station(elsewhere)) == []
