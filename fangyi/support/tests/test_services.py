"""Orders, stock, rounds, requests, visits, counts and who sees what (the services and
selectors, without pages)."""

from __future__ import annotations

import datetime as dt
import threading
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import close_old_connections, connection

from fangyi.quarantine import services as quarantine_services
from fangyi.support import selectors, services
from fangyi.support.choices import Channel, OrderStatus
from fangyi.support.models import CatalogueItem, Order
from fangyi.support.tests.conftest import DAY, at


def _message(exc: ValidationError) -> str:
    return " ".join(exc.messages)


def test_order_one_minute_before_the_cutoff_is_for_tomorrow(tree, catalogue, place_order):
    items = catalogue(DAY)
    order = place_order(tree.people[0], {items["veg"]: 1}, when=at(2020, 2, 10, 19, 59))
    assert order.delivery_date == DAY
    assert order.amount_due == Decimal("30.00")


def test_order_one_minute_after_the_cutoff_goes_to_the_next_round(tree, catalogue, place_order):
    today_items = catalogue(DAY)
    next_items = catalogue(DAY + dt.timedelta(days=1))
    with pytest.raises(ValidationError) as caught:
        place_order(tree.people[0], {today_items["veg"]: 1}, when=at(2020, 2, 10, 20, 1))
    assert caught.value.code == "round_closed"
    assert _message(caught.value) == str(services.ERR_ROUND_CLOSED).format(
        date="2020-02-11", next="2020-02-12"
    )
    assert not Order.objects.exists()
    today_items["veg"].refresh_from_db()
    assert today_items["veg"].ordered == 0
    order = place_order(tree.people[0], {next_items["veg"]: 1}, when=at(2020, 2, 10, 20, 1))
    assert order.delivery_date == dt.date(2020, 2, 12)


def test_stock_and_per_order_limits_refuse_the_whole_order(tree, catalogue, place_order):
    items = catalogue(DAY, stock=2)
    place_order(tree.people[0], {items["veg"]: 2})
    with pytest.raises(ValidationError) as caught:
        place_order(tree.people[1], {items["rice"]: 1, items["veg"]: 1})
    assert caught.value.message_dict == {
        f"item_{items['veg'].pk}": [str(services.ERR_SOLD_OUT).format(name="蔬菜套餐A", left=0)]
    }
    # The rice taken before the veg failed was given back with the transaction.
    items["rice"].refresh_from_db()
    assert items["rice"].ordered == 0 and Order.objects.count() == 1
    with pytest.raises(ValidationError) as caught:
        place_order(tree.people[1], {items["eggs"]: 3})
    assert caught.value.message_dict[f"item_{items['eggs'].pk}"] == [
        str(services.ERR_TOO_MANY).format(limit=2, name="鸡蛋")
    ]
    with pytest.raises(ValidationError) as caught:
        place_order(tree.people[1], {items["eggs"]: 0})
    assert _message(caught.value) == str(services.ERR_EMPTY)


def test_items_of_a_supplier_not_serving_the_zone_are_refused(tree, catalogue, place_order):
    items = catalogue(DAY)
    outside = tree.people[-1]  # zone Z3, not served
    with pytest.raises(ValidationError) as caught:
        place_order(outside, {items["veg"]: 1})
    assert caught.value.message_dict[f"item_{items['veg'].pk}"] == [str(services.ERR_ITEM_UNKNOWN)]


def test_cancel_gives_the_stock_back_and_the_link_cannot_after_the_cutoff(
    tree, catalogue, place_order
):
    items = catalogue(DAY)
    first = place_order(tree.people[0], {items["veg"]: 3})
    with time_machine.travel(at(2020, 2, 10, 19, 0), tick=False):
        services.order_cancel(by=None, order=first)
    items["veg"].refresh_from_db()
    assert items["veg"].ordered == 0
    second = place_order(tree.people[0], {items["veg"]: 1})
    with time_machine.travel(at(2020, 2, 10, 20, 0), tick=False), pytest.raises(ValidationError):
        services.order_cancel(by=None, order=second)
    # Staff may still cancel (the resident phoned).
    services.order_cancel(order=second, by=tree.users["zone"])
    assert Order.objects.get(pk=second.pk).status == OrderStatus.CANCELLED


