"""The zone map's numbers equal an independent count from the person files, and follow
quarantine intake and release with no other action; bounded queries."""

from collections import Counter

import pytest
import time_machine
from django.urls import reverse

from fangyi.health.models import Alert
from fangyi.quarantine import services as quarantine
from fangyi.quarantine.choices import AlertKind
from fangyi.reports import selectors
from fangyi.reports.choices import ZoneStatus
from fangyi.reports.services import confirmed_case_create
from fangyi.reports.tests.conftest import at, login


def expected_counts(tree, zone, open_people: set[int]) -> dict:
    people = [p for p in tree.people if p.zone_id == zone.pk]
    statuses = Counter(p.travel_status for p in people)
    return {
        "residents": len(people),
        "never_left": statuses["never_left"],
        "returned": statuses["returned"],
        "new_arrival": statuses["new_arrival"],
        "away": statuses["away"],
        "in_quarantine": len({p.pk for p in people} & open_people),
    }


@pytest.fixture
def varied(tree):
    """Give the tree's people different travel statuses, saved as the files say."""
    cycle = ["never_left", "returned", "new_arrival", "away"]
    for i, person in enumerate(tree.people):
        person.travel_status = cycle[i % 4]
        person.return_date = at(2020, 2, 1).date() if person.travel_status == "returned" else None
        person.save()
    return tree


def intake(tree, person, day):
    return quarantine.case_intake(
        by=tree.users["district"],
        person=person,
        reason="close_contact",
        arrived_at=at(2020, 2, day, 9),
        first_state="home",
    )


def test_counts_follow_intake_and_release(varied):
    tree = varied
    zone = tree.zones[0]
    user = tree.users["zone"]
    person = tree.people[1]  # lives in the zone's first building, floor 1
    with time_machine.travel(at(2020, 2, 10), tick=False):
        data = selectors.zone_map(user, zone.pk)
        counts = data.counts.as_dict()
        assert {k: counts[k] for k in expected_counts(tree, zone, set())} == expected_counts(
            tree, zone, set()
        )
        assert counts["in_quarantine"] == 0
        assert all(b.in_quarantine == 0 for b in data.buildings)

        case = intake(tree, person, 10)
        data = selectors.zone_map(user, zone.pk)
        assert (
            data.counts.in_quarantine
            == 1
            == expected_counts(tree, zone, {person.pk})["in_quarantine"]
        )
        hot = {b.id: (b.in_quarantine, b.quarantine_floors) for b in data.buildings}
        assert hot[person.building_id] == (1, [1])
        assert sum(n for n, _f in hot.values()) == 1

    with time_machine.travel(at(2020, 2, 12), tick=False):
        quarantine.case_release(by=user, case=case, kind="early", note="negative twice")
        data = selectors.zone_map(user, zone.pk)
        assert data.counts.in_quarantine == 0
        assert all(b.in_quarantine == 0 for b in data.buildings)


def test_a_case_counts_from_its_day_1(tree):
    # An intake recorded for an arrival later today counts; the day before it does not.
    with time_machine.travel(at(2020, 2, 10, 8), tick=False):
        intake(tree, tree.people[0], 9)
    with time_machine.travel(at(2020, 2, 9, 23), tick=False):
        assert selectors.zone_map(tree.users["zone"], tree.zones[0].pk).counts.in_quarantine == 1


def test_the_page_shows_the_building_label_and_counts(client, varied):
    tree = varied
    with time_machine.travel(at(2020, 2, 10), tick=False):
        intake(tree, tree.people[1], 10)
        login(client, "z_property")
        client.cookies["django_language"] = "en"
        page = client.get(reverse("reports:zone_map", args=[tree.zones[0].pk])).content.decode()
    assert "in quarantine 1 · floors 1" in page
    assert 'data-testid="count-in_quarantine">1<' in page
    assert f'data-testid="count-residents">{len(tree.people_in("zone", tree.zones[0]))}<' in page


def test_fever_alerts_are_counted_until_closed(tree):
    with time_machine.travel(at(2020, 2, 10), tick=False):
        case = intake(tree, tree.people[0], 10)
        quarantine.health_check_record(
            by=tree.users["zone"], case=case, temperature="38.1", channel="staff"
        )
        assert Alert.objects.filter(kind=AlertKind.FEVER).count() == 1
        user = tree.users["zone"]
        assert selectors.zone_map(user, tree.zones[0].pk).counts.fever_alerts == 1
        quarantine.alert_close(by=user, alert=Alert.objects.get(), note="re-measured 36.6")
        assert selectors.zone_map(user, tree.zones[0].pk).counts.fever_alerts == 0


