// What the offline pages' two service workers share (docs/offline.md): each worker
// (passes/gate-sw.js, screening/team-sw.js) imports this and keeps its own page list.
//
// fangyiOfflineWorker(cacheName, cachePrefix): on install it takes over at once; on
// activate it deletes its older caches (same prefix, other name) and claims the pages.
// Its .networkFirst(request) answers from the network, and from the cache when the
// network or the server does not answer; the API is never routed here.
"use strict";

self.fangyiOfflineWorker = function (cacheName, cachePrefix) {
  self.addEventListener("install", function () { self.skipWaiting(); });

  self.addEventListener("activate", function (event) {
    event.waitUntil(
      caches.keys().then(function (names) {
        return Promise.all(names.filter(function (name) {
          return name.indexOf(cachePrefix) === 0 && name !== cacheName;
        }).map(function (name) { return caches.delete(name); }));
      }).then(function () { return self.clients.claim(); })
    );
  });

  function fromCache(request) {
    return caches.open(cacheName).then(function (cache) {
      return cache.match(request, { ignoreSearch: true, ignoreVary: true });
    });
  }

  return {
    fromCache: fromCache,
    // `fallback` (optional): what to answer offline instead of the cached request.
    networkFirst: function (request, fallback) {
      return fetch(request).catch(function (error) {
        return (fallback ? fallback() : fromCache(request)).then(function (found) {
          if (found) return found;
          throw error;
        });
      });
    },
  };
};
