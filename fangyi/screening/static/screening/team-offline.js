// A screening team's list works offline (issue 15, point 3; docs/offline.md).
//
// Online, the team page keeps the team's offline list (dwellings, residents with masked
// documents, previous visits) in IndexedDB and its own shell in the cache (service worker
// /screening/sw.js). Offline, a tap on a dwelling opens a form on this page; the visit is
// queued with its visit key and the time it was made. Back online the queue goes to
// POST /api/screening/visits/batch; each visit is answered created, duplicate, conflict
// (who recorded the dwelling meanwhile, and when) or refused (why): conflicts and
// refusals stay on screen until cleared, nothing is dropped without a word. What is kept
// is sealed with the user's key (core/offline-store.js, shared with the gate page): without
// it (a closed browser, another login) the page shows no resident and says the offline
// data needs a login. The list is deleted past its expiry (never kept past the login's);
// logging out deletes everything (core/offline-store.js).
(function () {
  "use strict";
  var CACHE_NAME = "fangyi-screening-v1";
  var S = window.fangyiOffline;
  var box, teamId, list = null, sending = false, needsLogin = false, locked = 0;

  function t(name, values) {
    var s = box.getAttribute("data-t-" + name) || "";
    Object.keys(values || {}).forEach(function (k) { s = s.split("{" + k + "}").join(values[k]); });
    return s;
  }

  function hhmm(iso) {
    var d = new Date(iso);
    var pad = function (n) { return (n < 10 ? "0" : "") + n; };
    return (d.getMonth() + 1) + "-" + d.getDate() + " " + pad(d.getHours()) + ":" + pad(d.getMinutes());
  }

  function roomOf(dwellingId) {
    var d = list && list.dwellings.filter(function (x) { return x.id === dwellingId; })[0];
    return d ? d.building + " " + d.room : "#" + dwellingId;
  }

  // ---- what the page shows ---------------------------------------------------------------

  function showStatus() {
    var status = box.querySelector("[data-testid=offline-status]");
    if (S.state.loggedOut) list = null; // the login has ended: its list is deleted
    var expired = list && new Date(list.expires_at) < new Date();
    if (!list && S.state.loggedOut) status.textContent = t("logged-out");
    else if (!list && needsLogin) status.textContent = t("needs-login");
    else if (!list) status.textContent = t("none");
    else if (expired) status.textContent = t("expired");
    else if (!navigator.onLine) status.textContent = t("offline", { time: hhmm(list.taken_at) });
    else status.textContent = t("kept", { time: hhmm(list.taken_at), until: hhmm(list.expires_at) });
    box.dataset.state = !list ? (S.state.loggedOut ? "logged-out" : needsLogin ? "needs-login" : "none")
      : expired ? "expired" : navigator.onLine ? "online" : "offline";
    status.classList.toggle("error", !!expired || (!list && (needsLogin || S.state.loggedOut)));
    var lockedNote = box.querySelector("[data-testid=offline-locked]");
    lockedNote.hidden = !locked;
    lockedNote.textContent = locked ? t("locked", { count: locked }) : "";
    return Promise.all([S.rawAll("screening", "queue"), S.readAll("screening", "results")]).then(function (found) {
      var queued = found[0].filter(function (v) { return v.team_id === teamId; });
      var q = box.querySelector("[data-testid=offline-queue]");
      q.textContent = t("queued", { count: queued.length });
      q.hidden = queued.length === 0;
      box.dataset.queued = String(queued.length);
      var ul = box.querySelector("[data-testid=offline-results]");
      ul.textContent = "";
      found[1].items.map(function (i) { return i.value; }).filter(function (r) {
        return r.team_id === teamId;
      }).forEach(function (r) {
        var li = document.createElement("li");
        li.className = r.status === "created" || r.status === "duplicate" ? "" : "error";
        li.setAttribute("data-status", r.status);
        li.textContent = resultText(r);
        ul.appendChild(li);
      });
      box.querySelector("[data-testid=offline-clear]").hidden = !ul.children.length;
    });
  }

  // ---- keeping the list ------------------------------------------------------------------

  // The page's shell for the service worker. The page itself is kept without the residents'
  // names (what carries data-offline-drop): the cache is not sealed, so names are read
  // offline from the sealed list only.
  function keepShell() {
    if (!window.caches || !window.DOMParser) return Promise.resolve();
    var urls = [];
    document.querySelectorAll("script[src], link[rel=stylesheet]").forEach(function (el) {
      var u = new URL(el.src || el.href, location.href);
      if (u.origin === location.origin) urls.push(u.pathname);
    });
    var page = fetch(location.pathname, { credentials: "same-origin" }).then(function (r) {
      if (!r.ok || r.redirected) throw new Error(r.status);
      var headers = {};
      ["Content-Type", "Content-Security-Policy"].forEach(function (h) {
        if (r.headers.get(h)) headers[h] = r.headers.get(h);
      });
      return r.text().then(function (html) {
        var doc = new DOMParser().parseFromString(html, "text/html");
        doc.querySelectorAll("[data-offline-drop]").forEach(function (n) { n.remove(); });
        return new Response("<!doctype html>\n" + doc.documentElement.outerHTML, { headers: headers });
      });
    });
    return caches.open(CACHE_NAME).then(function (cache) {
      return Promise.all([cache.addAll(urls), page.then(function (response) {
        return cache.put(location.pathname, response);
      })]);
    }).catch(function () {});
  }

  function refreshList() {
    return fetch(box.dataset.listUrl, { credentials: "same-origin" }).then(function (r) {
      if (r.status === 401) S.loginEnded();
      if (!r.ok) throw new Error(r.status);
      return r.json();
    }).then(function (body) {
      list = body;
      // Sealed, until the list's expiry (never past the login's).
      return S.putSealed("screening", "lists", [{ id: teamId, value: body, exp: Date.parse(body.expires_at) }]);
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
    // The slots for people without a file and the notes start empty for each dwelling.
    form.querySelectorAll("[data-new-person]").forEach(function (slot) {
      slot.open = false;
      slot.querySelectorAll("input").forEach(function (input) {
        if (input.type === "checkbox") input.checked = false; else input.value = "";
      });
      slot.querySelector("[data-doc-type]").value = "id_card";
    });
    form.querySelector("[data-notes]").value = "";
    form.querySelector("[data-testid=offline-form-error]").hidden = true;
    form.hidden = false;
    form.scrollIntoView();
    return true;
  }

  function value(node, selector) {
    var input = node.querySelector(selector);
    return input ? input.value.trim() : "";
  }

  function saveForm(event) {
    event.preventDefault();
    var form = event.target;
    var outcome = form.querySelector("input[name=offline-outcome]:checked").value;
    var errors = [];
    var checks = [];
    var newPeople = [];
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
          temperature: temperature.value, symptoms: present && node.querySelector("[data-symptoms]").checked,
          came_from: value(node, "[data-came-from]"), came_on: value(node, "[data-came-on]") || null,
          phone: value(node, "[data-phone]") });
      });
      // A slot for a person without a file counts once anything is typed in it; the
      // server checks the rest (name, document) and refuses the visit naming the field.
      form.querySelectorAll("[data-new-person]").forEach(function (slot) {
        var typed = ["[data-name]", "[data-doc-number]", "[data-phone]", "[data-temperature]",
          "[data-came-from]", "[data-came-on]"].some(function (f) { return value(slot, f); });
        if (!typed) return;
        var name = value(slot, "[data-name]");
        var raw = value(slot, "[data-temperature]");
        var temperature = temperatureOf(raw);
        if (temperature.bad) {
          errors.push(t("temperature", { name: name || slot.querySelector("summary").textContent, value: raw,
            low: list.temperature_min, high: list.temperature_max }));
        }
        newPeople.push({ name: name, doc_type: slot.querySelector("[data-doc-type]").value,
          doc_number: value(slot, "[data-doc-number]"), phone: value(slot, "[data-phone]"),
          temperature: temperature.value, symptoms: slot.querySelector("[data-symptoms]").checked,
          came_from: value(slot, "[data-came-from]"), came_on: value(slot, "[data-came-on]") || null });
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
      outcome: outcome, people: checks, new_people: newPeople, notes: value(form, "[data-notes]"),
      at: new Date().toISOString(),
      list_taken_at: list.taken_at, room: roomOf(Number(form.dataset.dwelling))
    };
    S.putSealed("screening", "queue", [{ id: visit.key, value: visit, exp: null, plain: { team_id: teamId } }]).then(function () {
      form.hidden = true;
      return showStatus();
    }, function () {
      // No key to seal it with (the login has ended): it cannot be kept on this phone.
      needsLogin = true;
      error.textContent = t("needs-login");
      error.hidden = false;
    }).then(function () { if (navigator.onLine) sync(); });
  }

  // ---- sending ---------------------------------------------------------------------------

  function resultText(r) {
    var room = r.room;
    if (r.status === "created" || r.status === "duplicate") return t("sent", { room: room });
    if (r.status === "conflict") {
      return t("conflict", { room: room, who: r.by, team: r.team, time: r.at ? hhmm(r.at) : "", outcome: r.message });
    }
    return t("refused", { room: room, errors: (r.errors || []).join(" ") });
  }

  // Every team's queued visits on this phone (core/offline-store.js); the answers are kept
  // sealed and shown here until cleared.
  function sync() {
    if (sending) return Promise.resolve();
    sending = true;
    return S.syncTeams().then(function (out) {
      locked = out.locked;
    }).catch(function () { /* still offline, or the server does not answer: kept */ })
      .then(function () { sending = false; return showStatus(); });
  }

  function clearResults() {
    S.rawAll("screening", "results").then(function (results) {
      return S.remove("screening", "results", results.filter(function (r) { return r.team_id === teamId; })
        .map(function (r) { return r.key; }));
    }).then(showStatus);
  }

  // ---- start -----------------------------------------------------------------------------

  function start() {
    box = document.getElementById("offline");
    if (!box || !S || !window.indexedDB || !window.crypto || !crypto.subtle) return;
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
    window.addEventListener("online", function () {
      showStatus();
      // Opened without a key or a list: the login may give both back now.
      (list ? Promise.resolve() : refreshList().catch(function () {})).then(sync);
    });
    window.addEventListener("offline", showStatus);
    S.key().then(function (k) {
      needsLogin = !k;
      // A list past its expiry, or sealed by another login, is deleted as it is read.
      return Promise.all([S.readAll("screening", "lists"), S.readAll("screening", "queue")]);
    }).then(function (found) {
      var kept = found[0].items.filter(function (i) { return i.id === teamId; })[0];
      list = kept ? kept.value : null;
      locked = found[1].locked;
      if (!navigator.onLine) return;
      return Promise.all([keepShell(), refreshList().catch(function () {})]).then(sync);
    }).then(showStatus).then(function () { box.dataset.ready = "1"; });
  }

  window.fangyiScreening = { sync: function () { return box ? sync() : Promise.resolve(); } };
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