def test_deliver_records_missing_items_and_the_amount_due(tree, catalogue, place_order):
    items = catalogue(DAY)
    order = place_order(tree.people[0], {items["veg"]: 2, items["eggs"]: 1})
    assert order.amount_due == Decimal("72.50")
    veg_line = order.lines.get(item=items["veg"])
    with pytest.raises(ValidationError):
        services.order_deliver(order=order, by=tree.users["zone"], missing={veg_line.pk: 3})
    services.order_deliver(
        order=order, by=tree.users["zone"], missing={veg_line.pk: 1}, note="缺一份菜"
    )
    order.refresh_from_db()
    assert (order.status, order.amount_due) == (OrderStatus.DELIVERED, Decimal("42.50"))
    with pytest.raises(ValidationError) as caught:
        services.order_deliver(order=order, by=tree.users["zone"])
    assert caught.value.code == "not_open"


def test_round_composition_pick_lists_and_door_delivery(tree, catalogue, place_order):
    items = catalogue(DAY)
    later = catalogue(DAY + dt.timedelta(days=1))
    p0, p1, p2 = tree.people[0], tree.people[5], tree.people[8]  # Z1, Z1, Z2
    a = place_order(p0, {items["veg"]: 1, items["eggs"]: 2})
    b = place_order(p1, {items["veg"]: 2})
    place_order(p2, {items["veg"]: 1})  # another zone
    place_order(p0, {later["rice"]: 1}, when=at(2020, 2, 11, 9))  # another day
    cancelled = place_order(tree.people[2], {items["rice"]: 1})
    services.order_cancel(order=cancelled, by=tree.users["zone"])
    # p1 is in home quarantine since the 9th: the bag goes to the door.
    with time_machine.travel(at(2020, 2, 9, 9), tick=False):
        quarantine_services.case_intake(
            by=None, person=p1, reason="returned", arrived_at=at(2020, 2, 9, 9), first_state="home"
        )
    orders = selectors.round_orders(tree.users["zone"], tree.zones[0], DAY)
    assert [o.pk for o in orders] == [a.pk, b.pk]  # building 1 (room 101), then building 2
    assert [o.to_door for o in orders] == [False, True]
    (pick,) = selectors.pick_lists(orders)
    assert [(line.item.name, line.quantity, line.orders) for line in pick.lines] == [
        ("蔬菜套餐A", 3, 2),
        ("鸡蛋", 2, 1),
    ]


def test_volunteer_sees_only_what_is_assigned_to_them(
    tree, catalogue, place_order, volunteer, other_volunteer
):
    items = catalogue(DAY, stock=None)
    mine = place_order(tree.people[0], {items["veg"]: 1})
    theirs = place_order(tree.people[1], {items["veg"]: 1})
    place_order(tree.people[2], {items["veg"]: 1})
    services.order_assign(by=None, order=mine, deliverer=volunteer.staff)
    services.order_assign(by=None, order=theirs, deliverer=other_volunteer.staff)
    request = services.request_raise(
        by=None, person=tree.people[0], kind="rubbish", description="", channel=Channel.STAFF
    )
    services.request_raise(
        by=None, person=tree.people[1], kind="medicine", description="", channel="staff"
    )
    services.request_assign(by=None, request=request, staff=volunteer.staff)
    visit = services.visit_create(
        by=None, person=tree.people[3], every_days=2, starts_on=DAY, volunteer=volunteer.staff
    )
    services.visit_create(by=None, person=tree.people[4], every_days=2, starts_on=DAY)

    assert list(selectors.orders_for(volunteer)) == [mine]
    assert list(selectors.requests_for(volunteer)) == [request]
    assert list(selectors.visits_for(volunteer)) == [visit]
    assert [d.visit for d in selectors.visits_due(volunteer, DAY)] == [visit]
    assert not selectors.zones_for(volunteer).exists()
    assert not selectors.suppliers_for(volunteer).exists()
    assert selectors.care_groups(volunteer, DAY) == []
    # Zone staff see them all; the outsider none.
    assert selectors.orders_for(tree.users["zone"]).count() == 3
    assert selectors.requests_for(tree.users["zone"]).count() == 2
    assert not selectors.orders_for(tree.users["outsider"]).exists()
    assert not selectors.requests_for(tree.users["outsider"]).exists()


