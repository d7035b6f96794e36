"""Editing, closing and reopening campaigns; editing and dissolving teams (issue 6).

Services first (rules and messages), then the pages for every persona (manager allowed,
team member 403, outsider 404, anonymous to login, wrong method 405), then the API.
"""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from fangyi.duty.choices import Role
from fangyi.duty.models import Staff
from fangyi.duty.services import api_token_create
from fangyi.screening import services
from fangyi.screening.choices import Outcome
from fangyi.screening.forms import ERR_ONE_LEADER
from fangyi.screening.models import Campaign, Team, TeamArea, TeamMember, Visit

pytestmark = pytest.mark.django_db


def _visit(tree, team, dwelling, outcome=Outcome.VACANT, key=None):
    return services.visit_record(
        user=tree.users["building"],
        team=team,
        dwelling=dwelling,
        key=key or uuid.uuid4(),
        outcome=outcome,
    )


def _members(team) -> list[tuple[str, bool]]:
    return [(m.staff.name, m.leader) for m in TeamMember.objects.filter(team=team)]


def _areas(team) -> set[tuple[int, int | None]]:
    return set(TeamArea.objects.filter(team=team).values_list("building_id", "floor"))


# ---- campaigns: services ---------------------------------------------------------------


def test_campaign_update_changes_name_and_dates_not_the_place(tree, campaign):
    services.campaign_update(
        user=tree.users["community"],
        campaign=campaign,
        name=" 第二轮排查 ",
        starts_on=dt.date(2020, 2, 12),
        ends_on=dt.date(2020, 2, 29),
    )
    saved = Campaign.objects.get(pk=campaign.pk)
    assert (saved.name, saved.starts_on, saved.ends_on) == (
        "第二轮排查",
        dt.date(2020, 2, 12),
        dt.date(2020, 2, 29),
    )
    assert (saved.level, saved.community_id) == ("community", tree.communities[0].pk)


def test_campaign_update_names_what_is_wrong(tree, campaign):
    with pytest.raises(ValidationError) as exc:
        services.campaign_update(
            user=tree.users["community"],
            campaign=campaign,
            name="  ",
            starts_on=dt.date(2020, 2, 12),
            ends_on=dt.date(2020, 2, 11),
        )
    assert exc.value.message_dict == {
        "name": [str(services.ERR_NAME)],
        "ends_on": [str(services.ERR_DATES)],
    }
    assert Campaign.objects.get(pk=campaign.pk).name == "六和社区入户排查"


@pytest.mark.parametrize("persona", ["zone", "building", "outsider"])
def test_only_people_whose_scope_covers_the_place_change_a_campaign(tree, campaign, persona):
    user = tree.users[persona]
    with pytest.raises(PermissionDenied):
        services.campaign_update(
            user=user, campaign=campaign, name="x", starts_on=campaign.starts_on, ends_on=campaign.ends_on
        )  # fmt: skip
    with pytest.raises(PermissionDenied):
        services.campaign_close(user=user, campaign=campaign)
    assert not Campaign.objects.get(pk=campaign.pk).is_closed


def test_close_and_reopen_by_the_people_who_may_start_it(tree, campaign):
    street = tree.users["street"]  # above the community: may manage it too
    services.campaign_close(user=tree.users["community"], campaign=campaign)
    saved = Campaign.objects.get(pk=campaign.pk)
    assert saved.is_closed and saved.closed_by == tree.users["community"]
    with pytest.raises(ValidationError) as exc:
        services.campaign_close(user=street, campaign=campaign)
    assert exc.value.messages == [services.ERR_ALREADY_CLOSED.format(name=campaign.name)]
    services.campaign_reopen(user=street, campaign=campaign)
    saved = Campaign.objects.get(pk=campaign.pk)
    assert not saved.is_closed and saved.closed_by is None
    with pytest.raises(ValidationError) as exc:
        services.campaign_reopen(user=street, campaign=campaign)
    assert exc.value.messages == [services.ERR_NOT_CLOSED.format(name=campaign.name)]


