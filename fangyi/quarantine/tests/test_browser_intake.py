"""Browser: the intake's place picker in Chinese (issue 14). The doctor on duty at the
station types part of a zone's name, the zone's buildings come, then the building's
rooms (htmx swaps the picker without losing what was typed), and the newcomer is
registered in the room chosen, so they are on the zone map."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.utils import timezone
from playwright.sync_api import expect

from fangyi.conftest import make_id_number
from fangyi.core.tests.browser import browser, chromium_executable, log_in, new_page
from fangyi.people.models import Person
from fangyi.quarantine.models import QuarantineCase
from fangyi.quarantine.tests.conftest import at
from fangyi.tests.phone import SHOTS

__all__ = ["browser", "chromium_executable", "new_page"]

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_doctor_picks_zone_building_and_room(
    transactional_db, tree, facilities, doctor, new_page
):
    zone, building, dwelling = tree.zones[2], tree.buildings[5], tree.dwellings[11]
    assert dwelling.building == building and building.zone == zone
    today = timezone.localdate()
    number = make_id_number(650)
    with time_machine.travel(at(today.year, today.month, today.day, 10), tick=True):
        page = new_page()
        # A phone: the picker must fit it.
        page.set_viewport_size({"width": 390, "height": 844})
        log_in(page, "doc", "test-pass-123")
        page.goto("/quarantine/intake/")
        expect(page.locator("h1")).to_have_text("返深人员登记")
        page.locator("#id_doc_number").fill(number)
        page.locator("#id_name").fill("新来人")
        page.locator("#id_zone_q").fill("Z3")
        # One zone found: chosen, its buildings offered.
        expect(page.locator("#id_zone")).to_have_value(str(zone.pk))
        page.locator("#id_building").select_option(label=building.name)
        page.locator("#id_dwelling").select_option(label=dwelling.room)
        expect(page.locator("#id_zone_q")).to_have_value("Z3")
        assert page.evaluate("document.documentElement.scrollWidth") <= 394
        page.screenshot(path=str(SHOTS / "intake-picker.png"), full_page=True)
        page.locator("#id_origin").fill("湖北武汉")
        arrived = timezone.localtime() - dt.timedelta(hours=1)
        page.locator("#id_arrived_at").fill(arrived.strftime("%Y-%m-%dT%H:%M"))
        page.get_by_test_id("intake-submit").click()
        expect(page.locator("h1")).to_contain_text("新来人")
    person = Person.objects.get(doc_number=number)
    assert (person.dwelling_id, person.zone_id, person.travel_status) == (
        dwelling.pk,
        zone.pk,
        "returned",
    )
    assert QuarantineCase.objects.get(person=person).state == "station"
