"""A visit the user may not record (it would change or create a person file the user does
not keep: a volunteer on a team) comes back as typed, with the reason, instead of a 403
page that loses the household's entries."""

from __future__ import annotations

import html
import uuid

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from fangyi.conftest import PASSWORD
from fangyi.duty.choices import Role
from fangyi.duty.models import Assignment, Staff
from fangyi.duty.scope import ERR_PLACES_ONLY
from fangyi.people.models import Person
from fangyi.screening import services
from fangyi.screening.choices import Outcome
from fangyi.screening.models import Visit


@pytest.fixture
def volunteer_team(tree, campaign):
    """A team over building 1 of zone 1 with a volunteer of that building on it."""
    user = get_user_model().objects.create_user("team_vol", password=PASSWORD)
    volunteer = Staff.objects.create(user=user, name="志愿者小李", role=Role.VOLUNTEER)
    Assignment.objects.create(staff=volunteer, building=tree.buildings[0])
    leader = tree.users["building"].staff
    mate = Staff.objects.create(name="组员", role=Role.CADRE)
    team = services.team_create(
        user=tree.users["community"],
        campaign=campaign,
        name="志愿小组",
        members=[leader, volunteer, mate],
        leader=leader,
        areas=[(tree.buildings[0], None)],
    )
    return team, user


def test_a_volunteer_s_visit_creating_a_file_is_shown_again_with_the_reason(
    client, tree, volunteer_team
):
    team, user = volunteer_team
    client.force_login(user)
    url = reverse("screening:visit", args=[team.pk, tree.dwellings[0].pk])
    key = str(uuid.uuid4())
    data = {
        "key": key,
        "outcome": Outcome.ANSWERED,
        "new0-name": "陈新来",
        "new0-doc_type": "passport",
        "new0-doc_number": "E12345678",
        "new0-temperature": "36,8",
        "notes": "新住户",
    }
    response = client.post(url, data)
    assert response.status_code == 422
    page = html.unescape(response.content.decode())
    assert str(ERR_PLACES_ONLY) in page
    # Every entry as typed, the same visit key (a retry by a file keeper is one visit).
    for name in ("new0-name", "new0-doc_number", "new0-temperature", "notes", "key"):
        assert f'value="{data[name]}"' in page, name
    assert not Visit.objects.exists() and not Person.objects.filter(name="陈新来").exists()


def test_a_volunteer_s_visit_changing_nothing_is_recorded(client, tree, volunteer_team):
    team, user = volunteer_team
    client.force_login(user)
    url = reverse("screening:visit", args=[team.pk, tree.dwellings[0].pk])
    response = client.post(url, {"key": str(uuid.uuid4()), "outcome": Outcome.NOBODY_HOME})
    assert response.status_code == 302
    assert Visit.objects.get().by == user