def test_closed_campaign_takes_no_visit_and_no_team_and_keeps_its_progress(tree, campaign, team):
    recorded, _created = _visit(tree, team, tree.dwellings[0], Outcome.ANSWERED)
    services.campaign_close(user=tree.users["community"], campaign=campaign)
    with pytest.raises(ValidationError) as exc:
        _visit(tree, team, tree.dwellings[1])
    assert exc.value.code == "campaign_closed"
    assert exc.value.messages == [services.ERR_CAMPAIGN_CLOSED.format(name=campaign.name)]
    assert Visit.objects.count() == 1
    # A retry of the visit recorded before the close still finds it (idempotent).
    again, created = _visit(tree, team, tree.dwellings[0], Outcome.ANSWERED, key=recorded.key)
    assert again.pk == recorded.pk and not created
    mates = [Staff.objects.create(name=f"晚到{i}", role=Role.CADRE) for i in range(3)]
    with pytest.raises(ValidationError):
        services.team_create(
            user=tree.users["community"], campaign=campaign, name="晚到小组",
            members=mates, leader=mates[0], areas=[(tree.buildings[1], None)],
        )  # fmt: skip
    assert not Team.objects.filter(name="晚到小组").exists()
    services.campaign_reopen(user=tree.users["community"], campaign=campaign)
    _visit(tree, team, tree.dwellings[1])
    assert Visit.objects.count() == 2


def test_a_stale_campaign_object_does_not_let_a_visit_through(tree, campaign, team):
    # The team (and its campaign) were loaded before someone else closed the campaign.
    Campaign.objects.filter(pk=campaign.pk).update(
        closed_at=dt.datetime(2020, 2, 20, tzinfo=dt.UTC)
    )
    assert team.campaign.closed_at is None
    with pytest.raises(ValidationError) as exc:
        _visit(tree, team, tree.dwellings[1])
    assert exc.value.code == "campaign_closed" and not Visit.objects.exists()


# ---- teams: services -------------------------------------------------------------------


def _update(tree, team, **changes):
    members = list(team.members.all())
    values = {
        "name": team.name,
        "members": members,
        "leader": next(m.staff for m in team.memberships.all() if m.leader),
        "areas": [(a.building, a.floor) for a in team.areas.all()],
        **changes,
    }
    return services.team_update(user=tree.users["community"], team=team, **values)


def test_team_update_replaces_name_members_leader_and_areas(tree, team, other_team):
    zone_lead = tree.users["zone"].staff
    mates = [m for m in other_team.members.all() if m.pk != zone_lead.pk]
    new = Staff.objects.create(name="新组员", role=Role.CADRE)
    _update(
        tree,
        other_team,
        name="第二小组（改）",
        members=[zone_lead, mates[0], new],
        leader=new,
        areas=[(tree.buildings[0], 1), (tree.buildings[1], None), (tree.buildings[0], 1)],
    )
    other_team.refresh_from_db()
    assert other_team.name == "第二小组（改）"
    assert sorted(_members(other_team)) == sorted(
        [(zone_lead.name, False), (mates[0].name, False), ("新组员", True)]
    )
    assert _areas(other_team) == {(tree.buildings[0].pk, 1), (tree.buildings[1].pk, None)}


def test_team_update_keeps_its_own_name_but_not_another_teams(tree, team, other_team):
    _update(tree, team)  # unchanged: its own name is not "taken"
    with pytest.raises(ValidationError) as exc:
        _update(tree, team, name=other_team.name)
    assert exc.value.message_dict == {"name": [str(services.ERR_TEAM_NAME_TAKEN)]}


def test_team_update_refuses_a_team_that_is_not_three(tree, team):
    two = list(team.members.all())[:2]
    with pytest.raises(ValidationError) as exc:
        _update(tree, team, members=two, leader=two[0])
    assert exc.value.message_dict == {"members": [str(services.ERR_TEAM_SIZE)]}
    assert len(_members(team)) == 3


def test_team_update_refuses_a_leader_who_is_not_a_member(tree, team):
    with pytest.raises(ValidationError) as exc:
        _update(tree, team, leader=tree.users["zone"].staff)
    assert exc.value.message_dict == {"leader": [str(services.ERR_TEAM_LEADER)]}
    assert [leader for _n, leader in _members(team)].count(True) == 1


