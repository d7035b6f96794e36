"""Who sees which campaign: operators all of them (hole 5 of issue 12: an empty Q for
superusers OR'd with the team filter dropped every campaign)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from fangyi.conftest import PASSWORD
from fangyi.screening import selectors


@pytest.fixture
def operator(django_user_model):
    return django_user_model.objects.create_superuser("operator", password=PASSWORD)


def test_operator_sees_every_campaign(tree, campaign, operator):
    assert list(selectors.campaigns_for(operator)) == [campaign]
    assert selectors.campaign_get(operator, campaign.pk) == campaign


def test_operator_opens_the_campaign_page_and_its_progress(client, tree, campaign, team, operator):
    client.force_login(operator)
    page = client.get(reverse("screening:campaign", args=[campaign.pk]))
    assert page.status_code == 200
    assert campaign.name in page.content.decode()
    assert campaign.name in client.get(reverse("screening:index")).content.decode()
    progress = client.get(f"/api/screening/campaigns/{campaign.pk}/progress")
    assert progress.status_code == 200
    assert progress.json()["campaign"]["total"] == 8  # the dwellings of community 1


def test_team_member_sees_only_its_campaign_and_an_outsider_none(tree, campaign, team):
    assert list(selectors.campaigns_for(tree.users["building"])) == [campaign]
    assert not selectors.campaigns_for(tree.users["outsider"]).exists()
