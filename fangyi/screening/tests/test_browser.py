"""Browser journey: a team leader opens the list, records a visit with a new person,
and the progress moves, on the campaign page and on the zone map (issue 6)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from fangyi.conftest import PASSWORD, make_id_number
from fangyi.core.tests.browser import browser, chromium_executable, log_in, new_page
from fangyi.people.models import Person

__all__ = ["browser", "chromium_executable", "new_page"]

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_team_leader_records_a_visit_with_a_new_person(new_page, tree, team):
    # The community secretary watches the zone map: nothing visited yet.
    secretary = new_page("en")
    log_in(secretary, "c_secretary", PASSWORD)
    secretary.goto(f"/reports/zones/{tree.zones[0].pk}/")
    panel = secretary.get_by_test_id("screening-panel")
    expect(panel.get_by_test_id("screening-done")).to_have_text("0")
    expect(panel.get_by_test_id("screening-total")).to_have_text("4")
    building = secretary.locator(f'g.building[data-id="{tree.buildings[0].pk}"]')
    expect(building.get_by_test_id("building-screening")).to_have_text("visited 0/2")

    page = new_page("en")
    log_in(page, "b_grid", PASSWORD)
    page.goto("/screening/")
    page.get_by_test_id("my-teams").get_by_role("link", name=team.name).click()
    expect(page.get_by_test_id("team-progress")).to_contain_text("0 of 2 visited")
    first = page.get_by_test_id(f"dwelling-{tree.dwellings[0].pk}")
    expect(first).to_have_attribute("data-status", "not_visited")
    first.click()

    page.get_by_test_id("outcome-answered").check()
    page.get_by_test_id("new-person-1").locator("summary").click()
    page.locator("[name=new0-name]").fill("陈新来")
    page.locator("[name=new0-doc_number]").fill(make_id_number(808))
    page.get_by_test_id("save-visit").click()

    expect(page.get_by_test_id("team-progress")).to_contain_text("1 of 2 visited")
    expect(first).to_have_attribute("data-status", "done")
    new = Person.objects.get(name="陈新来")
    assert not new.verified
    assert new.events.get().source == f"screening team {team.name}"

    page.goto(f"/screening/campaigns/{team.campaign_id}/")
    expect(page.get_by_test_id("progress-teams")).to_contain_text("1 / 2 (50%)")

    # The zone map has moved too: the zone's totals, the building's label and fill, and
    # the building's drill-down shows which dwelling was visited.
    secretary.reload()
    expect(panel.get_by_test_id("screening-done")).to_have_text("1")
    # The two residents (ticked present by default) and the new person.
    expect(panel.get_by_test_id("screening-person-times")).to_have_text("3")
    expect(building.get_by_test_id("building-screening")).to_have_text("visited 1/2")
    expect(building).to_have_class(re.compile(r"\bcov-some\b"))
    building.click()
    floors = secretary.get_by_test_id("building-panel")
    expect(floors.locator("[data-status=done]")).to_have_count(1)
    expect(floors.locator("[data-status=not_visited]")).to_have_count(1)
    panel.get_by_test_id("screening-campaign").click()
    expect(secretary.get_by_test_id("progress-teams")).to_contain_text("1 / 2 (50%)")