def test_team_update_refuses_a_member_outside_a_building_and_names_them(tree, team):
    # The leader (building persona) is assigned to building 1 only.
    with pytest.raises(ValidationError) as exc:
        _update(tree, team, areas=[(tree.buildings[0], None), (tree.buildings[1], 2)])
    leader = tree.users["building"].staff
    assert exc.value.message_dict == {
        "members": [
            services.ERR_MEMBER_SCOPE.format(name=leader.name, building=tree.buildings[1].name)
        ]
    }
    assert _areas(team) == {(tree.buildings[0].pk, None)}


def test_team_update_refuses_areas_outside_the_campaign_and_bad_floors(tree, team):
    with pytest.raises(ValidationError) as exc:
        _update(tree, team, areas=[(tree.buildings[0], 9), (tree.buildings[4], None)])
    assert exc.value.message_dict["areas"] == [
        services.ERR_FLOOR.format(name=tree.buildings[0].name, floor=9),
        services.ERR_AREA_OUTSIDE.format(name=tree.buildings[4].name),
    ]
    with pytest.raises(ValidationError) as exc:
        _update(tree, team, areas=[])
    assert exc.value.message_dict == {"areas": [str(services.ERR_AREA_NONE)]}


def test_dissolve_a_team_without_visits_but_not_one_with_visits(tree, team, other_team):
    services.team_dissolve(user=tree.users["community"], team=other_team)
    assert not Team.objects.filter(pk=other_team.pk).exists()
    assert not TeamMember.objects.filter(team_id=other_team.pk).exists()
    _visit(tree, team, tree.dwellings[0])
    with pytest.raises(ValidationError) as exc:
        services.team_dissolve(user=tree.users["community"], team=team)
    assert exc.value.messages == [services.ERR_TEAM_HAS_VISITS.format(name=team.name)]
    assert Team.objects.filter(pk=team.pk).exists() and Visit.objects.count() == 1


def test_teams_of_a_closed_campaign_are_kept_as_they_were(tree, campaign, team, other_team):
    services.campaign_close(user=tree.users["community"], campaign=campaign)
    team.campaign.refresh_from_db()
    with pytest.raises(ValidationError) as exc:
        _update(tree, team, name="改名")
    assert exc.value.messages == [services.ERR_TEAM_CLOSED.format(name=campaign.name)]
    with pytest.raises(ValidationError):
        services.team_dissolve(user=tree.users["community"], team=other_team)
    assert Team.objects.filter(campaign=campaign).count() == 2


def test_team_changes_need_the_campaigns_manager(tree, team):
    # The leader is on the team but manages nothing above it.
    team.campaign.refresh_from_db()
    with pytest.raises(PermissionDenied):
        services.team_update(
            user=tree.users["building"], team=team, name="x", members=list(team.members.all()),
            leader=tree.users["building"].staff, areas=[(tree.buildings[0], None)],
        )  # fmt: skip
    with pytest.raises(PermissionDenied):
        services.team_dissolve(user=tree.users["building"], team=team)


# ---- pages -----------------------------------------------------------------------------


def _urls(campaign, team) -> dict[str, tuple[str, str]]:
    return {
        "campaign_edit": (reverse("screening:campaign_edit", args=[campaign.pk]), "get"),
        "campaign_close": (reverse("screening:campaign_close", args=[campaign.pk]), "post"),
        "campaign_reopen": (reverse("screening:campaign_reopen", args=[campaign.pk]), "post"),
        "team_edit": (reverse("screening:team_edit", args=[team.pk]), "get"),
        "team_dissolve": (reverse("screening:team_dissolve", args=[team.pk]), "post"),
        "team_new": (reverse("screening:team_new", args=[campaign.pk]), "post"),
    }


ACTIONS = ["campaign_edit", "campaign_close", "campaign_reopen", "team_edit", "team_dissolve", "team_new"]  # fmt: skip


