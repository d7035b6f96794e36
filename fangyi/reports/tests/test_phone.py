"""On a phone (390×844, Chinese): a short header whose menu folds, the home page's work
one tap away, the zone map readable and its floor panel where the user looks."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from playwright.sync_api import expect

from fangyi.conftest import PASSWORD
from fangyi.core.tests.browser import browser, chromium_executable, log_in, new_page

__all__ = ["browser", "chromium_executable", "new_page"]

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = Path(os.environ.get("FANGYI_TEST_OUTPUT", "var/test-output"))
PHONE = {"width": 390, "height": 844}
# The header must leave the screen to the page: a short bar, not a third of it.
MAX_HEADER_PX = 90


def _phone(new_page):
    page = new_page()
    page.set_viewport_size(PHONE)
    return page


def _header_height(page) -> float:
    return page.evaluate("document.querySelector('header.top').getBoundingClientRect().height")


def test_phone_header_is_short_and_its_menu_reaches_every_section(transactional_db, tree, new_page):
    page = _phone(new_page)
    log_in(page, "c_secretary", PASSWORD)
    zone = tree.zones[0]
    person = tree.people[0]
    for path in (
        "/",
        "/reports/",
        f"/reports/zones/{zone.pk}/",
        f"/people/{person.pk}/",
        "/quarantine/",
    ):
        page.goto(path)
        assert _header_height(page) < MAX_HEADER_PX, path
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.goto("/")
    page.screenshot(path=str(SCREENSHOTS / "phone-home-secretary.png"))

    nav = page.get_by_test_id("mainnav")
    expect(nav).to_be_hidden()
    page.get_by_test_id("menu-button").click()
    expect(nav).to_be_visible()
    expect(page.get_by_role("button", name="退出")).to_be_visible()
    expect(page.locator("header input[name=q]")).to_be_visible()
    page.screenshot(path=str(SCREENSHOTS / "phone-menu-open.png"))
    nav.get_by_role("link", name="防疫图").click()
    expect(page.locator("h1")).to_have_text("围合区总览")
    # Each page starts with the menu folded again.
    expect(page.get_by_test_id("mainnav")).to_be_hidden()
    assert _header_height(page) < MAX_HEADER_PX


def test_desktop_header_shows_the_navigation_without_a_menu(transactional_db, tree, new_page):
    page = new_page()  # 1280 × 720
    log_in(page, "c_secretary", PASSWORD)
    expect(page.get_by_test_id("mainnav")).to_be_visible()
    expect(page.get_by_test_id("menu-button")).to_be_hidden()


def test_guard_reaches_the_gate_screen_in_one_tap(transactional_db, tree, new_page):
    from django.contrib.auth import get_user_model

    from fangyi.duty.choices import Role
    from fangyi.duty.models import Assignment, Staff

    user = get_user_model().objects.create_user("g_guard", password=PASSWORD)
    staff = Staff.objects.create(user=user, name="卡口甲", role=Role.GATE_GUARD)
    Assignment.objects.create(staff=staff, zone=tree.zones[0])
    gate = tree.zones[0].gates.get()
    page = _phone(new_page)
    log_in(page, "g_guard", PASSWORD)
    button = page.get_by_test_id(f"action-gate-{gate.pk}")
    expect(button).to_contain_text("东门")
    box = button.bounding_box()
    assert box["y"] + box["height"] <= PHONE["height"], "the gate button is below the fold"
    page.screenshot(path=str(SCREENSHOTS / "phone-home-guard.png"))
    button.click()
    expect(page).to_have_url(f"{page.url.split('/passes/')[0]}/passes/gates/{gate.pk}/")


def test_zone_map_labels_read_on_a_phone_and_the_floors_open_where_one_looks(
    transactional_db, tree, new_page
):
    import time_machine
    from django.utils import timezone

    from fangyi.quarantine import services as quarantine
    from fangyi.reports.tests.conftest import at

    zone = tree.zones[0]
    # An L-shaped tower, whose corners' mean lies outside it, and a narrow block.
    l_shaped, narrow = tree.buildings[0], tree.buildings[1]
    l_shaped.polygon = [[100, 100], [500, 100], [500, 180], [180, 180], [180, 600], [100, 600]]
    l_shaped.save()
    narrow.polygon = [[600, 150], [680, 150], [680, 600], [600, 600]]
    narrow.save()
    # Many responsible people: the floors must still open right under the map.
    from django.contrib.auth import get_user_model

    from fangyi.duty.choices import Role
    from fangyi.duty.models import Assignment, Staff

    for i in range(16):
        user = get_user_model().objects.create_user(f"vol{i}", password=PASSWORD)
        staff = Staff.objects.create(user=user, name=f"志愿者{i}", role=Role.VOLUNTEER)
        Assignment.objects.create(staff=staff, zone=zone)
    today = timezone.localdate()
    with time_machine.travel(at(today.year, today.month, today.day, 10), tick=True):
        quarantine.case_intake(
            by=tree.users["district"],
            person=tree.people[0],
            reason="close_contact",
            arrived_at=timezone.now(),
            first_state="home",
        )
        page = _phone(new_page)
        log_in(page, "c_secretary", PASSWORD)
        page.goto(f"/reports/zones/{zone.pk}/")
        texts = page.evaluate(
            """() => {
              const svg = document.getElementById('zonemap');
              const scale = svg.getScreenCTM().a;
              return [...svg.querySelectorAll('text')].map(t => {
                const g = t.closest('g.building');
                const poly = g && g.querySelector('polygon');
                const b = t.getBBox();
                const corners = [[b.x, b.y], [b.x + b.width, b.y], [b.x, b.y + b.height],
                                 [b.x + b.width, b.y + b.height]];
                const inside = !poly || corners.every(([x, y]) => {
                  const p = svg.createSVGPoint(); p.x = x; p.y = y;
                  return poly.isPointInFill(p);
                });
                return {text: t.textContent, px: parseFloat(getComputedStyle(t).fontSize) * scale,
                        inside: inside};
              });
            }"""
        )
        assert {"1栋", "2栋", "东门"} <= {t["text"] for t in texts}
        for t in texts:
            assert t["px"] >= 12, t
            assert t["inside"], t
        page.screenshot(path=str(SCREENSHOTS / "phone-zone-map.png"))

        page.wait_for_function("() => window.htmx !== undefined")
        # A tap on the tower's arm (the middle of its bounding box is outside the L).
        outline = page.locator(f'g.building[data-id="{l_shaped.pk}"] polygon')
        box = outline.bounding_box()
        outline.click(position={"x": box["width"] * 0.1, "y": box["height"] * 0.05})
        panel = page.get_by_test_id("building-panel")
        expect(panel).to_contain_text("1栋")
        expect(panel).to_be_in_viewport()
        # The building's own grid worker heads it.
        expect(panel.get_by_test_id("building-duty")).to_contain_text("b_grid员")
        page.screenshot(path=str(SCREENSHOTS / "phone-zone-map-floors.png"))
