"""The Content-Security-Policy in Chromium, which enforces it: the behaviours moved out of
inline handlers into static/fangyi/site.js still work, and the pages that run a library
(htmx, ECharts, Swagger UI, jsQR, the Django admin) break no rule of the policy.

Every page made by `new_page` fails its test when the policy refused anything on it
(core.tests.browser.watch_csp), so these tests only need to use the pages.
"""

from __future__ import annotations

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from fangyi.conftest import PASSWORD
from fangyi.core.tests.browser import (
    TIMEOUT_MS,
    browser,
    chromium_executable,
    log_in,
    new_page,
    watch_csp,
)
from fangyi.quarantine import services as quarantine
from fangyi.screening.models import Campaign
from fangyi.screening.tests.conftest import campaign, team

# Imported for pytest to find them as fixtures of this module.
__all__ = ["browser", "campaign", "chromium_executable", "new_page", "team"]

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_chromium_refuses_an_inline_handler_and_style_and_the_watch_reports_it(
    transactional_db, browser, live_server
):
    # What an attacker's text would be if it reached a page unescaped: the policy refuses
    # to run the handler and to apply the style, and the watch used by every browser test
    # sees both (without the header, `ran` would be 1 and the text red).
    context = browser.new_context(base_url=live_server.url)
    context.set_default_timeout(TIMEOUT_MS)
    violations = watch_csp(context)
    try:
        page = context.new_page()
        page.goto("/login/")
        page.evaluate(
            """() => document.body.insertAdjacentHTML("beforeend",
                '<img src="/static/missing.png" onerror="window.ran = 1">'
                + '<p id="injected" style="color: rgb(255, 0, 0)">x</p>')"""
        )
        expect(page.locator("#injected")).to_have_count(1)
        page.wait_for_function("() => document.querySelector('img[onerror]').complete")
        page.wait_for_timeout(200)
        assert page.evaluate("() => window.ran") is None
        assert (
            page.evaluate("() => getComputedStyle(document.getElementById('injected')).color")
            != "rgb(255, 0, 0)"
        )
    finally:
        context.close()
    refused = "\n".join(violations)
    assert "script-src-attr" in refused or "script-src" in refused, refused
    assert "style-src-attr" in refused or "style-src" in refused, refused


def test_the_zone_map_print_button_prints(transactional_db, tree, new_page):
    page = new_page("en")
    log_in(page, "d_leader", PASSWORD)
    page.goto(f"/reports/zones/{tree.zones[0].pk}/")
    page.evaluate("() => { window.printed = 0; window.print = () => { window.printed += 1; }; }")
    page.get_by_test_id("print").click()
    assert page.evaluate("() => window.printed") == 1


def test_the_overview_filters_apply_when_changed(transactional_db, tree, new_page):
    page = new_page("en")
    log_in(page, "d_leader", PASSWORD)
    page.goto("/reports/")
    filters = page.get_by_test_id("filters")
    street, community = (
        filters.locator("select[name=street]"),
        filters.locator("select[name=community]"),
    )
    expect(page.get_by_test_id("zone-tile")).to_have_count(3)

    # Choosing a street shows its zones at once (no button: it is in <noscript>).
    with page.expect_navigation():
        street.select_option(label=tree.streets[0].name)
    assert f"street={tree.streets[0].pk}" in page.url
    expect(page.get_by_test_id("zone-tile")).to_have_count(2)

    with page.expect_navigation():
        community.select_option(label=tree.communities[0].name)
    assert f"community={tree.communities[0].pk}" in page.url
    expect(community).to_have_value(str(tree.communities[0].pk))

    # Another street empties the community first: it belongs to the first street.
    with page.expect_navigation():
        street.select_option(label=tree.streets[1].name)
    assert f"street={tree.streets[1].pk}" in page.url
    assert f"community={tree.communities[0].pk}" not in page.url
    expect(page.get_by_test_id("zone-tile")).to_have_count(1)


def test_closing_a_campaign_asks_first(transactional_db, tree, campaign, new_page):
    page = new_page("en")
    log_in(page, "c_secretary", PASSWORD)
    page.goto(f"/screening/campaigns/{campaign.pk}/")
    asked = []

    def dismiss(dialog):
        asked.append(dialog.message)
        dialog.dismiss()

    page.once("dialog", dismiss)
    page.get_by_test_id("close-campaign").click()
    page.wait_for_timeout(300)
    assert asked == ["Close the campaign? Teams can record no more visits until it is reopened."]
    assert not Campaign.objects.get(pk=campaign.pk).is_closed

    page.once("dialog", lambda dialog: dialog.accept())
    with page.expect_navigation():
        page.get_by_test_id("close-campaign").click()
    expect(page.get_by_test_id("close-campaign")).to_have_count(0)
    assert Campaign.objects.get(pk=campaign.pk).is_closed


def test_the_check_in_link_selects_itself_when_tapped(transactional_db, tree, new_page):
    case = quarantine.case_intake(
        by=tree.users["zone"],
        person=tree.people[0],
        reason="close_contact",
        arrived_at=timezone.now(),
        first_state="home",
    )
    page = new_page("en")
    log_in(page, "z_property", PASSWORD)
    page.goto(f"/quarantine/cases/{case.pk}/")
    link = page.get_by_test_id("checkin-url")
    link.click()
    selected = link.evaluate("(el) => [el.selectionStart, el.selectionEnd, el.value.length]")
    assert selected[0] == 0 and selected[1] == selected[2] > 0, selected


def test_team_list_bars_are_sized_by_script(transactional_db, tree, team, new_page):
    page = new_page("en")
    log_in(page, "b_grid", PASSWORD)
    page.goto(f"/screening/teams/{team.pk}/")
    bars = page.locator("[data-width-percent]")
    expect(bars).not_to_have_count(0)
    for bar in bars.all():
        percent = bar.get_attribute("data-width-percent")
        assert bar.evaluate("(el) => el.style.width") == f"{percent}%"


def test_library_pages_keep_to_the_policy(transactional_db, tree, new_page, django_user_model):
    django_user_model.objects.create_superuser("operator", password=PASSWORD)
    page = new_page("en")
    log_in(page, "operator", PASSWORD)

    # ECharts draws the trend and its tooltip (HTML it writes itself) on hover.
    page.goto("/reports/stats/")
    chart = page.get_by_test_id("trend")
    expect(chart.locator("canvas")).to_have_count(1)
    chart.hover()
    page.mouse.move(*_centre(chart.bounding_box()))
    page.wait_for_timeout(300)

    # Swagger UI from the project's static files renders the operations, and opens one.
    page.goto("/api/docs")
    expect(page.locator(".opblock").first).to_be_visible()
    page.locator(".opblock-summary").first.click()
    expect(page.locator(".opblock-body").first).to_be_visible()

    # The admin's own scripts and styles.
    page.goto("/admin/")
    expect(page.locator("#content")).to_be_visible()
    page.goto("/admin/people/person/")
    expect(page.locator("#changelist")).to_be_visible()

    # The gate: jsQR and the scanner script (no camera here: it says so).
    page.goto(f"/passes/gates/{tree.zones[0].gates.first().pk}/")
    page.locator("#scan-start").click()
    expect(page.locator("#scan-state")).not_to_be_empty()


def _centre(box) -> tuple[float, float]:
    return box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
