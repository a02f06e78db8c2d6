// Keeps the visitor's round and check-in forms usable with no network: pages are fetched from
// the network first and the last good copy is kept, for the static files as for the pages.
"use strict";

var PAGES = "visitor-pages";
var STATIC = "visitor-static-v3";
var STATIC_FILES = ["/static/app.css", "/static/app.js", "/static/outbox.js",
                    "/static/visitor.js"];

self.addEventListener("install", function (event) {
  event.waitUntil(caches.open(STATIC).then(function (cache) {
    return cache.addAll(STATIC_FILES);
  }).then(function () { return self.skipWaiting(); }));
});

self.addEventListener("activate", function (event) {
  // Older versions' static caches hold files this version no longer serves from them.
  event.waitUntil(caches.keys().then(function (names) {
    return Promise.all(names.filter(function (name) {
      return name.indexOf("visitor-static-") === 0 && name !== STATIC;
    }).map(function (name) { return caches.delete(name); }));
  }).then(function () { return self.clients.claim(); }));
});

function fromCache(request, cacheName) {
  return caches.open(cacheName).then(function (cache) {
    // Pages vary by cookie, and the session cookie is re-issued as the visitor goes.
    return cache.match(request, { ignoreSearch: true, ignoreVary: true });
  });
}

function networkFirst(request, cacheName) {
  if (!self.navigator.onLine) {
    // Known to be offline: answer from the cache at once instead of waiting for a failure.
    return fromCache(request, cacheName).then(function (found) {
      return found || fetch(request);
    });
  }
  return fetch(request).then(function (response) {
    // Only a real page of the round is kept, never a login page reached by a redirect.
    if (response.ok && !response.redirected) {
      var copy = response.clone();
      var started = generation;
      caches.open(cacheName).then(function (cache) {
        return started === generation ? cache.put(request, copy) : null;
      });
    }
    return response;
  }).catch(function () {
    return fromCache(request, cacheName).then(function (found) {
      return found || new Response("<!doctype html><title>Offline</title><p>You are offline " +
        "and this page was not saved on the phone. Go back to the round.</p>",
        { status: 200, headers: { "Content-Type": "text/html; charset=utf-8" } });
    });
  });
}

// Counts the logouts: forms being kept when the visitor logs out must not be kept after it.
var generation = 0;

function keep(cache, url, started) {
  return fetch(new Request(url, { credentials: "same-origin" })).then(function (response) {
    // A page for the round only: a redirect (to the login page) is not kept, nor anything
    // that arrives after a logout.
    if (!response.ok || response.redirected || started !== generation) { return null; }
    return cache.put(url, response);
  });
}

// The round's page asks for the day's forms to be kept. One at a time: each is a small request,
// and a burst would compete with the visitor's own taps for the database. Pages already kept are
// left alone: each page served is refreshed by networkFirst. Logging out asks for them all to
// be forgotten (outbox.js).
self.addEventListener("message", function (event) {
  if (event.data && event.data.forget) {
    generation += 1;
    event.waitUntil(caches["delete"](PAGES));
    return;
  }
  var urls = event.data && event.data.keep;
  if (!Array.isArray(urls)) { return; }
  var started = generation;
  event.waitUntil(caches.open(PAGES).then(function (cache) {
    return urls.reduce(function (chain, url) {
      return chain.then(function () {
        if (started !== generation) { return null; }
        return cache.match(url, { ignoreVary: true }).then(function (kept) {
          return kept ? null : keep(cache, url, started);
        });
      }).catch(function () { return null; });
    }, Promise.resolve());
  }));
});

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET") { return; }  // visits are queued by the page, not here
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) { return; }
  if (request.mode === "navigate" && url.pathname.indexOf("/round/") === 0) {
    event.respondWith(networkFirst(request, PAGES));
  } else if (STATIC_FILES.indexOf(url.pathname) >= 0) {
    event.respondWith(networkFirst(request, STATIC));
  }
});