@pytest.mark.parametrize("name", ACTIONS)
@pytest.mark.parametrize(
    ("persona", "status"),
    [(None, 302), ("outsider", 404), ("zone", 404), ("building", 403)],
)
def test_who_may_change_campaigns_and_teams(client, tree, campaign, team, name, persona, status):
    """Anonymous → login; out of scope (outsider, a zone below the community who is on no
    team) → 404; the team leader sees the campaign but may not change it → 403."""
    if persona:
        client.force_login(tree.users[persona])
    url, method = _urls(campaign, team)[name]
    response = getattr(client, method)(url)
    assert response.status_code == status
    if status == 302:
        assert "/login/" in response["Location"]
    saved = Campaign.objects.get(pk=campaign.pk)
    assert not saved.is_closed and Team.objects.filter(pk=team.pk).exists()


def test_actions_refuse_the_wrong_method(client, tree, campaign, team):
    client.force_login(tree.users["community"])
    for name in ("campaign_close", "campaign_reopen", "team_dissolve"):
        url, _method = _urls(campaign, team)[name]
        assert client.get(url).status_code == 405, name
    for name in ("campaign_edit", "team_edit"):
        url, _method = _urls(campaign, team)[name]
        assert client.put(url).status_code == 405, name


def test_edit_campaign_page(client, tree, campaign):
    client.force_login(tree.users["community"])
    url = reverse("screening:campaign_edit", args=[campaign.pk])
    page = client.get(url).content.decode()
    assert 'value="六和社区入户排查"' in page and 'value="2020-02-10"' in page
    bad = client.post(url, {"name": "新名", "starts_on": "2020-02-10", "ends_on": "2020-02-01"})
    assert bad.status_code == 422 and str(services.ERR_DATES) in bad.content.decode()
    good = client.post(url, {"name": "新名", "starts_on": "2020-02-10", "ends_on": "2020-02-20"})
    assert good.status_code == 302 and good["Location"] == reverse(
        "screening:campaign", args=[campaign.pk]
    )
    assert Campaign.objects.get(pk=campaign.pk).ends_on == dt.date(2020, 2, 20)


def test_close_on_the_page_marks_lists_closed_and_refuses_visits(client, tree, campaign, team):
    client.force_login(tree.users["community"])
    campaign_url = reverse("screening:campaign", args=[campaign.pk])
    page = client.get(campaign_url).content.decode()
    assert 'data-testid="close-campaign"' in page and 'name="members"' in page
    assert 'data-testid="closed-tag"' not in page
    response = client.post(reverse("screening:campaign_close", args=[campaign.pk]))
    assert response.status_code == 302
    page = client.get(campaign_url).content.decode()
    assert 'data-testid="closed-tag"' in page and 'data-testid="reopen-campaign"' in page
    assert 'name="members"' not in page  # no new team
    notice = page[page.index('data-testid="closed-notice"') :].split("</p>")[0]
    assert tree.users["community"].staff.name in notice  # who closed it

    # The leader still reads the list, marked closed, but cannot save a visit.
    client.force_login(tree.users["building"])
    team_page = client.get(reverse("screening:team", args=[team.pk]))
    assert team_page.status_code == 200 and 'data-testid="closed-tag"' in team_page.content.decode()
    visit_url = reverse("screening:visit", args=[team.pk, tree.dwellings[0].pk])
    form = client.get(visit_url).content.decode()
    assert 'data-testid="closed-notice"' in form
    refused = client.post(visit_url, {"key": str(uuid.uuid4()), "outcome": "vacant"})
    assert refused.status_code == 422
    assert services.ERR_CAMPAIGN_CLOSED.format(name=campaign.name) in refused.content.decode()
    assert not Visit.objects.exists()

    client.force_login(tree.users["community"])
    assert client.post(reverse("screening:campaign_reopen", args=[campaign.pk])).status_code == 302
    client.force_login(tree.users["building"])
    saved = client.post(visit_url, {"key": str(uuid.uuid4()), "outcome": "vacant"})
    assert saved.status_code == 302 and Visit.objects.count() == 1


