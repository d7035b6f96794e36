"""The team's day on a phone (390×844), in Chinese (issue 13): the list filtered to the
dwellings not visited, a household with one bad temperature (the other entries survive
and the message names the person), corrected and saved, the dwelling then visited.

Screenshots are saved under FANGYI_TEST_OUTPUT (default var/test-output)/screening-phone,
printed by the test.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from playwright.sync_api import expect

from fangyi.conftest import PASSWORD, make_id_number
from fangyi.core.tests.browser import TIMEOUT_MS, browser, chromium_executable, log_in
from fangyi.people.models import Person
from fangyi.screening.models import VisitPerson

__all__ = ["browser", "chromium_executable"]

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
SHOTS = Path(os.environ.get("FANGYI_TEST_OUTPUT", "var/test-output")) / "screening-phone"


@pytest.fixture
def phone(browser, live_server):
    """A page the size of a phone, in Chinese, touch enabled."""
    context = browser.new_context(
        base_url=live_server.url, locale="zh-CN", viewport=PHONE, is_mobile=True, has_touch=True
    )
    context.set_default_timeout(TIMEOUT_MS)
    SHOTS.mkdir(parents=True, exist_ok=True)
    print(f"screenshots: {SHOTS.resolve()}")
    yield context.new_page()
    context.close()


def _shot(page, name: str) -> None:
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def test_team_visit_on_a_phone_with_a_bad_temperature(phone, tree, team):
    page = phone
    dwelling = tree.dwellings[0]
    a, b = Person.objects.filter(dwelling=dwelling).order_by("id")
    log_in(page, "b_grid", PASSWORD)
    page.goto("/screening/")
    page.get_by_test_id("my-teams").get_by_role("link", name=team.name).click()
    expect(page.get_by_test_id("team-progress")).to_contain_text("已走访 0 / 2 户")
    _shot(page, "1-team-list")

    page.get_by_test_id("status-not_visited").click()
    expect(page.get_by_test_id("status-not_visited")).to_have_attribute("aria-current", "true")
    expect(page.get_by_test_id("shown")).to_contain_text("2")
    room = page.get_by_test_id(f"dwelling-{dwelling.pk}")
    expect(room).to_have_attribute("data-status", "not_visited")
    room.click()
    expect(page.locator("h1")).to_contain_text(f"{dwelling.building.name} {dwelling.room}")
    expect(page.get_by_test_id("dwelling-status")).to_contain_text("未走访")

    page.get_by_test_id("outcome-answered").check()
    page.locator(f"[name=p{a.pk}-temperature]").fill("45")
    page.locator(f"[name=p{b.pk}-temperature]").fill("36,6")
    page.locator(f"[name=p{b.pk}-symptoms]").check()
    page.get_by_test_id("new-person-1").locator("summary").click()
    page.locator("[name=new0-name]").fill("陈新来")
    page.locator("[name=new0-doc_number]").fill(make_id_number(808))
    page.locator("[name=new0-temperature]").fill("３６．９")
    _shot(page, "2-visit-typed")
    page.get_by_test_id("save-visit").click()

    errors = page.get_by_test_id("errors")
    expect(errors).to_contain_text(f"{a.name}：“45”不是合理的体温")
    expect(errors).not_to_contain_text(b.name)
    # The other entries survive, as typed.
    expect(page.locator(f"[name=p{b.pk}-temperature]")).to_have_value("36,6")
    expect(page.locator(f"[name=p{b.pk}-symptoms]")).to_be_checked()
    expect(page.locator("[name=new0-name]")).to_be_visible()
    expect(page.locator("[name=new0-name]")).to_have_value("陈新来")
    expect(page.locator("[name=new0-temperature]")).to_have_value("３６．９")
    expect(page.locator(f"[name=p{a.pk}-temperature]")).to_have_value("45")
    _shot(page, "3-visit-refused")
    assert not VisitPerson.objects.exists()

    # The message links to the person's entry.
    errors.get_by_role("link").first.click()
    page.locator(f"[name=p{a.pk}-temperature]").fill("36。8")
    page.get_by_test_id("save-visit").click()

    # Back on the list, still filtered to what is left to do: the dwelling is done.
    expect(page.locator(".messages")).to_contain_text(f"已登记对 {dwelling} 的走访")
    expect(page.get_by_test_id("status-not_visited")).to_have_attribute("aria-current", "true")
    expect(page.get_by_test_id(f"dwelling-{dwelling.pk}")).to_have_count(0)
    expect(page.get_by_test_id("team-progress")).to_contain_text("已走访 1 / 2 户")
    _shot(page, "4-list-after")
    page.get_by_test_id("status-done").click()
    room = page.get_by_test_id(f"dwelling-{dwelling.pk}")
    expect(room).to_have_attribute("data-status", "done")
    room.click()
    expect(page.get_by_test_id("dwelling-status")).to_contain_text("已走访")
    _shot(page, "5-dwelling-visited")
    temperatures = dict(VisitPerson.objects.values_list("person__name", "temperature"))
    assert {k: str(v) for k, v in temperatures.items()} == {
        a.name: "36.8",
        b.name: "36.6",
        "陈新来": "36.9",
    }


def _box(locator) -> dict:
    box = locator.bounding_box()
    assert box is not None
    return box


def test_visit_form_on_a_phone_radios_beside_labels_hints_and_numbered_slots(phone, tree, team):
    page = phone
    log_in(page, "b_grid", PASSWORD)
    page.goto(f"/screening/teams/{team.pk}/dwellings/{tree.dwellings[0].pk}/")
    for value in ("answered", "nobody_home", "refused", "vacant"):
        radio = page.get_by_test_id(f"outcome-{value}")
        label = page.locator("label.choice", has=radio)
        text = label.locator("span")
        r, t, whole = _box(radio), _box(text), _box(label)
        # Beside, not above: on the same line, the radio first.
        assert r["x"] + r["width"] <= t["x"]
        assert abs((r["y"] + r["height"] / 2) - (t["y"] + t["height"] / 2)) < 6
        # A thumb's target: the whole label, at least 44 px high.
        assert whole["height"] >= 44
    checkbox = page.locator("label.check").first
    assert _box(checkbox)["height"] >= 44

    # The three slots for people without a file are told apart.
    titles = page.locator("details.new-person summary").all_inner_texts()
    assert len(titles) == 3 and len(set(titles)) == 3
    assert titles[0].strip() == "未建档人员 1"

    # A hint is a hint: "如 36.5", shown in italic grey, never the person's own data.
    temperature = page.locator("input[name$=-temperature]").first
    expect(temperature).to_have_attribute("placeholder", "如 36.5")
    style = temperature.evaluate(
        "el => { const s = getComputedStyle(el, '::placeholder'); return [s.fontStyle, s.color] }"
    )
    assert style[0] == "italic"
    person = Person.objects.filter(dwelling=tree.dwellings[0]).order_by("id").first()
    for placeholder in page.locator("input[placeholder]").evaluate_all(
        "els => els.map(e => e.placeholder)"
    ):
        assert person.phone[-4:] not in placeholder and person.name not in placeholder
