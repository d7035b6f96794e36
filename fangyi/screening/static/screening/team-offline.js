// A screening team's list works offline (issue 15, point 3; docs/offline.md).
//
// Online, the team page keeps the team's offline list (dwellings, residents with masked
// documents, previous visits) in IndexedDB and its own shell in the cache (service worker
// /screening/sw.js). Offline, a tap on a dwelling opens a form on this page; the visit is
// queued with its visit key and the time it was made. Back online the queue goes to
// POST /api/screening/visits/batch; each visit is answered created, duplicate, conflict
// (who recorded the dwelling meanwhile, and when) or refused (why): conflicts and
// refusals stay on screen until cleared, nothing is dropped without a word. The list is
// deleted past its expiry; logging out deletes everything (screening/offline-wipe.js).
(function () {
  "use strict";
  var DB_NAME = "fangyi-screening";
  var CACHE_NAME = "fangyi-screening-v1";
  var box, text, teamId, list = null, sending = false;

  function t(name, values) {
    var s = box.getAttribute("data-t-" + name) || "";
    Object.keys(values || {}).forEach(function (k) { s = s.split("{" + k + "}").join(values[k]); });
    return s;
  }

  function req(r) {
    return new Promise(function (resolve, reject) {
      r.onsuccess = function () { resolve(r.result); };
      r.onerror = function () { reject(r.error); };
    });
  }

  var dbPromise = null;
  function db() {
    if (!dbPromise) {
      var open = indexedDB.open(DB_NAME, 1);
      open.onupgradeneeded = function () {
        var d = open.result;
        d.createObjectStore("lists", { keyPath: "team_id" });
        d.createObjectStore("queue", { keyPath: "key" });
        d.createObjectStore("results", { keyPath: "key" });
      };
      dbPromise = req(open);
    }
    return dbPromise;
  }

  function store(name, mode) {
    return db().then(function (d) { return d.transaction(name, mode || "readonly").objectStore(name); });
  }
  function all(name) { return store(name).then(function (s) { return req(s.getAll()); }); }
  function put(name, value) { return store(name, "readwrite").then(function (s) { return req(s.put(value)); }); }
  function del(name, key) { return store(name, "readwrite").then(function (s) { return req(s.delete(key)); }); }

  function hhmm(iso) {
    var d = new Date(iso);
    var pad = function (n) { return (n < 10 ? "0" : "") + n; };
    return (d.getMonth() + 1) + "-" + d.getDate() + " " + pad(d.getHours()) + ":" + pad(d.getMinutes());
  }

  function csrfToken() {
    try { return JSON.parse(document.body.getAttribute("hx-headers"))["X-CSRFToken"]; } catch (e) { return ""; }
  }

  function roomOf(dwellingId) {
    var d = list && list.dwellings.filter(function (x) { return x.id === dwellingId; })[0];
    return d ? d.building + " " + d.room : "#" + dwellingId;
  }

  // ---- what the page shows ---------------------------------------------------------------

  function showStatus() {
    var status = box.querySelector("[data-testid=offline-status]");
    var expired = list && new Date(list.expires_at) < new Date();
    if (!list) status.textContent = t("none");
    else if (expired) status.textContent = t("expired");
    else if (!navigator.onLine) status.textContent = t("offline", { time: hhmm(list.taken_at) });
    else status.textContent = t("kept", { time: hhmm(list.taken_at), until: hhmm(list.expires_at) });
    box.dataset.state = !list ? "none" : expired ? "expired" : navigator.onLine ? "online" : "offline";
    status.classList.toggle("error", !!expired);
    return Promise.all([all("queue"), all("results")]).then(function (found) {
      var queued = found[0].filter(function (v) { return v.team_id === teamId; });
      var q = box.querySelector("[data-testid=offline-queue]");
      q.textContent = t("queued", { count: queued.length });
      q.hidden = queued.length === 0;
      box.dataset.queued = String(queued.length);
      var ul = box.querySelector("[data-testid=offline-results]");
      ul.textContent = "";
      found[1].filter(function (r) { return r.team_id === teamId; }).forEach(function (r) {
        var li = document.createElement("li");
        li.className = r.status === "created" ? "" : "error";
        li.setAttribute("data-status", r.status);
        li.textContent = r.text;
        ul.appendChild(li);
      });
      box.querySelector("[data-testid=offline-clear]").hidden = !ul.children.length;
    });
  }

  // ---- keeping the list ------------------------------------------------------------------

  function keepShell() {
    if (!window.caches) return Promise.resolve();
    var urls = [location.pathname];
    document.querySelectorAll("script[src], link[rel=stylesheet]").forEach(function (el) {
      var u = new URL(el.src || el.href, location.href);
      if (u.origin === location.origin) urls.push(u.pathname);
    });
    return caches.open(CACHE_NAME).then(function (cache) { return cache.addAll(urls); }).catch(function () {});
  }

  function refreshList() {
    return fetch(box.dataset.listUrl, { credentials: "same-origin" }).then(function (r) {
      if (!r.ok) throw new Error(r.status);
      return r.json();
    }).then(function (body) {
      list = body;
      return put("lists", body);
    });
  }

  function forgetExpired() {
    return all("lists").then(function (lists) {
      var now = new Date();
      return Promise.all(lists.map(function (l) {
        return new Date(l.expires_at) < now ? del("lists", l.team_id) : null;
      }));
    });
  }

  // ---- recording offline -----------------------------------------------------------------

  function temperatureOf(raw) {
    // As the server reads a phone's typing (core.temperature): full-width digits, a comma
    // or 。 for the point, a trailing ℃ or 度.
    var s = String(raw || "").trim().replace(/[０-９]/g, function (c) {
      return String.fromCharCode(c.charCodeAt(0) - 0xFEE0);
    }).replace(/[,，。．]/g, ".").replace(/\s*(℃|°C|度)$/, "");
    if (!s) return { value: null };
    if (!/^\d{2}(\.\d)?$/.test(s)) return { bad: true };
    var v = parseFloat(s);
    if (v < parseFloat(list.temperature_min) || v > parseFloat(list.temperature_max)) return { bad: true };
    return { value: s };
  }

  function openForm(dwellingId) {
    var dwelling = list.dwellings.filter(function (d) { return d.id === dwellingId; })[0];
    if (!dwelling) return false;
    var form = box.querySelector("[data-testid=offline-form]");
    form.dataset.dwelling = String(dwellingId);
    form.querySelector("[data-testid=offline-form-title]").textContent =
      dwelling.building + " " + dwelling.room + " · " + dwelling.zone;
    var outcomes = form.querySelector("[data-outcomes]");
    outcomes.textContent = "";
    list.outcomes.forEach(function (o, i) {
      var label = document.createElement("label");
      label.className = "choice";
      var input = document.createElement("input");
      input.type = "radio";
      input.name = "offline-outcome";
      input.value = o.value;
      input.checked = i === 0;
      input.setAttribute("data-testid", "offline-outcome-" + o.value);
      label.appendChild(input);
      label.appendChild(document.createTextNode(" " + o.label));
      outcomes.appendChild(label);
    });
    var people = form.querySelector("[data-people]");
    people.textContent = "";
    var template = form.querySelector("template[data-person]");
    dwelling.people.forEach(function (p) {
      var node = template.content.firstElementChild.cloneNode(true);
      node.setAttribute("data-testid", "offline-person-" + p.id);
      node.dataset.person = String(p.id);
      node.dataset.name = p.name;
      node.querySelector("legend").textContent = p.name;
      node.querySelector(".hint").textContent = p.doc;
      people.appendChild(node);
    });
    form.querySelector("[data-testid=offline-form-error]").hidden = true;
    form.hidden = false;
    form.scrollIntoView();
    return true;
  }

  function saveForm(event) {
    event.preventDefault();
    var form = event.target;
    var outcome = form.querySelector("input[name=offline-outcome]:checked").value;
    var errors = [];
    var checks = [];
    if (outcome === "answered") {
      form.querySelectorAll("[data-person]").forEach(function (node) {
        if (node.tagName === "TEMPLATE") return;
        var present = node.querySelector("[data-present]").checked;
        var raw = node.querySelector("[data-temperature]").value;
        var temperature = present ? temperatureOf(raw) : { value: null };
        if (temperature.bad) {
          errors.push(t("temperature", { name: node.dataset.name, value: raw,
            low: list.temperature_min, high: list.temperature_max }));
        }
        checks.push({ person_id: Number(node.dataset.person), present: present,
          temperature: temperature.value, symptoms: present && node.querySelector("[data-symptoms]").checked });
      });
    }
    var error = form.querySelector("[data-testid=offline-form-error]");
    if (errors.length) {
      error.textContent = errors.join(" ");
      error.hidden = false;
      return;
    }
    var visit = {
      key: crypto.randomUUID(), team_id: teamId, dwelling_id: Number(form.dataset.dwelling),
      outcome: outcome, people: checks, notes: "", at: new Date().toISOString(),
      list_taken_at: list.taken_at
    };
    put("queue", visit).then(function () {
      form.hidden = true;
      return showStatus();
    }).then(function () { if (navigator.onLine) sync(); });
  }

  // ---- sending ---------------------------------------------------------------------------

  function resultText(r, visit) {
    var room = roomOf(visit.dwelling_id);
    if (r.status === "created" || r.status === "duplicate") return t("sent", { room: room });
    if (r.status === "conflict") {
      return t("conflict", { room: room, who: r.by, team: r.team, time: hhmm(r.at), outcome: r.message });
    }
    return t("refused", { room: room, errors: r.errors.join(" ") });
  }

  function sync() {
    if (sending) return Promise.resolve();
    sending = true;
    return all("queue").then(function (queue) {
      var mine = queue.filter(function (v) { return v.team_id === teamId; }).slice(0, 200);
      if (!mine.length) return;
      var visits = mine.map(function (v) {
        var copy = Object.assign({}, v);
        delete copy.team_id;
        return copy;
      });
      return fetch(box.dataset.batchUrl, {
        method: "POST", credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken() },
        body: JSON.stringify({ team_id: teamId, visits: visits })
      }).then(function (r) {
        if (!r.ok) throw new Error(r.status);
        return r.json();
      }).then(function (body) {
        var byKey = {};
        mine.forEach(function (v) { byKey[v.key] = v; });
        return Promise.all(body.results.map(function (r) {
          var visit = byKey[r.key];
          // Each answer is kept on screen before its visit leaves the queue.
          return put("results", { key: r.key, team_id: teamId, status: r.status, text: resultText(r, visit) })
            .then(function () { return del("queue", r.key); });
        }));
      });
    }).catch(function () { /* still offline, or the server does not answer: kept */ })
      .then(function () { sending = false; return showStatus(); });
  }

  function clearResults() {
    all("results").then(function (results) {
      return Promise.all(results.filter(function (r) { return r.team_id === teamId; })
        .map(function (r) { return del("results", r.key); }));
    }).then(showStatus);
  }

  // ---- start -----------------------------------------------------------------------------

  function start() {
    box = document.getElementById("offline");
    if (!box || !window.indexedDB) return;
    teamId = Number(box.dataset.team);
    if (navigator.serviceWorker) navigator.serviceWorker.register(box.dataset.sw).catch(function () {});
    box.querySelector("[data-testid=offline-form]").addEventListener("submit", saveForm);
    box.querySelector("[data-testid=offline-cancel]").addEventListener("click", function () {
      box.querySelector("[data-testid=offline-form]").hidden = true;
    });
    box.querySelector("[data-testid=offline-clear]").addEventListener("click", clearResults);
    document.addEventListener("click", function (event) {
      var tile = event.target.closest && event.target.closest("a.room[data-testid^=dwelling-]");
      if (!tile || navigator.onLine || !list || new Date(list.expires_at) < new Date()) return;
      if (openForm(Number(tile.getAttribute("data-testid").slice("dwelling-".length)))) event.preventDefault();
    });
    // Logging out deletes the queue (offline-wipe.js on the login page): it is sent first
    // when the network is there, and the team is asked before visits not sent are lost.
    // Capture phase, so that this runs before the gate's own logout handler.
    document.addEventListener("submit", function (event) {
      var form = event.target;
      if (!form.hasAttribute || !form.hasAttribute("data-offline-wipe") || form.dataset.visitsAsked) return;
      event.preventDefault();
      event.stopImmediatePropagation();
      (navigator.onLine ? sync() : Promise.resolve()).then(function () { return all("queue"); }).then(function (queue) {
        if (queue.length && !window.confirm(t("logout", { count: queue.length }))) return;
        form.dataset.visitsAsked = "1";
        form.requestSubmit();
      });
    }, true);
    window.addEventListener("online", function () { showStatus(); sync(); });
    window.addEventListener("offline", showStatus);
    forgetExpired().then(function () {
      return store("lists").then(function (s) { return req(s.get(teamId)); });
    }).then(function (kept) {
      list = kept || null;
      if (!navigator.onLine) return;
      return Promise.all([keepShell(), refreshList().catch(function () {})]).then(sync);
    }).then(showStatus).then(function () { box.dataset.ready = "1"; });
  }

  window.fangyiScreening = { sync: function () { return box ? sync() : Promise.resolve(); } };
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
