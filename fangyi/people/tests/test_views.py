"""Person pages: forms, timeline, duty chain, search, query counts."""

import pytest
from django.urls import reverse

from fangyi.conftest import PASSWORD, make_id_number
from fangyi.people.models import Person


@pytest.fixture
def grid(client, tree):
    client.login(username="b_grid", password=PASSWORD)
    return client


def test_person_page_shows_masked_values_chain_and_timeline(grid, tree):
    person = tree.people[0]
    grid.post(
        reverse("person_edit", args=[person.pk]),
        {
            "name": "张三",
            "doc_type": "id_card",
            "travel_status": "never_left",
            "health_status": "normal",
            "verified": "on",
        },
    )
    page = grid.get(reverse("person", args=[person.pk])).content.decode()
    assert "张三" in page
    assert person.doc_number not in page
    assert person.doc_number[:4] + "*" * 10 + person.doc_number[-4:] in page
    # The duty chain lists every level's staff from the building up.
    for username in ("b_grid", "z_property", "c_secretary", "s_cadre", "d_leader"):
        assert f"{username}员" in page
    assert page.index("b_grid员") < page.index("d_leader员")
    # Timeline: who and old → new.
    assert "居民1" in page and "张三" in page


def test_edit_with_bad_phone_names_the_field_and_saves_nothing(grid, tree):
    person = tree.people[0]
    response = grid.post(
        reverse("person_edit", args=[person.pk]),
        {
            "name": "改名",
            "doc_type": "id_card",
            "phone": "999",
            "travel_status": "never_left",
            "health_status": "normal",
        },
    )
    assert response.status_code == 200
    assert 'data-testid="error-phone"' in response.content.decode()
    person.refresh_from_db()
    assert person.name == "居民1"


def test_create_person_in_dwelling(grid, tree):
    dwelling = tree.dwellings[0]
    number = make_id_number(777)
    response = grid.post(
        reverse("person_create", args=[dwelling.pk]),
        {
            "name": "新人",
            "doc_type": "id_card",
            "doc_number": number,
            "travel_status": "new_arrival",
            "health_status": "normal",
        },
    )
    person = Person.objects.get(doc_number=number)
    assert response.status_code == 302
    assert response["Location"] == reverse("person", args=[person.pk])
    assert person.dwelling == dwelling


def test_create_duplicate_shows_error(grid, tree):
    response = grid.post(
        reverse("person_create", args=[tree.dwellings[0].pk]),
        {
            "name": "重复",
            "doc_type": "id_card",
            "doc_number": tree.people[0].doc_number,
            "travel_status": "never_left",
            "health_status": "normal",
        },
    )
    page = response.content.decode()
    assert 'data-testid="error-doc_number"' in page
    assert (
        f'href="{reverse("person", args=[tree.people[0].pk])}" data-testid="duplicate-link"' in page
    )
    assert Person.objects.filter(name="重复").count() == 0


def test_create_in_dwelling_outside_scope_is_404(grid, tree):
    assert grid.get(reverse("person_create", args=[tree.dwellings[-1].pk])).status_code == 404


def test_search_by_name_id_and_phone_within_scope(grid, tree):
    inside, outside = tree.people[0], tree.people[-1]
    for query in (inside.name, inside.doc_number, inside.phone, inside.phone[-4:]):
        page = grid.get(reverse("search"), {"q": query}).content.decode()
        assert reverse("person", args=[inside.pk]) in page, query
    for query in (outside.name, outside.doc_number, outside.phone):
        page = grid.get(reverse("search"), {"q": query}).content.decode()
        assert reverse("person", args=[outside.pk]) not in page, query


@pytest.mark.parametrize(
    ("url_name", "args"),
    [("place", ("district", 0)), ("place", ("zone", 0)), ("place", ("building", 0))],
)
def test_place_pages_run_a_bounded_number_of_queries(
    client, tree, django_assert_max_num_queries, url_name, args
):
    client.login(username="d_leader", password=PASSWORD)
    level = args[0]
    place = {"district": tree.district, "zone": tree.zones[0], "building": tree.buildings[0]}[level]
    with django_assert_max_num_queries(10):
        assert client.get(reverse(url_name, args=[level, place.pk])).status_code == 200


def test_person_page_runs_a_bounded_number_of_queries(client, tree, django_assert_max_num_queries):
    client.login(username="d_leader", password=PASSWORD)
    person = tree.people[0]
    for i in range(5):
        Person.objects.filter(pk=person.pk).update(name=f"n{i}")
    with django_assert_max_num_queries(10):
        assert client.get(reverse("person", args=[person.pk])).status_code == 200


def test_place_page_counts(client, tree):
    client.login(username="d_leader", password=PASSWORD)
    page = client.get(reverse("place", args=["street", tree.streets[0].pk])).content.decode()
    assert f'data-testid="total">{len(tree.people_in("street", tree.streets[0]))}<' in page


def test_move_a_person_to_another_dwelling(grid, tree):
    person, target = tree.people[0], tree.dwellings[1]
    response = grid.post(reverse("dwelling", args=[target.pk]), {"doc_number": person.doc_number})
    assert response.status_code == 302
    person.refresh_from_db()
    assert (person.dwelling, person.household.dwelling) == (target, target)
    event = person.events.get()
    assert event.changes == {"dwelling": [str(tree.dwellings[0]), str(target)]}
    # Someone outside the user's area cannot be moved in.
    page = grid.post(
        reverse("dwelling", args=[target.pk]), {"doc_number": tree.people[-1].doc_number}
    ).content.decode()
    assert 'data-testid="error-move"' in page
    assert Person.objects.get(pk=tree.people[-1].pk).dwelling == tree.dwellings[-1]
