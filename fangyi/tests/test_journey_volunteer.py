"""The volunteer's delivery on a phone (390×844), in Chinese, on the demo district (issue 13).

From the home page to the door deliveries (生活保障), the served person's phone number
revealed to call before coming (shown, and logged in the access log for this volunteer,
person and field), then the hand-over confirmed. Every page is measured against the
phone's width; screenshots are saved under FANGYI_TEST_OUTPUT (default
var/test-output)/journey-volunteer. The clock is pinned at 14:00 today
(fangyi.tests.phone.journey_clock).
"""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone
from playwright.sync_api import expect

from fangyi.audit.models import AccessLog
from fangyi.core.tests.browser import browser, chromium_executable, log_in
from fangyi.duty.models import Staff
from fangyi.people.identity import mask_phone
from fangyi.people.models import Person
from fangyi.quarantine.choices import CaseState
from fangyi.support import rules, selectors, services
from fangyi.support.choices import Channel, OrderStatus
from fangyi.support.models import CatalogueItem, Order
from fangyi.tests.phone import DEMO_PASSWORD, build_demo, journey_clock, phone

__all__ = ["browser", "chromium_executable", "phone"]

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _open_door_delivery(user) -> Order:
    """An order the volunteer is to take to a door (nobody away at a facility), whose
    person has a phone number: the demo's first, else one made here."""
    today = timezone.localdate()
    for order in selectors.my_deliveries(user, today):
        if not order.away_at and order.person.phone:
            return order
    # The demo gave the volunteer no open door delivery: one is ordered here, through the
    # support services, for a person in home quarantine in the volunteer's zone, and
    # assigned to the demo volunteer's Staff.
    staff = Staff.objects.get(user=user)
    zones = staff.assignments.exclude(zone=None).values("zone")
    person = (
        Person.objects.filter(
            zone__in=zones, quarantine_cases__state=CaseState.HOME, dwelling__isnull=False
        )
        .exclude(phone="")
        .order_by("id")
        .first()
    )
    assert person is not None, "the demo has a person in home quarantine in the volunteer's zone"
    now = timezone.now()
    day = rules.round_date_for(now, services.policy_values(today))
    item = CatalogueItem.objects.filter(supplier__zones=person.zone_id, date=day).first()
    assert item is not None, f"the demo's suppliers offer items for the round of {day}"
    manager = get_user_model().objects.get(username="property")
    order = services.order_place(
        person=person, quantities={item.pk: 1}, channel=Channel.STAFF, by=manager, now=now
    )
    return services.order_assign(by=manager, order=order, deliverer=staff)


def test_volunteer_reveals_the_phone_and_confirms_a_door_delivery(phone):
    with journey_clock():
        build_demo()
        user = get_user_model().objects.get(username="volunteer")
        order = _open_door_delivery(user)
        person = order.person
        volunteer = phone("journey-volunteer")
        page = volunteer.page

        log_in(page, "volunteer", DEMO_PASSWORD)
        expect(page.locator("h1")).to_contain_text("今日工作")
        section = page.get_by_test_id("home-support")
        expect(section).to_contain_text("生活保障")
        today = int(section.get_by_test_id("count-deliveries_today").inner_text())
        later = int(section.get_by_test_id("count-deliveries_later").inner_text())
        assert today + later == len(selectors.my_deliveries(user, timezone.localdate())) >= 1
        volunteer.shot("home")

        key = "deliveries_today" if today else "deliveries_later"
        section.get_by_test_id(f"item-{key}").click()
        expect(page.locator("h1")).to_have_text("生活保障")
        delivery = page.get_by_test_id(f"delivery-{order.pk}")
        expect(delivery).to_contain_text(person.name)
        expect(delivery).to_contain_text(person.dwelling.room)
        # Masked until asked for: the number is not on the page.
        expect(delivery.get_by_test_id(f"phone-{order.pk}")).to_have_text(mask_phone(person.phone))
        expect(page.locator("main")).not_to_contain_text(person.phone)
        assert not AccessLog.objects.filter(user=user).exists()
        volunteer.shot("deliveries")

        reveal = delivery.get_by_test_id(f"reveal-phone-{order.pk}")
        expect(reveal).to_have_text("查看（留痕）")
        reveal.click()
        expect(delivery.get_by_test_id("phone")).to_have_text(person.phone)
        expect(reveal).to_have_count(0)
        logged = AccessLog.objects.filter(user=user, person=person, field="phone")
        assert logged.count() == 1
        volunteer.shot("phone-revealed")

        delivery.get_by_test_id(f"deliver-{order.pk}").click()
        confirm = delivery.get_by_test_id(f"confirm-{order.pk}")
        expect(confirm).to_have_text("确认送达")
        volunteer.shot("deliver-form")
        confirm.click()
        expect(page.locator(".messages")).to_contain_text(f"已送达：{person.name}。")
        expect(page.get_by_test_id(f"delivery-{order.pk}")).to_have_count(0)
        order.refresh_from_db()
        assert (order.status, order.delivered_by) == (OrderStatus.DELIVERED, user)
        volunteer.shot("delivered")

    assert not volunteer.overflows, "pages wider than the phone:\n" + "\n".join(volunteer.overflows)


def test_the_phone_notices_a_page_wider_than_itself(phone):
    """The width check of the journeys can fail: a wide table pushes the page sideways
    and is named; the same table in a box that scrolls on its own does not."""
    check = phone("journey-volunteer")
    head = "<meta name=viewport content='width=device-width, initial-scale=1'>"
    row = "<tr>" + "".join(f"<td>第{n}列数据</td>" for n in range(30)) + "</tr>"
    check.page.set_content(f"{head}<body><table class=wide>{row}</table></body>")
    check.measure("wide-table")
    assert len(check.overflows) == 1
    assert "px wide, by table.wide" in check.overflows[0]
    boxed = f"<div style='overflow-x:auto'><table>{row}</table></div>"
    check.page.set_content(f"{head}<body>{boxed}</body>")
    check.measure("scroll-box")
    assert len(check.overflows) == 1
