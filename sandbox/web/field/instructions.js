/* 指令/批示 and 通知公告 on the phone (issue 16): the cadre's 待办 (overdue first; confirm, feed back with
   note and photos), the leader's instructions (issue, follow each recipient, close or send back), notices
   (unread first; opening one marks it read; leaders see the read rate per town). ES2017, after app.js. */
'use strict';

var CMD = '../'; // api() works under /api/v1/field/: the command loop's routes are one level up
var PRIO_CLASS = {normal: '', urgent: 'warn', critical: 'warn'};

function cmdError(res) { render('<div class="msg err">' + esc(res && res.status ? detail(res) : '没有网络: 暂时无法查看') + '</div>'); }
// a day in HTML, never broken across lines ("2026-12-" above "07" on a 390 px phone)
function dateOf(iso) { return iso ? '<span class="nowrap">' + fmtTime(iso).slice(0, 10) + '</span>' : ''; }
function daysLeft(deadline) {
  var d = Math.round((new Date(deadline + 'T23:59:59+08:00') - new Date()) / 86400000);
  // kept whole: "剩 9" above "天" on a 360 px phone
  return d < 0 ? '<span class="warn nowrap">逾期 ' + (-d) + ' 天</span>' : d === 0 ? '<span class="warn nowrap">今天到期</span>' : '<span class="nowrap">剩 ' + d + ' 天</span>';
}
function badge(status, zh, overdue) {
  return '<span class="st st-' + esc(status) + (overdue ? ' st-late' : '') + '">' + esc(zh) + (overdue ? ' · 逾期' : '') + '</span>';
}
function photosHtml(list) {
  return list && list.length ? '<div class="thumbs">' + list.map(function (p) {
    return '<a href="' + esc(p) + '" target="_blank"><img loading="lazy" alt="照片" src="' + esc(p) + '"></a>';
  }).join('') + '</div>' : '';
}
function readPhotos(input, max) {
  var files = Array.prototype.slice.call(input.files || []);
  if (files.length > max) return Promise.reject(new Error('照片最多 ' + max + ' 张'));
  return Promise.all(files.map(shrink));
}
// the recipients' states, each label with its number on one line ("待审核" above "0" on a 390 px phone)
function counts(recipients, c) {
  var n = function (label, v, bold) { return '<span class="nowrap">' + (bold ? '<b>' + label + ' ' + v + '</b>' : label + ' ' + v) + '</span>'; };
  return n('接收', recipients + ' 人:') + ' ' + n('待确认', c.pending) + ' · ' + n('已确认', c.confirmed) + ' · ' +
    n('待审核', c.reported, true) + ' · ' + n('退回', c.returned) + ' · ' + n('办结', c.closed);
}
function postJson(path, body) { return api(CMD + path, {method: 'POST', body: JSON.stringify(body || {})}); }

/* ---------- the cadre's 待办 ---------- */
function pageTodo() {
  setTab('todo');
  render('<p class="muted">正在加载待办…</p>');
  Promise.all([api(CMD + 'instructions/todo?limit=100'), api(CMD + 'instructions/scope')]).then(function (r) {
    var res = r[0], scope = r[1];
    if (res.status !== 200) return cmdError(res);
    var d = res.data, html = '<h2>我的待办 (未办结 ' + d.open + ' 项' + (d.overdue ? ', <span class="warn">逾期 ' + d.overdue + ' 项</span>' : '') + ')</h2>';
    if (scope.status === 200 && scope.data.may_issue) {
      html += '<div class="row"><a class="btn alt" href="#/instructions">我下达的指令</a><a class="btn alt" href="#/instructions/new">下达指令</a></div>';
    }
    html += d.items.length ? d.items.map(function (t) {
      var it = t.item;
      return '<a class="card todo' + (it.overdue ? ' late' : '') + '" href="#/todo/' + t.id + '"><div class="head">' +
        (t.priority !== 'normal' ? '<span class="' + PRIO_CLASS[t.priority] + '">[' + esc(t.priority_zh) + ']</span> ' : '') + esc(t.title) + '</div>' +
        '<div class="muted">' + esc(t.issuer_name) + ' · ' + dayOf('期限 ' + t.deadline) + (it.status !== 'closed' ? ' · ' + daysLeft(t.deadline) : '') + '</div>' +
        '<div>' + badge(it.status, it.status_zh, it.overdue) + '</div></a>';
    }).join('') : '<p>暂无待办事项。</p>';
    render(html);
  }, cmdError);
}

