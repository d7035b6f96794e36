// What the screening team page keeps on the phone (docs/offline.md) is deleted on any page
// seen logged out, so the login page after logging out wipes it: the IndexedDB store (the
// team's list and any visit not sent), the cached page shell and the service worker.
(function () {
  "use strict";
  if (window.indexedDB && indexedDB.databases) {
    indexedDB.databases().then(function (all) {
      if (all.some(function (d) { return d.name === "fangyi-screening"; })) {
        indexedDB.deleteDatabase("fangyi-screening");
      }
    }).catch(function () {});
  }
  if (window.caches) {
    caches.keys().then(function (names) {
      names.filter(function (n) { return n.indexOf("fangyi-screening") === 0; })
        .forEach(function (n) { caches.delete(n); });
    }).catch(function () {});
  }
  if (navigator.serviceWorker) {
    navigator.serviceWorker.getRegistrations().then(function (regs) {
      regs.filter(function (r) { return new URL(r.scope).pathname === "/screening/"; })
        .forEach(function (r) { r.unregister(); });
    }).catch(function () {});
  }
})();
