"""The quarantine worklists and the case page on a phone (390×844, Chinese; issue 13).

A worklist row used to be a five-column table row, in which a four-character name
stood one character per line; the case page put some 20 health-check rows before the
history and the case's facts before its actions (over 3,000 px). Measured here in
Chromium: the name on one line with the case's day line under it, the actions of the
case page above the fold, five checks shown and the earlier ones folded.
"""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.utils import timezone
from playwright.sync_api import expect

from fangyi.conftest import PASSWORD
from fangyi.core.tests.browser import browser, chromium_executable, log_in
from fangyi.people.models import Person
from fangyi.quarantine import services
from fangyi.quarantine.tests.conftest import at
from fangyi.tests.phone import PHONE, phone

__all__ = ["browser", "chromium_executable", "phone"]

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NAME = "欧阳斌振"
DAYS_AGO = 14  # day 15 of 14: due for release today
# A case page read on a phone, before: 3,138 px for a demo case with 27 checks.
MAX_CASE_PAGE_PX = 2600


def _due_case(tree):
    """A home-quarantine case of 欧阳斌振, due for release today, with two checks a day
    but for the last three slots (missed check-in alerts) and one fever."""
    person = tree.people[0]
    Person.objects.filter(pk=person.pk).update(name=NAME)
    person.refresh_from_db()
    now = timezone.now()
    start = now - dt.timedelta(days=DAYS_AGO)
    case = services.case_intake(
        by=tree.users["zone"],
        person=person,
        reason="close_contact",
        arrived_at=start,
        first_state="home",
        now=start,
    )
    day0 = timezone.localdate(start)
    for n in range(DAYS_AGO - 1):
        day = day0 + dt.timedelta(days=n)
        for hour in (8, 18):
            services.health_check_record(
                case=case,
                temperature="38.1" if (n, hour) == (3, 8) else "36.5",
                channel="self",
                now=at(day.year, day.month, day.day, hour),
            )
    services.alerts_sync_missed(now=now)
    return case


def _one_line(page, locator) -> bool:
    """Whether an inline element is laid out on one line (one box, one line high)."""
    return locator.evaluate(
        """el => el.getClientRects().length === 1 &&
                el.getBoundingClientRect().height < 1.6 * parseFloat(getComputedStyle(el).fontSize)"""
    )


def _today_at(hour: int) -> time_machine.travel:
    today = timezone.localdate()
    return time_machine.travel(at(today.year, today.month, today.day, hour), tick=True)


def test_worklist_rows_read_on_a_phone(tree, phone):
    with _today_at(14):
        case = _due_case(tree)
        release = timezone.localdate()
        user = phone("phone-quarantine-worklist")
        page = user.page
        log_in(page, "z_property", PASSWORD)

        page.goto("/quarantine/?list=due_release")
        row = page.get_by_test_id("worklist").locator("tbody tr").filter(has_text=NAME)
        name = row.get_by_test_id("worklist-name")
        expect(name).to_have_text(NAME)
        assert _one_line(page, name), "the name breaks over several lines"
        # Under the name: the day line and what is due.
        expect(row.get_by_test_id("worklist-days")).to_have_text(
            f"第 15 天（共 14 天），{release:%Y-%m-%d} 解除隔离"
        )
        expect(row.get_by_test_id("worklist-due")).to_have_text("待解除隔离")
        name_box, days_box = name.bounding_box(), row.get_by_test_id("worklist-days").bounding_box()
        assert days_box["y"] >= name_box["y"] + name_box["height"] - 1, (
            "the day line is beside the name"
        )
        user.shot("due-release")

        # An alert list: the name on one line, the alert and its buttons under it.
        page.goto("/quarantine/?list=missed")
        rows = page.get_by_test_id("worklist").locator("tbody tr").filter(has_text=NAME)
        expect(rows).to_have_count(3)
        for i in range(3):
            assert _one_line(page, rows.nth(i).get_by_test_id("worklist-name"))
        expect(rows.first.get_by_test_id("worklist-due")).to_contain_text("待处理")
        expect(rows.first.get_by_role("button", name="确认")).to_be_in_viewport()
        user.shot("missed")
        page.get_by_role("link", name="发热").click()
        page.wait_for_load_state()  # measured with its stylesheets, not before they load
        fever = page.get_by_test_id("worklist").locator("tbody tr").filter(has_text=NAME)
        expect(fever.get_by_test_id("worklist-due")).to_contain_text("38.1")
        user.shot("fever")
        assert case.case_no in page.content()
    assert not user.overflows, "pages wider than the phone:\n" + "\n".join(user.overflows)


def test_case_page_puts_the_actions_above_the_fold(tree, phone):
    with _today_at(14):
        case = _due_case(tree)
        user = phone("phone-quarantine-case")
        page = user.page
        log_in(page, "z_property", PASSWORD)
        page.goto(f"/quarantine/cases/{case.pk}/")

        expect(page.get_by_test_id("dayline")).to_contain_text("待解除隔离")
        # What is due: three alerts, the fever first however old, the others folded.
        due = page.get_by_test_id("due")
        expect(due.locator("> ul > li")).to_have_count(3)
        expect(due.locator("> ul > li").first).to_contain_text("发热")
        expect(due.locator("> ul > li").first).to_contain_text("38.1")
        expect(due.get_by_test_id("more-alerts")).to_contain_text("另有 1 条未办结预警")
        # Every action's title is on the first screen.
        for summary in page.locator(".actions summary").all():
            box = summary.bounding_box()
            assert box["y"] + box["height"] <= PHONE["height"], (
                f"{summary.inner_text()} is below the fold ({box['y']:.0f} px)"
            )
        user.shot("case-top")

        # The five latest checks, newest first; the 21 earlier ones fold away.
        checks = page.get_by_test_id("checks").locator("tbody tr")
        expect(checks).to_have_count(5)
        earlier = page.get_by_test_id("earlier-checks")
        expect(earlier).to_contain_text("更早的监测记录 21 条")
        expect(earlier.locator("tbody tr").first).to_be_hidden()
        height = page.evaluate("document.scrollingElement.scrollHeight")
        assert height <= MAX_CASE_PAGE_PX, f"the case page is {height} px long"
        earlier.locator("summary").click()
        expect(earlier.locator("tbody tr")).to_have_count(21)
        expect(earlier.locator("tbody tr").last).to_be_visible()
        # The history comes after the checks.
        history = page.get_by_test_id("case-history").bounding_box()
        assert history["y"] > page.get_by_test_id("checks").bounding_box()["y"]
        user.shot("case-all-checks")
    assert not user.overflows, "pages wider than the phone:\n" + "\n".join(user.overflows)