def test_recurring_visits_come_due_on_the_right_days(tree, volunteer):
    visit = services.visit_create(
        by=None,
        person=tree.people[0],
        every_days=3,
        starts_on=dt.date(2020, 2, 1),
        volunteer=volunteer.staff,
    )

    def due(day):
        return [(d.visit.pk, d.due_on) for d in selectors.visits_due(volunteer, day)]

    assert due(dt.date(2020, 1, 31)) == []
    assert due(dt.date(2020, 2, 1)) == [(visit.pk, dt.date(2020, 2, 1))]
    with time_machine.travel(at(2020, 2, 1, 16), tick=False):
        services.visit_record(visit=visit, due_on=dt.date(2020, 2, 1), by=volunteer)
    assert due(dt.date(2020, 2, 1)) == []
    assert due(dt.date(2020, 2, 3)) == []
    assert due(dt.date(2020, 2, 4)) == [(visit.pk, dt.date(2020, 2, 4))]
    # Missed on the 4th: on the 6th it is still due (for the 4th); on the 7th for the 7th.
    assert due(dt.date(2020, 2, 6)) == [(visit.pk, dt.date(2020, 2, 4))]
    assert due(dt.date(2020, 2, 7)) == [(visit.pk, dt.date(2020, 2, 7))]
    with time_machine.travel(at(2020, 2, 7, 9), tick=False):
        with pytest.raises(ValidationError) as caught:
            services.visit_record(visit=visit, due_on=dt.date(2020, 2, 6), by=volunteer)
        assert caught.value.code == "not_due"
        services.visit_record(visit=visit, due_on=dt.date(2020, 2, 7), by=volunteer)
        with pytest.raises(ValidationError) as caught:
            services.visit_record(visit=visit, due_on=dt.date(2020, 2, 7), by=volunteer)
        assert caught.value.code == "done"


def test_counts_per_volunteer_zone_and_community(tree, catalogue, place_order, volunteer):
    items = catalogue(DAY, stock=None)
    order = place_order(tree.people[0], {items["veg"]: 1})
    services.order_assign(by=None, order=order, deliverer=volunteer.staff)
    services.order_deliver(order=order, by=volunteer)
    gate = place_order(tree.people[1], {items["veg"]: 1})
    services.order_deliver(order=gate, by=tree.users["zone"])  # at the gate: not a service
    request = services.request_raise(
        by=None, person=tree.people[8], kind="medicine", description="", channel="staff"
    )  # zone Z2
    # The volunteer of Z1 helps in Z2: the community secretary gives it the request.
    services.request_assign(by=tree.users["community"], request=request, staff=volunteer.staff)
    services.request_done(request=request, by=volunteer)
    counts = selectors.service_counts(tree.users["district"])
    assert counts.total == 2
    assert [(s.name, n) for s, n in counts.per_staff] == [("vol志愿者", 2)]
    assert sorted((z.code, n) for z, n in counts.per_zone) == [("Z1", 1), ("Z2", 1)]
    assert [(c.code, n) for c, n in counts.per_community] == [("C1", 2)]
    assert selectors.service_counts(tree.users["outsider"]).total == 0
    # Done today (the real clock): nothing before yesterday, both from today.
    today = dt.date.today()
    assert selectors.service_counts(tree.users["district"], last=dt.date(2020, 1, 1)).total == 0
    assert (
        selectors.service_counts(tree.users["district"], first=today - dt.timedelta(1)).total == 2
    )


