"""Who is offered and who may start a campaign: those who keep the person files of the
place. Gate guards and volunteers of a zone are neither offered "start a campaign" nor shown
its form (they used to get the form and a refusal only when sending it)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from fangyi.conftest import PASSWORD, _user
from fangyi.duty.choices import Role

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("role", [Role.GATE_GUARD, Role.VOLUNTEER])
def test_places_only_roles_are_not_offered_nor_shown_the_form(client, tree, role):
    _user("placesonly", role, zone=tree.zones[0])
    client.login(username="placesonly", password=PASSWORD)
    index = client.get(reverse("screening:index")).content.decode()
    assert reverse("screening:campaign_new", args=["zone", tree.zones[0].pk]) not in index
    form = client.get(reverse("screening:campaign_new", args=["zone", tree.zones[0].pk]))
    assert form.status_code == 403


def test_the_zone_staff_is_offered_and_shown_the_form(client, tree):
    client.login(username="z_property", password=PASSWORD)
    url = reverse("screening:campaign_new", args=["zone", tree.zones[0].pk])
    assert url in client.get(reverse("screening:index")).content.decode()
    assert client.get(url).status_code == 200
