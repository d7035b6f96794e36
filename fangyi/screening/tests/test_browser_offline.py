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

import datetime as dt
import uuid
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from fangyi.conftest import PASSWORD
from fangyi.core.tests.browser import (
    TIMEOUT_MS,
    browser,
    chromium_executable,
    log_in,
    reload_offline,
)
from fangyi.core.tests.offline_store import LEFT_JS, RAW_CACHES_JS, RAW_STORE_JS
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
    reload_offline(page)
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
    asked: list[str] = []
    # Answered as it shows (a dialog left open would hold the click's wait).
    page.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.dismiss()))
    with page.expect_event("dialog"):
        page.get_by_role("button", name="退出").click()
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


# --- the phone's store is safe (issue 15, point 4) -------------------------------------------

# Moves the expiry of every kept record of the team store into the past.
EXPIRE_ALL_JS = """() => new Promise((resolve) => {
  const open = indexedDB.open("fangyi-screening");
  open.onsuccess = () => {
    const db = open.result, tx = db.transaction(["lists", "queue"], "readwrite");
    for (const name of ["lists", "queue"]) {
      const store = tx.objectStore(name);
      store.getAll().onsuccess = (e) => e.target.result.forEach((r) => {
        r.exp = Date.now() - 60000;
        store.put(r);
      });
    }
    tx.oncomplete = () => { db.close(); resolve(); };
  };
})"""


def _phone(browser, live_server):
    context = browser.new_context(
        base_url=live_server.url,
        locale="zh-CN",
        timezone_id="Asia/Shanghai",
        viewport=PHONE,
        is_mobile=True,
        has_touch=True,
    )
    context.set_default_timeout(TIMEOUT_MS)
    return context


def _open_team_page(page, team) -> None:
    page.goto(f"/screening/teams/{team.pk}/")
    expect(page.get_by_test_id("offline")).to_have_attribute("data-ready", "1")


def _record_offline(page, dwelling, outcome: str = "vacant", temperatures=()) -> None:
    page.get_by_test_id(f"dwelling-{dwelling.pk}").click()
    form = page.get_by_test_id("offline-form")
    expect(form).to_be_visible()
    page.get_by_test_id(f"offline-outcome-{outcome}").check()
    for person, value in temperatures:
        form.get_by_test_id(f"offline-person-{person.pk}").locator("[data-temperature]").fill(value)
    page.get_by_test_id("offline-save").click()
    expect(form).to_be_hidden()


def _go_offline_on_team_page(page, context, team) -> None:
    page.wait_for_function("() => navigator.serviceWorker.controller !== null")
    context.set_offline(True)
    reload_offline(page)
    expect(page.get_by_test_id("offline")).to_have_attribute("data-ready", "1")


def test_the_store_holds_no_plaintext_and_is_unreadable_without_the_login(
    browser, live_server, tree, team
):
    context = _phone(browser, live_server)
    page = context.new_page()
    first = tree.dwellings[0]
    a, b = Person.objects.filter(dwelling=first).order_by("id")
    log_in(page, "b_grid", PASSWORD)
    _open_team_page(page, team)
    offline_list = page.evaluate(
        "async (url) => (await fetch(url)).json()", f"/api/screening/teams/{team.pk}/offline-list"
    )
    people = [p for d in offline_list["dwellings"] for p in d["people"]]
    secrets = {p["name"] for p in people} | {p["doc"] for p in people} | {a.doc_number}
    assert a.name in secrets and len(people) >= 2

    _go_offline_on_team_page(page, context, team)
    box = page.get_by_test_id("offline")
    expect(box).to_have_attribute("data-state", "offline")
    _record_offline(page, first, "answered", [(a, "36.6"), (b, "36.7")])
    expect(box).to_have_attribute("data-queued", "1")

    # What a copy of the phone's disk shows: records, none with a name or a document in it.
    raw = page.evaluate(RAW_STORE_JS)
    assert len(raw["fangyi-screening/lists"]) == 1 and len(raw["fangyi-screening/queue"]) == 1
    for record in raw["fangyi-screening/lists"] + raw["fangyi-screening/queue"]:
        assert set(record) >= {"kid", "exp", "iv", "data"}, record
    dump = "\n".join(str(value) for rows in raw.values() for row in rows for value in row.values())
    shown = [s for s in secrets if s in dump]
    assert not shown, shown
    # The cached page shell holds no resident's name either (the names are dropped from it).
    cached = page.evaluate(RAW_CACHES_JS)
    assert any(f"dwelling-{first.pk}" in text for text in cached)
    shown = [s for s in secrets if any(s in text for text in cached)]
    assert not shown, shown

    # The browser closed (the tab's key is gone; the store and the cache stay), opened
    # again without the network: no resident is shown, the page says a login is needed.
    page.evaluate("() => sessionStorage.clear()")
    reload_offline(page)
    expect(box).to_have_attribute("data-ready", "1")
    expect(box).to_have_attribute("data-state", "needs-login")
    expect(page.get_by_test_id("offline-status")).to_have_text(
        "本机的离线数据需要登录才能读取：请联网后重新登录。"
    )
    expect(page.locator("body")).not_to_contain_text(a.name)
    expect(page.get_by_test_id("offline-form")).to_be_hidden()
    assert len(page.evaluate(RAW_STORE_JS)["fangyi-screening/queue"]) == 1  # kept, unread

    # Online again with the same login: the key comes back, the queued visit is sent.
    context.set_offline(False)
    expect(box).to_have_attribute("data-queued", "0")
    expect(box).to_have_attribute("data-state", "online")  # and the list is kept again
    expect(page.get_by_test_id("offline-results").locator("[data-status=created]")).to_have_count(1)
    assert VisitPerson.objects.filter(visit__dwelling=first).count() == 2
    context.close()


