"""The gate through an outage (issue 15, point 2), on a phone (390×844), in Chinese, on the
demo district.

The guard opens the gate page online: the page keeps the gate's offline list and keys on
the phone (IndexedDB) and its shell in the cache (service worker). The network goes; the
page opens again from the cache; three passes are scanned — a green one, a red one in the
list, a revoked one — and each answer is shown marked offline and queued (3). Meanwhile
the green person turns red on the server. The network comes back: the queue drains to 0,
the server records the checks as at their time, and the pass whose colour differs shows a
reconciliation line. Nothing is lost or doubled, and sending the same batch again changes
nothing. Logging out wipes what the page kept. The signature check is also driven
directly: an altered byte is refused, and so are a genuine signature's dates outside its
key's window or before its issue time (beyond the clock skew the server allows).

The clock is the real one (not fangyi.tests.phone.journey_clock): the browser's clock
stamps the offline checks and cannot be moved with the server's, and the server refuses
checks from its future.
"""

from __future__ import annotations

import json
import re
from urllib.parse import urlencode

import pytest
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from fangyi.core.tests.browser import (
    browser,
    chromium_executable,
    log_in,
    reload_offline,
)
from fangyi.core.tests.offline_store import RAW_STORE_JS
from fangyi.duty.models import Assignment
from fangyi.health.models import Alert
from fangyi.passes import services
from fangyi.passes.models import GateCheck, Pass
from fangyi.places.models import Gate
from fangyi.quarantine import services as quarantine
from fangyi.quarantine.choices import ACTIVE_STATES
from fangyi.tests.phone import DEMO_PASSWORD, build_demo, phone

__all__ = ["browser", "chromium_executable", "phone"]

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _valid_passes(zone_ids):
    return (
        Pass.objects.filter(person__zone_id__in=zone_ids, revoked_at__isnull=True)
        .filter(Q(expires_at__isnull=True) | Q(expires_at__gt=timezone.now()))
        .select_related("person")
        .order_by("id")
    )


def _showing(passes, colour: str, reason: str | None = None, exclude=()) -> Pass | None:
    for candidate in passes.exclude(pk__in=[p.pk for p in exclude]):
        verdict, _policy = services.pass_verdict(candidate)
        if verdict.colour == colour and reason in (None, verdict.reason):
            return candidate
    return None


def _home_quarantine(pass_obj: Pass) -> None:
    quarantine.case_intake(
        by=get_user_model().objects.get(username="secretary"),
        person=pass_obj.person,
        reason="close_contact",
        arrived_at=timezone.now(),
        first_state="home",
    )
    assert services.pass_verdict(pass_obj)[0].colour == "red"


def _three_passes(zone_ids) -> tuple[Pass, Pass, Pass]:
    """A green pass, a red one (under quarantine) and a revoked one, of the guard's zone."""
    passes = _valid_passes(zone_ids)
    green = _showing(passes, "green", "clear")
    assert green is not None, "the demo has green passes in the guard's zone"
    quarantined = passes.filter(person__quarantine_cases__state__in=ACTIVE_STATES).distinct()
    red = _showing(quarantined, "red", exclude=[green])
    if red is None:
        red = _showing(passes, "green", "clear", exclude=[green])
        assert red is not None
        _home_quarantine(red)
    revoked = _showing(passes, "green", exclude=[green, red]) or _showing(
        passes, "yellow", exclude=[green, red]
    )
    assert revoked is not None
    services.pass_revoke(
        by=get_user_model().objects.get(username="secretary"), pass_obj=revoked, reason="丢失"
    )
    return green, red, revoked


def _queue_count(page) -> int:
    return int(page.get_by_test_id("offline-queue").get_attribute("data-count") or -1)


def _scan_offline(page, token: str, temperature: str) -> None:
    # As the camera does (scan.js): the QR text goes into the form's hidden token field.
    page.evaluate("t => { document.getElementById('f-token').value = t; }", token)
    page.get_by_test_id("temperature").fill(temperature)
    page.get_by_test_id("check").click()
    expect(page.get_by_test_id("offline-result")).to_be_visible()


