"""A screening team through an outage (issue 15, point 3), on a phone (390×844), in
Chinese.

The team's leader opens the team's list online: the page keeps the team's offline list on
the phone and its shell in the cache. The network goes; the page opens again from the
cache; two dwellings are recorded from the list (a temperature
typed wrong is refused on the phone, naming the person), and the page says two visits
wait to be sent. Meanwhile a teammate records one of the same dwellings online. The
network comes back: the queue drains to 0, one visit is created, the other is shown as a
conflict naming who recorded the dwelling; the database holds no doubled visit. Logging
out wipes what the page kept.
"""

from __future__ import annotations

import uuid

import pytest
from playwright.sync_api import expect

from fangyi.conftest import PASSWORD
from fangyi.core.tests.browser import TIMEOUT_MS, browser, chromium_executable, log_in
from fangyi.people.models import Person
from fangyi.screening import services
from fangyi.screening.models import Visit, VisitPerson

__all__ = ["browser", "chromium_executable"]

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}


def _stored(page) -> dict:
    """What the page keeps in IndexedDB: the number of lists and queued visits."""
    return page.evaluate(
        """() => new Promise((resolve) => {
          indexedDB.databases().then((all) => {
            if (!all.some((d) => d.name === "fangyi-screening")) return resolve(null);
            const open = indexedDB.open("fangyi-screening");
            open.onsuccess = () => {
              const db = open.result, tx = db.transaction(["lists", "queue"]);
              const lists = tx.objectStore("lists").count(), queue = tx.objectStore("queue").count();
              tx.oncomplete = () => { db.close(); resolve({lists: lists.result, queue: queue.result}); };
            };
          });
        })"""
    )


def test_team_records_two_dwellings_offline_one_of_them_taken_meanwhile(
    browser, live_server, tree, team
):
    context = browser.new_context(
        base_url=live_server.url,
        locale="zh-CN",
        timezone_id="Asia/Shanghai",
        viewport=PHONE,
        is_mobile=True,
        has_touch=True,
    )
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    first, second = tree.dwellings[0], tree.dwellings[1]
    a, b = Person.objects.filter(dwelling=first).order_by("id")

    log_in(page, "b_grid", PASSWORD)
    page.goto(f"/screening/teams/{team.pk}/")
    box = page.get_by_test_id("offline")
    expect(box).to_have_attribute("data-ready", "1")
    expect(box).to_have_attribute("data-state", "online")
    expect(page.get_by_test_id("offline-status")).to_contain_text("离线工作清单已保存在本机")
    assert _stored(page) == {"lists": 1, "queue": 0}

    # The page's shell is cached by its service worker: it opens again without the network.
    page.wait_for_function("() => navigator.serviceWorker.controller !== null")
    context.set_offline(True)
    expect(box).to_have_attribute("data-state", "offline")
    page.reload()
    expect(box).to_have_attribute("data-ready", "1")
    expect(box).to_have_attribute("data-state", "offline")
    expect(page.get_by_test_id("offline-status")).to_contain_text("离线：点房屋即可在本机记录走访")

    # The first dwelling: answered; one temperature typed wrong is refused on the phone.
    page.get_by_test_id(f"dwelling-{first.pk}").click()
    form = page.get_by_test_id("offline-form")
    expect(form).to_be_visible()
    expect(page.get_by_test_id("offline-form-title")).to_contain_text(first.room)
    expect(form.get_by_test_id(f"offline-person-{a.pk}")).to_contain_text(a.name)
    # Masked document only.
    expect(form.get_by_test_id(f"offline-person-{a.pk}")).not_to_contain_text(a.doc_number)
    form.get_by_test_id(f"offline-person-{a.pk}").locator("[data-temperature]").fill("36,6")
    person_b = form.get_by_test_id(f"offline-person-{b.pk}")
    person_b.locator("[data-temperature]").fill("45")
    page.get_by_test_id("offline-save").click()
    expect(page.get_by_test_id("offline-form-error")).to_contain_text(
        f"{b.name}：“45”不是合理的体温"
    )
    person_b.locator("[data-temperature]").fill("３６．８")
    page.get_by_test_id("offline-save").click()
    expect(form).to_be_hidden()
    expect(page.get_by_test_id("offline-queue")).to_have_text("1 条走访待发送")

    # The second dwelling: vacant.
    page.get_by_test_id(f"dwelling-{second.pk}").click()
    page.get_by_test_id("offline-outcome-vacant").check()
    page.get_by_test_id("offline-save").click()
    expect(page.get_by_test_id("offline-queue")).to_have_text("2 条走访待发送")
    assert Visit.objects.count() == 0

    # Meanwhile a teammate records the first dwelling online.
    teammate = tree.users["community"]
    online, _ = services.visit_record(
        user=teammate, team=team, dwelling=first, key=uuid.uuid4(), outcome="nobody_home"
    )

    context.set_offline(False)
    expect(box).to_have_attribute("data-queued", "0")
    expect(page.get_by_test_id("offline-queue")).to_be_hidden()
    results = page.get_by_test_id("offline-results")
    conflict = results.locator("[data-status=conflict]")
    expect(conflict).to_contain_text(f"{first.building.name} {first.room}：未登记")
    expect(conflict).to_contain_text(teammate.staff.name)
    expect(conflict).to_contain_text(team.name)
    expect(results.locator("[data-status=created]")).to_have_text(
        f"{second.building.name} {second.room}：已登记。"
    )
    assert _stored(page) == {"lists": 1, "queue": 0}

    # Nothing lost or doubled: the teammate's visit to the first, one offline to the second.
    assert list(Visit.objects.filter(dwelling=first).values_list("pk", flat=True)) == [online.pk]
    visit = Visit.objects.get(dwelling=second)
    assert (visit.outcome, visit.by_id) == ("vacant", tree.users["building"].pk)
    assert not VisitPerson.objects.exists()

    # The messages stay until cleared, also after a reload.
    page.reload()
    expect(page.get_by_test_id("offline-results").locator("li")).to_have_count(2)
    page.get_by_test_id("offline-clear").click()
    expect(page.get_by_test_id("offline-results").locator("li")).to_have_count(0)

    # A visit not sent when logging out offline: the team is asked first; declined,
    # nothing is lost, and it is sent when the network returns.
    context.set_offline(True)
    expect(box).to_have_attribute("data-state", "offline")
    page.get_by_test_id(f"dwelling-{second.pk}").click()
    page.get_by_test_id("offline-outcome-nobody_home").check()
    page.get_by_test_id("offline-save").click()
    expect(page.get_by_test_id("offline-queue")).to_have_text("1 条走访待发送")
    page.get_by_test_id("menu-button").click()
    with page.expect_event("dialog") as shown:
        page.get_by_role("button", name="退出").click()
    dialog = shown.value
    asked = [dialog.message]
    dialog.dismiss()
    expect(page.get_by_test_id("offline-queue")).to_have_text("1 条走访待发送")
    assert asked == [
        "本机有 1 条离线记录（卡口查验、走访）尚未发送或需要查看，退出后将丢失。仍要退出吗？"
    ], asked
    context.set_offline(False)
    expect(box).to_have_attribute("data-queued", "0")
    assert Visit.objects.filter(dwelling=second).count() == 2

    # Logging out wipes the phone's store (the menu is still open).
    page.get_by_role("button", name="退出").click()
    page.wait_for_url("**/login/**")
    page.wait_for_function(
        "() => indexedDB.databases().then((all) => !all.some((d) => d.name === 'fangyi-screening'))"
    )
    context.close()