def test_past_its_expiry_the_list_is_deleted_and_the_queued_visit_is_not(
    browser, live_server, tree, team
):
    context = _phone(browser, live_server)
    page = context.new_page()
    second = tree.dwellings[1]
    log_in(page, "b_grid", PASSWORD)
    _open_team_page(page, team)
    _go_offline_on_team_page(page, context, team)
    _record_offline(page, second)
    page.evaluate(EXPIRE_ALL_JS)
    reload_offline(page)
    box = page.get_by_test_id("offline")
    expect(box).to_have_attribute("data-ready", "1")
    expect(box).to_have_attribute("data-state", "none")  # the list is gone
    assert _stored(page) == {"lists": 0, "queue": 1}  # the visit is not
    expect(box).to_have_attribute("data-queued", "1")
    context.set_offline(False)
    expect(box).to_have_attribute("data-queued", "0")
    assert Visit.objects.filter(dwelling=second, outcome="vacant").count() == 1
    context.close()


def test_a_login_that_ended_keeps_the_queue_for_the_same_user_only(
    browser, live_server, tree, team
):
    from django.contrib.sessions.models import Session

    context = _phone(browser, live_server)
    page = context.new_page()
    second = tree.dwellings[1]
    log_in(page, "b_grid", PASSWORD)
    _open_team_page(page, team)
    _go_offline_on_team_page(page, context, team)
    _record_offline(page, second)
    box = page.get_by_test_id("offline")
    expect(box).to_have_attribute("data-queued", "1")

    # The session ends on the server while the phone is offline; back online the batch is
    # refused (401): the page says so, and the visit stays queued.
    Session.objects.all().delete()
    context.set_offline(False)
    expect(box).to_have_attribute("data-state", "logged-out")
    expect(page.get_by_test_id("offline-status")).to_have_text(
        "登录已失效：请重新登录，以发送本机待发送的记录。"
    )
    expect(box).to_have_attribute("data-queued", "1")
    assert not Visit.objects.exists()

    # Another user logs in on this phone: the visit is not theirs to read or send.
    log_in(page, "c_secretary", PASSWORD)
    _open_team_page(page, team)
    expect(page.get_by_test_id("offline-locked")).to_have_text(
        "本机有 1 条记录由其他登录（或修改密码前）保存：当前登录无法读取或发送。"
    )
    assert _stored(page)["queue"] == 1 and not Visit.objects.exists()

    # The same user again: the visit is read and sent, as recorded.
    Session.objects.all().delete()
    log_in(page, "b_grid", PASSWORD)
    _open_team_page(page, team)
    expect(box).to_have_attribute("data-queued", "0")
    visit = Visit.objects.get(dwelling=second)
    assert (visit.outcome, visit.by_id) == ("vacant", tree.users["building"].pk)
    context.close()


