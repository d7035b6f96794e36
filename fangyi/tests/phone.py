"""A phone for the browser journeys (issue 13): a 390×844 touch page in Chinese, its
screenshots, and a check that no page is wider than the phone.

Screenshots go where the screening team's phone journey puts its own: under
FANGYI_TEST_OUTPUT (default var/test-output), one folder per journey.
"""

from __future__ import annotations

import datetime as dt
import io
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command
from django.utils import timezone

from fangyi.core.tests.browser import TIMEOUT_MS, watch_csp

PHONE = {"width": 390, "height": 844}
SHOTS = Path(os.environ.get("FANGYI_TEST_OUTPUT", "var/test-output"))
# Sub-pixel rounding and a scrollbar's hairline are not an overflow; a table that pushes
# the page sideways is (a thumb then scrolls the whole page, header included).
OVERFLOW_SLACK_PX = 4
DEMO_PASSWORD = "fangyi-demo"

# The elements sticking out to the right, outermost first, as "tag#id.class (right px)".
_WIDEST_JS = """(limit) => {
  const out = [];
  for (const el of document.body.querySelectorAll('*')) {
    const r = el.getBoundingClientRect();
    if (r.width === 0 || r.right <= limit) continue;
    // Only the outermost: an element inside a scroll box or an element already listed
    // does not add anything.
    let p = el.parentElement, inner = false;
    while (p && p !== document.body) {
      const s = getComputedStyle(p);
      if (s.overflowX !== 'visible' || out.some(o => o.el === p)) { inner = true; break; }
      p = p.parentElement;
    }
    if (inner) continue;
    const name = el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') +
      (el.className && typeof el.className === 'string'
        ? '.' + el.className.trim().split(/\\s+/).join('.') : '') +
      (el.dataset.testid ? '[data-testid=' + el.dataset.testid + ']' : '');
    out.push({el: el, name: name + ' (' + Math.round(r.right) + ' px)'});
  }
  return out.slice(0, 5).map(o => o.name);
}"""


# The journeys' hour of the day. The demo places its cases, checks and rounds around the
# clock's "now", so the journeys pin it: the same district on every run of a day, and no
# "today" changing between two steps of a run near midnight. The live server runs in a
# thread of this process, so time-machine moves its clock too.
JOURNEY_HOUR = 14


def journey_clock() -> time_machine.travel:
    """Today at JOURNEY_HOUR in Asia/Shanghai, the clock running from there."""
    today = timezone.localdate()
    start = dt.datetime.combine(today, dt.time(JOURNEY_HOUR), tzinfo=ZoneInfo("Asia/Shanghai"))
    return time_machine.travel(start, tick=True)


def build_demo() -> None:
    """The demo district the journeys walk (small: a few seconds)."""
    call_command("demo", scale=0.004, seed=7, no_progress=True, stdout=io.StringIO())


class Phone:
    """One person's phone during a journey: screenshots numbered in order, and every
    page measured against the phone's width."""

    def __init__(self, page, journey: str) -> None:
        self.page = page
        self.folder = SHOTS / journey
        self.folder.mkdir(parents=True, exist_ok=True)
        self.count = 0
        self.overflows: list[str] = []

    def shot(self, name: str) -> None:
        """Measure the page as it is now and keep a full-page screenshot of it."""
        self.count += 1
        self.measure(name)
        path = self.folder / f"{self.count}-{name}.png"
        self.page.screenshot(path=str(path), full_page=True)

    def measure(self, name: str) -> None:
        """Record the page (with the elements that stick out) if it is wider than the phone."""
        width = self.page.evaluate("document.scrollingElement.scrollWidth")
        if width > PHONE["width"] + OVERFLOW_SLACK_PX:
            widest = self.page.evaluate(_WIDEST_JS, PHONE["width"] + OVERFLOW_SLACK_PX)
            path = self.page.url.split("//", 1)[-1].split("/", 1)[-1]
            self.overflows.append(f"{name} /{path}: {width} px wide, by {', '.join(widest)}")


@pytest.fixture
def phone(browser, live_server) -> Iterator[Callable[[str], Phone]]:
    """A factory of phones (390×844, Chinese, touch), each in a fresh context."""
    contexts = []

    def make(journey: str) -> Phone:
        context = browser.new_context(
            base_url=live_server.url,
            locale="zh-CN",
            viewport=PHONE,
            is_mobile=True,
            has_touch=True,
        )
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append((context, watch_csp(context)))
        made = Phone(context.new_page(), journey)
        print(f"screenshots: {made.folder.resolve()}")
        return made

    yield make
    violations: list[str] = []
    for context, seen in contexts:
        context.close()
        violations.extend(seen)
    assert not violations, "the Content-Security-Policy refused:\n" + "\n".join(violations)
