/* The cadres' phone app: the pages (ES2017, no framework; outbox.js first). A client of API v1
   (/api/v1/field/...): the device cookie authenticates, the server masks. */
'use strict';

var MAX_ORIGINAL = 15 * 1024 * 1024; // a phone camera's photo is 2-8 MB; larger is not a photo to send
var MAX_SIDE = 1600;
var TARGET_BYTES = 400 * 1024;

/* ---------- pages ---------- */
function render(html) { $('view').innerHTML = html; window.scrollTo(0, 0); }
// Which page is on screen: route() counts each opening, and a page whose data arrives after the user has
// gone on draws nothing (the households' list arriving late drew over 我的签到).
function stillOn(opened) { return opened === state.opened; }
function setTab(name) {
  Array.prototype.forEach.call(document.querySelectorAll('nav a'), function (a) {
    a.className = a.getAttribute('data-tab') === name ? 'on' : '';
  });
}

function pageNotEnrolled(why) {
  // a revoked (lost) phone keeps none of its households' records
  state.households = null;
  if (window.caches) caches['delete']('field-data-v1')['catch'](function () {});
  $('tabs').hidden = true;
  $('title').textContent = '帮扶干部';
  render('<div class="msg err">' + esc(why || '本机尚未绑定。') + '</div>' +
    '<p>请用管理员发给您的<b>邀请链接</b>打开本页 (或扫描邀请二维码)。每个链接只能绑定一部手机, 72 小时内有效。</p>');
}

function loadHouseholds() {
  return api('households').then(function (res) {
    if (res.status === 200) { state.households = res.data; return res.data; }
    throw res;
  });
}

function pageHome() {
  setTab('home');
  if (state.me && state.me.role !== 'cadre') { pageLeader(); return; }
  var queued = {}; // household id → check-ins waiting on this phone: a visit made offline shows on its card
  var opened = state.opened;
  var draw = function (data) {
    if (!stillOn(opened)) return;
    var items = data.items;
    if (!items.length) { render('<p>您当前没有在册的结对帮扶户。</p>'); return; }
    render('<h2>我的帮扶户 (' + items.length + ' 户)</h2>' +
      (state.noNetwork && data.as_of ? '<p class="muted">现在没有网络: 以下为 ' + timeOf(data.as_of) + ' 联网时的数据。</p>' : '') + items.map(function (h) {
      return '<a class="card" href="#/h/' + h.id + '"><div class="head">' + esc(h.head_name) + '</div>' +
        '<div class="muted">' + esc(h.village) + ' · ' + esc(h.status || '') + ' · ' + esc(h.cause) + '</div>' +
        '<div>上次走访: ' + (h.last_visit ? timeOf(h.last_visit) : '无') + '</div>' +
        (queued[h.id] ? '<div class="warn">本机待发送签到 ' + queued[h.id] + ' 次</div>' : '') +
        (h.gaps && h.gaps.length ? '<div class="warn">' + h.gaps.map(esc).join('; ') + '</div>' : '') + '</a>';
    }).join(''));
  };
  var fail = function (res) {
    if (res && res.status === 401) return pageNotEnrolled(detail(res));
    if (!stillOn(opened)) return;
    if (!state.households) render('<div class="msg err">无法加载帮扶户: ' + esc(res && res.status ? detail(res) : '没有网络, 且本机还没有缓存') + '</div>');
  };
  outboxAll().then(function (items) {
    items.forEach(function (i) { if (!i.error && i.body) queued[i.body.household_id] = (queued[i.body.household_id] || 0) + 1; });
  }, function () {}).then(function () {
    if (state.households) draw(state.households);
    loadHouseholds().then(draw, fail);
  });
}

function pct(v) { return v == null ? '-' : v.toFixed(1) + '%'; }
function pageLeader() {
  var opened = state.opened;
  render('<h2>' + esc(state.me.region || state.me.region_code) + '</h2><p class="muted">正在加载本月走访…</p>');
  api('overview').then(function (res) {
    if (!stillOn(opened)) return;
    if (res.status !== 200) { render('<div class="msg err">' + esc(detail(res)) + '</div>'); return; }
    var d = res.data, t = d.total;
    render('<h2>' + esc(state.me.region || d.region) + ' · ' + esc(d.month) + ' 走访</h2>' +
      '<p>应走访 <b>' + t.targets + '</b> 户, 已走访 <b>' + t.visited + '</b> 户, 走访率 <b>' + pct(t.visit_rate) + '</b>; <span class="nowrap">签到 ' + t.checkins + ' 次</span> <span class="nowrap">(有效 ' + t.effective_checkins + ')</span></p>' +
      (d.children.length ? '<table><tr><th>地区</th><th>走访率</th><th>签到</th></tr>' + d.children.map(function (c) {
        return '<tr><td>' + esc(c.name || c.code) + '</td><td>' + pct(c.visit_rate) + '</td><td>' + c.checkins + '</td></tr>';
      }).join('') + '</table>' : ''));
  }, function () { render('<div class="msg err">没有网络: 暂时无法查看</div>'); });
}

