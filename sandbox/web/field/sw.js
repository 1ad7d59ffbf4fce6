/* Service worker: the app shell and the GETs the app makes (the field API, and the command loop's 待办,
   通知 and 督查 routes it reads with the same cookie) are kept for use without signal.
   Shell: served from the cache, refreshed behind. API GETs: network first, the cache when offline
   (marked X-Field-Offline).
   Check-ins (POST) are never touched here: the page queues them in IndexedDB and sends them itself. */
'use strict';
var SHELL = 'field-shell-v4', DATA = 'field-data-v1';
var FILES = ['/m/', '/m/outbox.js', '/m/app.js', '/m/app.css',
  '/m/instructions.js', '/m/inspect.js'];

// What the pages read (api() in outbox.js; instructions.js and inspect.js go one level up from /field/).
var READS = ['/api/v1/field/', '/api/v1/instructions', '/api/v1/notices', '/api/v1/inspections/'];

// A cached answer given for want of a network says so: the page shows 离线 even where the phone
// believes it is online (a mast in sight but no data), and when the answer was fresh.
function stale(hit) {
  var headers = new Headers(hit.headers);
  headers.set('X-Field-Offline', '1');
  return hit.blob().then(function (body) { return new Response(body, {status: hit.status, headers: headers}); });
}

self.addEventListener('install', function (e) {
  e.waitUntil(caches.open(SHELL).then(function (c) { return c.addAll(FILES); }).then(function () { return self.skipWaiting(); }));
});
self.addEventListener('activate', function (e) {
  e.waitUntil(caches.keys().then(function (keys) {
    return Promise.all(keys.filter(function (k) { return k !== SHELL && k !== DATA; }).map(function (k) { return caches['delete'](k); }));
  }).then(function () { return self.clients.claim(); }));
});
self.addEventListener('fetch', function (e) {
  var req = e.request, url = new URL(req.url);
  if (req.method !== 'GET' || url.origin !== location.origin) return;
  if (READS.some(function (p) { return url.pathname.indexOf(p) === 0; })) {
    e.respondWith(fetch(req).then(function (r) {
      if (r.ok) { var copy = r.clone(); caches.open(DATA).then(function (c) { c.put(req, copy); }); }
      return r;
    }, function () {
      return caches.match(req).then(function (hit) {
        if (hit) return stale(hit);
        return new Response(JSON.stringify({detail: '没有网络, 本机也没有缓存'}), {status: 503, headers: {'Content-Type': 'application/json'}});
      });
    }));
    return;
  }
  if (url.pathname.indexOf('/m/') === 0) {
    var key = url.pathname === '/m/' || url.pathname === '/m/index.html' ? '/m/' : url.pathname;
    e.respondWith(caches.open(SHELL).then(function (c) {
      return c.match(key).then(function (hit) {
        var fresh = fetch(req).then(function (r) { if (r.ok) c.put(key, r.clone()); return r; });
        if (hit) { fresh['catch'](function () {}); return hit; }
        return fresh;
      });
    }));
  }
});