function pageTodoItem(id) {
  setTab('todo');
  api(CMD + 'instructions/' + id).then(function (res) {
    if (res.status !== 200) return cmdError(res);
    var d = res.data, it = d.items[0];
    if (!it) { render('<div class="msg err">该指令没有您的待办事项。</div>'); return; }
    var canFeed = it.status === 'pending' || it.status === 'confirmed' || it.status === 'returned';
    render('<h2>' + esc(d.title) + '</h2>' +
      '<p class="muted">' + esc(d.issuer_name) + ' · ' + esc(d.priority_zh) + ' · 下达 ' + dateOf(d.created_at) + '</p>' +
      '<p>期限 <b>' + dayOf(d.deadline) + '</b> · ' + (it.status !== 'closed' ? daysLeft(d.deadline) : '已办结') + '</p>' +
      '<div class="card"><div class="text">' + esc(d.text) + '</div>' + photosHtml(d.photos) + '</div>' +
      '<p>状态: ' + badge(it.status, it.status_zh, it.overdue) + '</p>' +
      (it.status === 'returned' ? '<div class="msg err">已退回: ' + esc(it.return_reason) + ' (请重新反馈)</div>' : '') +
      (it.note ? '<h2>我的反馈</h2><div class="card"><div class="text">' + esc(it.note) + '</div>' + photosHtml(it.photos) + '</div>' : '') +
      '<div id="cmsg"></div>' +
      (it.status === 'pending' ? '<button class="btn" id="confirm">确认收到</button>' : '') +
      (canFeed ? '<h2>反馈办理情况</h2><label for="fnote">办理情况</label><textarea id="fnote" maxlength="5000" placeholder="如: 已逐户核实, 发现 2 户问题已整改"></textarea>' +
        '<label>照片 (0-5 张)</label><label class="btn alt" for="fphotos" id="fpick">拍照或选择照片</label>' +
        '<input id="fphotos" class="file" type="file" accept="image/*" multiple>' +
        '<button class="btn" id="feed">提交反馈</button>' : '') +
      '<a class="btn alt" href="#/todo">返回待办</a>');
    if ($('confirm')) $('confirm').onclick = function () {
      $('confirm').disabled = true;
      postJson('instructions/todo/' + it.item_id + '/confirm').then(function (r) {
        if (r.status === 200) pageTodoItem(id); else { $('confirm').disabled = false; say('err', esc(detail(r))); }
      }, function () { $('confirm').disabled = false; say('err', '没有网络: 请稍后再试'); });
    };
    if ($('fphotos')) $('fphotos').onchange = function () {
      var n = $('fphotos').files.length;
      $('fpick').textContent = n ? '已选 ' + n + ' 张照片 (点此重选)' : '拍照或选择照片';
    };
    if ($('feed')) $('feed').onclick = function () {
      var note = $('fnote').value.trim();
      if (!note) { say('err', '请填写办理情况'); return; }
      $('feed').disabled = true; $('feed').textContent = '正在提交…';
      readPhotos($('fphotos'), 5).then(function (photos) {
        return postJson('instructions/todo/' + it.item_id + '/feedback', {note: note, photos: photos});
      }).then(function (r) {
        if (r.status === 200) { pageTodoItem(id); return; }
        $('feed').disabled = false; $('feed').textContent = '提交反馈'; say('err', esc(detail(r)));
      })['catch'](function (e) {
        $('feed').disabled = false; $('feed').textContent = '提交反馈';
        say('err', esc(e && e.message ? e.message : '没有网络: 反馈未提交, 请稍后再试'));
      });
    };
  }, cmdError);
}

