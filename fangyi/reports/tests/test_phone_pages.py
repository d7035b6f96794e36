"""The district leader's overview and statistics on a phone (390×844, Chinese, the demo
district; issue 13).

The overview used to be one section per community, each with its one or two tiles a
row, so a leader scrolled some 3,600 px to find the red zones among the green; the trend
chart's legend lay over its dates and its daily bars filled their slots edge to edge.
Measured in Chromium: the zones needing attention first, worst first, two tiles a row;
the clear zones a compact list; the chart's bars at most half of a day's slot, its legend
above the plot and its date labels apart.
"""

from __future__ import annotations

from itertools import pairwise

import pytest
from playwright.sync_api import expect

from fangyi.core.tests.browser import browser, chromium_executable, log_in
from fangyi.reports.choices import ZoneStatus
from fangyi.tests.phone import DEMO_PASSWORD, PHONE, build_demo, journey_clock, phone

__all__ = ["browser", "chromium_executable", "phone"]

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WORST_FIRST = [s.value for s in ZoneStatus]


def test_overview_shows_the_zones_needing_attention_first(phone):
    with journey_clock():
        build_demo()
        leader = phone("phone-overview")
        page = leader.page
        log_in(page, "leader", DEMO_PASSWORD)
        page.goto("/reports/")
        expect(page.locator("h1")).to_have_text("围合区总览")

        attention = page.get_by_test_id("attention").get_by_test_id("zone-tile")
        statuses = [t.get_attribute("data-status") for t in attention.all()]
        assert len(statuses) >= 2, "the demo has zones needing attention"
        assert ZoneStatus.CLEAR not in statuses
        assert statuses == sorted(statuses, key=WORST_FIRST.index), statuses
        # The first tile is on the first screen, and tiles go two a row.
        first, second = attention.nth(0).bounding_box(), attention.nth(1).bounding_box()
        assert first["y"] + first["height"] <= PHONE["height"]
        assert abs(first["y"] - second["y"]) < 1 and second["x"] > first["x"] + first["width"]

        # The clear zones after them, a compact list: several names a line.
        clear = page.get_by_test_id("clear-zones").get_by_test_id("zone-tile")
        assert clear.count() >= 2
        assert clear.nth(0).bounding_box()["y"] > attention.last.bounding_box()["y"]
        lines = {round(t.bounding_box()["y"]) for t in clear.all()}
        assert len(lines) < clear.count(), "one clear zone a line"
        total = int(page.get_by_test_id("total-clear").inner_text())
        assert clear.count() == total
        leader.shot("overview")

        # Every zone is there once, and a tile opens its map.
        tiles = page.get_by_test_id("zone-tile")
        assert tiles.count() == len(statuses) + total
        name = attention.first.locator(".name").inner_text()
        attention.first.locator("a").click()
        expect(page.get_by_test_id("zone-name")).to_have_text(name)
    assert not leader.overflows, "pages wider than the phone:\n" + "\n".join(leader.overflows)


# The trend chart's layout, read from ECharts itself (it draws on a canvas): the daily bars,
# the day slot, the legend's box, the plot's box and the date labels shown.
CHART_LAYOUT_JS = """() => {
  const chart = echarts.getInstanceByDom(document.getElementById('trend'));
  const model = chart.getModel();
  const bars = model.getSeriesByIndex(0).getData();
  const layout = [];
  for (let i = 0; i < bars.count(); i++) layout.push(bars.getItemLayout(i));
  const axis = model.getComponent('xAxis', 0).axis;
  const legend = chart.getViewOfComponentModel(model.getComponent('legend', 0)).group;
  const box = legend.getBoundingRect();
  const grid = model.getComponent('grid', 0).coordinateSystem.getRect();
  const font = '12px ' + getComputedStyle(document.body).fontFamily;
  const ctx = document.createElement('canvas').getContext('2d'); ctx.font = font;
  const labels = axis.getViewLabels().map(l => ({
    text: l.formattedLabel, x: axis.dataToCoord(l.tick ? l.tick.value : l.tickValue),
    width: ctx.measureText(l.formattedLabel).width}));
  return {bars: layout.map(b => ({x: b.x, width: b.width})), slot: axis.getBandWidth(),
          legendBottom: legend.y + box.y + box.height, gridTop: grid.y,
          width: document.getElementById('trend').clientWidth, labels: labels};
}"""


def test_trend_chart_reads_on_a_phone(phone):
    with journey_clock():
        build_demo()
        leader = phone("phone-stats")
        page = leader.page
        log_in(page, "leader", DEMO_PASSWORD)
        page.goto("/reports/stats/")
        page.wait_for_function(
            "() => window.echarts && echarts.getInstanceByDom(document.getElementById('trend'))"
        )
        chart = page.evaluate(CHART_LAYOUT_JS)
        leader.shot("stats")

    assert chart["width"] <= PHONE["width"]
    bars, slot = chart["bars"], chart["slot"]
    assert len(bars) == 60 and slot < 6, "sixty days on a phone leave a few pixels a day"
    # Each bar at most half of its day's slot: a gap between any two days with cases.
    for bar in bars:
        assert 1 <= bar["width"] <= slot / 2 + 0.01, (bar, slot)
    for left, right in pairwise(bars):
        assert right["x"] - (left["x"] + left["width"]) >= slot / 2 - 0.01
    # The legend above the plot, not over the dates under it.
    assert chart["legendBottom"] <= chart["gridTop"], chart
    # A few dates, short (MM-DD), each clear of the next.
    labels = chart["labels"]
    assert 3 <= len(labels) <= 6, labels
    assert all(len(label["text"]) == 5 for label in labels), labels
    for left, right in pairwise(labels):
        assert right["x"] - left["x"] >= (left["width"] + right["width"]) / 2 + 8, labels
    assert not leader.overflows, "pages wider than the phone:\n" + "\n".join(leader.overflows)