function findHousehold(id) {
  var items = (state.households && state.households.items) || [];
  for (var i = 0; i < items.length; i++) if (String(items[i].id) === String(id)) return items[i];
  return null;
}

function withHousehold(id, fn) {
  var h = findHousehold(id);
  if (h) return fn(h);
  loadHouseholds().then(function () {
    var again = findHousehold(id);
    if (again) fn(again); else render('<div class="msg err">该户不是您的结对帮扶户。</div><a class="btn alt" href="#/">返回</a>');
  }, function (res) { render('<div class="msg err">' + esc(res && res.status ? detail(res) : '没有网络') + '</div>'); });
}

function pageHousehold(id) {
  setTab('home');
  withHousehold(id, function (h) {
    var inc = h.income || {}, names = {wage: '工资性', business: '生产经营性', transfer: '转移性', property: '财产性'};
    var incomeRows = Object.keys(names).map(function (k) {
      return '<tr><td>' + names[k] + '收入</td><td>' + yuan(inc[k]) + '</td></tr>';
    }).join('');
    var pc = h.per_capita_net_income, line = h.line;
    var geo = 'geo:' + h.lat + ',' + h.lon + '?q=' + h.lat + ',' + h.lon + '(' + encodeURIComponent(h.head_name + '家') + ')';
    var amap = 'https://uri.amap.com/marker?position=' + h.lon + ',' + h.lat + '&coordinate=wgs84&name=' + encodeURIComponent(h.head_name + '家');
    render('<h2>' + esc(h.head_name) + ' 户</h2>' +
      '<p class="muted">' + esc(h.village) + ' · 户编号 ' + esc(h.household_number) + ' · ' + esc(h.status || '') + '</p>' +
      '<a class="btn" href="#/checkin/' + h.id + '">签到</a>' +
      '<div class="row fit">' + (h.phone ? '<a class="btn alt" href="tel:' + esc(h.phone) + '">拨打 ' + esc(h.phone) + '</a>' : '') +
      '<a class="btn alt" href="' + esc(geo) + '">导航到家</a></div>' +
      '<p class="muted">位置 ' + h.lat.toFixed(5) + ', ' + h.lon.toFixed(5) + ' (WGS-84) · <a href="' + esc(amap) + '">在高德地图中打开</a></p>' +
      '<h2>致贫原因 / 脱贫路径</h2><p>' + esc(h.cause) + ' / ' + esc(h.exit_path || '未填写') + '</p>' +
      '<h2>两不愁三保障</h2>' + (h.gaps && h.gaps.length ? '<p class="warn">' + h.gaps.map(esc).join('<br>') + '</p>' : '<p class="ok">均已保障</p>') +
      '<h2>' + esc(h.year || '') + ' 年收入</h2><table>' + incomeRows +
      '<tr><th>人均纯收入</th><th>' + yuan(pc) + '</th></tr>' +
      '<tr><td>当年贫困线</td><td>' + yuan(line) + (pc != null && line != null ? (pc >= line ? ' <span class="ok">已超过</span>' : ' <span class="warn">未达到</span>') : '') + '</td></tr></table>' +
      '<h2>家庭成员 (' + h.members.length + ' 人)</h2><table>' + h.members.map(function (m) {
        return '<tr><td>' + esc(m.name) + '</td><td>' + esc(m.relation) + '</td><td>' + esc(m.health) + '</td><td>' + esc(m.id_number) + '</td></tr>';
      }).join('') + '</table>' +
      '<p>上次走访: ' + (h.last_visit ? fmtTime(h.last_visit) : '无') + '</p>');
  });
}

function locate() {
  return new Promise(function (resolve, reject) {
    if (!navigator.geolocation) { reject({code: 0}); return; }
    navigator.geolocation.getCurrentPosition(resolve, reject, {enableHighAccuracy: true, timeout: 20000, maximumAge: 30000});
  });
}
var LOCATION_REFUSED = '无法签到: 没有定位权限。签到必须有位置。请允许定位: 在手机“设置 → 隐私 → 定位服务”中打开定位, ' +
  '并允许微信或浏览器使用位置; 在微信中可点右上角“…”重新打开本页后选择“允许”。然后再点“签到”。';

