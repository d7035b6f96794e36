// The gate page's service worker (issue 15, docs/offline.md). Served at
// /passes/gate-sw.js so that its scope is /passes/ and covers the gate pages.
//
// The gate page puts its own shell (the page, its scripts and styles, the manifest) into
// the cache on every load online (gate-offline.js); here those answers are given back
// when the network or the server does not answer. Everything else goes to the network
// untouched: the API's answers are never cached.
"use strict";

importScripts("/static/core/offline-sw.js");

var CACHE_NAME = "fangyi-gate-v1";
var GATE_PAGE = /^\/passes\/gates\/\d+\/$/;
var CHECK_POST = /^(\/passes\/gates\/\d+\/)check\/$/;
var worker = self.fangyiOfflineWorker(CACHE_NAME, "fangyi-gate");

// The start URL (/passes/) offline: the gate page last kept, if any.
function lastGatePage() {
  return caches.open(CACHE_NAME).then(function (cache) {
    return cache.keys().then(function (requests) {
      var pages = requests.filter(function (r) { return GATE_PAGE.test(new URL(r.url).pathname); });
      return pages.length ? Response.redirect(pages[pages.length - 1].url, 302) : undefined;
    });
  });
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) return;

  // A check posted while the server does not answer: back to the gate page with what was
  // typed in the fragment, where the page checks it offline.
  var check = request.method === "POST" && request.mode === "navigate" && CHECK_POST.exec(url.pathname);
  if (check) {
    var copy = request.clone();
    event.respondWith(fetch(request).catch(function () {
      return copy.formData().then(function (data) {
        var values = new URLSearchParams();
        ["token", "code", "temperature"].forEach(function (name) { values.set(name, data.get(name) || ""); });
        return Response.redirect(url.origin + check[1] + "#offline-check&" + values.toString(), 303);
      });
    }));
    return;
  }
  if (request.method !== "GET") return;
  var shell = GATE_PAGE.test(url.pathname) || url.pathname.indexOf("/static/") === 0;
  var start = url.pathname === "/passes/" && request.mode === "navigate";
  if (!shell && !start) return;
  event.respondWith(worker.networkFirst(request, start ? lastGatePage : null));
});
