"""Support pages: who may open what (allowed, volunteer 403, outsider 404, anonymous to
the login page, wrong method 405), the resident's link, labels read back, query counts."""

from __future__ import annotations

import pytest
import time_machine
from django.urls import reverse

from fangyi.conftest import PASSWORD
from fangyi.core.documents import pdf_text
from fangyi.support import links, services
from fangyi.support.models import Order, ServiceRequest
from fangyi.support.tests.conftest import DAY, at


@pytest.fixture
def data(tree, catalogue, place_order, volunteer):
    items = catalogue(DAY)
    order = place_order(tree.people[0], {items["veg"]: 1, items["eggs"]: 2})
    request = services.request_raise(
        by=None, person=tree.people[0], kind="medicine", description="降压药", channel="staff"
    )
    visit = services.visit_create(by=None, person=tree.people[1], every_days=2, starts_on=DAY)
    return {"items": items, "order": order, "request": request, "visit": visit}


def _pages(data, supplier, tree):
    day = DAY.isoformat()
    zone = tree.zones[0].pk
    return {
        "home": reverse("support:home"),
        "round": reverse("support:round", args=[zone, day]),
        "labels": reverse("support:labels", args=[zone, day]),
        "order_new": reverse("support:order_new") + f"?person={tree.people[0].pk}",
        "requests": reverse("support:requests"),
        "request": reverse("support:request", args=[data["request"].pk]),
        "visits": reverse("support:visits"),
        "volunteers": reverse("support:volunteers"),
        "care_groups": reverse("support:care_groups"),
        "suppliers": reverse("support:suppliers"),
        "supplier": reverse("support:supplier", args=[supplier.pk]) + f"?date={day}",
    }


# For each page: (zone staff, volunteer, outsider). Lists are scoped, so they answer 200.
EXPECTED = {
    "home": (200, 200, 200),
    "round": (200, 403, 404),
    "labels": (200, 403, 404),
    "order_new": (200, 403, 404),
    "requests": (200, 200, 200),
    "request": (200, 404, 404),
    "visits": (200, 200, 200),
    "volunteers": (200, 403, 200),
    "care_groups": (200, 403, 200),
    "suppliers": (200, 403, 200),
    "supplier": (200, 403, 404),
}


@pytest.mark.parametrize("page", sorted(EXPECTED))
def test_page_permissions(client, tree, data, supplier, page):
    url = _pages(data, supplier, tree)[page]
    response = client.get(url)
    assert response.status_code == 302 and response["Location"].startswith("/login/")
    for who, status in zip(("z_property", "vol", "outsider"), EXPECTED[page], strict=True):
        assert client.login(username=who, password=PASSWORD)
        assert client.get(url).status_code == status, who
        client.logout()
    client.login(username="d_leader", password=PASSWORD)
    assert client.get(url).status_code == 200
    if page in ("home", "round", "labels", "request"):
        assert client.post(url).status_code == 405
    else:
        assert client.put(url).status_code == 405


@pytest.mark.parametrize(
    ("name", "args"),
    [
        ("support:order_assign", "order"),
        ("support:order_deliver", "order"),
        ("support:order_cancel", "order"),
        ("support:visit_done", "visit"),
    ],
)
def test_actions_are_post_only_and_scoped(client, tree, data, name, args):
    url = reverse(name, args=[data[args].pk])
    assert client.post(url).status_code == 302  # to the login page
    client.login(username="outsider", password=PASSWORD)
    assert client.post(url).status_code == 404
    client.login(username="z_property", password=PASSWORD)
    assert client.get(url).status_code == 405


def test_labels_pdf_has_names_buildings_rooms_and_items(client, tree, data, place_order):
    place_order(tree.people[5], {data["items"]["rice"]: 1})  # 2栋 101
    client.login(username="z_property", password=PASSWORD)
    response = client.get(reverse("support:labels", args=[tree.zones[0].pk, DAY.isoformat()]))
    assert response["Content-Type"] == "application/pdf"
    pages = pdf_text(response.content).split("\f")
    assert len(pages) == 2
    assert tree.people[0].name in pages[0] and "1栋 101" in pages[0]
    assert "蔬菜套餐A ×1" in pages[0] and "鸡蛋 ×2" in pages[0]
    assert tree.people[5].name in pages[1] and "2栋 101" in pages[1] and "大米 ×1" in pages[1]


def test_round_page_query_count_does_not_grow_with_orders(
    client, tree, catalogue, place_order, django_assert_max_num_queries
):
    items = catalogue(DAY, stock=None)
    for person in tree.people[:8]:
        place_order(person, {items["veg"]: 1, items["rice"]: 1})
    client.login(username="z_property", password=PASSWORD)
    url = reverse("support:round", args=[tree.zones[0].pk, DAY.isoformat()])
    with django_assert_max_num_queries(14):
        response = client.get(url)
    assert response.content.decode().count('data-testid="order-') == 8
    with django_assert_max_num_queries(14):
        client.get(reverse("support:requests"))
    with django_assert_max_num_queries(16):
        client.get(reverse("support:volunteers"))


