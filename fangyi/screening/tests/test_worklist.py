"""The team's list as a worker walks it: by building and floor, counts per building, a
status filter and a search by room or name, in a fixed number of queries (issue 13)."""

from __future__ import annotations

import re
import uuid

import pytest
from django.urls import reverse

from fangyi.duty.choices import Role
from fangyi.duty.models import Staff
from fangyi.people.models import Person
from fangyi.people.state import refresh_expired
from fangyi.places.models import Dwelling
from fangyi.screening import services, worklist
from fangyi.screening.choices import DwellingStatus, Outcome

pytestmark = pytest.mark.django_db


@pytest.fixture
def zone_team(tree, campaign):
    """A team over both buildings of zone 1, led by the zone persona; building 2 gets
    more floors, and room 1001 so that rooms sort as numbers ("902" before "1001")."""
    b1, b2 = tree.buildings[0], tree.buildings[1]
    for floor, room in ((3, "301"), (9, "902"), (10, "1001"), (3, "302")):
        Dwelling.objects.create(building=b2, zone=b2.zone, floor=floor, room=room)
    mates = [Staff.objects.create(name=f"楼组{i}", role=Role.CADRE) for i in range(2)]
    leader = tree.users["zone"].staff
    return services.team_create(
        user=tree.users["community"],
        campaign=campaign,
        name="楼栋组",
        members=[leader, *mates],
        leader=leader,
        areas=[(b2, None), (b1, None)],
    )


def _visit(tree, team, dwelling, outcome):
    services.visit_record(
        user=tree.users["zone"], team=team, dwelling=dwelling, key=uuid.uuid4(), outcome=outcome
    )


def _rooms(group) -> list[tuple[int, list[str]]]:
    return [(f.number, [r.dwelling.room for r in f.rows]) for f in group.floors]


def test_grouped_by_building_then_floor_with_counts_per_building(tree, zone_team):
    b1, b2 = tree.buildings[0], tree.buildings[1]
    _visit(tree, zone_team, tree.dwellings[0], Outcome.ANSWERED)
    _visit(tree, zone_team, tree.dwellings[2], Outcome.NOBODY_HOME)
    _visit(tree, zone_team, tree.dwellings[3], Outcome.REFUSED)
    work = worklist.team_worklist(tree.users["zone"], zone_team)
    assert [g.building.pk for g in work.buildings] == [b1.pk, b2.pk]
    one, two = work.buildings
    assert _rooms(one) == [(1, ["101", "102"])]
    assert _rooms(two) == [(1, ["101", "102"]), (3, ["301", "302"]), (9, ["902"]), (10, ["1001"])]
    assert (one.total, one.counts) == (
        2, {"not_visited": 1, "revisit": 0, "refused": 0, "done": 1}
    )  # fmt: skip
    assert (two.total, two.counts) == (
        6, {"not_visited": 4, "revisit": 1, "refused": 1, "done": 0}
    )  # fmt: skip
    assert work.total == 8 and work.counts["not_visited"] == 5 and one.percent == 50


def test_status_filter_keeps_counts_of_the_whole_list(tree, zone_team):
    _visit(tree, zone_team, tree.dwellings[0], Outcome.ANSWERED)
    _visit(tree, zone_team, tree.dwellings[2], Outcome.NOBODY_HOME)
    work = worklist.team_worklist(tree.users["zone"], zone_team, status=DwellingStatus.REVISIT)
    assert work.shown == 1 and work.total == 8
    one, two = work.buildings
    assert one.floors == [] and one.total == 2  # still listed, with its counts
    assert _rooms(two) == [(1, ["101"])]
    visited = worklist.team_worklist(tree.users["zone"], zone_team, status="done")
    assert [r.dwelling.pk for g in visited.buildings for f in g.floors for r in f.rows] == [
        tree.dwellings[0].pk
    ]
    # An unknown status is no filter.
    assert worklist.team_worklist(tree.users["zone"], zone_team, status="x").shown == 8


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("1001", [(10, ["1001"])]),
        ("2栋 30", [(3, ["301", "302"])]),  # building and room, spaces ignored
        ("９０２", [(9, ["902"])]),  # full-width digits from a Chinese keyboard
    ],
)
def test_search_by_room(tree, zone_team, query, expected):
    work = worklist.team_worklist(tree.users["zone"], zone_team, query=query)
    one, two = work.buildings
    assert one.floors == [] and _rooms(two) == expected


def test_search_by_resident_name_shows_who_was_found(tree, zone_team):
    person = Person.objects.filter(dwelling=tree.dwellings[3]).order_by("id").first()
    person.name = "欧阳晓"
    person.save(update_fields=["name"])
    work = worklist.team_worklist(tree.users["zone"], zone_team, query="欧阳")
    found = [(r.dwelling.pk, work.names[r.dwelling.pk]) for g in work.buildings for f in g.floors for r in f.rows]  # fmt: skip
    assert found == [(tree.dwellings[3].pk, ["欧阳晓"])]