/* ---------- the leader's instructions ---------- */
function pageInstructions(state) {
  setTab('instructions');
  var q = state ? '&state=' + state : '';
  render('<p class="muted">正在加载指令…</p>');
  api(CMD + 'instructions?limit=50' + q).then(function (res) {
    if (res.status !== 200) return cmdError(res);
    var d = res.data, f = function (s, label) {
      return '<a class="chip' + ((state || '') === s ? ' on' : '') + '" href="#/instructions' + (s ? '/state/' + s : '') + '">' + label + '</a>';
    };
    render('<h2>指令批示 (' + d.total + ' 条)</h2><a class="btn" href="#/instructions/new">下达指令</a>' +
      '<div class="chips">' + f('', '全部') + f('open', '未办结') + f('overdue', '已逾期') + f('closed', '已办结') + '</div>' +
      (d.items.length ? d.items.map(function (i) {
        var c = i.counts;
        return '<a class="card todo' + (i.overdue ? ' late' : '') + '" href="#/instructions/' + i.id + '"><div class="head">' +
          (i.priority !== 'normal' ? '<span class="warn">[' + esc(i.priority_zh) + ']</span> ' : '') + esc(i.title) + '</div>' +
          '<div class="muted">' + esc(i.issuer_name) + ' · ' + esc(i.region || '') + ' · ' + dayOf('期限 ' + i.deadline) + '</div>' +
          '<div>' + counts(i.recipients, c) + (i.overdue_items ? ' · <span class="warn nowrap">逾期 ' + i.overdue_items + '</span>' : '') + '</div></a>';
      }).join('') : '<p>没有符合条件的指令。</p>'));
  }, cmdError);
}

function pageNewInstruction() {
  setTab('instructions');
  api(CMD + 'instructions/scope').then(function (res) {
    if (res.status !== 200) return cmdError(res);
    var s = res.data;
    if (!s.may_issue) { render('<div class="msg err">' + esc(s.why) + '</div>'); return; }
    var soon = new Date(Date.now() + 7 * 86400000), p = function (n) { return (n < 10 ? '0' : '') + n; };
    var dflt = soon.getFullYear() + '-' + p(soon.getMonth() + 1) + '-' + p(soon.getDate());
    render('<h2>下达指令 · ' + esc(s.region || '') + '</h2><div id="cmsg"></div>' +
      '<label for="iscope">接收范围</label><select id="iscope">' + s.regions.map(function (r) {
        var pad = r.level === 'village' ? '　　' : r.level === 'town' ? '　' : '';
        return '<option value="' + esc(r.code) + '">' + pad + esc(r.name) + ' (全体干部)</option>';
      }).join('') + '<option value="cadres">指定干部 (填干部编号)</option></select>' +
      '<div id="icadres" hidden><label for="iids">干部编号 (逗号分隔)</label><input id="iids" inputmode="numeric" placeholder="如: 12, 35"></div>' +
      '<label for="ititle">标题</label><input id="ititle" maxlength="64" placeholder="如: 核实住房安全情况">' +
      '<label for="itext">指令内容</label><textarea id="itext" maxlength="5000" placeholder="要求、标准、反馈内容"></textarea>' +
      '<div class="row"><div><label for="iprio">紧急程度</label><select id="iprio"><option value="normal">一般</option><option value="urgent">紧急</option><option value="critical">特急</option></select></div>' +
      '<div><label for="idate">办理期限</label><input id="idate" type="date" value="' + dflt + '"></div></div>' +
      '<label for="iname">署名 (可选)</label><input id="iname" maxlength="64" placeholder="如: 镇长 李四">' +
      '<label>附件照片 (0-5 张)</label><label class="btn alt" for="iphotos" id="ipick">拍照或选择照片</label>' +
      '<input id="iphotos" class="file" type="file" accept="image/*" multiple>' +
      '<button class="btn" id="isend">下达</button><a class="btn alt" href="#/instructions">返回</a>');
    $('iscope').onchange = function () { $('icadres').hidden = $('iscope').value !== 'cadres'; };
    $('iphotos').onchange = function () {
      var n = $('iphotos').files.length;
      $('ipick').textContent = n ? '已选 ' + n + ' 张照片 (点此重选)' : '拍照或选择照片';
    };
    $('isend').onclick = function () {
      var scope = $('iscope').value, body = {
        scope_kind: scope === 'cadres' ? 'cadres' : 'region', scope_ref: scope === 'cadres' ? null : scope,
        cadre_ids: scope === 'cadres' ? $('iids').value.split(/[,，\s]+/).filter(Boolean).map(Number) : [],
        title: $('ititle').value.trim() || null, text: $('itext').value.trim(), priority: $('iprio').value,
        deadline: $('idate').value, issuer_name: $('iname').value.trim() || null};
      if (!body.text) { say('err', '请填写指令内容'); return; }
      if (!body.deadline) { say('err', '请选择办理期限'); return; }
      if (body.cadre_ids.some(isNaN)) { say('err', '干部编号应为数字, 用逗号分隔'); return; }
      $('isend').disabled = true; $('isend').textContent = '正在下达…';
      readPhotos($('iphotos'), 5).then(function (photos) {
        body.photos = photos;
        return postJson('instructions', body);
      }).then(function (r) {
        if (r.status === 201) { location.hash = '#/instructions/' + r.data.id; return; }
        $('isend').disabled = false; $('isend').textContent = '下达'; say('err', esc(detail(r)));
      })['catch'](function (e) {
        $('isend').disabled = false; $('isend').textContent = '下达';
        say('err', esc(e && e.message ? e.message : '没有网络: 指令未下达'));
      });
    };
  }, cmdError);
}

