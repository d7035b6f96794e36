import datetime as dt

import pytest

from fangyi.duty.choices import Role
from fangyi.duty.models import Staff
from fangyi.screening import services


@pytest.fixture
def campaign(tree):
    return services.campaign_create(
        user=tree.users["community"],
        name="六和社区入户排查",
        place=tree.communities[0],
        starts_on=dt.date(2020, 2, 10),
        ends_on=dt.date(2020, 3, 10),
    )


@pytest.fixture
def team(tree, campaign):
    """Team 1: the building persona leads, over building 1 of zone 1."""
    mates = [Staff.objects.create(name=f"组员{i}", role=Role.CADRE) for i in range(2)]
    leader = tree.users["building"].staff
    return services.team_create(
        user=tree.users["community"],
        campaign=campaign,
        name="第一小组",
        members=[leader, *mates],
        leader=leader,
        areas=[(tree.buildings[0], None)],
    )


@pytest.fixture
def other_team(tree, campaign):
    """Team 2 over building 2 of zone 1; the zone persona leads."""
    mates = [Staff.objects.create(name=f"二组{i}", role=Role.CADRE) for i in range(2)]
    leader = tree.users["zone"].staff
    return services.team_create(
        user=tree.users["community"],
        campaign=campaign,
        name="第二小组",
        members=[leader, *mates],
        leader=leader,
        areas=[(tree.buildings[1], None)],
    )
