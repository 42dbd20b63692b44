// The service worker (issue 19), served at /sw.js so that it controls the whole app. The route
// puts two lines before this file: self.SNK_VERSION (a digest of this file and of the shell)
// and self.SNK_SHELL (the files of the shell and the offline page).
//
// - the shell (CSS, scripts, icons, the offline page) comes from a cache named after the
//   version; a new version installs a new cache and, once it takes over, deletes the old ones;
// - pages: the network first; the member's own diary pages (home, a month, the timeline, an
//   entry, the entry form) are kept as they are opened, to be shown when there is no network;
//   any other page then says it needs a connection (/offline);
// - entries written offline wait in IndexedDB (static/js/outbox.js) and are sent by a
//   Background Sync when the connection returns, or by the page on its next open.
/* global SNKOutbox */
"use strict";

importScripts("/static/js/outbox.js");

var VERSION = self.SNK_VERSION || "dev";
var SHELL = self.SNK_SHELL || [];
var SHELL_CACHE = "snk-shell-" + VERSION;
// Not versioned: a member offline when a new version takes over still has their pages. It holds
// one person's pages and is deleted when they log out (static/js/offline.js).
var PAGES_CACHE = "snk-pages";
var OFFLINE_URL = "/offline";
var KEPT_PAGES = /^\/$|^\/diary\/(\d{4}\/\d{1,2}|timeline|entries\/new|entries\/\d+(\/edit)?)?$/;
var NEVER = /^\/(sw\.js$|diary\/sync\/|diary\/evidence\/|logout|login)/;
var WARM_EVERY_MS = 60 * 1000;
var lastWarm = 0;

self.addEventListener("install", function (event) {
  event.waitUntil(
    caches.open(SHELL_CACHE).then(function (cache) {
      return cache.addAll(SHELL.map(function (url) { return new Request(url, { cache: "reload" }); }));
    })
  );
  // A first install takes over at once; an update waits until the member chooses to reload
  // (the page shows "Đã có phiên bản mới"), so a form being typed is not swapped underneath.
});

self.addEventListener("activate", function (event) {
  event.waitUntil(
    caches.keys().then(function (names) {
      return Promise.all(names.filter(function (name) {
        return name.indexOf("snk-shell-") === 0 && name !== SHELL_CACHE;
      }).map(function (name) { return caches.delete(name); }));
    }).then(function () { return self.clients.claim(); })
  );
});

function isHtml(response) {
  return (response.headers.get("Content-Type") || "").indexOf("text/html") === 0;
}

// A copy that can answer any navigation (a fetched response that followed a redirect cannot).
function plain(response) {
  return response.blob().then(function (blob) {
    return new Response(blob, { status: response.status, statusText: response.statusText, headers: response.headers });
  });
}

function keepable(url, response) {
  return response.ok && response.type === "basic" && isHtml(response)
    && KEPT_PAGES.test(url.pathname) && !url.searchParams.has("user_id");
}

// A kept page says it is one (<html data-offline-copy="1">), so the page shows "Đang ngoại tuyến"
// without asking the server.
function marked(response) {
  return response.text().then(function (html) {
    var headers = new Headers(response.headers);
    headers.delete("Content-Length");
    return new Response(html.replace("<html", '<html data-offline-copy="1"'), {
      status: response.status, statusText: response.statusText, headers: headers,
    });
  });
}

function cachedPage(url) {
  return caches.open(PAGES_CACHE).then(function (cache) {
    return cache.match(url.href).then(function (hit) {
      // The entry form answers for any ?date= or ?unit_id= it was opened with.
      if (!hit && url.pathname === "/diary/entries/new") return cache.match(url.href, { ignoreSearch: true });
      return hit;
    });
  }).then(function (hit) {
    return hit || caches.match(OFFLINE_URL);
  }).then(function (hit) {
    return hit ? marked(hit) : Response.error();
  });
}

function page(event) {
  var url = new URL(event.request.url);
  return fetch(event.request).then(function (response) {
    if (!response.redirected && keepable(url, response)) {
      var copy = response.clone();
      event.waitUntil(caches.open(PAGES_CACHE).then(function (cache) { return cache.put(url.href, copy); }));
    }
    return response;
  }).catch(function () {
    return cachedPage(url);
  });
}

// Shell files from the version's cache; other static files (a page's own stylesheet) are added
// to it the first time they are fetched, so a kept page looks the same offline.
function shellFile(event) {
  var request = event.request;
  return caches.open(SHELL_CACHE).then(function (cache) {
    return cache.match(request, { ignoreSearch: true }).then(function (hit) {
      if (hit) return hit;
      return fetch(request).then(function (response) {
        if (response.ok && response.type === "basic") {
          var copy = response.clone();
          event.waitUntil(cache.put(request, copy));
        }
        return response;
      });
    });
  });
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET") return;
  var url = new URL(request.url);
  if (url.origin !== self.location.origin || NEVER.test(url.pathname)) return;
  if (url.pathname.indexOf("/static/") === 0 || url.pathname === OFFLINE_URL) {
    event.respondWith(shellFile(event));
  } else if (request.mode === "navigate") {
    event.respondWith(page(event));
  }
});

// Keep the member's offline pages fresh: asked by each page (at most once a minute).
function warm() {
  if (Date.now() - lastWarm < WARM_EVERY_MS) return Promise.resolve(true);
  return fetch("/diary/sync/state", { credentials: "same-origin", headers: { Accept: "application/json" } })
    .then(function (response) {
      if (!response.ok || response.redirected) return false;
      return response.json().then(function (state) {
        return caches.open(PAGES_CACHE).then(function (cache) {
          return Promise.all(state.warm.map(function (path) {
            return fetch(path, { credentials: "same-origin" }).then(function (response) {
              if (!response.ok || !isHtml(response)) return null;
              return plain(response).then(function (copy) {
                return cache.put(new URL(path, self.location.origin).href, copy);
              });
            });
          }));
        }).then(function () { lastWarm = Date.now(); return true; });
      });
    })
    .catch(function () { return false; });
}

self.addEventListener("message", function (event) {
  var data = event.data || {};
  var reply = function (message) { if (event.source) event.source.postMessage(message); };
  if (data.type === "skip-waiting") {
    self.skipWaiting();
  } else if (data.type === "warm") {
    if (data.force) lastWarm = 0;
    event.waitUntil(warm().then(function (ok) { reply({ type: "warmed", ok: ok }); }));
  } else if (data.type === "forget-pages") {
    lastWarm = 0;
    event.waitUntil(caches.delete(PAGES_CACHE).then(function () { reply({ type: "pages-forgotten" }); }));
  }
});

self.addEventListener("sync", function (event) {
  if (event.tag !== SNKOutbox.TAG) return;
  event.waitUntil(SNKOutbox.flush().then(function (report) {
    // Still no connection: rejecting asks the browser to try again later.
    if (report.offline) throw new Error("offline");
  }));
});