VERIFY_JS = """async (token) => {
  const g = window.fangyiGate, keys = g.state().keys, now = Date.now();
  const outcome = async (text, engine) => {
    const parsed = g.parseToken(text);
    return parsed.error || await g.verifyToken(parsed, keys, now, engine);
  };
  // One byte of the signed part changed (the pass id's last digit), then one of the signature.
  const parts = token.split(".");
  const id = parts[2], last = id.slice(-1);
  parts[2] = id.slice(0, -1) + (last === "9" ? "8" : String(Number(last) + 1));
  const alteredId = parts.join(".");
  const sig = token.slice(token.lastIndexOf(".") + 1);
  const flipped = (sig[5] === "A" ? "B" : "A");
  const alteredSig = token.slice(0, token.lastIndexOf(".") + 1) + sig.slice(0, 5) + flipped + sig.slice(6);
  return {
    ok: await outcome(token),
    alteredId: await outcome(alteredId),
    alteredSig: await outcome(alteredSig),
    p1: await outcome("P1.440310.1.abc:def"),
    forged: await outcome("hello"),
    // The fallback for browsers without Ed25519 in WebCrypto (@noble/ed25519).
    nobleOk: await outcome(token, "noble"),
    nobleAlteredId: await outcome(alteredId, "noble"),
    nobleAlteredSig: await outcome(alteredSig, "noble"),
    // The dates of a genuine signature, with the server's clock skew (5 minutes): a key
    // not yet in force, a key past its end, a check before the pass's issue time beyond
    // the skew and within it.
    ...await (async () => {
      const parsed = g.parseToken(token), skew = 300 * 1000, issued = Number(parsed.issued) * 1000;
      const shifted = (field, at) => keys.map((k) => ({ ...k, [field]: new Date(at).toISOString() }));
      return {
        keyNotYet: await g.verifyToken(parsed, shifted("not_before", now + 3600e3), now, undefined, skew),
        keyRetired: await g.verifyToken(parsed, shifted("not_after", now - 1000), now, undefined, skew),
        beforeIssued: await g.verifyToken(parsed, keys, issued - 2 * skew, undefined, skew),
        withinSkew: await g.verifyToken(parsed, keys, issued - 60e3, undefined, skew),
      };
    })(),
  };
}"""


# Makes the phone's lists older by `minutes` (by the list's max age + 1 when null). The
# time the phone stored a list is kept in the clear beside the sealed list.
AGE_LISTS_JS = """(minutes) => new Promise((resolve) => {
  const maxAge = Number(window.fangyiGate.state().list.max_age_minutes);
  const open = indexedDB.open("fangyi-gate");
  open.onsuccess = () => {
    const tx = open.result.transaction("lists", "readwrite"), lists = tx.objectStore("lists");
    lists.getAll().onsuccess = (e) => e.target.result.forEach((l) => {
      l.stored_at -= (minutes === null ? maxAge + 1 : minutes) * 60000;
      lists.put(l);
    });
    tx.oncomplete = () => { open.result.close(); resolve(); };
  };
})"""

COUNT_LISTS_JS = """() => new Promise((resolve) => {
  const open = indexedDB.open("fangyi-gate");
  open.onsuccess = () => {
    const count = open.result.transaction("lists").objectStore("lists").count();
    count.onsuccess = () => { open.result.close(); resolve(count.result); };
  };
})"""

RULES_JS = """(token) => {
  const g = window.fangyiGate, list = g.state().list, now = Date.now();
  const parsed = g.parseToken(token);
  const old = Object.assign({}, list, {stored_at: now - (Number(list.max_age_minutes) + 1) * 60000});
  const newer = Object.assign({}, list, {passes: Object.assign({}, list.passes,
    {[parsed.passId]: {v: parsed.version + 1, c: "yellow", r: "unverified"}})});
  const pick = (a) => a.colour + "/" + a.reason;
  return {
    fresh: pick(g.decide(parsed, list, 36.5, now)),
    fever: pick(g.decide(parsed, list, Number(list.fever_threshold), now)),
    old: pick(g.decide(parsed, old, 36.5, now)),
    replaced: pick(g.decide(parsed, newer, 36.5, now)),
    temperature: [g.temperatureOf("３６。８℃", list), g.temperatureOf("3.68", list),
                  g.temperatureOf("45", list)],
  };
}"""