function loadImage(file) {
  return new Promise(function (resolve, reject) {
    var url = URL.createObjectURL(file), img = new Image();
    img.onload = function () { resolve({img: img, url: url}); };
    img.onerror = function () { URL.revokeObjectURL(url); reject(new Error('decode')); };
    img.src = url;
  });
}
function shrink(file, index) { // → a JPEG data URL, ≤ 1600 px, aiming at ≤ 400 KB
  var which = '第 ' + (index + 1) + ' 张照片';
  if (file.size > MAX_ORIGINAL) {
    return Promise.reject(new Error(which + '过大 (' + (file.size / 1048576).toFixed(1) + ' MB): 请选择 ' + (MAX_ORIGINAL / 1048576) + ' MB 以内的照片, 或直接用相机拍照'));
  }
  return loadImage(file).then(function (o) {
    var w = o.img.naturalWidth, h = o.img.naturalHeight, k = Math.min(1, MAX_SIDE / Math.max(w, h));
    var c = document.createElement('canvas');
    c.width = Math.max(1, Math.round(w * k)); c.height = Math.max(1, Math.round(h * k));
    c.getContext('2d').drawImage(o.img, 0, 0, c.width, c.height);
    URL.revokeObjectURL(o.url);
    var q = 0.82, data = c.toDataURL('image/jpeg', q);
    while (data.length * 0.75 > TARGET_BYTES && q > 0.4) { q -= 0.12; data = c.toDataURL('image/jpeg', q); }
    return data;
  }, function () { throw new Error(which + '不是图片 (无法识别): 请选择相机拍摄的 JPEG 或 PNG 照片'); });
}

function pageCheckin(id) {
  setTab('home');
  withHousehold(id, function (h) {
    render('<h2>签到: ' + esc(h.head_name) + ' 户</h2><p class="muted">' + esc(h.village) + '</p>' +
      '<div id="cmsg"></div>' +
      '<label for="note">工作纪要</label><textarea id="note" maxlength="2000" placeholder="如: 了解家庭收入, 宣讲政策"></textarea>' +
      '<label>照片 (0-3 张)</label><label class="btn alt" for="photos" id="pick">拍照或选择照片</label>' +
      '<input id="photos" class="file" type="file" accept="image/*" capture="environment" multiple>' +
      '<button class="btn" id="go">获取位置并签到</button><a class="btn alt" href="#/h/' + h.id + '">返回</a>');
    $('go').onclick = function () { submitCheckin(h); };
    $('photos').onchange = function () {
      var n = $('photos').files.length;
      $('pick').textContent = n ? '已选 ' + n + ' 张照片 (点此重选)' : '拍照或选择照片';
    };
  });
}

// The message sits above the form: a thumb at the form's foot (下达, 提交) would not see it, so it is brought on screen.
function say(kind, html) {
  var el = $('cmsg');
  el.innerHTML = '<div class="msg ' + kind + '">' + html + '</div>';
  if (el.scrollIntoView) el.scrollIntoView({block: 'center'});
}

function submitCheckin(h) {
  var btn = $('go'), files = Array.prototype.slice.call($('photos').files || []);
  if (files.length > 3) { say('err', '照片最多 3 张'); return; }
  btn.disabled = true; btn.textContent = '正在定位…';
  var at = new Date();
  var photos;
  Promise.all(files.map(shrink)).then(function (p) {
    photos = p;
    return locate().then(null, function (e) {
      throw new Error(e && e.code === 1 ? LOCATION_REFUSED :
        '无法获取位置 (' + (e && e.code === 3 ? '定位超时' : '定位失败') + '): 请到开阔处、打开 GPS 后再试。签到必须有位置。');
    });
  }).then(function (pos) {
    var item = {client_id: uuid4(), queued_at: at.toISOString(), head_name: h.head_name, village: h.village,
      body: {client_id: null, household_id: h.id, at: at.toISOString(), note: $('note').value || null,
        point: {lon: pos.coords.longitude, lat: pos.coords.latitude, crs: 'WGS-84'},
        accuracy_m: pos.coords.accuracy, photos: photos}};
    item.body.client_id = item.client_id;
    return outboxPut(item).then(function () { return item; });
  }).then(function (item) {
    btn.textContent = '正在发送…';
    return flush().then(function () { return outboxAll(); }).then(function (left) {
      var still = left.filter(function (i) { return i.client_id === item.client_id; })[0];
      btn.disabled = false; btn.textContent = '获取位置并签到';
      if (!still || !still.error) { // taken (or kept to send): the form starts afresh, no double tap
        $('note').value = ''; $('photos').value = ''; $('pick').textContent = '拍照或选择照片';
      }
      if (!still) {
        var r = state.lastResult && state.lastResult.record;
        var ok = r && r.effective;
        say(ok && r.photo_check !== 'bad' ? 'info' : 'err', (ok ? '签到成功 (有效走访)' : '签到已记录, 但<b>超距</b> (不计为有效走访)') +
          (r ? ': 距该户 ' + Math.round(r.distance_m) + ' 米 (有效范围 ' + Math.round(r.effective_m) + ' 米), 定位精度 ' + Math.round(r.accuracy_m || 0) + ' 米' : '') +
          (r && r.photo_check === 'pending' ? '。照片核验中, 结果见“我的签到”' : '') +
          (r && r.photo_check === 'bad' ? '。<br>照片未通过核验：' + esc(r.photo_problem || '照片无法识别') + '。请重新拍照补签' : ''));
      } else if (still.error) {
        say('err', '签到未被接受: ' + esc(still.error));
      } else {
        say('info', '现在没有网络: 签到已保存在本机 (' + timeOf(item.queued_at) + '), 有网络时自动发送。');
      }
      state.households = null;
    });
  })['catch'](function (e) {
    btn.disabled = false; btn.textContent = '获取位置并签到';
    say('err', esc(e && e.message ? e.message : '签到失败'));
  });
}

