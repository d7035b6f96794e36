"""Browser journeys: what a person sees when clicking through the pages in Chromium.

The live server runs in a thread of this process, so the tests share its database
(hence `transaction=True`) and can check what the clicks wrote.
"""

from __future__ import annotations

import os
import re
import urllib.error
import urllib.request

import pytest
from django.utils import translation
from playwright.sync_api import expect

from fangyi.audit.models import AccessLog
from fangyi.conftest import PASSWORD, make_id_number
from fangyi.core.tests.browser import browser, chromium_executable, log_in, new_page
from fangyi.people.identity import ERR_ID_CHECK
from fangyi.people.models import Person, PersonEvent

# Imported for pytest to find them as fixtures of this module.
__all__ = ["browser", "chromium_executable", "new_page"]

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

HTMX_PATH = "/static/vendor/htmx.min.js"


def _english(message) -> str:
    with translation.override("en"):
        return str(message)


def _person_url(person) -> re.Pattern:
    return re.compile(rf"/people/{person.pk}/$")


def test_district_leader_drills_down_and_reveals_an_id_number(transactional_db, tree, new_page):
    page = new_page()
    log_in(page, "d_leader", PASSWORD)

    # Home lists the one place the leader is assigned to.
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    area = page.get_by_test_id("home-area")
    expect(area.locator("a")).to_have_count(1)
    area.get_by_role("link", name="坪山区").click()

    # District → street → community → zone → building, each through the children table.
    for name in ("坪山街道", "六和社区", "Z1小区", "1栋"):
        page.locator("table.grid").get_by_role("link", name=name, exact=True).click()
        expect(page.locator("h1")).to_contain_text(name)
    expect(page.get_by_test_id("total")).to_have_text("4")
    page.locator("table.grid").get_by_role("link", name="101", exact=True).click()

    person = tree.people[0]
    assert person.dwelling == tree.dwellings[0]
    expect(page.locator("main ul.list a")).to_have_text(["居民1", "居民2"])
    page.get_by_role("link", name=person.name, exact=True).click()
    expect(page).to_have_url(_person_url(person))
    expect(page.locator("h1")).to_contain_text(person.name)

    # The ID number is masked until revealed.
    doc = page.get_by_test_id("doc_number")
    expect(doc).to_contain_text("*")
    expect(doc).not_to_contain_text(person.doc_number)
    expect(page.locator("main")).not_to_contain_text(person.doc_number)
    assert not AccessLog.objects.filter(person=person).exists()

    # The chain names who answers for this person, from the building up to the district.
    chain = page.get_by_test_id("duty-chain").locator("li")
    expect(chain).to_have_count(5)
    expect(chain).to_contain_text(
        [
            "1栋 — b_grid员",
            "Z1小区 — z_property员",
            "六和社区 — c_secretary员",
            "坪山街道 — s_cadre员",
            "坪山区 — d_leader员",
        ]
    )
    expect(page.get_by_test_id("duty-chain")).not_to_contain_text("outsider")

    # Revealing works with or without htmx (plain form post); the test below checks the
    # in-place swap when the front-end assets are installed.
    page.get_by_test_id("reveal-doc_number").click()
    expect(page.get_by_test_id("doc_number")).to_have_text(person.doc_number)
    expect(page.get_by_test_id("reveal-doc_number")).to_have_count(0)
    log = AccessLog.objects.get(person=person)
    assert (log.user, log.field, log.channel) == (tree.users["district"], "doc_number", "web")


@pytest.fixture
def htmx_served(live_server) -> None:
    """htmx is copied into static files by `make assets`; without it pages still work."""
    try:
        with urllib.request.urlopen(live_server.url + HTMX_PATH, timeout=5) as response:
            if response.status == 200:
                return
    except urllib.error.HTTPError:
        pass
    message = f"{HTMX_PATH} is not served: run `make assets` (npm ci, copies htmx)"
    if os.environ.get("CI") == "true":
        pytest.fail(f"under CI the front-end assets are required: {message}", pytrace=False)
    pytest.skip(message)


def test_reveal_swaps_the_number_in_place_with_htmx(transactional_db, tree, new_page, htmx_served):
    person = tree.people[0]
    page = new_page()
    log_in(page, "b_grid", PASSWORD)
    page.goto(f"/people/{person.pk}/")
    expect(page.get_by_test_id("doc_number")).not_to_contain_text(person.doc_number)
    page.wait_for_function("() => window.htmx !== undefined")

    page.get_by_test_id("reveal-doc_number").click()
    revealed = page.get_by_test_id("doc_number")
    expect(revealed).to_have_text(person.doc_number)
    expect(revealed).to_have_class("revealed")
    expect(page.get_by_test_id("reveal-doc_number")).to_have_count(0)
    # Swapped in place: no navigation to the reveal URL, the phone is still masked.
    expect(page).to_have_url(_person_url(person))
    expect(page.get_by_test_id("phone")).to_contain_text("*")
    assert (
        AccessLog.objects.filter(
            person=person, user=tree.users["building"], field="doc_number"
        ).count()
        == 1
    )


