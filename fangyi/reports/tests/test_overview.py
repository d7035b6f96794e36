"""The overview's legend and figures say what its tiles say (issue 13)."""

import re

import time_machine
from django.urls import reverse

from fangyi.quarantine import services as quarantine
from fangyi.reports import selectors
from fangyi.reports.services import confirmed_case_create
from fangyi.reports.tests.conftest import at, login


def test_legend_counts_the_fever_alert_a_red_tile_shows(client, tree):
    leader = tree.users["district"]
    with time_machine.travel(at(2020, 2, 10), tick=False):
        # Zone 1: two people in quarantine, one of them with a fever: its tile is red
        # (quarantine is worse) and shows "1 fever alert".
        case = quarantine.case_intake(
            by=leader,
            person=tree.people[0],
            reason="close_contact",
            arrived_at=at(2020, 2, 10, 8),
            first_state="home",
        )
        quarantine.case_intake(
            by=leader,
            person=tree.people[1],
            reason="close_contact",
            arrived_at=at(2020, 2, 10, 8),
            first_state="home",
        )
        quarantine.health_check_record(by=leader, case=case, temperature="38.2", channel="staff")
        login(client, "d_leader")
        page = client.get(reverse("reports:overview")).content.decode()
    tile = re.search(r'data-status="quarantine">(.*?)</li>', page, re.S).group(1)
    assert "发热预警 1 条" in tile
    assert 'data-testid="total-fever">1<' in page
    assert 'data-testid="total-quarantine">1<' in page
    # The zones without anything are the clear ones, whatever they are counted under.
    assert 'data-testid="total-clear">2<' in page
    # The totals line adds up the tiles' figures.
    assert 'data-testid="figure-quarantine" data-n="2"' in page
    assert 'data-testid="figure-fever" data-n="1"' in page
    assert "隔离 2 人" in page


def test_zones_needing_attention_come_first_worst_first(client, tree):
    leader = tree.users["district"]
    with time_machine.travel(at(2020, 2, 10), tick=False):
        # Zone 1 (first by code): a new confirmed case; zone 2: a person in quarantine
        # (worse, so first); zone 3: clear, listed after them by name only.
        confirmed_case_create(by=leader, date=at(2020, 2, 8).date(), zone=tree.zones[0])
        person = next(p for p in tree.people if p.zone_id == tree.zones[1].pk)
        quarantine.case_intake(
            by=leader,
            person=person,
            reason="close_contact",
            arrived_at=at(2020, 2, 10, 8),
            first_state="home",
        )
        data = selectors.overview(leader)
        login(client, "d_leader")
        page = client.get(reverse("reports:overview")).content.decode()
    assert [t.id for _c, t in data.attention()] == [tree.zones[1].pk, tree.zones[0].pk]
    assert [t.id for _c, tiles in data.clear_groups() for t in tiles] == [tree.zones[2].pk]
    attention = page[
        page.index('data-testid="attention"') : page.index('data-testid="clear-zones"')
    ]
    assert "需要关注：2 个围合区" in attention
    shown = re.findall(
        r'data-status="(\w+)"><a href="[^"]+">\s*<span class="name">([^<]+)<', attention
    )
    assert shown == [("quarantine", tree.zones[1].name), ("new_case", tree.zones[0].name)]
    # Each tile names its community (the list crosses communities).
    assert f"<span>{tree.zones[1].community.name}</span> · " in attention
    clear = page[page.index('data-testid="clear-zones"') :]
    assert "无异常：1 个围合区" in clear
    assert (
        f'data-status="clear"><a href="/reports/zones/{tree.zones[2].pk}/">{tree.zones[2].name}</a>'
        in clear
    )
