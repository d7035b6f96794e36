"""The people and places API: shapes, validation errors, history, query counts."""

import pytest

from fangyi.conftest import make_id_number
from fangyi.duty.services import api_token_create
from fangyi.people.models import Person


@pytest.fixture
def api(client, tree):
    token = api_token_create(user=tree.users["zone"])

    def call(method, path, data=None):
        kwargs = {"headers": {"Authorization": f"Bearer {token}"}}
        if data is not None:
            kwargs["data"] = data
            kwargs["content_type"] = "application/json"
        return getattr(client, method)(path, **kwargs)

    return call


def test_openapi_schema_is_served(client):
    response = client.get("/api/openapi.json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    assert "/api/people/" in paths and "/api/places/{level}/{place_id}" in paths


def test_every_api_schema_has_its_own_name(client):
    """The OpenAPI document names each schema by its class name: two classes of one name
    (in two apps) would share one entry there, and one of them would be described wrong."""
    from ninja import Schema

    client.get("/api/openapi.json")  # every router and its schemas imported
    seen: dict[str, str] = {}
    stack = list(Schema.__subclasses__())
    while stack:
        cls = stack.pop()
        stack.extend(cls.__subclasses__())
        if not cls.__module__.startswith("fangyi."):
            continue
        where = f"{cls.__module__}.{cls.__qualname__}"
        assert seen.setdefault(cls.__name__, where) == where, (cls.__name__, seen[cls.__name__])
    components = client.get("/api/openapi.json").json()["components"]["schemas"]
    names = {"MapCoverageOut", "MapScreeningOut", "CoverageOut", "MapDutyOut", "DutyOut"}
    assert names <= set(components)
    assert "phone" in components["MapDutyOut"]["properties"]  # the map's chain, not a file's
    assert "staff" in components["DutyOut"]["properties"]


def test_place_detail_with_children_counts(api, tree):
    zone = tree.zones[0]
    body = api("get", f"/api/places/zone/{zone.pk}").json()
    assert body["name"] == zone.name and body["kind"] == "compound"
    assert body["people"] == len(tree.people_in("zone", zone))
    assert [a["level"] for a in body["ancestors"]] == ["district", "street", "community"]
    assert {c["id"]: c["people"] for c in body["children"]} == {
        b.pk: len(tree.people_in("building", b)) for b in tree.buildings if b.zone_id == zone.pk
    }


def test_create_update_and_history(api, tree):
    dwelling = tree.dwellings[0]
    number = make_id_number(321)
    response = api(
        "post",
        "/api/people/",
        {"dwelling_id": dwelling.pk, "name": "李四", "doc_number": number, "phone": "13700001234"},
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["doc_number_masked"] == number[:4] + "*" * 10 + number[-4:]
    assert body["phone_masked"] == "137****1234"
    assert body["duty_chain"][0]["level"] == "building"
    pid = body["id"]
    response = api("patch", f"/api/people/{pid}", {"health_status": "symptoms"})
    assert response.status_code == 200 and response.json()["health_status"] == "symptoms"
    history = api("get", f"/api/people/{pid}/history").json()
    assert [h["action"] for h in history] == ["updated", "created"]
    assert history[0]["changes"] == {"health_status": ["normal", "symptoms"]}
    assert history[0]["by"] == "z_property"
    assert "*" in history[1]["changes"]["doc_number"][1]


def test_invalid_input_names_fields_and_saves_nothing(api, tree):
    before = Person.objects.count()
    response = api(
        "post",
        "/api/people/",
        {"dwelling_id": tree.dwellings[0].pk, "name": "坏", "doc_number": "123", "phone": "1"},
    )
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert set(error["fields"]) == {"doc_number", "phone"}
    assert Person.objects.count() == before


def test_schema_errors_use_the_same_shape(api, tree):
    response = api("post", "/api/people/", {"dwelling_id": tree.dwellings[0].pk})
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert "name" in error["fields"] and "doc_number" in error["fields"]


def test_create_in_dwelling_outside_scope_is_refused(api, tree):
    response = api(
        "post",
        "/api/people/",
        {"dwelling_id": tree.dwellings[-1].pk, "name": "外", "doc_number": make_id_number(322)},
    )
    assert response.status_code == 422
    assert "dwelling_id" in response.json()["error"]["fields"]


def test_duplicate_points_to_existing_file(api, tree):
    existing = tree.people[0]
    response = api(
        "post",
        "/api/people/",
        {"dwelling_id": tree.dwellings[0].pk, "name": "重", "doc_number": existing.doc_number},
    )
    assert response.status_code == 422
    assert existing.name in response.json()["error"]["fields"]["doc_number"][0]


def test_reveal_rejects_other_fields(api, tree):
    response = api("post", f"/api/people/{tree.people[0].pk}/reveal", {"field": "name"})
    assert response.status_code == 422


def test_filter_by_place_and_search(api, tree):
    building = tree.buildings[0]
    body = api("get", f"/api/people/?level=building&place_id={building.pk}").json()
    assert {i["id"] for i in body["items"]} == tree.people_in("building", building)
    body = api("get", f"/api/people/?q={tree.people[0].name}").json()
    assert [i["id"] for i in body["items"]] == [tree.people[0].pk]
    assert api("get", "/api/people/?level=planet&place_id=1").status_code == 422


def test_people_list_query_count_does_not_grow_with_rows(api, tree, django_assert_max_num_queries):
    with django_assert_max_num_queries(6):
        body = api("get", "/api/people/?limit=500").json()
    assert len(body["items"]) == len(tree.people_in("zone", tree.zones[0]))
