// The screening team page's service worker (issue 15, docs/offline.md). Served at
// /screening/sw.js so that its scope is /screening/ and covers the team pages.
//
// The team page puts its own shell (the page, its scripts and styles) into the cache on
// every load online (team-offline.js); here those answers are given back when the network
// or the server does not answer. The API's answers are never cached.
"use strict";

importScripts("/static/core/offline-sw.js");

var TEAM_PAGE = /^\/screening\/teams\/\d+\/$/;
var worker = self.fangyiOfflineWorker("fangyi-screening-v1", "fangyi-screening");

self.addEventListener("fetch", function (event) {
  var request = event.request;
  var url = new URL(request.url);
  if (url.origin !== self.location.origin || request.method !== "GET") return;
  if (!TEAM_PAGE.test(url.pathname) && url.pathname.indexOf("/static/") !== 0) return;
  event.respondWith(worker.networkFirst(request));
});
