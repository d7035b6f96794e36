// The screening team page's service worker (issue 15, docs/offline.md). Served at
// /screening/sw.js so that its scope is /screening/ and covers the team pages.
//
// The team page puts its own shell (the page, its scripts and styles) into the cache on
// every load online (team-offline.js); here those answers are given back when the network
// or the server does not answer. The API's answers are never cached.
"use strict";

var CACHE_NAME = "fangyi-screening-v1";
var TEAM_PAGE = /^\/screening\/teams\/\d+\/$/;

self.addEventListener("install", function () { self.skipWaiting(); });

self.addEventListener("activate", function (event) {
  event.waitUntil(
    caches.keys().then(function (names) {
      return Promise.all(names.filter(function (name) {
        return name.indexOf("fangyi-screening") === 0 && name !== CACHE_NAME;
      }).map(function (name) { return caches.delete(name); }));
    }).then(function () { return self.clients.claim(); })
  );
});

self.addEventListener("fetch", function (event) {
  var request = event.request;
  var url = new URL(request.url);
  if (url.origin !== self.location.origin || request.method !== "GET") return;
  if (!TEAM_PAGE.test(url.pathname) && url.pathname.indexOf("/static/") !== 0) return;
  event.respondWith(fetch(request).catch(function (error) {
    return caches.open(CACHE_NAME).then(function (cache) {
      return cache.match(request, { ignoreSearch: true, ignoreVary: true });
    }).then(function (found) {
      if (found) return found;
      throw error;
    });
  }));
});
