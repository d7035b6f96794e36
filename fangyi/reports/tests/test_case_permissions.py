"""Confirmed cases change the official statistics: only the staff who keep the person
files of the zone (and of the person) record them (issue 12, hole 4). Gate guards and
volunteers are refused, on the page and by the service, before anything is saved."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from fangyi.conftest import PASSWORD, _user
from fangyi.duty.choices import Role
from fangyi.duty.scope import ERR_NOT_YOUR_FILES, ERR_PLACES_ONLY
from fangyi.reports.models import ConfirmedCase
from fangyi.reports.services import ERR_NOT_RECORDER, confirmed_case_create

DAY = dt.date(2020, 2, 10)
PLACES_ONLY = {"guard": Role.GATE_GUARD, "volunteer": Role.VOLUNTEER}


@pytest.fixture
def places_only(tree):
    return {name: _user(name, role, zone=tree.zones[0]) for name, role in PLACES_ONLY.items()}


@pytest.mark.parametrize("persona", sorted(PLACES_ONLY))
def test_places_only_roles_may_not_record_a_case(client, tree, places_only, persona):
    user, zone = places_only[persona], tree.zones[0]
    with pytest.raises(PermissionDenied) as caught:
        confirmed_case_create(by=user, date=DAY, zone=zone, today=DAY)
    assert str(caught.value) == str(ERR_PLACES_ONLY)
    with pytest.raises(PermissionDenied):
        confirmed_case_create(by=user, date=DAY, person=tree.people[0], today=DAY)
    client.force_login(user)
    assert client.get(reverse("reports:case_new")).status_code == 403
    response = client.post(reverse("reports:case_new"), {"date": "2020-02-10", "zone": zone.pk})
    assert response.status_code == 403
    stats = client.get(reverse("reports:stats"), {"place": f"zone:{zone.pk}"})
    assert stats.status_code == 200
    assert 'data-testid="record-case"' not in stats.content.decode()
    assert not ConfirmedCase.objects.exists()


def test_a_building_grid_worker_may_not_record_for_its_whole_zone(client, tree):
    # It keeps one building's files, no zone's: there is no zone it may record in, so it
    # is offered neither the link nor the form (before: a form with an empty zone list,
    # and a 403 page on saving a case found by ID number).
    grid = tree.users["building"]
    for target in ({"zone": tree.zones[0]}, {"person": tree.people[0]}):
        with pytest.raises(PermissionDenied) as caught:
            confirmed_case_create(by=grid, date=DAY, today=DAY, **target)
        assert str(caught.value) == str(ERR_NOT_RECORDER)
    client.force_login(grid)
    assert client.get(reverse("reports:case_new")).status_code == 403
    stats = client.get(reverse("reports:stats"), {"place": f"zone:{tree.zones[0].pk}"})
    assert 'data-testid="record-case"' not in stats.content.decode()
    # Nor a street cadre a person of another street.
    with pytest.raises(PermissionDenied) as caught:
        confirmed_case_create(by=tree.users["street"], date=DAY, person=tree.people[-1], today=DAY)
    assert str(caught.value) == str(ERR_NOT_YOUR_FILES)
    assert not ConfirmedCase.objects.exists()


@pytest.mark.parametrize("persona", ["district", "street", "community", "zone"])
def test_the_files_keepers_of_the_zone_record_it(client, tree, persona):
    case = confirmed_case_create(by=tree.users[persona], date=DAY, person=tree.people[0], today=DAY)
    assert case.zone_id == tree.zones[0].pk
    client.login(username=tree.users[persona].username, password=PASSWORD)
    stats = client.get(reverse("reports:stats"), {"place": f"zone:{tree.zones[0].pk}"})
    assert 'data-testid="record-case"' in stats.content.decode()