def test_logging_out_from_the_home_page_asks_with_the_count_and_wipes_both_stores(
    browser, live_server, tree, team
):
    context = _phone(browser, live_server)
    page = context.new_page()
    first, second = tree.dwellings[0], tree.dwellings[1]
    log_in(page, "b_grid", PASSWORD)
    _open_team_page(page, team)
    _go_offline_on_team_page(page, context, team)
    _record_offline(page, first)
    _record_offline(page, second)
    expect(page.get_by_test_id("offline")).to_have_attribute("data-queued", "2")

    # Online on the home page, but the server does not take the visits: logging out asks.
    context.route("**/api/screening/visits/batch", lambda route: route.abort())
    context.set_offline(False)
    page.goto("/")
    # A gate store too (a list only: nothing of it waits to be sent).
    page.evaluate(
        """() => window.fangyiOffline.putSealed("gate", "lists",
             [{id: 1, value: {passes: {}}, exp: Date.now() + 3600000}])"""
    )
    before = page.evaluate(LEFT_JS)
    assert before["dbs"] == ["fangyi-gate", "fangyi-screening"], before
    assert before["caches"] and before["workers"] == 1, before
    logout = page.get_by_role("button", name="退出")
    page.get_by_test_id("menu-button").click()
    asked: list[str] = []

    def answer(accept: bool):
        def handle(dialog) -> None:
            asked.append(dialog.message)
            dialog.accept() if accept else dialog.dismiss()

        return handle

    page.once("dialog", answer(False))
    with page.expect_event("dialog"):
        logout.click()
    assert asked == [
        "本机有 2 条离线记录（卡口查验、走访）尚未发送或需要查看，退出后将丢失。仍要退出吗？"
    ]
    page.wait_for_timeout(300)
    assert page.evaluate(LEFT_JS) == before  # cancelled: nothing wiped, still logged in
    assert _stored(page)["queue"] == 2 and page.url.endswith("/")

    page.once("dialog", answer(True))
    logout.click()
    page.wait_for_url("**/login/**")
    assert len(asked) == 2
    assert page.evaluate(LEFT_JS) == {"dbs": [], "caches": [], "workers": 0}
    assert not Visit.objects.exists()
    context.close()


def test_the_offline_form_takes_travel_phone_people_without_a_file_and_notes(
    browser, live_server, tree, team
):
    """Every field of the online visit form, recorded offline and sent as the online form
    records it: a returnee's travel and new phone, somebody met at the door without a
    file (an unverified file is made), and notes."""
    context = _phone(browser, live_server)
    page = context.new_page()
    first = tree.dwellings[0]
    a, b = Person.objects.filter(dwelling=first).order_by("id")
    came_on = timezone.localdate() - dt.timedelta(days=2)
    log_in(page, "b_grid", PASSWORD)
    _open_team_page(page, team)
    _go_offline_on_team_page(page, context, team)

    page.get_by_test_id(f"dwelling-{first.pk}").click()
    form = page.get_by_test_id("offline-form")
    expect(form).to_be_visible()
    page.get_by_test_id("offline-outcome-answered").check()
    person_a = form.get_by_test_id(f"offline-person-{a.pk}")
    person_a.locator("[data-temperature]").fill("36.6")
    person_a.get_by_text("行程或手机有变化").click()
    person_a.locator("[data-came-from]").fill("湖北省武汉市")
    person_a.locator("[data-came-on]").fill(came_on.isoformat())
    person_a.locator("[data-phone]").fill("13900139000")
    form.get_by_test_id(f"offline-person-{b.pk}").locator("[data-present]").uncheck()
    slot = form.get_by_test_id("offline-new-person-1")
    slot.get_by_text("未建档人员 1").click()
    slot.locator("[data-name]").fill("新住户")
    slot.locator("[data-doc-number]").fill("11010519491231002X")
    slot.locator("[data-phone]").fill("13700137000")
    slot.locator("[data-temperature]").fill("36,9")
    slot.locator("[data-came-from]").fill("广州")
    form.locator("[data-notes]").fill("租客刚搬入")
    page.get_by_test_id("offline-save").click()
    expect(form).to_be_hidden()
    box = page.get_by_test_id("offline")
    expect(box).to_have_attribute("data-queued", "1")
    # The next dwelling's form starts empty.
    page.get_by_test_id(f"dwelling-{tree.dwellings[1].pk}").click()
    expect(form.get_by_test_id("offline-new-person-1").locator("[data-name]")).to_have_value("")
    expect(form.locator("[data-notes]")).to_have_value("")
    page.get_by_test_id("offline-cancel").click()
    assert not Visit.objects.exists()

    context.set_offline(False)
    expect(box).to_have_attribute("data-queued", "0")
    expect(page.get_by_test_id("offline-results").locator("[data-status=created]")).to_have_count(1)
    visit = Visit.objects.get(dwelling=first)
    assert visit.notes == "租客刚搬入"
    a.refresh_from_db()
    assert (a.origin, a.return_date, a.phone) == ("湖北省武汉市", came_on, "13900139000")
    new = Person.objects.get(doc_number="11010519491231002X")
    assert (new.name, new.dwelling_id, new.verified, new.phone, new.origin) == (
        "新住户", first.pk, False, "13700137000", "广州",
    )  # fmt: skip
    checks = {c.person_id: c for c in VisitPerson.objects.filter(visit=visit)}
    assert checks[new.pk].new_file and checks[new.pk].temperature == Decimal("36.9")
    assert not checks[b.pk].present and checks[a.pk].temperature == Decimal("36.6")
    context.close()