function pageMine() {
  setTab('mine');
  var opened = state.opened;
  Promise.all([outboxAll(), api('checkins').then(null, function () { return null; })]).then(function (r) {
    if (!stillOn(opened)) return;
    var local = r[0], res = r[1], html = '';
    if (local.length) {
      html += '<h2>本机待发送 / 被拒绝 (' + local.length + ')</h2>' + local.map(function (i) {
        return '<div class="card"><div class="head">' + timeOf(i.queued_at) + ' · ' + esc(i.head_name) + '</div>' +
          '<div class="muted">' + esc(i.village || '') + (i.body && i.body.note ? ' · ' + esc(i.body.note) : '') + '</div>' +
          (i.error ? '<div class="warn">被拒绝: ' + esc(i.error) + '</div><button class="btn alt" data-drop="' + esc(i.client_id) + '">删除</button>'
            : '<div>等待网络, 将自动发送</div>') + '</div>';
      }).join('');
    }
    if (!res || res.status !== 200) {
      html += '<div class="msg err">' + (res ? esc(detail(res)) : '没有网络: 暂时无法查看已入库的签到') + '</div>';
      render(html); bindDrops(); return;
    }
    var months = {}, order = [];
    res.data.items.forEach(function (c) {
      var m = fmtTime(c.at).slice(0, 7);
      if (!months[m]) { months[m] = []; order.push(m); }
      months[m].push(c);
    });
    if (state.noNetwork) html += '<p class="muted">现在没有网络: 以下已入库的签到是上次联网时的记录。</p>';
    html += order.length ? '' : '<p>还没有签到记录。</p>';
    order.forEach(function (m) {
      html += '<h2>' + m.slice(0, 4) + ' 年 ' + Number(m.slice(5)) + ' 月 (' + months[m].length + ' 次)</h2>' + months[m].map(function (c) {
        return '<div class="card"><div class="head">' + fmtTime(c.at) + ' · ' + esc(c.head_name) + '</div>' +
          '<div class="muted">' + esc(c.village) + ' · ' + (c.effective ? '<span class="ok">有效</span>' : '<span class="warn">超距</span>') +
          ' · 距该户 ' + Math.round(c.distance_m || 0) + ' 米</div>' + (c.note ? '<div>' + esc(c.note) + '</div>' : '') +
          (c.photos.length ? '<div class="thumbs">' + c.photos.map(function (p) { return '<img loading="lazy" alt="签到照片" src="' + API + esc(p) + '">'; }).join('') + '</div>' : '') +
          photoVerdict(c) + '</div>';
      }).join('');
    });
    render(html); bindDrops();
  });
}
// The server checks a check-in's photos after it answers: pending, then ok (nothing to say) or bad with the
// problem in Chinese. The check-in itself stands; a bad photo is made good by a new visit with new photos.
function photoVerdict(c) {
  if (c.photo_check === 'pending') return '<div class="muted">照片核验中, 稍后刷新本页查看结果</div>';
  if (c.photo_check !== 'bad') return '';
  return '<div class="warn">照片未通过核验：' + esc(c.photo_problem || '照片无法识别') + '</div>' +
    '<div>请重新拍照补签 (本次签到仍保留)。</div>' +
    '<a class="btn alt" href="#/checkin/' + esc(c.household_id) + '">重新拍照补签</a>';
}
function bindDrops() {
  Array.prototype.forEach.call(document.querySelectorAll('[data-drop]'), function (b) {
    b.onclick = function () { outboxDelete(b.getAttribute('data-drop')).then(showQueue).then(pageMine); };
  });
}

