// Logging out wipes what the gate page keeps on the phone (docs/offline.md): the
// IndexedDB store (offline lists, keys, queued checks), the cached page shell and the
// service worker. Checks not sent yet are lost with it, so the guard is asked first.
// Loaded on every page for a logged-in user; the logout form carries data-offline-wipe.
(function () {
  "use strict";
  var DB_NAME = "fangyi-gate";

  function done(request) {
    return new Promise(function (resolve) {
      request.onsuccess = request.onerror = request.onblocked = function () { resolve(request.result); };
    });
  }

  function stored() {
    // Only a database that exists is opened: opening creates it.
    if (!window.indexedDB || !indexedDB.databases) return Promise.resolve(0);
    return indexedDB.databases().then(function (all) {
      if (!all.some(function (d) { return d.name === DB_NAME; })) return 0;
      return done(indexedDB.open(DB_NAME)).then(function (db) {
        if (!db || !db.objectStoreNames.contains("queue")) { if (db) db.close(); return 0; }
        return done(db.transaction("queue").objectStore("queue").count()).then(function (n) {
          db.close();
          return n || 0;
        });
      });
    }).catch(function () { return 0; });
  }

  function wipe() {
    var jobs = [];
    if (window.indexedDB) jobs.push(done(indexedDB.deleteDatabase(DB_NAME)));
    if (window.caches) {
      jobs.push(caches.keys().then(function (names) {
        return Promise.all(names.filter(function (n) { return n.indexOf("fangyi-gate") === 0; })
          .map(function (n) { return caches.delete(n); }));
      }));
    }
    if (navigator.serviceWorker) {
      jobs.push(navigator.serviceWorker.getRegistrations().then(function (regs) {
        return Promise.all(regs.map(function (r) { return r.unregister(); }));
      }));
    }
    return Promise.all(jobs).catch(function () {});
  }

  window.fangyiWipeOffline = wipe;

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.hasAttribute || !form.hasAttribute("data-offline-wipe") || form.dataset.wiped) return;
    event.preventDefault();
    var send = window.fangyiGate && window.fangyiGate.sync && navigator.onLine
      ? window.fangyiGate.sync() : Promise.resolve();
    send.then(stored).then(function (waiting) {
      if (waiting && !window.confirm(form.dataset.offlineWipe.replace("{count}", waiting))) return;
      return wipe().then(function () {
        form.dataset.wiped = "1";
        form.submit();
      });
    });
  });
})();