function pageInstruction(id) {
  setTab('instructions');
  api(CMD + 'instructions/' + id).then(function (res) {
    if (res.status !== 200) return cmdError(res);
    var d = res.data, c = d.counts, rank = {reported: 0, returned: 2, confirmed: 3, pending: 3, closed: 4};
    d.items.sort(function (a, b) { // what waits for the leader first, then the overdue, the closed last
      return (rank[a.status] - (a.overdue ? 1.5 : 0)) - (rank[b.status] - (b.overdue ? 1.5 : 0));
    });
    render('<h2>' + esc(d.title) + '</h2>' +
      '<p class="muted">' + esc(d.issuer_name) + ' · ' + esc(d.priority_zh) + ' · 下达 ' + dateOf(d.created_at) + ' · ' + dayOf('期限 ' + d.deadline) + '</p>' +
      '<div class="card"><div class="text">' + esc(d.text) + '</div>' + photosHtml(d.photos) + '</div>' +
      '<p>' + counts(d.recipients, c) + '</p>' +
      '<div id="cmsg"></div>' + d.items.map(function (it) {
        return '<div class="card" id="it' + it.item_id + '"><div class="head">' + esc(it.cadre) + ' <span class="muted">' + esc(it.region || '') + '</span></div>' +
          '<div>' + badge(it.status, it.status_zh, it.overdue) + (it.reported_at ? ' <span class="muted">反馈于 ' + fmtTime(it.reported_at) + '</span>' : '') + '</div>' +
          (it.note ? '<div class="text">' + esc(it.note) + '</div>' + photosHtml(it.photos) : '') +
          (it.status === 'returned' ? '<div class="muted">退回原因: ' + esc(it.return_reason) + '</div>' : '') +
          (d.may_manage && it.status === 'reported' ? '<div class="row"><button class="btn" data-close="' + it.item_id + '">办结</button>' +
            '<button class="btn alt" data-back="' + it.item_id + '">退回</button></div>' +
            '<div data-why="' + it.item_id + '" hidden><label>退回原因</label><textarea maxlength="2000"></textarea>' +
            '<button class="btn alt" data-send="' + it.item_id + '">确认退回</button></div>' : '') + '</div>';
      }).join('') + '<a class="btn alt" href="#/instructions">返回</a>');
    var act = function (item, what, body) {
      postJson('instructions/' + d.id + '/items/' + item + '/' + what, body).then(function (r) {
        if (r.status === 200) pageInstruction(id); else say('err', esc(detail(r)));
      }, function () { say('err', '没有网络: 请稍后再试'); });
    };
    Array.prototype.forEach.call(document.querySelectorAll('[data-close]'), function (b) {
      b.onclick = function () { b.disabled = true; act(b.getAttribute('data-close'), 'close'); };
    });
    Array.prototype.forEach.call(document.querySelectorAll('[data-back]'), function (b) {
      b.onclick = function () { document.querySelector('[data-why="' + b.getAttribute('data-back') + '"]').hidden = false; };
    });
    Array.prototype.forEach.call(document.querySelectorAll('[data-send]'), function (b) {
      b.onclick = function () {
        var item = b.getAttribute('data-send'), why = document.querySelector('[data-why="' + item + '"] textarea').value.trim();
        if (!why) { say('err', '请填写退回原因'); return; }
        act(item, 'return', {reason: why});
      };
    });
  }, cmdError);
}

