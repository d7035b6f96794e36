"""Each persona sees exactly its subtree, on pages and in the API; outsiders get 404."""

import pytest
from django.urls import reverse

from fangyi.audit.models import AccessLog
from fangyi.conftest import PASSWORD, persona_place
from fangyi.duty.selectors import places_for
from fangyi.duty.services import api_token_create
from fangyi.people.selectors import people_for

PERSONAS = ["district", "street", "community", "zone", "building"]


@pytest.mark.parametrize("persona", PERSONAS)
def test_people_for_is_exactly_the_subtree(tree, persona):
    level, place = persona_place(tree, persona)
    seen = set(people_for(tree.users[persona]).values_list("pk", flat=True))
    assert seen == tree.people_in(level, place)
    assert seen  # every persona has somebody in its subtree


@pytest.mark.parametrize("persona", PERSONAS)
def test_places_for_is_exactly_the_subtree(tree, persona):
    level, place = persona_place(tree, persona)
    user = tree.users[persona]
    zones = set(places_for(user, "zone").values_list("pk", flat=True))
    expected = {
        z.pk
        for z in tree.zones
        if level in ("district", "street", "community", "zone")
        and (place.pk if level != "district" else tree.district.pk)
        == (z.pk if level == "zone" else getattr(z, f"{level}_id"))
    }
    assert zones == expected


def test_outsider_sees_only_own_zone(tree):
    outsider = tree.users["outsider"]
    seen = set(people_for(outsider).values_list("pk", flat=True))
    assert seen == tree.people_in("zone", tree.zones[2])


def test_user_without_assignment_sees_nothing(tree, django_user_model):
    nobody = django_user_model.objects.create_user("nobody", password=PASSWORD)
    assert not people_for(nobody).exists()
    assert not places_for(nobody, "district").exists()


@pytest.mark.parametrize("persona", PERSONAS)
def test_person_pages_in_and_out_of_scope(client, tree, persona):
    level, place = persona_place(tree, persona)
    client.login(username=tree.users[persona].username, password=PASSWORD)
    visible = tree.people_in(level, place)
    for person in tree.people:
        response = client.get(reverse("person", args=[person.pk]))
        assert response.status_code == (200 if person.pk in visible else 404), person


@pytest.mark.parametrize("persona", PERSONAS)
def test_place_pages_in_and_out_of_scope(client, tree, persona):
    level, place = persona_place(tree, persona)
    client.login(username=tree.users[persona].username, password=PASSWORD)
    assert client.get(reverse("place", args=[level, place.pk])).status_code == 200
    # The zone of another street is never visible to anybody below the district.
    other_zone = tree.zones[2]
    expected = 200 if persona == "district" else 404
    assert client.get(reverse("place", args=["zone", other_zone.pk])).status_code == expected
    # Going up the tree is not allowed either.
    if level != "district":
        assert client.get(reverse("place", args=["district", tree.district.pk])).status_code == 404


def test_anonymous_is_redirected_to_login(client, tree):
    response = client.get(reverse("person", args=[tree.people[0].pk]))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_unknown_level_is_404(client, tree):
    client.login(username="d_leader", password=PASSWORD)
    assert client.get("/places/planet/1/").status_code == 404


