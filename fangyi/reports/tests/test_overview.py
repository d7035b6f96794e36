"""The overview's legend and figures say what its tiles say (issue 13)."""

import re

import time_machine
from django.urls import reverse

from fangyi.quarantine import services as quarantine
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
