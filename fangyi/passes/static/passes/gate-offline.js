// The gate page without the network (issue 15, docs/offline.md "The gate page offline").
//
// While online it keeps, in IndexedDB sealed with the user's key (core/offline-store.js,
// shared with the screening team page), the gate's offline list (pass id -> colour and
// reason code of the zone's passes that are not green, the policy values, the
// observation point, when it was taken) and the district's public keys, refreshed every
// few minutes. Offline (the phone says so, or the server did not answer) a scanned P2
// token is verified with the district's Ed25519 public key (WebCrypto), looked up in the
// list, given its colour and the temperature rule, shown marked "offline", and queued
// with a random client id. Back online the queue goes to POST /api/scans/batch
// (idempotent by client id) and drains; a check the server colours differently shows as
// a reconciliation line. Without the key (a closed browser, the login ended) the store
// is not read and the page says the offline data needs a login. The page's shell is cached (Cache Storage, served by
// gate-sw.js) so that the page opens offline.
(function () {
  "use strict";

  var CACHE_PREFIX = "fangyi-gate";
  var CACHE_NAME = CACHE_PREFIX + "-v1";
  var DAY_MS = 24 * 60 * 60 * 1000;
  var REFRESH_MS = 3 * 60 * 1000; // the list, while online
  var RETRY_MS = 30 * 1000; // while the server does not answer
  var TEMPERATURE_MIN = 34.0; // the policy's plausible range when the list gives none
  var TEMPERATURE_MAX = 43.0;

  // --- pure pieces (no page, no storage): exposed as window.fangyiGate for tests ---------

  function bytesOfBase64url(text) {
    var b64 = String(text).replace(/-/g, "+").replace(/_/g, "/");
    while (b64.length % 4) b64 += "=";
    var bin = atob(b64);
    var out = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out;
  }

  // "P2.<kid>.<pass_id>.<version>.<issued>.<sig>" -> its parts, or {error: code}.
  function parseToken(text) {
    text = String(text || "").trim();
    if (text.indexOf("P1.") === 0) return { error: "online_only" };
    var parts = text.split(".");
    if (parts.length !== 6 || parts[0] !== "P2") return { error: "forged" };
    var passId = parts[2], version = parts[3];
    if (!/^\d+$/.test(passId) || !/^\d+$/.test(version) || !parts[1] || !parts[5]) {
      return { error: "forged" };
    }
    return {
      kid: parts[1],
      passId: passId,
      version: parseInt(version, 10),
      issued: parts[4],
      signed: text.slice(0, text.lastIndexOf(".")),
      signature: parts[5],
    };
  }

  function timeOf(value) {
    if (value === null || value === undefined || value === "") return null;
    if (/^\d+$/.test(String(value))) return parseInt(value, 10) * 1000; // Unix seconds
    var t = Date.parse(value);
    return isNaN(t) ? null : t;
  }

  var importedKeys = {};

  function importKey(key) {
    var id = key.kid + ":" + key.public_key;
    if (!importedKeys[id]) {
      importedKeys[id] = crypto.subtle.importKey(
        "raw", bytesOfBase64url(key.public_key), { name: "Ed25519" }, false, ["verify"]
      );
    }
    return importedKeys[id];
  }

  // The signature check itself: WebCrypto's Ed25519, else @noble/ed25519 (loaded by
  // ed25519-fallback.js) when the browser lacks it; `engine` "noble" forces the fallback.
  function verifySignature(key, signature, message, engine) {
    var fallback = window.fangyiEd25519;
    var noble = function () {
      if (!fallback) throw Object.assign(new Error("no Ed25519"), { name: "NotSupportedError" });
      return fallback.verify(signature, message, bytesOfBase64url(key.public_key));
    };
    if (engine === "noble") return Promise.resolve().then(noble);
    return importKey(key).then(function (cryptoKey) {
      return crypto.subtle.verify({ name: "Ed25519" }, cryptoKey, signature, message);
    }, function (err) {
      if (err && err.name === "NotSupportedError") return noble();
      throw err;
    });
  }

  // Is the token signed by one of `keys`, valid at `now` (ms)? "ok", or the refusal code:
  // "unknown_key" (not this district's, or a key the phone has not got), "altered" (the
  // signature does not match the text), "unsupported" (the browser has no Ed25519, and the
  // fallback did not load); for a genuine signature, "key_retired" (past the key's end
  // date) and "not_yet_valid" (before the key's start or the token's issue time by more
  // than `skewMs`, the clock error the server allows: docs/offline.md), as the server
  // answers them.
  function verifyToken(token, keys, now, engine, skewMs) {
    var key = (keys || []).filter(function (k) { return k.kid === token.kid; })[0];
    if (!key) return Promise.resolve("unknown_key");
    var signature;
    try {
      signature = bytesOfBase64url(token.signature);
    } catch (e) {
      return Promise.resolve("altered");
    }
    var message = new TextEncoder().encode(token.signed);
    return verifySignature(key, signature, message, engine).then(function (ok) {
      if (!ok) return "altered";
      var skew = skewMs || 0;
      var until = timeOf(key.not_after);
      if (until !== null && now > until) return "key_retired";
      var from = timeOf(key.not_before);
      var issued = timeOf(token.issued);
      if ((from !== null && now < from - skew) || (issued !== null && now < issued - skew)) {
        return "not_yet_valid";
      }
      return "ok";
    }, function (err) {
      return err && err.name === "NotSupportedError" ? "unsupported" : "altered";
    });
  }

  function temperatureOf(raw, list) {
    // As the server reads it: full-width digits, a comma or 。 for the point, ℃/度 after.
    var text = String(raw || "").replace(/[\uff10-\uff19]/g, function (c) {
      return String.fromCharCode(c.charCodeAt(0) - 0xfee0);
    }).replace(/[，,。．]/g, ".").replace(/\s|℃|°C|°|度/gi, "");
    if (!/^\d{2}(\.\d)?$/.test(text)) return null;
    var value = parseFloat(text);
    var low = list && list.temperature_min != null ? Number(list.temperature_min) : TEMPERATURE_MIN;
    var high = list && list.temperature_max != null ? Number(list.temperature_max) : TEMPERATURE_MAX;
    return value >= low && value <= high ? value : null;
  }

  // Counted on the phone's own clock from when the phone stored the list (a phone's clock
  // may differ from the server's), or from the server's time if it was not stored yet.
  function listAgeMinutes(list, now) {
    var taken = list && list.stored_at ? list.stored_at : timeOf(list && list.taken_at);
    return taken === null ? Infinity : (now - taken) / 60000;
  }

  function listTooOld(list, now) {
    return !list || listAgeMinutes(list, now) > Number(list.max_age_minutes || 0);
  }

  // The offline answer for a verified token: colour and reason as the list says, the
  // temperature rule of the list's policy, and yellow at best when the list is too old.
  function decide(token, list, temperature, now) {
    var entry = (list && list.passes && list.passes[token.passId]) || null;
    var fever = temperature >= Number((list && list.fever_threshold) || 37.3);
    var validDays = Number((list && list.pass_valid_days) || 0);
    var issued = timeOf(token.issued);
    if (validDays && issued !== null && now > issued + validDays * DAY_MS) {
      return { colour: "refused", reason: "expired", fever: fever };
    }
    if (entry && token.version < Number(entry.v)) {
      return { colour: "refused", reason: "replaced", fever: fever };
    }
    if (entry && entry.c === "refused") {
      return { colour: "refused", reason: entry.r || "revoked", fever: fever };
    }
    if (entry && entry.c === "red") return { colour: "red", reason: entry.r, fever: fever };
    if (entry && entry.c === "yellow") {
      return { colour: "yellow", reason: fever ? "fever_now" : entry.r, fever: fever };
    }
    if (fever) return { colour: "yellow", reason: "fever_now", fever: true };
    if (listTooOld(list, now)) return { colour: "yellow", reason: "list_too_old", fever: false };
    return { colour: "green", reason: "clear", fever: false };
  }

  var api = {
    parseToken: parseToken,
    verifyToken: verifyToken,
    decide: decide,
    temperatureOf: temperatureOf,
    listTooOld: listTooOld,
  };
  window.fangyiGate = api;

  // --- storage: the shared sealed store (core/offline-store.js) -----------------------------

  var S = window.fangyiOffline;

  function queueRows() { return S.rawAll("gate", "queue"); }

  // --- the page --------------------------------------------------------------------------

  var script = document.getElementById("gate-offline-script");
  var form = document.getElementById("check-form");
  if (!script || !form || !S || !window.indexedDB || !window.crypto || !crypto.subtle) return;
  var text = script.dataset;
  var gateId = parseInt(text.gate, 10);
  var labels = {};
  var instructions = {};
  // Refusals of a pass whose signature is genuine (verifyToken): kept as checks.
  var GENUINE_REFUSALS = { key_retired: true, not_yet_valid: true };
  document.querySelectorAll("#offline-text [data-reason]").forEach(function (el) {
    labels[el.dataset.reason] = el.textContent;
  });
  document.querySelectorAll("#offline-text [data-instruction]").forEach(function (el) {
    instructions[el.dataset.instruction] = el.textContent;
  });
  var decisionLabels = {};
  document.querySelectorAll("#offline-text [data-decision]").forEach(function (el) {
    decisionLabels[el.dataset.decision] = el.textContent;
  });
  var el = function (id) { return document.getElementById(id); };
  var statusBox = el("offline-status");
  var serverDown = false;
  var list = null;
  var keys = [];
  var syncing = null;
  var needsLogin = false; // no key in hand: the sealed store cannot be read
  var locked = 0; // queued checks this login cannot read (another user's, an older password's)

  function offline() { return !navigator.onLine || serverDown; }

  function clock(value) {
    var t = timeOf(value);
    if (t === null) return "";
    var d = new Date(t);
    return ("0" + d.getHours()).slice(-2) + ":" + ("0" + d.getMinutes()).slice(-2);
  }

  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, function (all, name) { return values[name]; });
  }

  function showStatus() {
    statusBox.hidden = false;
    var network = el("offline-network");
    network.textContent = offline() ? text.offline : text.online;
    network.dataset.state = offline() ? "offline" : "online";
    var age = el("offline-list-age");
    var now = Date.now();
    if (S.state.loggedOut) {
      // The login has ended: its list is deleted, nothing new can be kept until a login.
      list = null;
      needsLogin = true;
    }
    if (!list) {
      age.textContent = S.state.loggedOut ? text.loggedOut : needsLogin ? text.needsLogin : text.noList;
      age.classList.add("error");
      age.dataset.state = S.state.loggedOut ? "logged-out" : needsLogin ? "needs-login" : "none";
    } else {
      var old = listTooOld(list, now);
      age.textContent = fill(old ? text.listOld : text.listAge, { time: clock(list.taken_at) });
      age.classList.toggle("error", old);
      age.dataset.old = old ? "true" : "false";
    }
    return queueRows().then(function (rows) {
      var count = rows.length;
      var queue = el("offline-queue");
      queue.dataset.count = String(count);
      queue.textContent = fill(text.queue, { count: count });
      var lockedNote = el("offline-locked");
      lockedNote.hidden = !locked;
      lockedNote.dataset.count = String(locked);
      lockedNote.textContent = locked ? fill(text.locked, { count: locked }) : "";
    });
  }

  // The list (sealed) and the keys (public) kept on the phone. A list past its expiry (a
  // day after it was stored, never past the login's end) or sealed by another login is
  // deleted by the store; without a key in hand nothing is read.
  function loadStored() {
    return S.key().then(function (k) {
      needsLogin = !k;
      return Promise.all([S.readAll("gate", "lists"), S.rawAll("gate", "keys"), S.readAll("gate", "queue")]);
    }).then(function (found) {
      var now = Date.now();
      locked = found[2].locked;
      var stale = found[0].items.filter(function (i) { return now - i.record.stored_at > DAY_MS; });
      var mine = found[0].items.filter(function (i) {
        return i.id === gateId && now - i.record.stored_at <= DAY_MS;
      })[0];
      list = mine ? Object.assign(mine.value, { stored_at: mine.record.stored_at }) : null;
      keys = list ? found[1].filter(function (k) {
        return !k.district_code || k.district_code === list.district_code;
      }) : [];
      // Nothing older than a day stays on the phone.
      return S.remove("gate", "lists", stale.map(function (i) { return i.id; }));
    });
  }

  function getJson(url) {
    return fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) throw Object.assign(new Error("HTTP " + response.status), { status: response.status });
        return response.json();
      });
  }

  function refreshList() {
    if (!navigator.onLine) return showStatus();
    return Promise.all([getJson(text.listUrl), getJson(text.keysUrl)]).then(function (got) {
      serverDown = false;
      var fresh = got[0];
      fresh.gate_id = gateId;
      fresh.stored_at = Date.now();
      // Only the keys of the gate's own district are trusted: another district's pass is
      // refused offline as signed by an unknown key (the server refuses it online).
      var allKeys = (fresh.keys || []).concat((got[1].keys || []).filter(function (k) {
        return k.district_code === fresh.district_code;
      }));
      list = fresh;
      keys = allKeys;
      // The keys are replaced as a whole: a key the server no longer publishes (withdrawn
      // early) verifies nothing more on this phone.
      var replaceKeys = S.clear("gate", "keys").then(function () { return S.putPlain("gate", "keys", allKeys); });
      var kept = S.key().then(function (k) {
        needsLogin = !k;
        if (!k) return; // no key (the login has ended): the list is used in memory only
        return S.putSealed("gate", "lists", [{
          id: gateId, value: fresh, exp: S.expiry(fresh.stored_at + DAY_MS), plain: { stored_at: fresh.stored_at },
        }]);
      });
      return Promise.all([kept, replaceKeys]);
    }, function (err) {
      // No answer at all: the server is unreachable; an HTTP error is not an outage.
      if (!err.status) serverDown = true;
      if (err.status === 401) S.loginEnded();
    }).then(showStatus).then(function () { if (!offline()) return sync(); });
  }

  // --- the offline check -------------------------------------------------------------------

  // The decisions the page offers for an answer, as the online result page does
  // (passes.choices.decisions_for): with a fever the person is held (a red may still be
  // sent to the observation point); a returnee whose station days are not done may be
  // sent to the station.
  function decisionsFor(colour, fever, reason) {
    if (fever) return colour === "red" ? ["held", "observation"] : ["held"];
    var choices = { green: ["let_in"], yellow: ["temporary", "verified", "turned_away"],
      red: ["observation"], refused: ["turned_away"] }[colour] || [];
    return colour === "yellow" && reason === "station_unfinished" ? ["station"].concat(choices) : choices;
  }

  var shownCheck = null; // the queued check on screen, for the guard's decision

  function showDecisions(answer, check) {
    var box = el("offline-decisions");
    box.textContent = "";
    shownCheck = check;
    if (!check) return;
    decisionsFor(answer.colour, answer.fever, answer.reason).forEach(function (value) {
      var button = document.createElement("button");
      button.type = "button";
      button.dataset.decision = value;
      button.setAttribute("data-testid", "offline-decide-" + value);
      button.textContent = decisionLabels[value] || value;
      box.appendChild(button);
    });
  }

  // The guard's decision goes with the queued check (offline_decision), sealed again; a
  // check sent meanwhile stays as the server recorded it.
  el("offline-decisions").addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("button[data-decision]");
    if (!button || !shownCheck) return;
    var check = shownCheck;
    shownCheck = null;
    S.rawAll("gate", "queue").then(function (rows) {
      if (!rows.some(function (r) { return r.client_id === check.client_id; })) return;
      check.offline_decision = button.dataset.decision;
      return S.putSealed("gate", "queue", [{ id: check.client_id, value: check, exp: null }]);
    }).then(next, next);
  });

  function show(answer, temperature, check) {
    showDecisions(answer, check || null);
    var box = el("offline-result");
    var colour = answer.colour;
    box.className = "offline-result colour fullscreen " + (colour === "refused" ? "red" : colour);
    box.dataset.colour = colour;
    box.dataset.reason = answer.reason;
    el("offline-mark").textContent = fill(text.mark, { time: list ? clock(list.taken_at) : "—" });
    el("offline-colour").textContent = text["colour" + colour.charAt(0).toUpperCase() + colour.slice(1)];
    el("offline-reason").textContent = labels[answer.reason] || answer.reason;
    el("offline-temperature").textContent = temperature === null ? "" :
      temperature.toFixed(1) + " °C" + (answer.fever ? " · " + text.fever : "");
    var instruction = colour === "refused" ? "refused"
      : answer.fever ? (colour === "red" ? "red_fever" : "fever") : colour;
    el("offline-instruction").textContent = instructions[instruction] || "";
    var point = el("offline-observation");
    var op = list && list.observation_point;
    point.hidden = !(colour === "red" && op);
    point.textContent = op ? [op.name, op.address].filter(Boolean).join(" · ") : "";
    box.hidden = false;
    el("offline-next").focus();
  }

  function say(message) {
    var note = el("offline-note");
    note.textContent = message;
    note.hidden = !message;
  }

  function offlineCheck(token, code, rawTemperature) {
    say("");
    if (!token) return say(code ? text.codeOnline : text.scanFirst);
    var temperature = temperatureOf(rawTemperature, list);
    if (temperature === null) return say(text.badTemperature);
    var parsed = parseToken(token);
    if (parsed.error === "online_only") return say(text.p1Online);
    if (needsLogin && !list) return say(text.needsLogin);
    if (!parsed.error && !keys.length) return say(text.noKeys);
    var now = Date.now();
    var skewMs = list && list.clock_skew_seconds != null ? Number(list.clock_skew_seconds) * 1000 : 0;
    var verified = parsed.error
      ? Promise.resolve(parsed.error)
      : verifyToken(parsed, keys, now, undefined, skewMs);
    return verified.then(function (outcome) {
      if (outcome === "unsupported") return say(text.unsupported);
      if (outcome !== "ok" && !GENUINE_REFUSALS[outcome]) {
        // Not a pass the phone can trust: refused on the spot, recorded nowhere (as online).
        var code = { unknown_key: "other_district" }[outcome] || outcome;
        return show({ colour: "refused", reason: code, fever: false }, temperature);
      }
      // A genuine pass refused for its dates is a check like any other (the server keeps
      // it as a refused check): queued with the refusal.
      var answer = outcome === "ok"
        ? decide(parsed, list, temperature, now)
        : { colour: "refused", reason: outcome, fever: false };
      var check = {
        client_id: crypto.randomUUID(),
        gate_id: gateId,
        token: token,
        temperature: temperature.toFixed(1),
        checked_at: new Date(now).toISOString(),
        offline_colour: answer.colour,
        list_taken_at: list ? list.taken_at : null,
        pass_id: parsed.passId,
      };
      return S.putSealed("gate", "queue", [{ id: check.client_id, value: check, exp: null }]).then(function () {
        show(answer, temperature, check);
        return showStatus();
      }, function () {
        // No key to seal it with (the login has ended): the check cannot be kept.
        needsLogin = true;
        return say(text.needsLogin);
      });
    });
  }

  form.addEventListener("submit", function (event) {
    if (!offline()) return; // online: the server checks, as it always did
    event.preventDefault();
    offlineCheck(el("f-token").value.trim(), el("f-code").value.trim(), el("f-temperature").value);
  });

  function next() {
    shownCheck = null;
    el("offline-decisions").textContent = "";
    el("offline-result").hidden = true;
    el("offline-result").className = "offline-result";
    el("f-token").value = "";
    el("f-code").value = "";
    el("f-temperature").value = "";
    var state = el("scan-state");
    if (state) state.textContent = "";
  }

  el("offline-next").addEventListener("click", next);

  // --- sending the queue -------------------------------------------------------------------

  function reconcile(result, sent) {
    var lines = el("offline-reconcile");
    var line = document.createElement("li");
    line.dataset.passId = sent.pass_id || "";
    line.dataset.clientId = result.client_id;
    line.className = "reconcile";
    var serverSays = result.status === "invalid" ? text.invalid + " (" + result.reason + ")"
      : result.status === "refused" ? (labels[result.reason] || result.reason)
      : (text["colour" + String(result.colour).charAt(0).toUpperCase() + String(result.colour).slice(1)] || result.colour)
        + (result.reason ? " · " + (labels[result.reason] || result.reason) : "");
    line.textContent = fill(text.reconcile, {
      pass: sent.pass_id || "?",
      time: clock(sent.checked_at),
      offline: text["colour" + sent.offline_colour.charAt(0).toUpperCase() + sent.offline_colour.slice(1)] || sent.offline_colour,
      server: serverSays,
    });
    lines.appendChild(line);
    lines.hidden = false;
  }

  function sync() {
    if (syncing) return syncing;
    syncing = S.syncGate().then(function (out) {
      locked = out.locked;
      out.reconcile.forEach(function (r) { reconcile(r.result, r.sent); });
      if (out.failed) say(S.state.loggedOut ? text.loggedOut : fill(text.sendFailed, { status: out.failed }));
      return showStatus();
    }, function () {
      serverDown = true;
      return showStatus();
    }).then(function () { syncing = null; });
    return syncing;
  }

  api.sync = sync;
  api.state = function () { return { list: list, keys: keys, offline: offline() }; };
  api.queueCount = function () { return queueRows().then(function (r) { return r.length; }); };

  // --- start ------------------------------------------------------------------------------

  function cacheShell() {
    if (!window.caches || offline()) return Promise.resolve();
    var urls = [location.pathname, text.fallbackLib]; // the last is imported by a module
    document.querySelectorAll("script[src], link[rel=stylesheet][href], link[rel=manifest][href]")
      .forEach(function (node) { urls.push(node.getAttribute("src") || node.getAttribute("href")); });
    return caches.open(CACHE_NAME).then(function (cache) { return cache.addAll(urls); })
      .catch(function () { /* the next online load tries again */ });
  }

  // The service worker's fallback for a check posted while the server did not answer:
  // it brings the page back with what was typed in the fragment (never sent anywhere).
  function retryFromFragment() {
    if (location.hash.indexOf("#offline-check&") !== 0) return Promise.resolve();
    var values = new URLSearchParams(location.hash.slice("#offline-check&".length));
    history.replaceState(null, "", location.pathname);
    serverDown = true;
    el("f-token").value = values.get("token") || "";
    el("f-code").value = values.get("code") || "";
    el("f-temperature").value = values.get("temperature") || "";
    return offlineCheck(values.get("token") || "", values.get("code") || "", values.get("temperature"));
  }

  if (navigator.serviceWorker) {
    navigator.serviceWorker.register(text.swUrl, { scope: text.swScope }).catch(function () {});
  }
  window.addEventListener("online", function () { serverDown = false; say(""); refreshList(); });
  window.addEventListener("offline", showStatus);
  loadStored().then(showStatus).then(retryFromFragment).then(function () {
    cacheShell();
    return refreshList();
  });
  setInterval(function () { refreshList(); }, REFRESH_MS);
  setInterval(function () { if (serverDown && navigator.onLine) refreshList(); }, RETRY_MS);
  setInterval(function () { if (list) showStatus(); }, 60 * 1000); // the age on screen
})();
