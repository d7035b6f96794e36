"""The intake's facility list (issue 13: "a flat 27 entries with no default"): grouped by
kind as the first stage takes them (stations, observation points, hotels; a hospital is
never a first stage), the user's own station first and chosen — the station where its
staff record is on duty, else the station of its community — decided by one selector."""

from __future__ import annotations

import re

import pytest
import time_machine
from django.urls import reverse

from fangyi.conftest import PASSWORD
from fangyi.quarantine import selectors
from fangyi.quarantine.choices import FacilityKind
from fangyi.quarantine.models import Facility, QuarantineCase
from fangyi.quarantine.tests.conftest import at


@pytest.fixture
def more(tree, facilities):
    """Another community's station (its name sorts before 六和's), a hotel and a closed
    station."""

    def make(name, kind, community=None):
        return Facility.objects.create(
            district=tree.district, community=community, kind=kind, name=name, address="路",
            capacity=5,
        )  # fmt: skip

    return {
        "other_station": make("丁山温馨驿站", FacilityKind.STATION, tree.communities[1]),
        "hotel": make("坪山隔离酒店", FacilityKind.HOTEL),
        "closed": make("旧驿站", FacilityKind.STATION, tree.communities[0]),
    }


@pytest.fixture(autouse=True)
def _closed(more):
    more["closed"].active = False
    more["closed"].save()


def _names(user):
    listed = selectors.intake_facilities(user)
    return [(label, [f.name for f in group]) for label, group in listed.groups], listed.default


def test_a_doctor_on_duty_gets_its_station_first_and_chosen(doctor, facilities, more):
    groups, default = _names(doctor)
    assert groups == [
        ("温馨驿站", ["六和温馨驿站", "丁山温馨驿站"]),
        ("指定观察点", ["坪山指定观察点"]),
        ("隔离酒店", ["坪山隔离酒店"]),
    ]
    assert default == facilities["station"]


def test_on_duty_comes_before_the_community(tree, doctor, facilities, more):
    # Assigned to community 2 but on duty at community 1's station: the duty wins.
    from fangyi.duty.models import Assignment

    Assignment.objects.create(staff=doctor.staff, community=tree.communities[1])
    assert selectors.own_station(doctor) == facilities["station"]


@pytest.mark.parametrize(
    ("persona", "station"),
    [("community", "station"), ("zone", "station"), ("building", "station"), ("district", None)],
)
def test_else_the_station_of_the_user_s_community(tree, facilities, more, persona, station):
    groups, default = _names(tree.users[persona])
    assert default == (facilities[station] if station else None)
    # Without an own station the stations keep their order by name.
    expected = ["六和温馨驿站", "丁山温馨驿站"] if station else ["丁山温馨驿站", "六和温馨驿站"]
    assert groups[0][1] == expected


def test_the_other_community_s_doctor_gets_its_own(tree, community_doctor, more):
    from fangyi.duty.models import Assignment

    Assignment.objects.filter(staff=community_doctor.staff).update(community=tree.communities[1])
    assert selectors.own_station(community_doctor) == more["other_station"]


def test_the_intake_page_groups_the_list_and_chooses_the_own_station(
    client, doctor, facilities, more
):
    client.login(username="doc", password="test-pass-123")
    page = client.get(reverse("quarantine:intake")).content.decode()
    select = re.search(r'<select name="facility".*?</select>', page, re.S).group(0)
    assert re.findall(r'<optgroup label="([^"]+)"', select) == [
        "温馨驿站",
        "指定观察点",
        "隔离酒店",
    ]
    options = re.findall(r'<option value="(\d*)"( selected)?>([^<]+)</option>', select)
    assert [name for _pk, _sel, name in options] == [
        "---------", "六和温馨驿站", "丁山温馨驿站", "坪山指定观察点", "坪山隔离酒店",
    ]  # fmt: skip
    assert [name for _pk, selected, name in options if selected] == ["六和温馨驿站"]
    assert "医院" not in select and "旧驿站" not in select


def test_the_chosen_station_is_taken_and_a_facility_not_listed_is_refused(
    client, tree, doctor, facilities, more
):
    client.login(username="c_secretary", password=PASSWORD)
    data = {
        "doc_type": "id_card", "doc_number": tree.people[0].doc_number, "reason": "returned",
        "arrived_at": "2020-02-18T09:00", "first_state": "station",
    }  # fmt: skip
    with time_machine.travel(at(2020, 2, 18, 10), tick=False):
        response = client.post(
            reverse("quarantine:intake"), {**data, "facility": facilities["hospital"].pk}
        )
        assert response.status_code == 200 and 'data-testid="error-facility"' in (
            response.content.decode()
        )
        response = client.post(
            reverse("quarantine:intake"), {**data, "facility": facilities["station"].pk}
        )
    assert response.status_code == 302
    stage = QuarantineCase.objects.get().stages.get()
    assert stage.facility == facilities["station"]
