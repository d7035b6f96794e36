"""Screening person-times (issue 6) feed the statistics of every level above the visits."""

import datetime as dt
import uuid

import time_machine

from fangyi.duty.choices import Role
from fangyi.duty.models import Staff
from fangyi.duty.services import api_token_create
from fangyi.quarantine.tests.conftest import at
from fangyi.reports.selectors import screening_person_times
from fangyi.screening import services


def test_person_times_count_every_person_checked_per_visit(client, tree):
    campaign = services.campaign_create(
        user=tree.users["community"],
        name="入户排查",
        place=tree.communities[0],
        starts_on=dt.date(2020, 2, 10),
        ends_on=dt.date(2020, 3, 10),
    )
    leader = tree.users["building"].staff
    mates = [Staff.objects.create(name=f"组员{i}", role=Role.CADRE) for i in range(2)]
    team = services.team_create(
        user=tree.users["community"],
        campaign=campaign,
        name="第一小组",
        members=[leader, *mates],
        leader=leader,
        areas=[(tree.buildings[0], None)],
    )
    dwelling = tree.dwellings[0]
    residents = [p for p in tree.people if p.dwelling_id == dwelling.pk]
    checks = [{"person": p, "present": True, "temperature": "36.5"} for p in residents]
    # Two visits of the same dwelling on two days: each person counts once per visit.
    with time_machine.travel(at(2020, 2, 11, 10), tick=False):
        services.visit_record(
            user=tree.users["building"],
            team=team,
            dwelling=dwelling,
            key=uuid.uuid4(),
            outcome="answered",
            people=checks,
        )
    with time_machine.travel(at(2020, 2, 12, 10), tick=False):
        services.visit_record(
            user=tree.users["building"],
            team=team,
            dwelling=dwelling,
            key=uuid.uuid4(),
            outcome="answered",
            people=checks[:1],
        )
    n = len(residents)
    today = dt.date(2020, 2, 12)
    assert screening_person_times("zone", tree.zones[0].pk, today) == (n + 1, 1)
    assert screening_person_times("community", tree.communities[0].pk, today) == (n + 1, 1)
    assert screening_person_times("district", tree.district.pk, today) == (n + 1, 1)
    assert screening_person_times("zone", tree.zones[2].pk, today) == (0, 0)
    token = api_token_create(user=tree.users["district"])
    with time_machine.travel(at(2020, 2, 12, 18), tick=False):
        body = client.get(
            f"/api/stats?place=street:{tree.streets[0].pk}",
            headers={"Authorization": f"Bearer {token}"},
        ).json()
    assert (body["screening_person_times"], body["screening_person_times_today"]) == (n + 1, 1)


def test_place_pages_link_to_their_overview_and_statistics(client, tree):
    from django.urls import reverse

    client.login(username="s_cadre", password="test-pass-123")
    street = tree.streets[0]
    page = client.get(reverse("place", args=["street", street.pk])).content.decode()
    assert f"{reverse('reports:overview')}?street={street.pk}" in page
    assert f"{reverse('reports:stats')}?place=street:{street.pk}" in page
    overview = client.get(reverse("reports:overview"), {"street": street.pk}).content.decode()
    zones = [z for z in tree.zones if z.street_id == street.pk]
    assert zones and all(reverse("reports:zone_map", args=[z.pk]) in overview for z in zones)
    assert reverse("reports:zone_map", args=[tree.zones[2].pk]) not in overview
