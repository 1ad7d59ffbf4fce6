/* The phone app's API calls and its outbox (ES2017, loaded before app.js): check-ins are queued in
   IndexedDB first and sent from the queue, each with its own client_id, so a retry never counts twice. */
'use strict';

var API = '/api/v1/field/';
var state = {me: null, households: null, flushing: false, noNetwork: false, opened: 0};

function $(id) { return document.getElementById(id); }
function esc(s) {
  return String(s == null ? '' : s).replace(/[&<>"']/g, function (c) {
    return {'&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;'}[c];
  });
}
function fmtTime(iso) {
  var d = new Date(iso);
  if (isNaN(d)) return esc(iso);
  function p(n) { return (n < 10 ? '0' : '') + n; }
  return d.getFullYear() + '-' + p(d.getMonth() + 1) + '-' + p(d.getDate()) + ' ' + p(d.getHours()) + ':' + p(d.getMinutes());
}
// a date or a time in HTML, never broken across lines ("2026-12-" above "07" on a 390 px phone)
function dayOf(text) { return '<span class="nowrap">' + esc(text) + '</span>'; }
function timeOf(iso) { return '<span class="nowrap">' + fmtTime(iso) + '</span>'; }
function yuan(v) { return v == null ? '-' : Math.round(v).toLocaleString('zh-CN') + ' 元'; }
function uuid4() { // crypto.randomUUID needs HTTPS and a 2021 browser; getRandomValues works everywhere
  var b = new Uint8Array(16);
  crypto.getRandomValues(b);
  b[6] = (b[6] & 15) | 64; b[8] = (b[8] & 63) | 128;
  var h = Array.prototype.map.call(b, function (x) { return (x + 256).toString(16).slice(1); }).join('');
  return h.slice(0, 8) + '-' + h.slice(8, 12) + '-' + h.slice(12, 16) + '-' + h.slice(16, 20) + '-' + h.slice(20);
}

/* ---------- IndexedDB: the outbox of check-ins not yet stored on the server ---------- */
var dbp = null;
function db() {
  if (!dbp) {
    dbp = new Promise(function (resolve, reject) {
      var req = indexedDB.open('field', 1);
      req.onupgradeneeded = function () { req.result.createObjectStore('outbox', {keyPath: 'client_id'}); };
      req.onsuccess = function () { resolve(req.result); };
      req.onerror = function () { reject(req.error); };
    });
  }
  return dbp;
}
function tx(mode, fn) {
  return db().then(function (d) {
    return new Promise(function (resolve, reject) {
      var t = d.transaction('outbox', mode), store = t.objectStore('outbox'), out = fn(store);
      t.oncomplete = function () { resolve(out && out.result !== undefined ? out.result : undefined); };
      t.onerror = function () { reject(t.error); };
    });
  });
}
function outboxAll() { return tx('readonly', function (s) { return s.getAll(); }).then(function (r) { return r || []; }); }
function outboxPut(item) { return tx('readwrite', function (s) { s.put(item); }); }
function outboxDelete(id) { return tx('readwrite', function (s) { s['delete'](id); }); }

/* ---------- API ---------- */
function api(path, opts) {
  opts = opts || {};
  opts.credentials = 'same-origin';
  opts.headers = opts.headers || {};
  if (opts.body) opts.headers['Content-Type'] = 'application/json';
  return fetch(API + path, opts).then(function (r) {
    noNetwork(r.headers.get('X-Field-Offline') === '1'); // the worker's cache answered: no network
    return r.text().then(function (t) {
      var data = null;
      try { data = t ? JSON.parse(t) : null; } catch (e) { data = null; }
      return {status: r.status, data: data};
    });
  }, function () {
    // No answer at all (no network, or the API down). The browser's TypeError says "Failed to fetch" in its own
    // language: reject with no message, so each form shows its own Chinese words (没有网络: 指令未下达, ...).
    noNetwork(true);
    throw {status: 0, network: true};
  });
}
function noNetwork(yes) {
  state.noNetwork = yes;
  if (typeof netBadge === 'function') netBadge();
}
function detail(res) {
  if (res.data && typeof res.data.detail === 'string') return res.data.detail;
  return '服务器返回错误 ' + res.status;
}

/* ---------- the outbox: show it, send it ---------- */
function showQueue() {
  return outboxAll().then(function (items) {
    var waiting = items.filter(function (i) { return !i.error; }), refused = items.filter(function (i) { return i.error; });
    var el = $('queue');
    if (!items.length) { el.hidden = true; el.textContent = ''; return items; }
    el.hidden = false;
    var html = '';
    if (waiting.length) html += '待发送 ' + waiting.length + ' 条签到 (有网络时自动发送)';
    if (refused.length) html += (html ? '; ' : '') + '<span class="warn">' + refused.length + ' 条被拒绝, 见“我的签到”</span>';
    el.innerHTML = html;
    return items;
  });
}

function flush() {
  if (state.flushing) return Promise.resolve();
  state.flushing = true;
  return outboxAll().then(function (items) {
    items.sort(function (a, b) { return a.queued_at < b.queued_at ? -1 : 1; });
    var chain = Promise.resolve(true);
    items.forEach(function (item) {
      if (item.error) return;
      chain = chain.then(function (go) {
        if (!go) return false;
        return api('checkins', {method: 'POST', body: JSON.stringify(item.body)}).then(function (res) {
          if (res.status === 200 || res.status === 201) {
            state.lastResult = {item: item, record: res.data};
            return outboxDelete(item.client_id).then(function () { return true; });
          }
          if (res.status === 401) { return false; }
          if (res.status >= 400 && res.status < 500 && res.status !== 408 && res.status !== 429) {
            item.error = detail(res); // refused for good: kept to show why, never resent
            return outboxPut(item).then(function () { return true; });
          }
          return false; // 5xx, 429: the server will take it later
        }, function () { return false; }); // no network
      });
    });
    return chain;
  }).then(function () { state.flushing = false; return showQueue(); },
    function () { state.flushing = false; });
}