def test_volunteer_delivers_their_bag_and_cannot_touch_others(
    client, tree, data, place_order, volunteer
):
    other = place_order(tree.people[1], {data["items"]["rice"]: 1})
    services.order_assign(by=None, order=data["order"], deliverer=volunteer.staff)
    client.login(username="vol", password=PASSWORD)
    with time_machine.travel(at(2020, 2, 11, 14), tick=False):
        home = client.get(reverse("support:home")).content.decode()
    assert f'data-testid="delivery-{data["order"].pk}"' in home
    assert tree.people[1].name not in home
    assert client.post(reverse("support:order_deliver", args=[other.pk])).status_code == 404
    assert client.post(reverse("support:order_assign", args=[data["order"].pk])).status_code == 403
    client.post(reverse("support:order_deliver", args=[data["order"].pk]), {"note": "放门口"})
    data["order"].refresh_from_db()
    assert data["order"].status == "delivered" and data["order"].delivered_by == volunteer


def test_staff_orders_for_someone_and_raises_a_request(client, tree, data):
    client.login(username="z_property", password=PASSWORD)
    url = reverse("support:order_new") + f"?person={tree.people[2].pk}"
    with time_machine.travel(at(2020, 2, 10, 12), tick=False):
        page = client.get(url).content.decode()
        assert "蔬菜套餐A" in page and 'data-testid="resident-link"' in page
        response = client.post(url, {f"item_{data['items']['rice'].pk}": "1"})
    assert response.status_code == 302
    order = Order.objects.get(person=tree.people[2])
    assert (order.channel, order.placed_by, order.delivery_date) == (
        "staff",
        tree.users["zone"],
        DAY,
    )
    url = reverse("support:requests") + f"?person={tree.people[2].pk}"
    response = client.post(url, {"kind": "other", "description": ""})
    assert response.status_code == 422
    assert str(services.ERR_DESCRIPTION) in response.content.decode()
    client.post(url, {"kind": "repairs", "description": "水龙头漏水"})
    request = ServiceRequest.objects.get(person=tree.people[2])
    client.post(reverse("support:request_action", args=[request.pk, "done"]), {"note": "已修好"})
    request.refresh_from_db()
    assert (request.status, request.note) == ("done", "已修好")
    assert request.assigned_to.user == tree.users["zone"]


def test_resident_link_orders_and_shows_only_their_own(client, tree, data, place_order):
    person, neighbour = tree.people[0], tree.people[1]
    theirs = place_order(neighbour, {data["items"]["rice"]: 1})
    token = links.resident_token(person)
    url = reverse("support:resident", args=[token])
    with time_machine.travel(at(2020, 2, 10, 19, 0), tick=False):
        page = client.get(url).content.decode()
        assert person.name not in page and person.name[0] in page
        assert f'data-testid="order-{data["order"].pk}"' in page
        assert f'data-testid="order-{theirs.pk}"' not in page
        response = client.post(
            url, {"action": "order", f"item_{data['items']['eggs'].pk}": "1", "note": "谢谢"}
        )
        assert response.status_code == 302
        # Cancelling the neighbour's order through this link: not found.
        response = client.post(url, {"action": "cancel", "order": theirs.pk})
        assert response.status_code == 404
        client.post(url, {"action": "request", "kind": "rubbish", "description": ""})
    assert Order.objects.filter(person=person).count() == 2
    assert Order.objects.get(pk=theirs.pk).status == "placed"
    assert ServiceRequest.objects.filter(person=person, channel="link", kind="rubbish").exists()
    # A minute after the cutoff, the same item belongs to the closed round.
    with time_machine.travel(at(2020, 2, 10, 20, 1), tick=False):
        response = client.post(url, {"action": "order", f"item_{data['items']['eggs'].pk}": "1"})
    assert response.status_code == 422
    assert "2020-02-12" in response.content.decode()


def test_resident_link_altered_and_replaced(client, tree):
    token = links.resident_token(tree.people[0])
    forged = token.replace(f"{tree.people[0].pk}.", f"{tree.people[1].pk}.", 1)
    response = client.get(reverse("support:resident", args=[forged]))
    assert response.status_code == 404 and str(links.ERR_ALTERED) in response.content.decode()
    links.resident_link_reissue(by=None, person=tree.people[0])
    response = client.get(reverse("support:resident", args=[token]))
    assert response.status_code == 404 and str(links.ERR_REPLACED) in response.content.decode()
    assert client.put(reverse("support:resident", args=[token])).status_code == 405


def test_resident_link_is_rate_limited(client, tree, settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    url = reverse("support:resident", args=[links.resident_token(tree.people[0])])
    from fangyi.support.views import RATE_LIMIT_PER_HOUR

    for _ in range(RATE_LIMIT_PER_HOUR):
        client.post(url, {"action": "request", "kind": "other", "description": ""})
    response = client.post(url, {"action": "request", "kind": "rubbish"})
    assert response.status_code == 429
    assert not ServiceRequest.objects.filter(kind="rubbish").exists()
