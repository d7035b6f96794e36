"""Who may change supplies and care: the services decide, for every caller.

The rule (docs/support.md "Who may do what"): the staff keeping the person files of the
place manage its rounds, orders, requests, visits, roster, care groups and suppliers;
operators everything; a volunteer delivers, marks done and visits what is given to it and
nothing else; a gate guard nothing, even when given a task; `None` is the system. Every
write service is called as every persona: a refusal is a PermissionDenied with the reason
and leaves every support table as it was.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.urls import reverse

from fangyi.conftest import PASSWORD
from fangyi.duty.choices import Role
from fangyi.duty.models import Assignment, Staff
from fangyi.support import links, services
from fangyi.support.choices import Channel
from fangyi.support.models import (
    CareGroup,
    CatalogueItem,
    Order,
    RecurringVisit,
    ResidentLink,
    ServiceRequest,
    Supplier,
    Volunteer,
)
from fangyi.support.tests.conftest import DAY, at

SYSTEM = "system"
# Everybody the tests call the services as: the tree's staff, an operator, a gate guard
# and two volunteers of zone Z1 (the first is given the tasks), and the system.
PERSONAS = (
    SYSTEM, "operator", "district", "street", "community", "zone", "building", "outsider",
    "guard", "volunteer", "other_volunteer",
)  # fmt: skip
# Who keeps the person files of tree.people[0] (zone Z1, its first building) …
PERSON_MANAGERS = frozenset(
    {SYSTEM, "operator", "district", "street", "community", "zone", "building"}
)
# … and of zone Z1 as a whole (the grid worker keeps one building's files only).
ZONE_MANAGERS = PERSON_MANAGERS - {"building"}
# The task's manager, and the volunteer it is given to.
DOERS = PERSON_MANAGERS | {"volunteer"}

TABLES = (Supplier, CatalogueItem, Order, ServiceRequest, RecurringVisit, Volunteer, CareGroup)


@pytest.fixture
def world(tree, supplier, catalogue, place_order, volunteer, other_volunteer):
    """An order, a request and a visit of tree.people[0], each given to `volunteer`."""
    guard_user = get_user_model().objects.create_user("guard", password=PASSWORD)
    guard = Staff.objects.create(user=guard_user, name="门岗", role=Role.GATE_GUARD)
    Assignment.objects.create(staff=guard, zone=tree.zones[0])
    items = catalogue(DAY)
    person = tree.people[0]
    order = place_order(person, {items["veg"]: 1})
    services.order_assign(by=None, order=order, deliverer=volunteer.staff)
    request = services.request_raise(
        by=None, person=person, kind="medicine", description="降压药", channel=Channel.STAFF
    )
    services.request_assign(by=None, request=request, staff=volunteer.staff)
    visit = services.visit_create(
        by=None, person=person, every_days=2, starts_on=DAY, volunteer=volunteer.staff
    )
    users = {
        SYSTEM: None,
        "operator": get_user_model().objects.create_superuser("op", password=PASSWORD),
        **tree.users,
        "guard": guard_user,
        "volunteer": volunteer,
        "other_volunteer": other_volunteer,
    }
    return {
        "users": users,
        "person": person,
        "items": items,
        "supplier": supplier,
        "order": order,
        "request": request,
        "visit": visit,
        "zone": tree.zones[0],
    }


def _place(w, by):
    return services.order_place(
        by=by,
        person=w["person"],
        quantities={w["items"]["rice"].pk: 1},
        channel=Channel.STAFF,
        now=at(2020, 2, 10, 12),  # before the round of DAY closes
    )


# Each write → (what it does as `by`, who may do it).
ACTIONS = {
    "supplier_create": (
        lambda w, by: services.supplier_create(
            by=by, name="新超市", kind="shop", zones=[w["zone"]]
        ),
        ZONE_MANAGERS,
    ),
    "catalogue_item_add": (
        lambda w, by: services.catalogue_item_add(
            by=by, supplier=w["supplier"], date=DAY, name="土豆", price=Decimal("5")
        ),
        ZONE_MANAGERS,
    ),
    "catalogue_copy": (
        lambda w, by: services.catalogue_copy(
            by=by, supplier=w["supplier"], from_date=DAY, to_date=DAY + dt.timedelta(days=1)
        ),
        ZONE_MANAGERS,
    ),
    "volunteer_add": (
        lambda w, by: services.volunteer_add(by=by, zone=w["zone"], kind="volunteer", name="新人"),
        ZONE_MANAGERS,
    ),
    "care_group_create": (
        lambda w, by: services.care_group_create(by=by, zone=w["zone"], name="Z1群"),
        ZONE_MANAGERS,
    ),
    "order_place": (_place, PERSON_MANAGERS),
    "order_assign": (
        lambda w, by: services.order_assign(by=by, order=w["order"], deliverer=None),
        PERSON_MANAGERS,
    ),
    "order_cancel": (
        lambda w, by: services.order_cancel(by=by, order=w["order"], now=at(2020, 2, 10, 12)),
        PERSON_MANAGERS,
    ),
    "order_deliver": (
        lambda w, by: services.order_deliver(by=by, order=w["order"]),
        DOERS,
    ),
    "request_raise": (
        lambda w, by: services.request_raise(
            by=by, person=w["person"], kind="rubbish", description="", channel=Channel.STAFF
        ),
        PERSON_MANAGERS,
    ),
    "request_assign": (
        lambda w, by: services.request_assign(by=by, request=w["request"], staff=None),
        PERSON_MANAGERS,
    ),
    "request_cancel": (
        lambda w, by: services.request_cancel(by=by, request=w["request"]),
        PERSON_MANAGERS,
    ),
    "request_done": (
        lambda w, by: services.request_done(by=by, request=w["request"]),
        DOERS,
    ),
    "visit_create": (
        lambda w, by: services.visit_create(by=by, person=w["person"], every_days=3, starts_on=DAY),
        PERSON_MANAGERS,
    ),
    "visit_record": (
        lambda w, by: services.visit_record(by=by, visit=w["visit"], due_on=DAY),
        DOERS,
    ),
    "resident_link_reissue": (
        lambda w, by: links.resident_link_reissue(by=by, person=w["person"]),
        PERSON_MANAGERS,
    ),
}


def _rows() -> list:
    return [list(model.objects.order_by("pk").values()) for model in (*TABLES, ResidentLink)]


@pytest.mark.parametrize("action", sorted(ACTIONS))
def test_every_support_write_is_decided_in_the_service(world, action):
    do, allowed = ACTIONS[action]
    before = _rows()
    answers = {}
    with time_machine.travel(at(2020, 2, 11, 10), tick=False):
        for persona in PERSONAS:
            with transaction.atomic():
                try:
                    do(world, world["users"][persona])
                except PermissionDenied as refusal:
                    answers[persona] = str(refusal)
                    assert _rows() == before, f"{persona} was refused but something was saved"
                else:
                    answers[persona] = "OK"
                transaction.set_rollback(True)
    assert {p for p, answer in answers.items() if answer == "OK"} == allowed
    # The reason: guards and volunteers are told what a volunteer does; staff elsewhere
    # that the place's file keepers manage it.
    for persona in ("guard", "other_volunteer"):
        assert answers[persona] == str(services.ERR_PLACES_ONLY)
    assert answers["outsider"] == str(services.ERR_NOT_MANAGER)


def test_a_gate_guard_given_a_delivery_still_may_not_make_it(world):
    guard = world["users"]["guard"]
    services.order_assign(by=None, order=world["order"], deliverer=guard.staff)
    with pytest.raises(PermissionDenied):
        services.order_deliver(by=guard, order=world["order"])
    assert Order.objects.get(pk=world["order"].pk).status == "placed"


def test_a_volunteer_no_longer_given_the_task_may_not_do_it(world):
    services.order_assign(by=world["users"]["zone"], order=world["order"], deliverer=None)
    with pytest.raises(PermissionDenied):
        services.order_deliver(by=world["users"]["volunteer"], order=world["order"])


# --- the pages: they call the services and render the refusal (403) ------------------------


def test_a_guard_given_a_delivery_is_refused_at_the_page(client, world):
    services.order_assign(by=None, order=world["order"], deliverer=world["users"]["guard"].staff)
    client.login(username="guard", password=PASSWORD)
    response = client.post(reverse("support:order_deliver", args=[world["order"].pk]))
    assert response.status_code == 403
    assert Order.objects.get(pk=world["order"].pk).status == "placed"


def test_a_guard_is_offered_no_roster_form_and_cannot_add_to_it(client, world):
    client.login(username="guard", password=PASSWORD)
    url = reverse("support:volunteers")
    page = client.get(url).content.decode()
    assert 'name="zone"' not in page
    before = Volunteer.objects.count()
    response = client.post(
        url, {"name": "门岗的朋友", "kind": "volunteer", "zone": world["zone"].pk}
    )
    assert response.status_code == 422
    assert Volunteer.objects.count() == before


@pytest.mark.parametrize("page", ["volunteers", "care_groups", "suppliers"])
def test_zone_lists_hold_only_the_zones_the_user_manages(client, world, page):
    # The property manager of Z1 keeps Z1's files; the secretary keeps Z1's and Z2's; the
    # guard works at Z1 and keeps no file: it is offered no zone (and no form).
    field = "zones" if page == "suppliers" else "zone"
    for username, zones in (
        ("z_property", ["Z1小区"]),
        ("c_secretary", ["Z1小区", "Z2小区"]),
        ("guard", []),
    ):
        client.login(username=username, password=PASSWORD)
        response = client.get(reverse(f"support:{page}"))
        assert [z.name for z in response.context["form"].fields[field].queryset] == zones
        assert (f'name="{field}"' in response.content.decode()) == bool(zones)


def test_the_request_page_offers_each_its_own_part(client, world):
    url = reverse("support:request", args=[world["request"].pk])
    client.login(username="vol", password=PASSWORD)
    page = client.get(url).content.decode()
    assert 'data-testid="do-done"' in page
    assert 'data-testid="do-assign"' not in page and 'data-testid="do-cancel"' not in page
    client.login(username="z_property", password=PASSWORD)
    page = client.get(url).content.decode()
    assert all(f'data-testid="do-{a}"' in page for a in ("done", "assign", "cancel"))


def test_the_volunteer_records_its_visit_at_the_page(client, world):
    client.login(username="vol", password=PASSWORD)
    with time_machine.travel(at(2020, 2, 11, 10), tick=False):
        response = client.post(
            reverse("support:visit_done", args=[world["visit"].pk]),
            {"due_on": DAY.isoformat(), "next": "https://evil.example/"},
        )
    # Done, and sent back to a page of this site, never to the address a form names.
    assert response.status_code == 302 and response["Location"] == reverse("support:visits")
    assert ServiceRequest.objects.filter(visit=world["visit"], due_on=DAY).exists()
