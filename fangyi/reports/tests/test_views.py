"""Every page and endpoint: allowed, outsider 404, anonymous redirect/401, wrong method 405,
read-only roles 403 on edits; uploads and outline saves."""

import io
import json

import pytest
from django.urls import reverse
from PIL import Image

from fangyi.conftest import PASSWORD
from fangyi.duty.choices import Role
from fangyi.duty.models import Assignment, Staff
from fangyi.duty.services import api_token_create
from fangyi.places.models import Building
from fangyi.reports.models import ZoneMap
from fangyi.reports.tests.conftest import login


def zone_urls(tree):
    z, b = tree.zones[0].pk, tree.buildings[0].pk
    return {
        "zone_map": reverse("reports:zone_map", args=[z]),
        "poster": reverse("reports:poster", args=[z]),
        "building": reverse("reports:building", args=[b]),
        "stats": reverse("reports:stats") + f"?place=zone:{z}",
        "api_map": f"/api/zones/{z}/map",
        "api_stats": f"/api/stats?place=zone:{z}",
    }


@pytest.mark.parametrize(
    "name", ["zone_map", "poster", "building", "stats", "api_map", "api_stats"]
)
@pytest.mark.parametrize(
    ("username", "status"),
    [
        ("d_leader", 200),
        ("s_cadre", 200),
        ("c_secretary", 200),
        ("z_property", 200),
        ("outsider", 404),
    ],
)
def test_scope_of_zone_pages(client, tree, name, username, status):
    login(client, username)
    assert client.get(zone_urls(tree)[name]).status_code == status


def test_building_worker_sees_the_building_not_the_zone_map(client, tree):
    login(client, "b_grid")
    urls = zone_urls(tree)
    assert client.get(urls["building"]).status_code == 200
    assert client.get(urls["zone_map"]).status_code == 404


@pytest.mark.parametrize("name", ["zone_map", "poster", "building", "stats"])
def test_anonymous_is_sent_to_log_in(client, tree, name):
    response = client.get(zone_urls(tree)[name])
    assert response.status_code == 302 and "/login/" in response["Location"]


@pytest.mark.parametrize("name", ["api_map", "api_stats"])
def test_api_needs_a_token(client, tree, name):
    response = client.get(zone_urls(tree)[name])
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthenticated"


def test_api_errors_have_the_one_shape(client, tree):
    headers = {"Authorization": f"Bearer {api_token_create(user=tree.users['outsider'])}"}
    response = client.get(f"/api/zones/{tree.zones[0].pk}/map", headers=headers)
    assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"
    response = client.get("/api/stats?place=planet:1", headers=headers)
    assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"


def test_wrong_methods(client, tree):
    login(client, "z_property")
    urls = zone_urls(tree)
    for name in ("zone_map", "poster", "building", "stats"):
        assert client.post(urls[name]).status_code == 405
    assert client.post(reverse("reports:overview")).status_code == 405
    assert client.post(reverse("reports:daily")).status_code == 405
    polygon = reverse("reports:polygon", args=[tree.buildings[0].pk])
    assert client.get(polygon).status_code == 405


def test_overview_and_daily_report_scope(client, tree):
    login(client, "outsider")
    page = client.get(reverse("reports:overview")).content.decode()
    assert tree.zones[2].name in page and tree.zones[0].name not in page
    assert (
        client.get(reverse("reports:overview") + f"?street={tree.streets[0].pk}").status_code == 404
    )
    assert (
        client.get(reverse("reports:daily") + f"?place=district:{tree.district.pk}").status_code
        == 404
    )
    login(client, "s_cadre")
    assert (
        client.get(reverse("reports:daily") + f"?place=street:{tree.streets[0].pk}").status_code
        == 200
    )


def save_polygon(client, building, polygon):
    return client.post(
        reverse("reports:polygon", args=[building.pk]),
        data=json.dumps({"polygon": polygon}),
        content_type="application/json",
    )


def test_moving_a_building(client, tree):
    login(client, "z_property")
    building = tree.buildings[0]
    response = save_polygon(client, building, [[100, 100], [300, 100], [300, 250.04], [100, 250]])
    assert response.status_code == 200
    building.refresh_from_db()
    assert building.polygon == [[100, 100], [300, 100], [300, 250.0], [100, 250]]
    bad = save_polygon(client, building, [[0, 0], [1200, 0], [0, 50]])
    assert bad.status_code == 422 and bad.json()["error"]["fields"]["polygon"]
    building.refresh_from_db()
    assert building.polygon[1] == [300, 100]


def test_read_only_roles_and_outsiders_cannot_edit(client, tree, django_user_model):
    user = django_user_model.objects.create_user("guard", password=PASSWORD)
    staff = Staff.objects.create(user=user, name="门卫", role=Role.GATE_GUARD)
    Assignment.objects.create(staff=staff, zone=tree.zones[0])
    login(client, "guard")
    assert client.get(zone_urls(tree)["zone_map"]).status_code == 200
    assert save_polygon(client, tree.buildings[0], [[1, 1], [50, 1], [50, 50]]).status_code == 403
    login(client, "outsider")
    assert save_polygon(client, tree.buildings[0], [[1, 1], [50, 1], [50, 50]]).status_code == 404
    login(client, "b_grid")  # sees the building, not the zone's map
    assert save_polygon(client, tree.buildings[0], [[1, 1], [50, 1], [50, 50]]).status_code == 403
    assert Building.objects.get(pk=tree.buildings[0].pk).polygon[0] == [10, 10]


def png(width=40, height=28) -> io.BytesIO:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (200, 220, 200)).save(buffer, format="PNG")
    buffer.seek(0)
    buffer.name = "aerial.png"
    return buffer


def test_uploading_a_base_picture(client, tree):
    login(client, "z_property")
    zone = tree.zones[0]
    url = reverse("reports:base_image", args=[zone.pk])
    assert client.get(url).status_code == 404
    response = client.post(url, {"base_image": png()})
    assert response.status_code == 302
    zone_map = ZoneMap.objects.get(zone=zone)
    assert (zone_map.image_width, zone_map.image_height) == (40, 28)
    served = client.get(url)
    assert served.status_code == 200 and b"".join(served.streaming_content)[:4] == b"\x89PNG"
    assert 'data-testid="base-image"' in client.get(zone_urls(tree)["zone_map"]).content.decode()
    # Not a picture: refused, the old one kept.
    fake = io.BytesIO(b"<svg></svg>")
    fake.name = "x.png"
    client.post(url, {"base_image": fake})
    assert ZoneMap.objects.get(zone=zone).base_image.name == zone_map.base_image.name
    login(client, "outsider")
    assert client.get(url).status_code == 404
    assert client.post(url, {"base_image": png()}).status_code == 404


def test_recording_a_confirmed_case(client, tree):
    login(client, "c_secretary")
    person = tree.people[0]
    response = client.post(
        reverse("reports:case_new"),
        {"date": "2020-02-10", "zone": "", "id_number": person.doc_number, "note": ""},
    )
    assert response.status_code == 302
    assert person.confirmed_cases.get().zone_id == person.zone_id
    # An ID number outside the secretary's community is not found.
    outside = tree.people[-1]
    response = client.post(
        reverse("reports:case_new"),
        {"date": "2020-02-10", "zone": "", "id_number": outside.doc_number},
    )
    assert response.status_code == 200 and not outside.confirmed_cases.exists()
