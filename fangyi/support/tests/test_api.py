"""The support API: scoped like the pages; 401 without a token, 404 outside, 403 for a
volunteer on manager endpoints, 405 for a wrong method."""

import pytest
import time_machine

from fangyi.duty.services import api_token_create
from fangyi.support import services
from fangyi.support.models import Order, ServiceRequest
from fangyi.support.tests.conftest import DAY, at


@pytest.fixture
def api(client, tree, volunteer):
    users = {**tree.users, "volunteer": volunteer}

    def call(who, method, path, data=None):
        kwargs = {}
        if who is not None:
            token = api_token_create(user=users[who])
            kwargs["headers"] = {"Authorization": f"Bearer {token}"}
        if data is not None:
            kwargs["data"] = data
            kwargs["content_type"] = "application/json"
        return getattr(client, method)(f"/api/support{path}", **kwargs)

    return call


def test_order_round_deliver_and_counts_through_the_api(api, tree, catalogue, volunteer):
    items = catalogue(DAY)
    person = tree.people[0]
    with time_machine.travel(at(2020, 2, 10, 19, 59), tick=False):
        response = api(
            "zone", "post", "/orders", {"person_id": person.pk, "quantities": {items["veg"].pk: 2}}
        )
    assert response.status_code == 201, response.content
    order = response.json()
    assert (order["delivery_date"], order["amount_due"], order["channel"]) == (
        "2020-02-11",
        "60.00",
        "api",
    )
    round_ = api("zone", "get", f"/rounds/{tree.zones[0].pk}/2020-02-11").json()
    assert [o["id"] for o in round_["orders"]] == [order["id"]]
    assert round_["pick_lists"][0]["lines"][0]["quantity"] == 2
    assert api("outsider", "get", f"/rounds/{tree.zones[0].pk}/2020-02-11").status_code == 404
    assert api("volunteer", "get", f"/rounds/{tree.zones[0].pk}/2020-02-11").status_code == 403
    assert api("volunteer", "get", "/orders").json() == []
    services.order_assign(
        by=None, order=Order.objects.get(pk=order["id"]), deliverer=volunteer.staff
    )
    assert [o["id"] for o in api("volunteer", "get", "/orders").json()] == [order["id"]]
    line = order["lines"][0]["id"]
    body = api("volunteer", "post", f"/orders/{order['id']}/deliver", {"missing": {line: 1}}).json()
    assert (body["status"], body["amount_due"]) == ("delivered", "30.00")
    counts = api("district", "get", "/counts").json()
    assert counts["total"] == 1 and counts["per_volunteer"][0]["count"] == 1
    assert api("outsider", "get", "/counts").json()["total"] == 0


def test_requests_and_visits_through_the_api(api, tree, volunteer):
    response = api("zone", "post", "/requests", {"person_id": tree.people[0].pk, "kind": "bad"})
    assert response.status_code == 422
    assert response.json()["error"]["fields"]["kind"] == [str(services.ERR_KIND)]
    created = api(
        "zone", "post", "/requests", {"person_id": tree.people[0].pk, "kind": "medicine"}
    ).json()
    assert api("outsider", "post", f"/requests/{created['id']}/done", {}).status_code == 404
    services.request_assign(
        by=tree.users["zone"],
        request=ServiceRequest.objects.get(pk=created["id"]),
        staff=volunteer.staff,
    )
    # The volunteer serves tree.people[0] now and reads the file; raising a request for
    # it is its managers' (403, nothing saved); anybody else's file is out of its reach.
    body = {"person_id": tree.people[0].pk, "kind": "medicine"}
    refused = api("volunteer", "post", "/requests", body)
    assert (refused.status_code, refused.json()["error"]["code"]) == (403, "forbidden")
    assert ServiceRequest.objects.count() == 1
    body["person_id"] = tree.people[1].pk
    assert api("volunteer", "post", "/requests", body).status_code == 404
    done = api("volunteer", "post", f"/requests/{created['id']}/done", {"note": "ok"}).json()
    assert done["status"] == "done"
    services.visit_create(by=None, person=tree.people[1], every_days=7, starts_on=DAY)
    due = api("zone", "get", "/visits/due?date=2020-02-18").json()
    assert [(d["person_id"], d["due_on"]) for d in due] == [(tree.people[1].pk, "2020-02-18")]


@pytest.mark.parametrize(
    ("method", "path"),
    [("get", "/orders"), ("get", "/requests"), ("get", "/counts"), ("get", "/visits/due")],
)
def test_anonymous_401_and_wrong_method_405(api, method, path):
    assert api(None, method, path).status_code == 401
    assert api("zone", "delete", path).status_code == 405
