"""Guards and volunteers work at a zone without keeping its residents' files: they may
not read them on dwelling pages, nor write them anywhere (issue 12, holes 3 and 4).
Every write is refused by the service before anything is saved."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone

from fangyi.conftest import PASSWORD, _user, make_id_number
from fangyi.duty.choices import Role
from fangyi.duty.scope import ERR_NOT_YOUR_FILES, ERR_PLACES_ONLY
from fangyi.duty.services import api_token_create
from fangyi.people import services
from fangyi.people.models import Person, PersonEvent
from fangyi.support.choices import Channel, RequestKind
from fangyi.support.models import ServiceRequest

PLACES_ONLY = ("guard", "volunteer")


@pytest.fixture
def staff(tree):
    """The gate guard and a volunteer of zone 1; the volunteer serves resident 1 (an
    open request given to it), which lets it read that one file."""
    zone = tree.zones[0]
    users = {
        "guard": _user("guard", Role.GATE_GUARD, zone=zone),
        "volunteer": _user("volunteer", Role.VOLUNTEER, zone=zone),
    }
    served = tree.people[0]
    ServiceRequest.objects.create(
        person=served,
        kind=RequestKind.MEDICINE,
        channel=Channel.STAFF,
        created_at=timezone.now(),
        assigned_to=users["volunteer"].staff,
        district_id=served.district_id,
        street_id=served.street_id,
        community_id=served.community_id,
        zone_id=served.zone_id,
        building_id=served.building_id,
    )
    return users


def _new_values(seq: int) -> dict:
    return {"name": "新住户", "doc_number": make_id_number(seq), "phone": "13700001234"}


def _bearer(user) -> dict:
    return {"Authorization": f"Bearer {api_token_create(user=user)}"}


# --- the dwelling page (hole 3) ----------------------------------------------------------


@pytest.mark.parametrize("persona", PLACES_ONLY)
def test_dwelling_page_shows_places_only_roles_a_count_and_no_names(client, tree, staff, persona):
    dwelling = tree.dwellings[1]  # nobody here is served by the volunteer
    residents = [p for p in tree.people if p.dwelling_id == dwelling.pk]
    client.force_login(staff[persona])
    response = client.get(reverse("dwelling", args=[dwelling.pk]))
    assert response.status_code == 200
    page = response.content.decode()
    for person in residents:
        assert person.name not in page
        assert reverse("person", args=[person.pk]) not in page
    assert 'data-testid="residents-hidden"' in page
    assert f"({len(residents)})" in page
    # No "add a person" and no "move someone here" for those who may not.
    assert 'data-testid="move-here"' not in page
    assert reverse("person_create", args=[dwelling.pk]) not in page


def test_a_volunteer_sees_on_the_dwelling_page_only_the_person_it_serves(client, tree, staff):
    dwelling = tree.dwellings[0]
    served, other = (p for p in tree.people if p.dwelling_id == dwelling.pk)
    client.force_login(staff["volunteer"])
    page = client.get(reverse("dwelling", args=[dwelling.pk])).content.decode()
    assert served.name in page and other.name not in page


def test_the_grid_worker_sees_every_resident_and_the_forms(client, tree):
    dwelling = tree.dwellings[0]
    client.login(username="b_grid", password=PASSWORD)
    page = client.get(reverse("dwelling", args=[dwelling.pk])).content.decode()
    for person in (p for p in tree.people if p.dwelling_id == dwelling.pk):
        assert person.name in page
    assert 'data-testid="move-here"' in page and 'data-testid="residents-hidden"' not in page
    assert reverse("person_create", args=[dwelling.pk]) in page


@pytest.mark.parametrize("persona", PLACES_ONLY)
def test_place_pages_offer_places_only_roles_no_import_or_export(client, tree, staff, persona):
    client.force_login(staff[persona])
    page = client.get(reverse("place", args=["zone", tree.zones[0].pk])).content.decode()
    assert 'data-testid="import-export"' not in page
    client.login(username="z_property", password=PASSWORD)
    page = client.get(reverse("place", args=["zone", tree.zones[0].pk])).content.decode()
    assert 'data-testid="import-export"' in page


# --- writes (hole 4) ---------------------------------------------------------------------


@pytest.mark.parametrize("persona", PLACES_ONLY)
def test_api_create_is_refused_before_anything_is_saved(client, tree, staff, persona):
    before = Person.objects.count()
    response = client.post(
        "/api/people/",
        {"dwelling_id": tree.dwellings[0].pk, **_new_values(500)},
        content_type="application/json",
        headers=_bearer(staff[persona]),
    )
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "forbidden"
    assert Person.objects.count() == before
    assert not PersonEvent.objects.exists()


@pytest.mark.parametrize("persona", PLACES_ONLY)
def test_create_page_is_refused_and_saves_nothing(client, tree, staff, persona):
    client.force_login(staff[persona])
    url = reverse("person_create", args=[tree.dwellings[0].pk])
    assert client.get(url).status_code == 403
    before = Person.objects.count()
    response = client.post(url, {**_new_values(501), "travel_status": "never_left"})
    assert response.status_code == 403
    assert Person.objects.count() == before


@pytest.mark.parametrize("persona", PLACES_ONLY)
def test_services_refuse_places_only_roles_with_the_reason(tree, staff, persona):
    user, person = staff[persona], tree.people[0]
    with pytest.raises(PermissionDenied) as caught:
        services.person_create(user=user, dwelling=tree.dwellings[0], values=_new_values(502))
    assert str(caught.value) == str(ERR_PLACES_ONLY)
    with pytest.raises(PermissionDenied):
        services.person_update(user=user, person=person, values={"notes": "x"})
    with pytest.raises(PermissionDenied):
        services.person_move(user=user, person=person, dwelling=tree.dwellings[1])
    with pytest.raises(PermissionDenied):
        services.person_move_here(
            user=user, dwelling=tree.dwellings[1], doc_number=person.doc_number
        )
    person.refresh_from_db()
    assert (person.notes, person.dwelling_id) == ("", tree.dwellings[0].pk)
    assert not PersonEvent.objects.exists()


def test_the_volunteer_reads_the_file_it_serves_but_may_not_change_it(client, tree, staff):
    person = tree.people[0]
    client.force_login(staff["volunteer"])
    page = client.get(reverse("person", args=[person.pk]))
    assert page.status_code == 200
    assert 'data-testid="edit-person"' not in page.content.decode()
    assert client.get(reverse("person_edit", args=[person.pk])).status_code == 403
    response = client.patch(
        f"/api/people/{person.pk}",
        {"notes": "改"},
        content_type="application/json",
        headers=_bearer(staff["volunteer"]),
    )
    assert response.status_code == 403
    person.refresh_from_db()
    assert person.notes == ""


@pytest.mark.parametrize("persona", PLACES_ONLY)
def test_moving_someone_into_a_dwelling_is_refused(client, tree, staff, persona):
    person, target = tree.people[0], tree.dwellings[1]
    client.force_login(staff[persona])
    response = client.post(reverse("dwelling", args=[target.pk]), {"doc_number": person.doc_number})
    assert response.status_code == 403
    person.refresh_from_db()
    assert person.dwelling_id == tree.dwellings[0].pk


def test_staff_write_only_where_they_keep_the_files(tree):
    """The building's grid worker may not create a file in the next building, even of
    its zone; the zone's property manager may; the system (None) may anywhere."""
    grid, property_manager = tree.users["building"], tree.users["zone"]
    next_building = tree.dwellings[2]
    assert next_building.building_id != tree.buildings[0].pk
    with pytest.raises(PermissionDenied) as caught:
        services.person_create(user=grid, dwelling=next_building, values=_new_values(503))
    assert str(caught.value) == str(ERR_NOT_YOUR_FILES)
    assert services.person_create(
        user=property_manager, dwelling=next_building, values=_new_values(504)
    )
    assert services.person_create(user=None, dwelling=tree.dwellings[-1], values=_new_values(505))


def test_a_file_without_a_dwelling_needs_an_operator_or_a_named_district(tree, staff):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as caught:
        services.person_create(user=tree.users["zone"], dwelling=None, values=_new_values(506))
    assert caught.value.message_dict == {"dwelling": [str(services.ERR_DWELLING_NEEDED)]}
    with pytest.raises(PermissionDenied):
        services.person_create(
            user=staff["guard"], dwelling=None, values=_new_values(507), district=tree.district
        )
    person = services.person_create(
        user=tree.users["zone"], dwelling=None, values=_new_values(508), district=tree.district
    )
    assert (person.district_id, person.zone_id) == (tree.district.pk, None)
