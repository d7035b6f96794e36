// The phone's offline store, shared by the gate page and the screening team page (issue 15,
// point 4; docs/offline.md "The phone's store"). Loaded on every page, before the pages'
// own scripts.
//
// - Sealed: every record with data of the pages (a gate's list and queued checks; a
//   team's list, queued visits and their answers) is kept encrypted with AES-256-GCM
//   (WebCrypto, a random IV per record, the database, store and record id as associated
//   data) under the user's key from GET /api/offline/key. The page keeps that key in
//   memory and in the tab's sessionStorage only: an offline reload in the same tab reads
//   the store, a closed browser, another tab or another user cannot.
// - Expiring: each record carries its expiry in the clear (the page's policy time, and
//   never past the login session's expiry); a list or answer past it is deleted when read.
//   A record sealed with another key (another user, a changed password) is deleted when
//   read — except queued work not sent yet, which is kept and counted on screen, and sent
//   when its user logs in again on this phone.
// - Logging out (any page): what waits is sent when the network is there; if anything
//   still waits, the user is asked with the count; then both stores, their caches and
//   service workers are deleted before the logout is posted. A page seen logged out
//   deletes the lists and keeps only queued work, for its user's next login.
(function () {
  "use strict";

  var KEY_URL = "/api/offline/key";
  var KEY_ITEM = "fangyi-offline-key";
  var DAY_MS = 24 * 60 * 60 * 1000;
  var GATE_BATCH_URL = "/api/scans/batch";
  var GATE_BATCH_SIZE = 500;
  var TEAM_BATCH_URL = "/api/screening/visits/batch";
  var TEAM_BATCH_SIZE = 200;
  // Version 2: records sealed. The plain records of version 1 are dropped on upgrade.
  var SCHEMAS = {
    gate: { name: "fangyi-gate", version: 2, stores: { lists: "gate_id", keys: "kid", queue: "client_id" } },
    screening: { name: "fangyi-screening", version: 2, stores: { lists: "team_id", queue: "key", results: "key" } },
  };
  var PLAIN_STORES = { "gate/keys": true }; // the district's public keys: public anyway
  var CACHE_PREFIXES = ["fangyi-gate", "fangyi-screening"];
  var WORKER_SCOPES = ["/passes/", "/screening/"];

  var script = document.currentScript;
  var userId = script ? script.getAttribute("data-user") || "" : "";

  function b64bytes(text) {
    var b64 = String(text).replace(/-/g, "+").replace(/_/g, "/");
    while (b64.length % 4) b64 += "=";
    var bin = atob(b64);
    var out = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out;
  }

  function req(r) {
    return new Promise(function (resolve, reject) {
      r.onsuccess = function () { resolve(r.result); };
      r.onerror = function () { reject(r.error); };
    });
  }

  function csrfToken() {
    try { return JSON.parse(document.body.getAttribute("hx-headers"))["X-CSRFToken"]; } catch (e) { return ""; }
  }

  // --- the databases -------------------------------------------------------------------------

  var handles = {};

  function exists(name) {
    if (!indexedDB.databases) return Promise.resolve(true);
    return indexedDB.databases().then(function (all) {
      return all.some(function (d) { return d.name === name; });
    });
  }

  function db(which) {
    if (!handles[which]) {
      var schema = SCHEMAS[which];
      var open = indexedDB.open(schema.name, schema.version);
      open.onupgradeneeded = function () {
        var d = open.result;
        Array.prototype.slice.call(d.objectStoreNames).forEach(function (n) { d.deleteObjectStore(n); });
        Object.keys(schema.stores).forEach(function (n) {
          d.createObjectStore(n, { keyPath: schema.stores[n] });
        });
      };
      handles[which] = req(open).then(function (d) {
        // Logging out (maybe in another tab) deletes the database: let it, rather than block it.
        d.onversionchange = function () { d.close(); delete handles[which]; };
        return d;
      }, function (err) { delete handles[which]; throw err; });
    }
    return handles[which];
  }

  function tx(which, name, mode, work) {
    return db(which).then(function (d) {
      return new Promise(function (resolve, reject) {
        var t = d.transaction(name, mode);
        var result = work(t.objectStore(name));
        t.oncomplete = function () { resolve(result && "result" in result ? result.result : result); };
        t.onerror = function () { reject(t.error); };
        t.onabort = function () { reject(t.error); };
      });
    });
  }

  function rawAll(which, name) { return tx(which, name, "readonly", function (s) { return s.getAll(); }); }
  function rawPut(which, name, rows) {
    return tx(which, name, "readwrite", function (s) { rows.forEach(function (r) { s.put(r); }); });
  }
  function remove(which, name, ids) {
    if (!ids.length) return Promise.resolve();
    return tx(which, name, "readwrite", function (s) { ids.forEach(function (k) { s.delete(k); }); });
  }
  function clear(which, name) { return tx(which, name, "readwrite", function (s) { s.clear(); }); }

  // --- the key -------------------------------------------------------------------------------

  var key = null; // {crypto, kid, user_id, expires_at (ms)}
  var keyLoading = null;
  var state = { loggedOut: false };

  function fromSession() {
    try {
      var info = JSON.parse(sessionStorage.getItem(KEY_ITEM) || "null");
      return info && (!userId || String(info.user_id) === userId) ? info : null;
    } catch (e) {
      return null;
    }
  }

  function forgetKey() {
    key = null;
    try { sessionStorage.removeItem(KEY_ITEM); } catch (e) { /* storage off */ }
  }

  // The server says the login has ended: the key goes and so do the lists (they were the
  // login's); queued work stays, sealed, for the same user's next login.
  function loginEnded() {
    state.loggedOut = true;
    forgetKey();
    Object.keys(SCHEMAS).forEach(function (which) {
      exists(SCHEMAS[which].name).then(function (there) {
        if (there) return clear(which, "lists");
      }).catch(function () {});
    });
  }

  function use(info) {
    if (!info) return Promise.resolve(null);
    return crypto.subtle.importKey("raw", b64bytes(info.key), { name: "AES-GCM" }, false, ["encrypt", "decrypt"])
      .then(function (cryptoKey) {
        key = { crypto: cryptoKey, kid: info.kid, user_id: info.user_id, expires_at: Date.parse(info.expires_at) };
        return key;
      });
  }

  // The key in hand: from the server when online (so that a new login's expiry is known),
  // else the one this tab kept. null: there is none (the offline data needs a login).
  function loadKey(refresh) {
    if (key && !refresh) return Promise.resolve(key);
    if (keyLoading) return keyLoading;
    var ask = navigator.onLine ? fetch(KEY_URL, {
      credentials: "same-origin", cache: "no-store", headers: { Accept: "application/json" },
    }).then(function (r) {
      if (r.status === 401 || r.status === 403 || r.redirected) {
        loginEnded();
        return null;
      }
      if (!r.ok) throw new Error("HTTP " + r.status);
      state.loggedOut = false;
      return r.json().then(function (info) {
        try { sessionStorage.setItem(KEY_ITEM, JSON.stringify(info)); } catch (e) { /* memory only */ }
        return info;
      });
    }) : Promise.reject(new Error("offline"));
    keyLoading = ask.catch(function () { return state.loggedOut ? null : fromSession(); })
      .then(use)
      .catch(function () { return null; })
      .then(function (k) { keyLoading = null; return k; });
    return keyLoading;
  }

  function aad(which, name, id) { return new TextEncoder().encode(which + "/" + name + "/" + id); }

  // rows: [{id, value, exp (ms, or null), plain: {…fields kept in the clear}}]
  function putSealed(which, name, rows) {
    var idField = SCHEMAS[which].stores[name];
    return loadKey().then(function (k) {
      if (!k) throw Object.assign(new Error("no key"), { name: "NeedsLogin" });
      return Promise.all(rows.map(function (row) {
        var iv = crypto.getRandomValues(new Uint8Array(12));
        var data = new TextEncoder().encode(JSON.stringify(row.value));
        return crypto.subtle.encrypt({ name: "AES-GCM", iv: iv, additionalData: aad(which, name, row.id) }, k.crypto, data)
          .then(function (sealed) {
            var record = Object.assign({}, row.plain || {});
            record[idField] = row.id;
            record.kid = k.kid;
            record.exp = row.exp === undefined || row.exp === null ? k.expires_at : Math.min(row.exp, k.expires_at);
            record.iv = iv;
            record.data = sealed;
            return record;
          });
      }));
    }).then(function (records) { return rawPut(which, name, records); });
  }

  // What the key in hand opens: {items: [{id, value, record}], locked: n}. Past its
  // expiry, sealed with another key or not opening: deleted — queued work excepted, which
  // is kept (and counted in `locked` when it cannot be read).
  function readAll(which, name) {
    var idField = SCHEMAS[which].stores[name];
    var queue = name === "queue";
    return Promise.all([rawAll(which, name), loadKey()]).then(function (got) {
      var records = got[0], k = got[1], now = Date.now();
      var drop = [], locked = 0;
      return Promise.all(records.map(function (record) {
        var id = record[idField];
        if (!queue && record.exp && record.exp < now) { drop.push(id); return null; }
        if (!k || record.kid !== k.kid || !record.data) {
          if (queue) locked += 1;
          else if (k) drop.push(id); // another user's or another password's: never shown
          return null;
        }
        return crypto.subtle.decrypt({ name: "AES-GCM", iv: record.iv, additionalData: aad(which, name, id) }, k.crypto, record.data)
          .then(function (plain) {
            return { id: id, value: JSON.parse(new TextDecoder().decode(plain)), record: record };
          }, function () {
            if (queue) locked += 1; else drop.push(id);
            return null;
          });
      })).then(function (items) {
        return remove(which, name, drop).then(function () {
          return { items: items.filter(Boolean), locked: locked };
        });
      });
    });
  }

  // A page's expiry for what it keeps: its policy time, never past the login's.
  function expiry(policyMs) {
    return key && key.expires_at ? Math.min(policyMs, key.expires_at) : policyMs;
  }

  // --- sending queued work (also from pages that are neither the gate's nor the team's) --------

  function post(url, body) {
    return fetch(url, {
      method: "POST", credentials: "same-origin", redirect: "manual",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken(), Accept: "application/json" },
      body: JSON.stringify(body),
    }).then(function (r) {
      // 401, or a redirect to the login page: the login has ended; the queue stays.
      if (r.status === 401 || r.type === "opaqueredirect") loginEnded();
      if (!r.ok) return { failed: r.status || 401 };
      return r.json();
    });
  }

  // The gate's queue to POST /api/scans/batch, by gate, oldest first. An answered check
  // leaves the phone; {reconcile: [{result, sent}] (the server's colour differs, or it was
  // refused while the phone admitted it), failed: HTTP status or null, locked: n}. A
  // network failure rejects (the page then counts the server as down).
  function syncGate() {
    return readAll("gate", "queue").then(function (read) {
      var rows = read.items.map(function (i) { return i.value; });
      rows.sort(function (a, b) { return a.checked_at < b.checked_at ? -1 : 1; });
      var out = { reconcile: [], failed: null, locked: read.locked, sent: 0 };
      var gates = {};
      rows.forEach(function (r) { (gates[r.gate_id] = gates[r.gate_id] || []).push(r); });
      var chain = Promise.resolve();
      Object.keys(gates).forEach(function (gate) {
        var checks = gates[gate];
        for (var i = 0; i < checks.length; i += GATE_BATCH_SIZE) {
          (function (part) {
            chain = chain.then(function () {
              if (out.failed) return;
              return post(GATE_BATCH_URL, {
                gate_id: parseInt(gate, 10),
                checks: part.map(function (c) {
                  // As queued, less what only the phone uses.
                  var sent = Object.assign({}, c);
                  delete sent.gate_id;
                  delete sent.pass_id;
                  return sent;
                }),
              }).then(function (answer) {
                if (answer.failed) { out.failed = answer.failed; return; }
                var byId = {};
                part.forEach(function (c) { byId[c.client_id] = c; });
                var done = [];
                (answer.results || []).forEach(function (result) {
                  var sent = byId[result.client_id];
                  // An answer is final (created, already there, refused, or unreadable by the
                  // server); a check without one stays queued for the next try.
                  if (!sent || ["created", "duplicate", "refused", "invalid"].indexOf(result.status) < 0) return;
                  done.push(sent.client_id);
                  var refusedBoth = result.status === "refused" && sent.offline_colour === "refused";
                  if (result.differs || (result.status !== "created" && result.status !== "duplicate" && !refusedBoth)) {
                    out.reconcile.push({ result: result, sent: sent });
                  }
                });
                out.sent += done.length;
                return remove("gate", "queue", done);
              });
            });
          })(checks.slice(i, i + GATE_BATCH_SIZE));
        }
      });
      return chain.then(function () { return out; });
    });
  }

  // The team's queued visits to POST /api/screening/visits/batch. Each answer is kept
  // (sealed, in `results`, until the team clears it) before its visit leaves the queue, so
  // an answer lost on the way sends the visit again, which its key makes a duplicate.
  function syncTeams(onlyTeam) {
    return readAll("screening", "queue").then(function (read) {
      var out = { failed: null, locked: read.locked, sent: 0 };
      var teams = {};
      read.items.forEach(function (i) {
        var v = i.value;
        if (onlyTeam && v.team_id !== onlyTeam) return;
        (teams[v.team_id] = teams[v.team_id] || []).push(v);
      });
      var chain = Promise.resolve();
      Object.keys(teams).forEach(function (team) {
        var queued = teams[team];
        for (var i = 0; i < queued.length; i += TEAM_BATCH_SIZE) {
          (function (part) {
            chain = chain.then(function () {
              if (out.failed) return;
              var byKey = {};
              part.forEach(function (v) { byKey[v.key] = v; });
              return post(TEAM_BATCH_URL, {
                team_id: Number(team),
                visits: part.map(function (v) {
                  // As recorded, less what only the phone uses.
                  var sent = Object.assign({}, v);
                  delete sent.team_id;
                  delete sent.room;
                  return sent;
                }),
              }).then(function (body) {
                if (body.failed) { out.failed = body.failed; return; }
                var answered = (body.results || []).filter(function (r) { return byKey[r.key]; });
                return putSealed("screening", "results", answered.map(function (r) {
                  var v = byKey[r.key];
                  return {
                    id: r.key, exp: null, plain: { team_id: v.team_id, status: r.status },
                    value: { key: r.key, team_id: v.team_id, status: r.status, room: v.room || "#" + v.dwelling_id,
                      by: r.by || "", team: r.team || "", at: r.at || "", message: r.message || "", errors: r.errors || [] },
                  };
                })).then(function () {
                  out.sent += answered.length;
                  return remove("screening", "queue", answered.map(function (r) { return r.key; }));
                });
              });
            });
          })(queued.slice(i, i + TEAM_BATCH_SIZE));
        }
      });
      return chain.then(function () { return out; });
    });
  }

  // --- wiping --------------------------------------------------------------------------------

  function closeAll() {
    return Promise.all(Object.keys(handles).map(function (which) {
      var h = handles[which];
      delete handles[which];
      return h.then(function (d) { d.close(); }, function () {});
    }));
  }

  function done(request) {
    return new Promise(function (resolve) {
      request.onsuccess = request.onerror = request.onblocked = function () { resolve(); };
    });
  }

  function wipe() {
    forgetKey();
    return closeAll().then(function () {
      var jobs = [];
      if (window.indexedDB) {
        Object.keys(SCHEMAS).forEach(function (w) { jobs.push(done(indexedDB.deleteDatabase(SCHEMAS[w].name))); });
      }
      if (window.caches) {
        jobs.push(caches.keys().then(function (names) {
          return Promise.all(names.filter(function (n) {
            return CACHE_PREFIXES.some(function (p) { return n.indexOf(p) === 0; });
          }).map(function (n) { return caches.delete(n); }));
        }));
      }
      if (navigator.serviceWorker) {
        jobs.push(navigator.serviceWorker.getRegistrations().then(function (regs) {
          return Promise.all(regs.filter(function (r) {
            return WORKER_SCOPES.indexOf(new URL(r.scope).pathname) >= 0;
          }).map(function (r) { return r.unregister(); }));
        }));
      }
      return Promise.all(jobs);
    }).catch(function () {});
  }

  // Records that would be lost by a wipe: queued checks and visits (readable or not), and
  // the answers of visits that were not recorded, not cleared yet.
  function waiting() {
    if (!window.indexedDB) return Promise.resolve(0);
    var counts = Object.keys(SCHEMAS).map(function (which) {
      return exists(SCHEMAS[which].name).then(function (there) {
        if (!there) return 0;
        return Promise.all([
          rawAll(which, "queue").then(function (r) { return r.length; }),
          which === "screening" ? rawAll(which, "results").then(function (r) {
            return r.filter(function (x) { return x.status !== "created" && x.status !== "duplicate"; }).length;
          }) : 0,
        ]).then(function (n) { return n[0] + n[1]; });
      });
    });
    return Promise.all(counts).then(function (n) { return n[0] + n[1]; }).catch(function () { return 0; });
  }

  function sendAll() {
    if (!navigator.onLine) return Promise.resolve();
    var jobs = Object.keys(SCHEMAS).map(function (which) {
      return exists(SCHEMAS[which].name).then(function (there) {
        if (!there) return null;
        var page = which === "gate" ? window.fangyiGate : window.fangyiScreening;
        if (page && page.sync) return page.sync();
        return which === "gate" ? syncGate() : syncTeams();
      }).catch(function () {});
    });
    return Promise.all(jobs);
  }

  // A page seen logged out: the lists and answers go (they were the login's); queued work
  // stays, sealed, for its user's next login — or, if there is none, everything goes.
  function forgetLists() {
    forgetKey();
    // Only a database that exists is opened (opening makes it): a browser that cannot
    // list them (older WebViews, the residents' pages) is left alone here.
    if (!indexedDB.databases) return Promise.resolve();
    return waiting().then(function (n) {
      if (!n) return wipe();
      return Promise.all(Object.keys(SCHEMAS).map(function (which) {
        return exists(SCHEMAS[which].name).then(function (there) {
          if (!there) return null;
          return Promise.all(Object.keys(SCHEMAS[which].stores).filter(function (s) {
            return s !== "queue" && !(which === "screening" && s === "results");
          }).map(function (s) { return clear(which, s); }));
        });
      })).then(closeAll);
    }).catch(function () {});
  }

  window.fangyiOffline = {
    DAY_MS: DAY_MS,
    key: loadKey,
    expiry: expiry,
    state: state,
    loginEnded: loginEnded,
    putSealed: putSealed,
    putPlain: rawPut,
    readAll: readAll,
    rawAll: rawAll,
    remove: remove,
    clear: clear,
    syncGate: syncGate,
    syncTeams: syncTeams,
    waiting: waiting,
    wipe: wipe,
    forgetLists: forgetLists,
    plain: PLAIN_STORES,
  };

  if (!window.indexedDB || !window.crypto || !crypto.subtle) return;

  if (!userId) {
    forgetLists();
    return;
  }

  // One logout for both stores, on every page (the header's form carries data-offline-wipe).
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.hasAttribute || !form.hasAttribute("data-offline-wipe") || form.dataset.wiped) return;
    event.preventDefault();
    sendAll().then(waiting).then(function (n) {
      if (n && !window.confirm(form.getAttribute("data-offline-wipe").replace("{count}", n))) return;
      return wipe().then(function () {
        form.dataset.wiped = "1";
        form.submit();
      });
    });
  });
})();