/* ---------- pages and tabs of other files ---------- */
// Each feature's file (loaded after this one, see index.html) adds its pages and tabs here, so the
// features do not share one router. A page's pattern is matched against the hash without '#'; its
// function gets the pattern's groups. A tab shows for the roles it names ('cadre', 'leader').
var PAGES = [];
var TABS = [
  {name: 'home', label: '帮扶户', href: '#/', roles: ['cadre'], order: 10},
  {name: 'mine', label: '我的签到', href: '#/mine', roles: ['cadre'], order: 20}
];
function addPage(pattern, fn) { PAGES.push({pattern: pattern, fn: fn}); }
function addTab(tab) { TABS.push(tab); }

function drawTabs() {
  var role = state.me && state.me.role;
  var mine = TABS.filter(function (t) { return t.roles.indexOf(role) >= 0; })
    .sort(function (a, b) { return a.order - b.order; });
  $('tabs').innerHTML = mine.map(function (t) {
    return '<a href="' + esc(t.href) + '" data-tab="' + esc(t.name) + '">' + esc(t.label) + '</a>';
  }).join('');
  $('tabs').hidden = mine.length < 2; // one page needs no tab bar
}

/* ---------- start ---------- */
function route() {
  var h = location.hash.replace(/^#/, '');
  var m;
  if (!state.me) return;
  state.opened = (state.opened || 0) + 1;
  for (var i = 0; i < PAGES.length; i++) {
    if ((m = PAGES[i].pattern.exec(h))) { PAGES[i].fn.apply(null, m.slice(1)); return; }
  }
  pageHome();
}
addPage(/^\/h\/(\d+)$/, pageHousehold);
addPage(/^\/checkin\/(\d+)$/, pageCheckin);
addPage(/^\/mine$/, pageMine);

function netBadge() { // the browser says offline, or the last request found no network (weak signal)
  var off = !navigator.onLine || state.noNetwork, el = $('net');
  el.textContent = off ? '离线' : '';
  el.className = off ? 'net off' : 'net';
}

function start() {
  netBadge();
  var invite = /^#invite=([A-Za-z0-9_-]{8,128})$/.exec(location.hash);
  var ready = invite ? api('enrol', {method: 'POST', body: JSON.stringify({invite: invite[1]})}).then(function (res) {
    history.replaceState(null, '', location.pathname + '#/');
    if (res.status !== 200) throw {enrol: detail(res)};
  }) : Promise.resolve();
  ready.then(function () { return api('me'); }).then(function (res) {
    if (res.status === 200) {
      state.me = res.data;
      try { localStorage.setItem('me', JSON.stringify(res.data)); } catch (e) { /* private mode */ }
    } else if (res.status === 401 || res.status === 403) {
      try { localStorage.removeItem('me'); } catch (e) { /* ignore */ }
      throw {enrol: detail(res)};
    } else throw res;
  }).then(null, function (e) {
    if (e && e.enrol) { state.me = null; pageNotEnrolled(e.enrol); return; }
    var cached = null; // offline: who this phone is, as last seen
    try { cached = JSON.parse(localStorage.getItem('me')); } catch (x) { cached = null; }
    if (cached) state.me = cached; else pageNotEnrolled('没有网络, 且本机尚未绑定。');
  }).then(function () {
    if (!state.me) return;
    $('title').textContent = (state.me.name ? state.me.name + ' · ' : '') + state.me.role_zh;
    drawTabs();
    route();
    showQueue();
    flush();
  });
}

window.addEventListener('hashchange', function () { if (/^#invite=/.test(location.hash)) start(); else route(); });
window.addEventListener('online', function () { state.noNetwork = false; netBadge(); flush(); });
window.addEventListener('offline', netBadge);
setInterval(function () { // while a request found no network, a small one asks whether it is back
  if (!navigator.onLine) return;
  if (state.noNetwork) api('me').then(flush, function () {}); else flush();
}, 30000);
if ('serviceWorker' in navigator) navigator.serviceWorker.register('sw.js', {scope: '/m/'})['catch'](function () { /* http: no worker */ });
// after every deferred script has run: the feature files have added their pages and tabs by then
document.addEventListener('DOMContentLoaded', start);