def test_name_search_finds_no_one_outside_the_user_s_scope(tree, team):
    """The building persona's team: a name living in building 2 is not found."""
    outside = Person.objects.filter(dwelling=tree.dwellings[2]).first()
    work = worklist.team_worklist(tree.users["building"], team, query=outside.name)
    assert work.shown == 0 and work.names == {}


def test_team_page_renders_groups_filter_and_search(client, tree, zone_team):
    _visit(tree, zone_team, tree.dwellings[0], Outcome.ANSWERED)
    client.force_login(tree.users["zone"])
    url = reverse("screening:team", args=[zone_team.pk])
    page = client.get(url).content.decode()
    b1, b2 = tree.buildings[0], tree.buildings[1]
    # Two buildings: both collapsed, each with its counts, in the page order.
    assert page.index(f'id="b{b1.pk}"') < page.index(f'id="b{b2.pk}"')
    assert not re.search(rf'id="b{b1.pk}"[^>]*\bopen\b', page)
    assert "已走访 1/2" in page and "已走访 0/6" in page
    assert 'data-testid="status-not_visited"' in page and "未走访 <b>7</b>" in page

    page = client.get(url, {"status": "not_visited", "q": "10"}).content.decode()
    # Filtered: the building with matches opens; the dwelling links carry the filter.
    assert re.search(rf'id="b{b2.pk}"[^>]*\bopen\b', page)
    link = reverse("screening:visit", args=[zone_team.pk, Dwelling.objects.get(room="1001").pk])
    assert f'href="{link}?status=not_visited&amp;q=10"' in page
    assert f'data-testid="dwelling-{tree.dwellings[0].pk}"' not in page  # visited: filtered out
    assert 'value="10"' in page  # the search box keeps what was typed


def test_a_saved_visit_returns_to_the_list_as_it_was_filtered(client, tree, zone_team):
    client.force_login(tree.users["zone"])
    dwelling = tree.dwellings[2]
    url = reverse("screening:visit", args=[zone_team.pk, dwelling.pk])
    form = client.get(url, {"status": "not_visited", "q": "2栋"}).content.decode()
    assert 'name="status" value="not_visited"' in form and 'name="q" value="2栋"' in form
    response = client.post(
        url, {"key": str(uuid.uuid4()), "outcome": "vacant", "status": "not_visited", "q": "2栋"}
    )
    team_url = reverse("screening:team", args=[zone_team.pk])
    b = dwelling.building_id
    assert response["Location"] == f"{team_url}?status=not_visited&q=2%E6%A0%8B&b={b}#b{b}"
    page = client.get(response["Location"]).content.decode()
    assert re.search(rf'id="b{b}"[^>]*\bopen\b', page)


def test_the_visit_page_shows_the_dwelling_s_status_and_last_visit(client, tree, team):
    dwelling = tree.dwellings[0]
    client.force_login(tree.users["building"])
    url = reverse("screening:visit", args=[team.pk, dwelling.pk])
    assert 'data-status="not_visited"' in client.get(url).content.decode()
    services.visit_record(
        user=None, team=team, dwelling=dwelling, key=uuid.uuid4(), outcome=Outcome.NOBODY_HOME
    )  # an import or the demo: no author
    page = client.get(url).content.decode()
    assert 'data-status="revisit"' in page and "无人在家" in page and "系统" in page


def _many_dwellings(tree, team_buildings, per_floor: int, floors: int) -> None:
    for building in team_buildings:
        Dwelling.objects.bulk_create(
            Dwelling(building=building, zone=building.zone, floor=f, room=f"{f}{r:02d}")
            for f in range(11, 11 + floors)
            for r in range(1, per_floor + 1)
        )


def test_team_page_queries_do_not_grow_with_the_list(
    client, tree, zone_team, django_assert_max_num_queries, django_assert_num_queries
):
    client.force_login(tree.users["zone"])
    url = reverse("screening:team", args=[zone_team.pk])
    _visit(tree, zone_team, tree.dwellings[0], Outcome.ANSWERED)
    # The day's one look for states that ended by themselves (people.state), done before
    # the pages compared here.
    refresh_expired()
    with django_assert_max_num_queries(14) as small:
        assert client.get(url, {"q": "居民"}).status_code == 200
    _many_dwellings(tree, tree.buildings[:2], per_floor=6, floors=10)
    for dwelling in Dwelling.objects.filter(floor=15):
        _visit(tree, zone_team, dwelling, Outcome.NOBODY_HOME)
    with django_assert_num_queries(len(small.captured_queries)):
        page = client.get(url, {"q": "居民"})
    assert page.status_code == 200
    with django_assert_num_queries(len(small.captured_queries) - 1):  # no name search
        assert client.get(url, {"status": "revisit"}).status_code == 200