def test_overview_status_and_scope(tree):
    leader = tree.users["district"]
    with time_machine.travel(at(2020, 2, 20), tick=False):
        intake(tree, tree.people[0], 20)  # zone 1: quarantine
        confirmed_case_create(by=leader, date=at(2020, 2, 8).date(), zone=tree.zones[1])
        data = selectors.overview(leader)
        status = {t.id: t.status for t in data.tiles}
        assert status == {
            tree.zones[0].pk: ZoneStatus.QUARANTINE,
            tree.zones[1].pk: ZoneStatus.NEW_CASE,
            tree.zones[2].pk: ZoneStatus.CLEAR,
        }
        assert {t.id: t.residents for t in data.tiles} == {
            z.pk: len(tree.people_in("zone", z)) for z in tree.zones
        }
    # 14 days after the case, the mark is gone (the case day is day 1 of 14).
    with time_machine.travel(at(2020, 2, 22), tick=False):
        status = {t.id: t.status for t in selectors.overview(leader).tiles}
        assert status[tree.zones[1].pk] == ZoneStatus.CLEAR
    street = selectors.overview(leader, street_id=tree.streets[1].pk)
    assert [t.id for t in street.tiles] == [tree.zones[2].pk]
    assert [t.id for t in selectors.overview(tree.users["community"]).tiles] == [
        tree.zones[0].pk,
        tree.zones[1].pk,
    ]
    assert [t.id for t in selectors.overview(tree.users["zone"]).tiles] == [tree.zones[0].pk]
    assert selectors.overview(tree.users["building"]).tiles == []


def test_an_overview_of_two_districts_reads_the_people_once(tree):
    """A city's overview (an operator, or a leader of several districts) counts every
    district's zones in one pass over the people: a pass per district made the overview
    of five districts take 3-6 s at 2.75 million people (bench/city.py)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from fangyi.duty.models import Assignment
    from fangyi.people.models import Person
    from fangyi.places.models import Community, District, Street, Zone

    other = District.objects.create(name="龙岗区", code="440307")
    street = Street.objects.create(district=other, name="布吉街道", code="LS1")
    community = Community.objects.create(street=street, district=other, name="布吉社区", code="LC1")
    zone = Zone.objects.create(
        community=community, street=street, district=other, name="布吉小区", code="LZ1"
    )
    for n in range(3):
        Person.objects.create(
            name=f"龙岗居民{n}",
            doc_number=f"D{n}",
            doc_type="passport",
            zone=zone,
            community=community,
            street=street,
            district=other,
        )
    leader = tree.users["district"]
    Assignment.objects.create(staff=leader.staff, district=other)
    with time_machine.travel(at(2020, 2, 10), tick=False):
        intake(tree, tree.people[0], 10)
        with CaptureQueriesContext(connection) as queries:
            tiles = {t.id: t for t in selectors.overview(leader).tiles}
    people_reads = [q for q in queries if 'FROM "people_person"' in q["sql"]]
    assert len(people_reads) == 1, [q["sql"] for q in people_reads]
    assert set(tiles) == {z.pk for z in tree.zones} | {zone.pk}
    assert tiles[zone.pk].residents == 3
    assert tiles[zone.pk].in_quarantine == 0
    assert tiles[zone.pk].status == ZoneStatus.CLEAR
    first = tree.zones[0]
    assert tiles[first.pk].residents == len(tree.people_in("zone", first))
    assert tiles[first.pk].in_quarantine == 1
    assert tiles[first.pk].status == ZoneStatus.QUARANTINE


def test_queries_do_not_grow_with_buildings_or_zones(client, tree, django_assert_max_num_queries):
    login(client, "d_leader")
    with time_machine.travel(at(2020, 2, 10), tick=False):
        for person in tree.people[::3]:
            intake(tree, person, 10)
        # The people in quarantine and the close contacts are counted from the stored
        # states (after one look for states that ended by themselves) and the open cases
        # of contacts: one query more than counting the open cases alone did.
        with django_assert_max_num_queries(18):
            assert (
                client.get(reverse("reports:zone_map", args=[tree.zones[0].pk])).status_code == 200
            )
        with django_assert_max_num_queries(16):
            assert client.get(reverse("reports:overview")).status_code == 200
        with django_assert_max_num_queries(12):
            assert (
                client.get(reverse("reports:building", args=[tree.buildings[0].pk])).status_code
                == 200
            )
        with django_assert_max_num_queries(15):
            assert client.get(f"/api/zones/{tree.zones[0].pk}/map").status_code == 200