@pytest.mark.parametrize("persona", PERSONAS)
def test_api_people_list_is_scoped(client, tree, persona):
    level, place = persona_place(tree, persona)
    token = api_token_create(user=tree.users[persona])
    response = client.get("/api/people/?limit=500", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    body = response.json()
    assert {item["id"] for item in body["items"]} == tree.people_in(level, place)
    assert body["count"] == len(tree.people_in(level, place))
    for item in body["items"]:
        assert "*" in item["doc_number_masked"] and "*" in item["phone_masked"]


def test_api_outsider_gets_404_with_error_shape(client, tree):
    token = api_token_create(user=tree.users["outsider"])
    person = tree.people[0]
    response = client.get(f"/api/people/{person.pk}", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    response = client.get(
        f"/api/places/zone/{tree.zones[0].pk}", headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 404


def test_api_anonymous_and_bad_token_get_401(client, tree):
    assert client.get("/api/people/").status_code == 401
    response = client.get("/api/people/", headers={"Authorization": "Bearer fy_forged"})
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthenticated"


def test_reveal_is_logged_page_and_api(client, tree):
    person = tree.people[0]
    client.login(username="b_grid", password=PASSWORD)
    page = client.get(reverse("person", args=[person.pk])).content.decode()
    assert person.doc_number not in page and person.phone not in page
    assert AccessLog.objects.count() == 0
    response = client.post(reverse("person_reveal", args=[person.pk, "doc_number"]))
    assert person.doc_number in response.content.decode()
    log = AccessLog.objects.get()
    assert (log.user.username, log.person_id, log.field, log.channel) == (
        "b_grid",
        person.pk,
        "doc_number",
        "web",
    )
    token = api_token_create(user=tree.users["building"])
    response = client.post(
        f"/api/people/{person.pk}/reveal",
        {"field": "phone"},
        content_type="application/json",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.json() == {"field": "phone", "value": person.phone}
    assert AccessLog.objects.filter(field="phone", channel="api").count() == 1


def test_reveal_outside_scope_is_404_and_not_logged(client, tree):
    client.login(username="outsider", password=PASSWORD)
    person = tree.people[0]
    response = client.post(reverse("person_reveal", args=[person.pk, "doc_number"]))
    assert response.status_code == 404
    assert not AccessLog.objects.exists()


def test_reveal_needs_post(client, tree):
    client.login(username="b_grid", password=PASSWORD)
    response = client.get(reverse("person_reveal", args=[tree.people[0].pk, "doc_number"]))
    assert response.status_code == 405


def _staff_user(username, role, **place):
    from django.contrib.auth import get_user_model

    from fangyi.duty.models import Assignment, Staff

    user = get_user_model().objects.create_user(username, password=PASSWORD)
    staff = Staff.objects.create(user=user, name=username, role=role)
    Assignment.objects.create(staff=staff, **place)
    return user


def test_a_gate_guard_sees_the_zone_but_no_person_file(client, tree):
    """Least privilege: a guard works at the zone's gates, not on its residents' files."""
    from fangyi.duty.choices import Role

    zone = tree.zones[0]
    guard = _staff_user("zone_guard", Role.GATE_GUARD, zone=zone)
    residents = tree.people_in("zone", zone)
    assert residents
    assert not people_for(guard).exists()
    assert set(places_for(guard, "zone").values_list("pk", flat=True)) == {zone.pk}
    client.login(username="zone_guard", password=PASSWORD)
    assert client.get(reverse("place", args=["zone", zone.pk])).status_code == 200
    for pk in residents:
        assert client.get(reverse("person", args=[pk])).status_code == 404
    person = next(p for p in tree.people if p.pk in residents)
    found = client.get(reverse("search"), {"q": person.name})
    assert found.status_code == 200 and f"/people/{person.pk}/" not in found.content.decode()
    assert client.post(reverse("person_reveal", args=[person.pk, "phone"])).status_code == 404
    assert not AccessLog.objects.exists()
    # Nor the zone's files by spreadsheet, nor a screening campaign over its residents.
    for name in ("screening:place_people", "screening:export"):
        assert client.get(reverse(name, args=["zone", zone.pk])).status_code == 404, name
    assert client.post(reverse("screening:import_upload", args=[zone.pk])).status_code == 404
    import datetime as dt

    from django.core.exceptions import PermissionDenied

    from fangyi.screening import services as screening

    with pytest.raises(PermissionDenied):
        screening.campaign_create(
            user=guard, name="x", place=zone, starts_on=dt.date(2020, 2, 1),
            ends_on=dt.date(2020, 2, 10),
        )  # fmt: skip
    # A confirmed case of the zone: its name masked and not linked for the guard.
    from fangyi.people.identity import mask_name
    from fangyi.reports.services import confirmed_case_create

    confirmed_case_create(by=None, date=dt.date(2020, 2, 3), zone=zone, person=person)
    stats = client.get(reverse("reports:stats"), {"place": f"zone:{zone.pk}"})
    page = stats.content.decode()
    assert stats.status_code == 200 and mask_name(person.name) in page
    assert person.name not in page and f"/people/{person.pk}/" not in page
    # The property manager of the same zone keeps the residents' files.
    manager = tree.users["zone"]
    assert set(people_for(manager).values_list("pk", flat=True)) == residents
    client.login(username=manager.username, password=PASSWORD)
    page = client.get(reverse("reports:stats"), {"place": f"zone:{zone.pk}"}).content.decode()
    assert f'<a href="/people/{person.pk}/">{person.name}</a>' in page
