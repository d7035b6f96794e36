"""Browser journey (issue 4): log in, open the overview, click the red zone, see the
building marked with its quarantine count and floors, open the building, get the poster."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import time_machine
from django.utils import timezone
from playwright.sync_api import expect

from fangyi.conftest import PASSWORD
from fangyi.core.documents import pdf_text
from fangyi.core.tests.browser import browser, chromium_executable, log_in, new_page
from fangyi.quarantine import services as quarantine
from fangyi.reports.tests.conftest import at

__all__ = ["browser", "chromium_executable", "new_page"]

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = Path(os.environ.get("FANGYI_TEST_OUTPUT", "var/test-output"))


def test_overview_zone_map_building_poster(transactional_db, tree, new_page):
    today = timezone.localdate()
    with time_machine.travel(at(today.year, today.month, today.day, 10), tick=True):
        person = tree.people[1]
        quarantine.case_intake(
            by=tree.users["zone"],
            person=person,
            reason="close_contact",
            arrived_at=timezone.now(),
            first_state="home",
        )
        page = new_page(locale="en-US")
        log_in(page, "d_leader", PASSWORD)
        page.get_by_role("link", name="Zone maps").click()
        expect(page.locator("h1")).to_have_text("Overview of zones")
        red = page.locator('[data-status="quarantine"]')
        expect(red).to_have_count(1)
        expect(page.get_by_test_id("zone-tile")).to_have_count(3)
        red.locator("a").click()

        expect(page.get_by_test_id("zone-name")).to_have_text(tree.zones[0].name)
        marked = page.locator("g.building.hot")
        expect(marked).to_have_count(1)
        # The map says how many; the floors are in the building's title and table.
        expect(marked.get_by_test_id("building-quarantine")).to_have_text("in quarantine 1")
        expect(marked.locator("title")).to_contain_text("in quarantine 1 · floors 1")
        expect(page.get_by_test_id("count-in_quarantine")).to_have_text("1")
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / "zone-map.png"), full_page=True)

        marked.click()
        panel = page.get_by_test_id("building-panel")
        expect(panel).to_contain_text(tree.buildings[0].name)
        expect(panel.get_by_test_id("floor-1")).to_contain_text("1")

        response = page.request.get(page.get_by_test_id("poster-pdf").get_attribute("href"))
        assert response.ok and response.headers["content-type"] == "application/pdf"
        assert tree.zones[0].name in pdf_text(response.body())


def _click_at(page, svg, x: float, y: float) -> None:
    """Click the map at site-plan coordinates (x, y)."""
    svg.scroll_into_view_if_needed()
    box = svg.bounding_box()
    width, height = float(svg.get_attribute("data-width")), float(svg.get_attribute("data-height"))
    # preserveAspectRatio meet: one scale, the map centred in the box.
    scale = min(box["width"] / width, box["height"] / height)
    left = box["x"] + (box["width"] - width * scale) / 2
    top = box["y"] + (box["height"] - height * scale) / 2
    page.mouse.click(left + x * scale, top + y * scale)


def test_redraw_a_building_in_the_browser(transactional_db, tree, new_page):
    """The polygon editor: redraw a building by clicking its corners, save, and the outline
    is kept; an outline with no area is refused with the server's message."""
    building = tree.buildings[0]
    page = new_page(locale="en-US")
    log_in(page, "z_property", PASSWORD)
    page.goto(f"/reports/zones/{tree.zones[0].pk}/")
    svg = page.get_by_test_id("map")
    page.locator("#editor-building").select_option(value=str(building.pk))

    # Three corners on one line: no area, refused, nothing saved.
    page.locator("#editor-redraw").click()
    for x in (100, 200, 300):
        _click_at(page, svg, x, 100)
    page.locator("#editor-save").click()
    expect(page.get_by_test_id("editor-status")).to_have_text(
        "The outline has no area: its corners lie on one line."
    )
    building.refresh_from_db()
    assert building.polygon == [[10, 10], [90, 10], [90, 60], [10, 60]]

    # A real rectangle: saved, and the page reloads with it.
    page.locator("#editor-redraw").click()
    corners = [(400, 300), (600, 300), (600, 450), (400, 450)]
    for x, y in corners:
        _click_at(page, svg, x, y)
    with page.expect_navigation():
        page.locator("#editor-save").click()
    building.refresh_from_db()
    assert len(building.polygon) == 4
    for (x, y), (px, py) in zip(corners, building.polygon, strict=True):
        assert abs(px - x) <= 3 and abs(py - y) <= 3
