"""Screening coverage on the zone map and the building drill-down (issue 6).

The numbers on the page are checked against a count made here from the visit rows
(latest visit per dwelling decides), and against `campaign_progress` for the zone.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from fangyi.duty.choices import Role
from fangyi.duty.models import Staff
from fangyi.places.models import Dwelling
from fangyi.quarantine import services as quarantine
from fangyi.reports import selectors
from fangyi.reports.tests.conftest import at, login
from fangyi.screening import selectors as screening
from fangyi.screening import services
from fangyi.screening.choices import Outcome
from fangyi.screening.models import Visit, VisitPerson

pytestmark = pytest.mark.django_db

DONE = {Outcome.ANSWERED, Outcome.VACANT}


def _campaign(tree, place=None, name="六和社区入户排查", starts_on=dt.date(2020, 2, 10)):
    return services.campaign_create(
        user=tree.users["community"],
        name=name,
        place=place or tree.communities[0],
        starts_on=starts_on,
        ends_on=dt.date(2020, 3, 10),
    )


def _team(tree, campaign, leader_persona, building, name):
    mates = [Staff.objects.create(name=f"{name}{i}", role=Role.CADRE) for i in range(2)]
    leader = tree.users[leader_persona].staff
    return services.team_create(
        user=tree.users["community"],
        campaign=campaign,
        name=name,
        members=[leader, *mates],
        leader=leader,
        areas=[(building, None)],
    )


def _visit(tree, team, dwelling, outcome, day, hour, persona="zone", present=()):
    with time_machine.travel(at(2020, 2, day, hour), tick=False):
        services.visit_record(
            user=tree.users[persona],
            team=team,
            dwelling=dwelling,
            key=uuid.uuid4(),
            outcome=outcome,
            people=[{"person": p, "present": True} for p in present],
        )


@pytest.fixture
def screened(tree):
    """Zone 1: building 1 (team 1) and building 2 (team 2), two dwellings each.

    101 of building 1: answered, both residents present (2 person-times);
    102 of building 1: nobody home;
    101 of building 2: refused on the 11th, answered on the 12th with one present;
    102 of building 2: not visited.
    """
    campaign = _campaign(tree)
    b1, b2 = tree.buildings[0], tree.buildings[1]
    team1 = _team(tree, campaign, "building", b1, "第一小组")
    team2 = _team(tree, campaign, "zone", b2, "第二小组")
    d = {(x.building_id, x.room): x for x in Dwelling.objects.filter(zone=tree.zones[0])}
    residents = {x.pk: [p for p in tree.people if p.dwelling_id == x.pk] for x in d.values()}
    first = d[(b1.pk, "101")]
    _visit(tree, team1, first, Outcome.ANSWERED, 11, 9, "building", residents[first.pk])
    _visit(tree, team1, d[(b1.pk, "102")], Outcome.NOBODY_HOME, 11, 10, "building")
    third = d[(b2.pk, "101")]
    _visit(tree, team2, third, Outcome.REFUSED, 11, 11)
    _visit(tree, team2, third, Outcome.ANSWERED, 12, 9, present=residents[third.pk][:1])
    return campaign


def _independent(zone, campaign) -> dict:
    """Counts made here from the rows: latest visit of each dwelling decides."""
    latest: dict[int, tuple] = {}
    for v in Visit.objects.filter(campaign=campaign, zone=zone):
        if v.dwelling_id not in latest or (v.at, v.pk) > latest[v.dwelling_id][:2]:
            latest[v.dwelling_id] = (v.at, v.pk, v.outcome)
    dwellings = list(Dwelling.objects.filter(zone=zone))
    per_building: dict[int, list[int]] = {}
    for x in dwellings:
        outcome = latest.get(x.pk, (None, None, None))[2]
        done_total = per_building.setdefault(x.building_id, [0, 0])
        done_total[0] += outcome in DONE
        done_total[1] += 1
    outcomes = [latest[x.pk][2] for x in dwellings if x.pk in latest]
    return {
        "total": len(dwellings),
        "done": sum(o in DONE for o in outcomes),
        "revisit": outcomes.count(Outcome.NOBODY_HOME),
        "refused": outcomes.count(Outcome.REFUSED),
        "person_times": VisitPerson.objects.filter(
            visit__campaign=campaign, visit__zone=zone, present=True
        ).count(),
        "buildings": per_building,
    }


def _testid(page: str, testid: str) -> str:
    match = re.search(rf'data-testid="{testid}"[^>]*>([^<]*)<', page)
    assert match, testid
    return match.group(1).strip()


def test_zone_map_shows_coverage_that_matches_an_independent_count(client, tree, screened):
    zone = tree.zones[0]
    expected = _independent(zone, screened)
    # What the fixture says, so the independent count is itself checked.
    assert {k: expected[k] for k in ("total", "done", "revisit", "refused", "person_times")} == {
        "total": 4,
        "done": 2,
        "revisit": 1,
        "refused": 0,
        "person_times": 3,
    }
    login(client, "c_secretary")
    page = client.get(reverse("reports:zone_map", args=[zone.pk])).content.decode()
    assert _testid(page, "screening-done") == str(expected["done"])
    assert _testid(page, "screening-total") == str(expected["total"])
    assert _testid(page, "screening-revisit") == str(expected["revisit"])
    assert _testid(page, "screening-refused") == str(expected["refused"])
    assert _testid(page, "screening-not-visited") == "1"
    assert _testid(page, "screening-person-times") == str(expected["person_times"])
    link = reverse("screening:campaign", args=[screened.pk])
    assert f'href="{link}" data-testid="screening-campaign"' in page
    # Each building on the SVG: visited / total, and the fill class.
    labels = re.findall(
        r'data-id="(\d+)"[^>]*>.*?data-testid="building-screening" '
        r'data-visited="(\d+)" data-total="(\d+)"',
        page,
        re.S,
    )
    assert {int(b): [int(v), int(t)] for b, v, t in labels} == expected["buildings"]
    assert 'class="building cov-some"' in page  # both buildings: one of two visited
    # The same numbers as the campaign's own progress for the zone.
    zone_cov = screening.campaign_progress(screened).zones[zone.pk]
    mine = screening.zone_screening(tree.users["community"], zone)
    assert mine is not None
    assert (mine.zone.total, mine.zone.done, mine.zone.revisit, mine.zone.refused) == (
        zone_cov.total,
        zone_cov.done,
        zone_cov.revisit,
        zone_cov.refused,
    )
    assert mine.zone.person_times == zone_cov.person_times


def test_a_fully_visited_building_is_filled_and_quarantine_stays_red(client, tree, screened):
    zone = tree.zones[0]
    b1 = tree.buildings[0]
    team1 = screened.teams.get(name="第一小组")
    second = Dwelling.objects.get(building=b1, room="102")
    _visit(tree, team1, second, Outcome.VACANT, 13, 9, "building")
    with time_machine.travel(at(2020, 2, 13, 10), tick=False):
        quarantine.case_intake(
            by=tree.users["zone"],
            person=tree.people[0],
            reason="close_contact",
            arrived_at=at(2020, 2, 13, 9),
            first_state="home",
        )
        login(client, "c_secretary")
        page = client.get(reverse("reports:zone_map", args=[zone.pk])).content.decode()
    # Building 1: all visited (green fill class) and in quarantine (red, drawn on top).
    assert f'class="building hot cov-done" data-id="{b1.pk}"' in page
    assert 'data-testid="building-quarantine"' in page


def test_no_campaign_no_screening_panel(client, tree, screened):
    login(client, "d_leader")
    page = client.get(reverse("reports:zone_map", args=[tree.zones[2].pk])).content.decode()
    assert 'data-testid="screening-panel"' not in page
    assert 'data-testid="building-screening"' not in page


def test_the_map_shows_an_open_campaign_before_a_newer_closed_one(tree, screened):
    zone = tree.zones[0]
    user = tree.users["community"]
    newer = _campaign(tree, place=zone, name="围合区复查", starts_on=dt.date(2020, 2, 20))
    assert selectors.with_screening(user, selectors.zone_map(user, zone.pk)).screening
    assert screening.zone_screening(user, zone).campaign_id == newer.pk
    services.campaign_close(user=user, campaign=newer)
    shown = screening.zone_screening(user, zone)
    assert (shown.campaign_id, shown.closed) == (screened.pk, False)
    services.campaign_close(user=user, campaign=screened)
    shown = screening.zone_screening(user, zone)
    # Both closed: the latest to start, marked closed.
    assert (shown.campaign_id, shown.closed, shown.zone.total) == (newer.pk, True, 4)
    # A campaign over another street does not cover the zone.
    other = services.campaign_create(
        user=tree.users["district"],
        name="坑梓街道排查",
        place=tree.streets[1],
        starts_on=dt.date(2020, 2, 25),
        ends_on=dt.date(2020, 3, 1),
    )
    assert screening.zone_screening(user, zone).campaign_id != other.pk


def test_the_campaign_link_only_for_those_who_may_open_it(client, tree, screened):
    link = reverse("screening:campaign", args=[screened.pk])
    url = reverse("reports:zone_map", args=[tree.zones[0].pk])
    # The zone persona leads team 2: a member may open the campaign.
    login(client, "z_property")
    assert link in client.get(url).content.decode()
    screened.teams.filter(name="第二小组").delete()
    page = client.get(url).content.decode()
    assert 'data-testid="screening-panel"' in page and link not in page
    assert client.get(link).status_code == 404  # indeed not theirs to open


def test_building_drill_down_shows_each_dwellings_status(client, tree, screened):
    b2 = tree.buildings[1]
    login(client, "c_secretary")
    page = client.get(
        reverse("reports:building", args=[b2.pk]), headers={"HX-Request": "true"}
    ).content.decode()
    statuses = dict(re.findall(r'data-testid="dwelling-(\d+)" data-status="(\w+)"', page))
    rooms = {x.pk: x.room for x in Dwelling.objects.filter(building=b2)}
    assert {rooms[int(pk)]: s for pk, s in statuses.items()} == {
        "101": "done",
        "102": "not_visited",
    }
    assert 'data-testid="building-campaign"' in page
    page = client.get(
        reverse("reports:building", args=[tree.buildings[4].pk]), headers={"HX-Request": "true"}
    )
    assert page.status_code == 404  # zone 3 is not the secretary's
    login(client, "d_leader")
    page = client.get(reverse("reports:building", args=[tree.buildings[4].pk])).content.decode()
    assert "data-status" not in page and 'data-testid="building-campaign"' not in page


def _count(client, url) -> int:
    client.get(url)  # warm: sessions, the user's scope
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_coverage_costs_a_fixed_number_of_queries(client, tree):
    """Without any campaign the map pays one query (the lookup finds none); with one,
    three (the lookup with the zone's person-times, the zone's visits, the dwellings per
    building); the building drill-down one (its statuses ride on its dwellings query).
    None of it grows with visits, buildings or dwellings."""
    login(client, "d_leader")
    zone_url = reverse("reports:zone_map", args=[tree.zones[0].pk])
    building_url = reverse("reports:building", args=[tree.buildings[1].pk])
    base_map, base_building = _count(client, zone_url), _count(client, building_url)
    campaign = _campaign(tree)
    team = _team(tree, campaign, "zone", tree.buildings[1], "第二小组")
    assert _count(client, zone_url) == base_map + 2
    assert _count(client, building_url) == base_building
    for dwelling in Dwelling.objects.filter(building=tree.buildings[1]):
        _visit(tree, team, dwelling, Outcome.VACANT, 11, 9)
    more = Dwelling.objects.create(
        building=tree.buildings[1], zone=tree.zones[0], floor=2, room="201"
    )
    _visit(tree, team, more, Outcome.NOBODY_HOME, 11, 10)
    assert _count(client, zone_url) == base_map + 2
    assert _count(client, building_url) == base_building
    page = client.get(building_url).content.decode()
    assert page.count('data-status="done"') == 2 and page.count('data-status="revisit"') == 1


def test_zone_map_query_count_with_screening(client, tree, screened, django_assert_max_num_queries):
    login(client, "d_leader")
    with time_machine.travel(at(2020, 2, 13), tick=False):
        for person in tree.people[::3]:
            quarantine.case_intake(
                by=tree.users["district"], person=person, reason="close_contact",
                arrived_at=at(2020, 2, 12, 9), first_state="home",
            )  # fmt: skip
        with django_assert_max_num_queries(18):  # counts by state: test_maps
            assert (
                client.get(reverse("reports:zone_map", args=[tree.zones[0].pk])).status_code == 200
            )
        # (one more since the panel names the building's own responsible staff)
        with django_assert_max_num_queries(10):
            assert (
                client.get(reverse("reports:building", args=[tree.buildings[0].pk])).status_code
                == 200
            )


def test_the_map_api_carries_the_same_coverage(client, tree, screened):
    from fangyi.duty.services import api_token_create

    zone = tree.zones[0]
    expected = _independent(zone, screened)
    headers = {"Authorization": f"Bearer {api_token_create(user=tree.users['community'])}"}
    data = client.get(f"/api/zones/{zone.pk}/map", headers=headers).json()
    cov = data["screening"]
    assert (cov["campaign_id"], cov["campaign_name"], cov["closed"]) == (
        screened.pk,
        screened.name,
        False,
    )
    assert {k: cov[k] for k in ("total", "done", "revisit", "refused", "person_times")} == {
        "total": expected["total"],
        "done": expected["done"],
        "revisit": expected["revisit"],
        "refused": expected["refused"],
        "person_times": expected["person_times"],
    }
    assert cov["not_visited"] == expected["total"] - expected["done"] - expected["revisit"]
    per_building = {
        b["id"]: [b["screening"]["done"], b["screening"]["total"]] for b in data["buildings"]
    }
    assert per_building == expected["buildings"]
    # A zone no campaign covers: null, for the zone and each building.
    other = tree.zones[2]
    headers = {"Authorization": f"Bearer {api_token_create(user=tree.users['district'])}"}
    data = client.get(f"/api/zones/{other.pk}/map", headers=headers).json()
    assert data["screening"] is None
    assert data["buildings"] and all(b["screening"] is None for b in data["buildings"])


def test_the_poster_carries_the_same_coverage(client, tree, screened, settings):
    from fangyi.core.documents import pdf_text

    zone = tree.zones[0]
    expected = _independent(zone, screened)
    login(client, "c_secretary")
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    text = pdf_text(client.get(reverse("reports:poster", args=[zone.pk])).content)
    flat = " ".join(text.split())
    assert "Door-to-door screening" in flat and screened.name in flat
    done, total = expected["done"], expected["total"]
    assert f"{done} / {total} dwellings ({round(100 * done / total)}%)" in flat
    for _building, (visited, dwellings) in expected["buildings"].items():
        assert f"visited {visited}/{dwellings}" in flat
    assert f"person-times {expected['person_times']}" in flat
    # A zone no campaign covers: no screening on its poster.
    login(client, "d_leader")
    other = pdf_text(client.get(reverse("reports:poster", args=[tree.zones[2].pk])).content)
    assert "Door-to-door screening" not in other and "visited " not in other


def test_the_covering_campaign_is_of_the_zone_its_community_or_its_street(tree):
    """covering_campaign (plain SQL) sees campaigns over the zone, its community and its
    street, not others; open before closed, then the latest to start; person-times of
    the zone only; `visible` for a team member or a manager, not for others."""
    zone, other = tree.zones[0], tree.zones[2]
    leader = tree.users["district"]
    assert screening.covering_campaign(leader, zone) is None
    street = services.campaign_create(
        user=leader, name="街道排查", place=tree.streets[0],
        starts_on=dt.date(2020, 2, 1), ends_on=dt.date(2020, 3, 1),
    )  # fmt: skip
    elsewhere = services.campaign_create(
        user=leader, name="别的街道", place=tree.streets[1],
        starts_on=dt.date(2020, 2, 15), ends_on=dt.date(2020, 3, 1),
    )  # fmt: skip
    assert screening.covering_campaign(leader, zone)["pk"] == street.pk
    assert screening.covering_campaign(leader, other)["pk"] == elsewhere.pk
    community = _campaign(tree, starts_on=dt.date(2020, 2, 10))
    assert screening.covering_campaign(leader, zone)["pk"] == community.pk  # later start
    own = _campaign(tree, place=zone, name="围合区", starts_on=dt.date(2020, 2, 5))
    services.campaign_close(user=tree.users["community"], campaign=community)
    found = screening.covering_campaign(leader, zone, person_times=True)
    assert found["pk"] == own.pk  # open before closed, although it started earlier
    assert found["person_times"] == 0 and found["visible"]
    team = _team(tree, own, "building", tree.buildings[0], "一组")
    first = Dwelling.objects.filter(building=tree.buildings[0]).order_by("id").first()
    present = [p for p in tree.people if p.dwelling_id == first.pk]
    _visit(tree, team, first, Outcome.ANSWERED, 11, 9, "building", present)
    found = screening.covering_campaign(tree.users["building"], zone, person_times=True)
    assert found["person_times"] == len(present) > 0
    assert found["visible"]  # a team member (the building's grid worker)
    assert not screening.covering_campaign(tree.users["outsider"], zone)["visible"]