def test_care_groups_list_people_in_quarantine_with_the_responsible(tree):
    from fangyi.duty.models import Staff

    staff = Staff.objects.get(user=tree.users["building"])
    building_group = services.care_group_create(
        by=None,
        zone=tree.zones[0],
        building=tree.buildings[0],
        name="1栋群",
        chat_name="1栋互助",
        staff=staff,
    )
    zone_group = services.care_group_create(by=None, zone=tree.zones[0], name="Z1群")
    with pytest.raises(ValidationError):
        services.care_group_create(
            by=None, zone=tree.zones[0], building=tree.buildings[2], name="x"
        )
    with time_machine.travel(at(2020, 2, 9, 9), tick=False):
        for person in (tree.people[0], tree.people[5], tree.people[8]):
            quarantine_services.case_intake(
                by=None, person=person, reason="returned", arrived_at=at(2020, 2, 9, 9),
                first_state="home",
            )  # fmt: skip
    views = selectors.care_groups(tree.users["street"], DAY)
    found = {
        (v.group.pk if v.group else f"zone{v.zone.code}"): [c.person for c in v.cases]
        for v in views
    }
    assert found == {
        building_group.pk: [tree.people[0]],
        zone_group.pk: [tree.people[5]],
        "zoneZ2": [tree.people[8]],
    }
    assert selectors.care_groups(tree.users["outsider"], DAY) == []


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_orders_never_oversell(tree, catalogue):
    """Twelve residents ask for 2 of 10 bags at the same moment: 5 get them, none oversell."""
    if connection.vendor != "postgresql":
        pytest.skip("concurrent writers need PostgreSQL (SQLite serialises every write)")
    item = catalogue(DAY, stock=10)["veg"]
    people = tree.people[:12]
    barrier = threading.Barrier(len(people))
    results: list[str] = []
    lock = threading.Lock()

    def order(person):
        try:
            barrier.wait()
            # `now` rather than time-machine: the clock is process-wide, threads share it.
            services.order_place(
                by=None,
                person=person,
                quantities={item.pk: 2},
                channel="link",
                now=at(2020, 2, 10, 10),
            )
            outcome = "ok"
        except ValidationError as exc:
            outcome = "sold_out" if f"item_{item.pk}" in exc.message_dict else str(exc)
        finally:
            close_old_connections()
            connection.close()
        with lock:
            results.append(outcome)

    threads = [threading.Thread(target=order, args=(p,)) for p in people]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    item.refresh_from_db()
    assert sorted(results) == ["ok"] * 5 + ["sold_out"] * 7
    assert item.ordered == 10
    assert Order.objects.count() == 5
    assert sum(CatalogueItem.objects.get(pk=item.pk).lines.values_list("quantity", flat=True)) == 10


def test_a_volunteer_sees_the_files_of_the_people_it_serves_and_no_others(
    client, tree, catalogue, place_order, volunteer, other_volunteer
):
    """Least privilege (duty.scope): a volunteer's zone gives it no person file; an open
    delivery, request or recurring visit given to it gives it that person's file, for as
    long as it is open. Reveals follow the same rule, and are logged."""
    from django.contrib.auth import get_user_model
    from django.urls import reverse

    from fangyi.audit.models import AccessLog
    from fangyi.conftest import PASSWORD
    from fangyi.people.selectors import people_for

    def seen(user) -> set[int]:
        fresh = get_user_model().objects.get(pk=user.pk)  # the scope is cached per object
        return set(people_for(fresh).values_list("pk", flat=True))

    assert seen(volunteer) == set()
    items = catalogue(DAY, stock=None)
    order = place_order(tree.people[0], {items["veg"]: 1})
    services.order_assign(by=None, order=order, deliverer=volunteer.staff)
    request = services.request_raise(
        by=None, person=tree.people[1], kind="rubbish", description="", channel=Channel.STAFF
    )
    services.request_assign(by=None, request=request, staff=volunteer.staff)
    services.visit_create(
        by=None, person=tree.people[3], every_days=2, starts_on=DAY, volunteer=volunteer.staff
    )
    ended = services.visit_create(
        by=None, person=tree.people[4], every_days=2, starts_on=DAY, volunteer=volunteer.staff
    )
    type(ended).objects.filter(pk=ended.pk).update(ends_on=dt.date(2020, 1, 31))
    served = {tree.people[0].pk, tree.people[1].pk, tree.people[3].pk}
    assert seen(volunteer) == served
    assert seen(other_volunteer) == set()
    client.login(username=volunteer.username, password=PASSWORD)
    assert client.get(reverse("person", args=[tree.people[0].pk])).status_code == 200
    assert client.get(reverse("person", args=[tree.people[2].pk])).status_code == 404
    shown = client.post(reverse("person_reveal", args=[tree.people[0].pk, "phone"]))
    assert shown.status_code == 200
    assert (
        client.post(reverse("person_reveal", args=[tree.people[2].pk, "phone"])).status_code == 404
    )
    assert list(AccessLog.objects.values_list("person_id", flat=True)) == [tree.people[0].pk]
    # Done or delivered: the file is no longer the volunteer's to see.
    services.order_deliver(order=order, by=volunteer)
    services.request_done(request=request, by=volunteer)
    assert seen(volunteer) == {tree.people[3].pk}
    # Zone staff keep every file of the zone.
    assert seen(tree.users["zone"]) == tree.people_in("zone", tree.zones[0])