def test_guard_works_through_an_outage_and_nothing_is_lost_or_doubled(phone):
    build_demo()
    guard_user = get_user_model().objects.get(username="guard")
    zone_ids = list(
        Assignment.objects.filter(staff__user=guard_user, zone__isnull=False).values_list(
            "zone_id", flat=True
        )
    )
    gate = Gate.objects.filter(zone_id__in=zone_ids).order_by("id").first()
    green, red, revoked = _three_passes([gate.zone_id])
    tokens = {p.pk: services.pass_token(p) for p in (green, red, revoked)}
    assert all(t.startswith("P2.") for t in tokens.values()), tokens
    checks_before = GateCheck.objects.count()

    guard = phone("journey-gate-offline")
    page = guard.page
    batches: list[str] = []
    page.on(
        "request",
        lambda r: batches.append(r.post_data or "") if r.url.endswith("/api/scans/batch") else None,
    )
    log_in(page, "guard", DEMO_PASSWORD)
    page.goto(reverse("passes:gate", args=[gate.pk]))
    # Online: the list is on the phone, with its time; nothing waits to be sent.
    expect(page.get_by_test_id("offline-list-age")).to_contain_text("离线名单")
    expect(page.get_by_test_id("offline-list-age")).not_to_have_class(re.compile("error"))
    expect(page.get_by_test_id("offline-network")).to_have_attribute("data-state", "online")
    expect(page.get_by_test_id("offline-queue")).to_have_attribute("data-count", "0")
    page.wait_for_function(
        """async (path) => {
          const reg = await navigator.serviceWorker.getRegistration(path);
          if (!reg || !reg.active) return false;
          const cache = await caches.open("fangyi-gate-v1");
          return !!(await cache.match(path));
        }""",
        arg=reverse("passes:gate", args=[gate.pk]),
    )
    expect(page.locator("main")).not_to_contain_text("gate-offline.js")  # no comment shows
    manifest = page.locator("link[rel=manifest]").get_attribute("href")
    assert manifest and manifest.endswith(".webmanifest")
    guard.shot("online")

    # The signature check itself: the pass verifies, an altered byte does not.
    verified = page.evaluate(VERIFY_JS, tokens[green.pk])
    assert verified == {
        "ok": "ok",
        "alteredId": "altered",
        "alteredSig": "altered",
        "p1": "online_only",
        "forged": "forged",
        "nobleOk": "ok",
        "nobleAlteredId": "altered",
        "nobleAlteredSig": "altered",
        "keyNotYet": "not_yet_valid",
        "keyRetired": "key_retired",
        "beforeIssued": "not_yet_valid",
        "withinSkew": "ok",
    }

    # The rules on a green pass: a fever is yellow, a list too old admits yellow at best,
    # a pass older than the list's version is refused as replaced.
    assert page.evaluate(RULES_JS, tokens[green.pk]) == {
        "fresh": "green/clear",
        "fever": "yellow/fever_now",
        "old": "yellow/list_too_old",
        "replaced": "refused/replaced",
        "temperature": [36.8, None, None],
    }

    # The network goes; the page opens again from the phone.
    context = page.context
    context.set_offline(True)
    reload_offline(page)
    expect(page.get_by_test_id("gate-name")).to_contain_text(gate.name)
    expect(page.get_by_test_id("offline-network")).to_have_attribute("data-state", "offline")
    expect(page.get_by_test_id("offline-list-age")).to_contain_text("离线名单")

    # Three passes: green, red in the list, revoked.
    _scan_offline(page, tokens[green.pk], "36.5")
    result = page.get_by_test_id("offline-result")
    expect(result).to_have_attribute("data-colour", "green")
    expect(page.get_by_test_id("offline-colour")).to_have_text("绿码")
    expect(page.get_by_test_id("offline-mark")).to_contain_text("离线")
    expect(page.get_by_test_id("offline-temperature")).to_contain_text("36.5 °C")
    guard.shot("offline-green")
    # The guard's decision, as the online result page offers it, goes with the check.
    decisions = page.get_by_test_id("offline-decisions").locator("button")
    expect(decisions).to_have_text(["放行"])
    page.get_by_test_id("offline-decide-let_in").click()
    expect(result).to_be_hidden()

    _scan_offline(page, tokens[red.pk], "36.6")
    expect(result).to_have_attribute("data-colour", "red")
    expect(page.get_by_test_id("offline-colour")).to_have_text("红码")
    expect(decisions).to_have_text(["转送指定观察点"])
    guard.shot("offline-red")
    page.get_by_test_id("offline-next").click()

    # The third as the service worker hands back a check posted while the server did not
    # answer: the gate page with what was typed in the fragment, checked offline there.
    fragment = "#offline-check&" + urlencode({"token": tokens[revoked.pk], "temperature": "36.4"})
    page.evaluate("h => { location.hash = h; }", fragment)
    reload_offline(page)
    expect(result).to_be_visible()
    assert "offline-check" not in page.url, "the fragment is cleared at once"
    expect(result).to_have_attribute("data-colour", "refused")
    expect(page.get_by_test_id("offline-reason")).to_have_text("拒绝：此通行证已作废。")
    guard.shot("offline-revoked")
    page.get_by_test_id("offline-next").click()
    expect(page.get_by_test_id("offline-queue")).to_have_attribute("data-count", "3")
    assert GateCheck.objects.count() == checks_before, "nothing reached the server"

    # What a copy of the phone's disk shows: the list and the three checks, sealed; no
    # token, no pass id of the list, only the public keys in the clear.
    raw = page.evaluate(RAW_STORE_JS)
    assert len(raw["fangyi-gate/lists"]) == 1 and len(raw["fangyi-gate/queue"]) == 3
    assert raw["fangyi-gate/keys"], "the district's public keys are public"
    sealed = raw["fangyi-gate/lists"] + raw["fangyi-gate/queue"]
    assert all(set(r) >= {"kid", "exp", "iv", "data"} for r in sealed)
    dump = "\n".join(str(value) for record in sealed for value in record.values())
    shown = [t for t in tokens.values() if t in dump or t.split(".")[-1] in dump]
    assert not shown, shown
    assert '"passes"' not in dump and f'"{red.pk}"' not in dump and "observation" not in dump

    # The browser closed and opened again offline (the tab's key is gone): nothing is
    # read, the page says the offline data needs a login, and a scan is not kept.
    kept_key = page.evaluate("() => sessionStorage.getItem('fangyi-offline-key')")
    assert kept_key
    page.evaluate("() => sessionStorage.clear()")
    reload_offline(page)
    age = page.get_by_test_id("offline-list-age")
    expect(age).to_have_attribute("data-state", "needs-login")
    expect(age).to_have_text("本机的离线数据需要登录才能读取：请联网后重新登录。")
    page.evaluate("t => { document.getElementById('f-token').value = t; }", tokens[green.pk])
    page.get_by_test_id("temperature").fill("36.5")
    page.get_by_test_id("check").click()
    expect(page.get_by_test_id("offline-note")).to_have_text(
        "本机的离线数据需要登录才能读取：请联网后重新登录。"
    )
    expect(result).to_be_hidden()
    expect(page.get_by_test_id("offline-queue")).to_have_attribute("data-count", "3")
    # The same tab again (its key back): the list is read as before.
    page.evaluate("k => sessionStorage.setItem('fangyi-offline-key', k)", kept_key)
    reload_offline(page)
    expect(page.get_by_test_id("offline-list-age")).to_contain_text("离线名单截至")

    # A list older than the policy's limit: said in red on the page (it admits yellow at
    # best, below). The list is made old on the phone, and the page opened again offline.
    page.evaluate(AGE_LISTS_JS, None)
    reload_offline(page)
    expect(page.get_by_test_id("offline-list-age")).to_have_class(re.compile("error"))
    expect(page.get_by_test_id("offline-list-age")).to_contain_text("已过旧")
    expect(page.get_by_test_id("offline-queue")).to_have_attribute("data-count", "3")

    # A typed code needs the network: said so, nothing queued.
    page.get_by_test_id("code").fill(green.code)
    page.get_by_test_id("temperature").fill("36.5")
    page.get_by_test_id("check").click()
    expect(page.get_by_test_id("offline-note")).to_be_visible()
    expect(page.get_by_test_id("offline-queue")).to_have_attribute("data-count", "3")
    page.get_by_test_id("code").fill("")

    # Meanwhile the green person turns red on the server.
    _home_quarantine(green)

    # Back online: the queue drains, the green that turned red shows as a reconciliation.
    context.set_offline(False)
    expect(page.get_by_test_id("offline-queue")).to_have_attribute("data-count", "0")
    expect(page.get_by_test_id("offline-network")).to_have_attribute("data-state", "online")
    expect(page.locator(f"#offline-reconcile li[data-pass-id='{green.pk}']")).to_have_count(1)
    expect(page.locator(f"#offline-reconcile li[data-pass-id='{red.pk}']")).to_have_count(0)
    guard.shot("synced")

    made = list(GateCheck.objects.filter(pk__gt=0).order_by("id")[checks_before:])
    by_pass = {c.pass_obj_id: c for c in made}
    # The revoked pass was refused (offline and by the server): it is kept as a refused
    # check (docs/passes.md); each of the three is recorded once.
    assert len(made) == len(by_pass) == 3, "no pass recorded twice"
    assert set(by_pass) == {green.pk, red.pk, revoked.pk}
    assert by_pass[revoked.pk].colour == "refused"
    checks_after_sync = GateCheck.objects.count()
    assert by_pass[green.pk].colour == "red" and by_pass[red.pk].colour == "red"
    # The decision taken offline is kept (the red one was left undecided: "Next person").
    assert (by_pass[green.pk].decision, by_pass[red.pk].decision) == ("let_in", "")
    assert Alert.objects.filter(kind="offline_mismatch", person=green.person).count() == 1

    # Sending the same batch again changes nothing.
    assert len(batches) == 1, batches
    again = page.evaluate(
        """async (body) => {
          const token = JSON.parse(document.body.getAttribute("hx-headers"))["X-CSRFToken"];
          const r = await fetch("/api/scans/batch", {method: "POST", body: body,
            headers: {"Content-Type": "application/json", "X-CSRFToken": token}});
          return {status: r.status, body: await r.json()};
        }""",
        batches[0],
    )
    assert again["status"] == 200
    statuses = {r["client_id"]: r["status"] for r in again["body"]["results"]}
    assert sorted(statuses.values()) == ["duplicate", "duplicate", "duplicate"], statuses
    assert GateCheck.objects.count() == checks_after_sync
    assert Alert.objects.filter(kind="offline_mismatch", person=green.person).count() == 1
    sent = json.loads(batches[0])
    assert sent["gate_id"] == gate.pk and len(sent["checks"]) == 3
    assert {c["offline_colour"] for c in sent["checks"]} == {"green", "red", "refused"}

    # Logging out with a check not sent yet asks first; declined, nothing is wiped.
    context.set_offline(True)
    _scan_offline(page, tokens[red.pk], "36.7")
    page.get_by_test_id("offline-next").click()
    expect(page.get_by_test_id("offline-queue")).to_have_attribute("data-count", "1")
    asked: list[str] = []

    def decline(dialog) -> None:
        asked.append(dialog.message)
        dialog.dismiss()

    page.once("dialog", decline)
    logout = page.get_by_role("button", name="退出")
    page.get_by_test_id("menu-button").click()
    with page.expect_event("dialog"):
        logout.click()
    expect(page.get_by_test_id("offline-queue")).to_have_attribute("data-count", "1")
    assert asked == [
        "本机有 1 条离线记录（卡口查验、走访）尚未发送或需要查看，退出后将丢失。仍要退出吗？"
    ], asked
    assert "/passes/gates/" in page.url
    context.set_offline(False)
    expect(page.get_by_test_id("offline-queue")).to_have_attribute("data-count", "0")

    # A list stored more than a day ago is deleted at the next load, not kept or used.
    context.set_offline(True)
    page.evaluate(AGE_LISTS_JS, 24 * 60 + 1)
    reload_offline(page)
    expect(page.get_by_test_id("offline-list-age")).to_have_text("本机还没有离线名单")
    assert page.evaluate(COUNT_LISTS_JS) == 0
    context.set_offline(False)
    expect(page.get_by_test_id("offline-list-age")).to_contain_text("离线名单截至")
    assert page.evaluate(COUNT_LISTS_JS) == 1

    # A check posted while the phone thinks it is online but the server does not answer:
    # the service worker brings it back to the gate page, which checks it offline (the
    # green person is red in the list taken since) and queues it.
    no_answer = re.compile(r".*/passes/gates/\d+/check/$")
    context.route(no_answer, lambda route: route.abort())
    page.evaluate("t => { document.getElementById('f-token').value = t; }", tokens[green.pk])
    page.get_by_test_id("temperature").fill("36.5")
    page.get_by_test_id("check").click()
    expect(result).to_be_visible()
    expect(result).to_have_attribute("data-colour", "red")
    expect(page.get_by_test_id("offline-queue")).to_have_attribute("data-count", "1")
    assert re.search(r"/passes/gates/\d+/$", page.url), page.url  # the fragment is gone
    guard.shot("server-silent")
    context.unroute(no_answer)
    page.get_by_test_id("offline-next").click()
    page.evaluate("() => window.fangyiGate.sync()")
    expect(page.get_by_test_id("offline-queue")).to_have_attribute("data-count", "0")

    # Logging out wipes the phone's store, cache and service worker.
    if not logout.is_visible():
        page.get_by_test_id("menu-button").click()
    logout.click()
    page.wait_for_url(re.compile("/login/"))
    left = page.evaluate(
        """async () => ({
          dbs: (await indexedDB.databases()).map(d => d.name),
          caches: await caches.keys(),
          workers: (await navigator.serviceWorker.getRegistrations()).length,
        })"""
    )
    assert left == {"dbs": [], "caches": [], "workers": 0}, left
    assert not guard.overflows, "pages wider than the phone:\n" + "\n".join(guard.overflows)


def test_the_service_worker_is_served_to_anybody_with_the_gate_pages_in_scope(client: Client):
    response = client.get(reverse("passes:gate_sw"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/javascript")
    assert reverse("passes:gate_sw") == "/passes/gate-sw.js"  # scope /passes/ covers the gates
    assert b'addEventListener("fetch"' in response.content
    assert client.post(reverse("passes:gate_sw")).status_code == 405
