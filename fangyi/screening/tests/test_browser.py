"""Browser journey: a team leader opens the list, records a visit with a new person,
and the progress moves (issue 6)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from fangyi.conftest import PASSWORD, make_id_number
from fangyi.core.tests.browser import browser, chromium_executable, log_in, new_page
from fangyi.people.models import Person

__all__ = ["browser", "chromium_executable", "new_page"]

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_team_leader_records_a_visit_with_a_new_person(new_page, tree, team):
    page = new_page("en")
    log_in(page, "b_grid", PASSWORD)
    page.goto("/screening/")
    page.get_by_test_id("my-teams").get_by_role("link", name=team.name).click()
    expect(page.get_by_test_id("team-progress")).to_contain_text("0 of 2 visited")
    first = page.get_by_test_id("dwellings").locator("tbody tr").first
    expect(first).to_have_attribute("data-status", "not_visited")
    first.get_by_role("link").click()

    page.get_by_test_id("outcome-answered").check()
    page.get_by_test_id("new-person").locator("summary").click()
    page.get_by_test_id("new0-name").fill("陈新来")
    page.get_by_test_id("new0-doc_number").fill(make_id_number(808))
    page.get_by_test_id("save-visit").click()

    expect(page.get_by_test_id("team-progress")).to_contain_text("1 of 2 visited")
    rows = page.get_by_test_id("dwellings").locator("tbody tr")
    expect(rows.last).to_have_attribute("data-status", "done")
    new = Person.objects.get(name="陈新来")
    assert not new.verified
    assert new.events.get().source == f"screening team {team.name}"

    page.goto(f"/screening/campaigns/{team.campaign_id}/")
    expect(page.get_by_test_id("progress-teams")).to_contain_text("1 / 2 (50%)")
