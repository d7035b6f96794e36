"""The station doctor's day on a phone (390×844), in Chinese, on the demo district (issue 13).

From the home page to the cases due for release, into a case the demo generator made
(its stages and history have no author: such pages used to answer 500), a health check,
a negative nucleic acid test, the release and its certificate, read back from the PDF.
Every page is measured against the phone's width; screenshots are saved under
FANGYI_TEST_OUTPUT (default var/test-output)/journey-doctor.
The clock is pinned at 14:00 today (fangyi.tests.phone.journey_clock).
"""

from __future__ import annotations

import re
from urllib.parse import quote

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from fangyi.core.documents import pdf_text
from fangyi.core.tests.browser import browser, chromium_executable, log_in
from fangyi.quarantine.choices import ACTIVE_STATES, CaseState, CheckChannel
from fangyi.quarantine.models import HealthCheck, NucleicTest, QuarantineCase
from fangyi.tests.phone import DEMO_PASSWORD, build_demo, journey_clock, phone

__all__ = ["browser", "chromium_executable", "phone"]

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CASE_URL = re.compile(r"/quarantine/cases/(\d+)/$")


def _action(page, summary: str):
    """The <details> block of one case action, opened."""
    details = page.locator("details").filter(
        has=page.locator("summary").filter(has_text=re.compile(rf"^{re.escape(summary)}$"))
    )
    details.locator("summary").click()
    return details


def _to_due_for_release(page) -> None:
    """Home page → the cases due for release; the quarantine menu if the home page
    offers no such link."""
    due = page.get_by_test_id("item-due_release")
    if due.count():
        expect(page.get_by_test_id("home-quarantine")).to_contain_text("待解除隔离")
        count = int(page.get_by_test_id("count-due_release").inner_text())
        assert count >= 1, "the demo has cases due for release today in the doctor's community"
        due.click()
    else:
        page.get_by_test_id("menu-button").click()
        page.get_by_test_id("mainnav").get_by_role("link", name="隔离观察").click()
        page.get_by_role("link", name="待解除隔离").click()


def test_doctor_releases_a_demo_case_and_prints_the_certificate(phone):
    with journey_clock():
        today = timezone.localdate()
        build_demo()
        doctor = phone("journey-doctor")
        page = doctor.page

        log_in(page, "doctor", DEMO_PASSWORD)
        expect(page.locator("h1")).to_contain_text("今日工作")
        doctor.shot("home")

        _to_due_for_release(page)
        expect(page.locator("h1")).to_have_text("隔离观察工作清单")
        expect(page.locator("nav.tabs a[aria-current=page]")).to_have_text("待解除隔离")
        rows = page.get_by_test_id("worklist").locator("tbody tr")
        expect(rows.first.get_by_role("link")).to_be_visible()
        doctor.shot("due-for-release")

        link = rows.first.get_by_role("link")
        pk = int(re.search(r"/cases/(\d+)/", link.get_attribute("href")).group(1))
        case = QuarantineCase.objects.select_related("person").get(pk=pk)
        person = case.person
        # A case of the demo generator: nobody is named on its stages or its history.
        assert case.state in ACTIVE_STATES
        assert not case.stages.filter(decided_by__isnull=False).exists()
        assert not case.events.filter(by__isnull=False).exists()
        expect(rows.first).to_contain_text(person.name)
        link.click()

        expect(page).to_have_url(CASE_URL)
        expect(page.locator("h1")).to_contain_text(person.name)
        expect(page.locator("h1")).to_contain_text(case.case_no)
        expect(page.get_by_test_id("dayline")).to_contain_text("待解除隔离")
        expect(page.get_by_test_id("dayline")).to_contain_text(f"{today:%Y-%m-%d} 解除隔离")
        # Stages decided by nobody read "—", the history's entries "系统".
        expect(page.get_by_test_id("stages").locator("tbody tr").first).to_contain_text("—")
        expect(page.get_by_test_id("case-history")).to_contain_text("系统")
        doctor.shot("case")

        # A health check, entered by the doctor for the current slot (14:00: the afternoon's).
        # The table shows the latest checks, newest first; the demo's are all self check-ins.
        checks = page.get_by_test_id("checks").locator("tbody tr")
        expect(checks.filter(has_text="工作人员")).to_have_count(0)
        form = _action(page, "登记健康监测")
        form.locator("input[name=temperature]").fill("36.6")
        doctor.shot("check-typed")
        form.get_by_test_id("do-check").click()
        expect(checks.first).to_contain_text("工作人员")
        expect(checks.first).to_contain_text("36.6")
        expect(checks.first).to_contain_text(f"{today:%Y-%m-%d} 14:")
        check = HealthCheck.objects.get(case=case, channel=CheckChannel.STAFF)
        assert (str(check.temperature), check.date, check.recorded_by.username) == (
            "36.6",
            today,
            "doctor",
        )
        assert check.slot in ("am", "pm")
        doctor.shot("check-saved")

        # A nucleic acid test sampled today (the form offers today), then its result.
        tests = page.get_by_test_id("tests").locator("tbody tr:not(:has(td.empty))")
        before = tests.count()
        form = _action(page, "登记核酸检测")
        expect(form.locator("input[name=sampled_on]")).to_have_value(today.isoformat())
        form.get_by_test_id("do-test").click()
        expect(tests).to_have_count(before + 1)
        pending = page.get_by_test_id("result-negative")
        expect(pending).to_have_count(1)
        doctor.shot("test-recorded")
        pending.click()
        expect(page.get_by_test_id("result-negative")).to_have_count(0)
        expect(tests.filter(has_text=today.isoformat()).last).to_contain_text("阴性")
        test = NucleicTest.objects.filter(case=case).latest("id")
        assert (test.sampled_on, test.result) == (today, "negative")

        # The release, normal: due today, with today's negative test.
        form = _action(page, "解除隔离")
        form.locator("select[name=kind]").select_option("normal")
        doctor.shot("release-form")
        form.get_by_test_id("do-release").click()
        expect(page.get_by_test_id("state")).to_have_text("已解除隔离")
        expect(page.locator("p.dayline")).to_have_text(f"已于 {today:%Y-%m-%d} 解除隔离")
        expect(page.get_by_test_id("checkin-url")).to_have_count(0)
        case.refresh_from_db()
        assert (case.state, case.released_on, case.release_kind) == (
            CaseState.RELEASED,
            today,
            "normal",
        )
        doctor.shot("released")

        # The certificate, fetched with the phone's session as its link opens it to print.
        # (Chromium shows an inline PDF in its viewer, which hides the bytes from a click.)
        certificate = page.get_by_test_id("certificate-pdf")
        expect(certificate).to_have_text("解除隔离证明（PDF）")
        response = page.request.get(certificate.get_attribute("href"))
        assert response.ok
        assert response.headers["content-type"] == "application/pdf"
        filename = quote(f"解除隔离证明-{case.case_no}.pdf")
        assert response.headers["content-disposition"] == f"inline; filename*=utf-8''{filename}"
        text = pdf_text(response.body())
        assert "解除隔离证明" in text
        assert person.name in text
        assert today.isoformat() in text

    assert not doctor.overflows, "pages wider than the phone:\n" + "\n".join(doctor.overflows)