def test_language_switch(transactional_db, tree, new_page):
    page = new_page()
    log_in(page, "b_grid", PASSWORD)
    html = page.locator("html")

    # Simplified Chinese is the default for a Chinese browser.
    expect(html).to_have_attribute("lang", "zh-hans")
    expect(page.locator("main")).to_contain_text("1栋")
    expect(page.locator(".who")).to_have_text("b_grid员")
    expect(page.get_by_role("button", name="退出")).to_be_visible()
    expect(page.locator("header form.search button")).to_have_text("搜索")
    expect(page.locator("h1")).to_contain_text("今日工作")
    expect(page.get_by_test_id("lang-zh-hans")).to_have_count(0)
    english = page.get_by_test_id("lang-en")
    # Each language is named in itself, so a reader of either can find it.
    expect(english).to_have_text("English")

    english.click()
    expect(html).to_have_attribute("lang", "en")
    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.get_by_role("button", name="Log out")).to_be_visible()
    expect(page.locator("header form.search button")).to_have_text("Search")
    expect(page.locator("h1")).to_contain_text("Today's work")
    expect(page.get_by_test_id("lang-en")).to_have_count(0)
    chinese = page.get_by_test_id("lang-zh-hans")
    expect(chinese).to_have_text("简体中文")

    chinese.click()
    expect(html).to_have_attribute("lang", "zh-hans")
    expect(page.get_by_role("button", name="退出")).to_be_visible()
    expect(page.get_by_test_id("lang-en")).to_be_visible()
    expect(page.locator("main")).to_contain_text("1栋")


def _search(page, query: str) -> None:
    box = page.locator("header input[name=q]")
    box.fill(query)
    box.press("Enter")
    expect(page.locator("h1")).to_contain_text(query)


def test_search_stays_within_the_building(transactional_db, tree, new_page):
    page = new_page(locale="en-US")
    log_in(page, "b_grid", PASSWORD)
    results = page.locator("table.grid tbody tr")
    inside = tree.people[2]
    outside = next(p for p in tree.people if p.name == "居民9")
    assert inside.building == tree.buildings[0] != outside.building

    # Someone in another zone: not found, by name or by full ID number.
    for query in (outside.name, outside.doc_number):
        _search(page, query)
        expect(results).to_have_count(1)
        expect(results.locator("td.empty")).to_have_text("No file in your area matches.")
        expect(page.locator("table.grid")).not_to_contain_text(outside.name)

    _search(page, inside.name)
    expect(results).to_have_count(1)
    cells = results.first.locator("td")
    expect(cells.nth(0)).to_have_text(inside.name)
    expect(cells.nth(1)).to_contain_text("*")
    expect(cells.nth(1)).not_to_contain_text(inside.doc_number)
    expect(page.locator("main")).not_to_contain_text(inside.doc_number)
    results.get_by_role("link", name=inside.name).click()
    expect(page).to_have_url(_person_url(inside))


def test_new_person_with_a_mistyped_id_number(transactional_db, tree, new_page):
    page = new_page(locale="en-US")
    log_in(page, "b_grid", PASSWORD)
    dwelling = tree.dwellings[1]
    assert dwelling.building == tree.buildings[0]
    page.goto(f"/dwellings/{dwelling.pk}/")
    page.get_by_role("link", name="Add a person").click()
    expect(page.locator("h1")).to_contain_text("New person file")

    name = "新住户"
    valid = make_id_number(900)
    # One sequence digit changed: the check character no longer matches.
    mistyped = valid[:14] + ("1" if valid[14] != "1" else "2") + valid[15:]
    page.get_by_label("name", exact=True).fill(name)
    page.get_by_label("document number").fill(mistyped)
    page.get_by_role("button", name="Save").click()

    error = page.locator(".field:has(#id_doc_number)").get_by_test_id("error-doc_number")
    expect(error).to_have_text(_english(ERR_ID_CHECK))
    expect(page.get_by_test_id("error-name")).to_have_count(0)
    assert not Person.objects.filter(name=name).exists()

    page.get_by_label("document number").fill(valid)
    page.get_by_role("button", name="Save").click()
    expect(page).to_have_url(re.compile(r"/people/\d+/$"))
    person = Person.objects.get(name=name)
    expect(page).to_have_url(_person_url(person))
    assert (person.doc_number, person.dwelling_id) == (valid, dwelling.pk)
    expect(page.locator("h1")).to_contain_text(name)
    expect(page.get_by_test_id("doc_number")).not_to_contain_text(valid)

    entries = page.get_by_test_id("timeline").locator(":scope > li")
    expect(entries).to_have_count(1)
    expect(entries.first.locator(".when")).to_contain_text("created")
    expect(entries.first.locator(".when")).to_contain_text("b_grid员")
    event = PersonEvent.objects.get(person=person)
    assert event.action == PersonEvent.Action.CREATED
