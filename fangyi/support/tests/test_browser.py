"""Browser journey of a grocery round (issue 7): a resident orders through their
personal link the evening before, staff print the bag labels the next day, a volunteer
delivers to the door of a person in quarantine, and the service counts move.

The live server runs in this process: time-machine moves its clock too.
"""

from __future__ import annotations

import pytest
import time_machine
from playwright.sync_api import expect

from fangyi.conftest import PASSWORD
from fangyi.core.documents import pdf_text
from fangyi.core.tests.browser import browser, chromium_executable, log_in, new_page
from fangyi.quarantine import services as quarantine_services
from fangyi.support import links
from fangyi.support.models import Order
from fangyi.support.tests.conftest import DAY, at

__all__ = ["browser", "chromium_executable", "new_page"]

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_order_labels_door_delivery_counts(transactional_db, tree, catalogue, volunteer, new_page):
    items = catalogue(DAY)
    person = tree.people[0]
    with time_machine.travel(at(2020, 2, 9, 9), tick=False):
        quarantine_services.case_intake(
            by=None,
            person=person,
            reason="returned",
            arrived_at=at(2020, 2, 9, 9),
            first_state="home",
        )
    link = "/support/r/" + links.resident_token(person) + "/"

    # The evening before: the resident orders from the link, without logging in.
    with time_machine.travel(at(2020, 2, 10, 19, 30), tick=True):
        resident = new_page(locale="en-US")
        resident.goto(link)
        expect(resident.get_by_test_id("deadline")).to_contain_text("2020-02-10 20:00")
        resident.locator(f"input[name=item_{items['veg'].pk}]").fill("2")
        resident.locator(f"input[name=item_{items['eggs'].pk}]").fill("1")
        resident.get_by_test_id("place-order").click()
        expect(resident.get_by_test_id("my-orders")).to_contain_text("2020-02-11")
        expect(resident.get_by_test_id("my-orders")).to_contain_text("蔬菜套餐A ×2")
    order = Order.objects.get(person=person)

    # Next day: staff see the round, give the door delivery to the volunteer, print labels.
    with time_machine.travel(at(2020, 2, 11, 13), tick=True):
        staff = new_page(locale="en-US")
        log_in(staff, "z_property", PASSWORD)
        staff.goto(f"/support/rounds/{tree.zones[0].pk}/2020-02-11/")
        row = staff.get_by_test_id(f"order-{order.pk}")
        expect(row).to_contain_text("to the door")
        row.get_by_test_id(f"assign-{order.pk}").select_option(label=volunteer.staff.name)
        row.get_by_role("button", name="Assign").click()
        expect(staff.get_by_test_id(f"assign-{order.pk}")).to_have_value(str(volunteer.staff.pk))
        response = staff.request.get(staff.get_by_test_id("labels-pdf").get_attribute("href"))
        assert response.ok and response.headers["content-type"] == "application/pdf"
        text = pdf_text(response.body())
        assert person.name in text and "1栋 101" in text and "蔬菜套餐A ×2" in text

        # The volunteer delivers; one egg box was missing.
        helper = new_page(locale="en-US")
        log_in(helper, "vol", PASSWORD)
        helper.goto("/support/")
        delivery = helper.get_by_test_id(f"delivery-{order.pk}")
        expect(delivery).to_contain_text(person.name)
        delivery.get_by_test_id(f"deliver-{order.pk}").click()
        egg_line = order.lines.get(item=items["eggs"])
        delivery.locator(f"input[name=missing_{egg_line.pk}]").fill("1")
        delivery.get_by_test_id(f"confirm-{order.pk}").click()
        expect(helper.get_by_test_id("my-deliveries")).to_contain_text("Nothing to deliver.")

        # The counts moved, and the round shows the delivery with the amount due.
        staff.goto("/support/volunteers/")
        expect(staff.get_by_test_id(f"count-{volunteer.staff.pk}")).to_have_text("1")
        expect(staff.get_by_test_id("per-zone")).to_contain_text(tree.zones[0].name)
        staff.goto(f"/support/rounds/{tree.zones[0].pk}/2020-02-11/")
        expect(staff.get_by_test_id(f"status-{order.pk}")).to_contain_text("delivered")
        expect(staff.get_by_test_id(f"order-{order.pk}")).to_contain_text("60.00")
