"""Browser journey of a quarantine case (issue 3): intake at a health station, home,
self check-in through the personal link, release and the release certificate.

The live server runs in a thread of this process: time-machine patches the clock
process-wide, so travelling here moves the server's "today" too, and the tests share
its database (hence `transaction=True`).
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from django.utils import timezone, translation
from playwright.sync_api import expect

from fangyi.conftest import PASSWORD
from fangyi.core.documents import pdf_text
from fangyi.core.tests.browser import browser, chromium_executable, log_in, new_page
from fangyi.quarantine.choices import CaseState, CheckChannel
from fangyi.quarantine.models import HealthCheck, QuarantineCase
from fangyi.quarantine.services import ERR_RELEASE_TOO_EARLY
from fangyi.quarantine.tests.conftest import at

# Imported for pytest to find them as fixtures of this module.
__all__ = ["browser", "chromium_executable", "new_page"]

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CASE_URL = re.compile(r"/quarantine/cases/(\d+)/$")


def _english(message) -> str:
    with translation.override("en"):
        return str(message)


def _action(page, summary: str):
    """The <details> block of one case action, opened."""
    details = page.locator("details").filter(
        has=page.locator("summary").filter(has_text=re.compile(rf"^{re.escape(summary)}$"))
    )
    details.locator("summary").click()
    return details


def _record_negative_test(page, sampled_on: dt.date) -> None:
    # The "no test yet" placeholder row has a td.empty; it is not a test.
    tests = page.get_by_test_id("tests").locator("tbody tr:not(:has(td.empty))")
    before = tests.count()
    form = _action(page, "Record a nucleic acid test")
    form.locator("input[name=sampled_on]").fill(sampled_on.isoformat())
    form.get_by_test_id("do-test").click()
    expect(tests).to_have_count(before + 1)
    # Only the new one awaits its result, asked for at the top of the page (what is due).
    pending = page.get_by_test_id("result-negative")
    expect(pending).to_have_count(1)
    expect(page.get_by_test_id("pending-test").filter(has=pending)).to_contain_text(
        sampled_on.isoformat()
    )
    pending.click()
    expect(page.get_by_test_id("result-negative")).to_have_count(0)
    expect(tests.filter(has_text=sampled_on.isoformat()).last).to_contain_text("negative")


def _release(page) -> None:
    form = _action(page, "Release")
    form.locator("select[name=kind]").select_option("normal")
    form.get_by_test_id("do-release").click()


def test_station_home_self_checkin_release(transactional_db, tree, facilities, new_page):
    person = tree.people[0]
    # Today at 10:00 rather than the raw clock: a run near midnight would otherwise
    # change the day number between two steps. tick=True keeps the clock running.
    today = timezone.localdate()
    with time_machine.travel(at(today.year, today.month, today.day, 10), tick=True):
        arrived = timezone.localtime() - dt.timedelta(days=2)
        start = arrived.date()
        release = start + dt.timedelta(days=14)

        page = new_page(locale="en-US")
        log_in(page, "z_property", PASSWORD)

        # Intake of someone already in the files, at the health station.
        page.goto("/quarantine/intake/")
        expect(page.locator("h1")).to_have_text("Intake a returnee")
        page.get_by_label("document type").select_option("id_card")
        page.get_by_label("document number").fill(person.doc_number)
        page.get_by_label("reason").select_option("returned")
        page.get_by_label("arrival time").fill(arrived.strftime("%Y-%m-%dT%H:%M"))
        page.get_by_label("first stage").select_option("station")
        page.get_by_label("facility").select_option(label=facilities["station"].name)
        page.get_by_role("button", name="Open the case").click()

        expect(page).to_have_url(CASE_URL)
        case_path = "/quarantine/cases/" + CASE_URL.search(page.url).group(1) + "/"
        case = QuarantineCase.objects.get(person=person)
        assert case_path == f"/quarantine/cases/{case.pk}/"
        assert (case.start_date, case.state) == (start, CaseState.STATION)
        expect(page.locator("h1")).to_contain_text(person.name)
        expect(page.get_by_test_id("state")).to_have_text("at a health station")
        expect(page.get_by_test_id("dayline")).to_contain_text(
            f"Day 3 of 14, release on {release:%Y-%m-%d}"
        )
        expect(page.get_by_test_id("station")).to_contain_text("Station day 3")

        # A negative test, then home (station day 3 is the policy's first day allowed).
        _record_negative_test(page, today)
        form = _action(page, "Move to home quarantine")
        form.get_by_test_id("do-move_home").click()
        expect(page.get_by_test_id("state")).to_have_text("home quarantine")
        expect(page.get_by_test_id("station")).to_have_count(0)
        expect(page.get_by_test_id("dayline")).to_contain_text("Day 3 of 14")

        # The person checks in through the personal link, without logging in.
        checkin_url = page.get_by_test_id("checkin-url").input_value()
        assert checkin_url.startswith("http")
        visitor = new_page(locale="en-US")
        visitor.goto(checkin_url)
        expect(visitor.get_by_test_id("who")).to_contain_text("Day 3 of 14")
        expect(visitor.get_by_test_id("who")).not_to_contain_text(person.name)
        visitor.locator("input[name=temperature]").fill("36.5")
        visitor.get_by_role("button", name="Send").click()
        expect(visitor.get_by_test_id("done")).to_contain_text("36.5")
        check = HealthCheck.objects.get(case=case)
        assert (str(check.temperature), check.channel) == ("36.5", CheckChannel.SELF)

        page.goto(case_path)
        checks = page.get_by_test_id("checks").locator("tbody tr")
        expect(checks).to_have_count(1)
        expect(checks.first).to_contain_text("36.5")
        expect(checks.first).to_contain_text("self check-in")

    # The day before the release date, a normal release is refused and names the date.
    eve = release - dt.timedelta(days=1)
    with time_machine.travel(at(eve.year, eve.month, eve.day, 9), tick=True):
        page.goto(case_path)
        expect(page.get_by_test_id("dayline")).to_contain_text("Day 14 of 14")
        _release(page)
        expect(page.get_by_test_id("error-form")).to_have_text(
            _english(ERR_RELEASE_TOO_EARLY).format(date=release.isoformat())
        )
        expect(page.get_by_test_id("state")).to_have_text("home quarantine")
        case.refresh_from_db()
        assert case.state == CaseState.HOME

    # On the release date: a fresh negative test (no older than 7 days), then release.
    with time_machine.travel(at(release.year, release.month, release.day, 9), tick=True):
        page.goto(case_path)
        expect(page.get_by_test_id("dayline")).to_contain_text("due for release")
        _record_negative_test(page, release)
        _release(page)
        expect(page.get_by_test_id("state")).to_have_text("released")
        expect(page.locator("p.dayline")).to_have_text(f"Released on {release:%Y-%m-%d}")
        expect(page.get_by_test_id("checkin-url")).to_have_count(0)
        case.refresh_from_db()
        assert (case.state, case.released_on, case.release_kind) == (
            CaseState.RELEASED,
            release,
            "normal",
        )

        certificate = page.get_by_test_id("certificate-pdf")
        expect(certificate).to_be_visible()
        response = page.request.get(certificate.get_attribute("href"))
        assert response.ok
        assert response.headers["content-type"] == "application/pdf"
        text = pdf_text(response.body())
        assert person.name in text
        assert release.isoformat() in text