/* ---------- notices and guides ---------- */
function pageNotices() {
  setTab('notices');
  api(CMD + 'notices?limit=100').then(function (res) {
    if (res.status !== 200) return cmdError(res);
    var d = res.data;
    render('<h2>通知公告 · 办事指南' + (d.unread != null ? ' (未读 ' + d.unread + ')' : '') + '</h2>' + (d.items.length ? d.items.map(function (n) {
      return '<a class="card' + (n.read === false ? ' unread' : '') + '" href="#/notices/' + n.id + '"><div class="head">' +
        (n.read === false ? '<span class="dot"></span>' : '') + '<span class="muted">[' + esc(n.kind_zh) + ']</span> ' + esc(n.title) + '</div>' +
        '<div class="muted">' + esc(n.author) + ' · ' + esc(n.region || '') + ' · ' + dateOf(n.created_at) + '</div></a>';
    }).join('') : '<p>暂无通知。</p>'));
  }, cmdError);
}

function pageNotice(id) {
  setTab('notices');
  var leader = state.me.role !== 'cadre';
  Promise.all([api(CMD + 'notices/' + id), leader ? api(CMD + 'notices/' + id + '/reads') : Promise.resolve(null)]).then(function (r) {
    var res = r[0], reads = r[1];
    if (res.status !== 200) return cmdError(res);
    var n = res.data, html = '<h2>' + esc(n.title) + '</h2><p class="muted">[' + esc(n.kind_zh) + '] ' + esc(n.author) + ' · ' + dateOf(n.created_at) + '</p>' +
      '<div class="card"><div class="text">' + esc(n.content) + '</div></div>';
    if (reads && reads.status === 200) {
      var t = reads.data;
      html += '<h2>阅读情况: ' + t.read + ' / ' + t.cadres + ' 人 (' + pct(t.read_rate) + ')</h2><table><tr><th>乡镇</th><th>应读</th><th>已读</th><th>阅读率</th></tr>' +
        t.towns.map(function (x) {
          return '<tr><td>' + esc(x.name || x.code) + '</td><td>' + x.cadres + '</td><td>' + x.read + '</td><td>' + pct(x.read_rate) + '</td></tr>';
        }).join('') + '</table>';
    }
    render(html + '<a class="btn alt" href="#/notices">返回</a>');
  }, cmdError);
}

addPage(/^\/todo$/, pageTodo);
addPage(/^\/todo\/(\d+)$/, pageTodoItem);
addPage(/^\/instructions$/, function () { pageInstructions(''); });
addPage(/^\/instructions\/state\/(open|overdue|closed)$/, pageInstructions);
addPage(/^\/instructions\/new$/, pageNewInstruction);
addPage(/^\/instructions\/(\d+)$/, pageInstruction);
addPage(/^\/notices$/, pageNotices);
addPage(/^\/notices\/(\d+)$/, pageNotice);
addTab({name: 'home', label: '走访', href: '#/', roles: ['leader'], order: 10});
addTab({name: 'todo', label: '待办', href: '#/todo', roles: ['cadre'], order: 30});
addTab({name: 'instructions', label: '指令', href: '#/instructions', roles: ['leader'], order: 30});
addTab({name: 'notices', label: '通知', href: '#/notices', roles: ['cadre', 'leader'], order: 40});