def test_edit_team_page_keeps_drops_and_adds_areas(client, tree, campaign, other_team):
    client.force_login(tree.users["community"])
    url = reverse("screening:team_edit", args=[other_team.pk])
    form = client.get(url)
    assert form.status_code == 200
    (area,) = other_team.areas.all()
    assert f'value="{area.pk}"' in form.content.decode()
    members = [m.staff_id for m in other_team.memberships.all()]
    leader = tree.users["zone"].staff.pk
    data = {
        "name": "第二小组",
        "members": members,
        "leader": leader,
        "buildings": [tree.buildings[0].pk],
        "floor": 1,
    }
    # Not ticked: building 2 is dropped; building 1 floor 1 is added.
    response = client.post(url, data)
    assert response.status_code == 302
    assert _areas(other_team) == {(tree.buildings[0].pk, 1)}
    # Keep it and add nothing: the same list.
    (area,) = other_team.areas.all()
    response = client.post(url, {**data, "buildings": [], "floor": "", "keep": [area.pk]})
    assert response.status_code == 302 and _areas(other_team) == {(tree.buildings[0].pk, 1)}


def test_edit_team_page_shows_what_is_wrong(client, tree, campaign, team):
    client.force_login(tree.users["community"])
    url = reverse("screening:team_edit", args=[team.pk])
    (area,) = team.areas.all()
    members = [m.staff_id for m in team.memberships.all()]
    leader = tree.users["building"].staff
    base = {"name": team.name, "members": members, "leader": leader.pk, "keep": [area.pk]}

    two = client.post(url, {**base, "members": members[:2]})
    assert two.status_code == 422 and str(services.ERR_TEAM_SIZE) in two.content.decode()

    # Two leaders sent: refused, not the last one silently kept.
    two_leaders = client.post(url, {**base, "leader": [members[1], members[2]]})
    assert two_leaders.status_code == 422
    assert str(ERR_ONE_LEADER) in two_leaders.content.decode()

    outside = client.post(url, {**base, "buildings": [tree.buildings[1].pk]})
    message = services.ERR_MEMBER_SCOPE.format(name=leader.name, building=tree.buildings[1].name)
    assert outside.status_code == 422 and message in outside.content.decode()

    assert _areas(team) == {(tree.buildings[0].pk, None)}
    assert (leader.name, True) in _members(team) and len(_members(team)) == 3


def test_dissolve_on_the_page(client, tree, campaign, team, other_team):
    _visit(tree, team, tree.dwellings[0])
    client.force_login(tree.users["community"])
    page = client.get(reverse("screening:campaign", args=[campaign.pk])).content.decode()
    # Only the team without visits offers the button.
    assert f'data-testid="dissolve-{other_team.pk}"' in page
    assert f'data-testid="dissolve-{team.pk}"' not in page
    response = client.post(reverse("screening:team_dissolve", args=[team.pk]), follow=True)
    message = services.ERR_TEAM_HAS_VISITS.format(name=team.name)
    assert message in response.content.decode() and Team.objects.filter(pk=team.pk).exists()
    client.post(reverse("screening:team_dissolve", args=[other_team.pk]))
    assert not Team.objects.filter(pk=other_team.pk).exists()


def test_campaign_page_query_count(client, tree, campaign, team, other_team, django_assert_max_num_queries):  # fmt: skip
    _visit(tree, team, tree.dwellings[0])
    client.force_login(tree.users["community"])
    with django_assert_max_num_queries(23):
        assert client.get(reverse("screening:campaign", args=[campaign.pk])).status_code == 200


# ---- API -------------------------------------------------------------------------------


def test_api_refuses_a_visit_to_a_closed_campaign(client, tree, campaign, team):
    services.campaign_close(user=tree.users["community"], campaign=campaign)
    headers = {"HTTP_AUTHORIZATION": f"Bearer {api_token_create(user=tree.users['building'])}"}
    payload = {
        "key": str(uuid.uuid4()),
        "team_id": team.pk,
        "dwelling_id": tree.dwellings[0].pk,
        "outcome": "vacant",
    }
    response = client.post(
        "/api/screening/visits", payload, content_type="application/json", **headers
    )
    message = services.ERR_CAMPAIGN_CLOSED.format(name=campaign.name)
    assert response.status_code == 422
    assert response.json() == {
        "error": {"code": "campaign_closed", "message": message, "fields": {"__all__": [message]}}
    }
    assert not Visit.objects.exists()
    manager = {"HTTP_AUTHORIZATION": f"Bearer {api_token_create(user=tree.users['community'])}"}
    progress = client.get(f"/api/screening/campaigns/{campaign.pk}/progress", **manager).json()
    assert progress["closed_at"] is not None and progress["campaign"]["total"] == 8
