/* 督查 on the phone: an inspector records a finding (with photos) in a village of this month's plan, the
   responsible cadre submits the rectification's evidence, the inspector accepts it or sends it back.
   Talks to /api/v1/inspections/... (same origin, the device cookie). */
'use strict';

var INSPECT = '../inspections/'; // api() prefixes /api/v1/field/
var inspectState = {mine: null};

function inspectStatus(r) {
  if (r.overdue) return '<span class="warn nowrap">逾期 ' + r.days_overdue + ' 天</span>';
  var cls = r.status === 'closed' ? 'ok' : (r.status === 'submitted' ? 'tag' : '');
  return '<span class="' + cls + '">' + esc(r.status_zh) + '</span>';
}

function findingCard(f) {
  var r = f.rectification;
  return '<a class="card" href="#/inspect/f/' + f.id + '"><div class="head">' + esc(f.village) + ' · ' + esc(f.category_zh) + '</div>' +
    '<div class="muted">' + esc(f.severity_zh) + ' · ' + timeOf(f.created_at) + ' · ' + dayOf('期限 ' + r.deadline) + ' · ' + inspectStatus(r) + '</div>' +
    '<div>' + esc(f.text) + '</div></a>';
}

function loadMine() {
  return api(INSPECT + 'mine').then(function (res) {
    if (res.status !== 200) throw res;
    inspectState.mine = res.data;
    return res.data;
  });
}

function inspectError(res) {
  if (res && res.status === 401) return pageNotEnrolled(detail(res));
  render('<div class="msg err">' + esc(res && res.status ? detail(res) : '没有网络: 暂时无法查看督查事项') + '</div>');
}

function pageInspect() {
  setTab('inspect');
  render('<p class="muted">正在加载督查事项…</p>');
  loadMine().then(function (d) {
    var html = '';
    if (d.inspector) {
      html += '<h2>' + esc(d.month) + ' 本小组督查的村 (' + d.villages.length + ')</h2>' + (d.villages.length ? d.villages.map(function (v) {
        return '<a class="btn alt" href="#/inspect/new/' + esc(v.code) + '">' + esc(v.name) + ' · 记录问题</a>';
      }).join('') : '<p>本月计划没有安排本小组。</p>');
      html += '<h2>待我验收 (' + d.to_accept.length + ')</h2>' + (d.to_accept.map(findingCard).join('') || '<p class="muted">没有待验收的整改。</p>');
    }
    if (d.area) html += areaHtml(d.area); // a leader: the findings of the town (county) the phone is bound to
    if (d.to_rectify.length || (!d.inspector && !d.area)) {
      html += '<h2>我负责的整改 (' + d.to_rectify.length + ')</h2>' + (d.to_rectify.map(findingCard).join('') || '<p class="muted">没有需要您整改的问题。</p>');
    }
    if (d.inspector) {
      html += '<h2>本小组记录的问题 (' + d.recorded.total + ')</h2>' + (d.recorded.items.map(findingCard).join('') || '<p class="muted">还没有记录。</p>');
    }
    render(html);
  }, inspectError);
}

function areaHtml(a) {
  var where = esc((state.me && state.me.region) || '本辖区');
  var more = a.unclosed > a.items.length ? '<p class="muted">仅列出期限最近的 ' + a.items.length + ' 项。</p>' : '';
  return '<h2>' + where + '未销号的问题 (' + a.unclosed + ')</h2>' +
    '<p class="muted">督查共发现 <span class="nowrap">' + a.total + ' 项</span>, 已销号 <span class="nowrap">' + (a.total - a.unclosed) + ' 项</span>' +
    (a.overdue ? ', <span class="warn nowrap">逾期 ' + a.overdue + ' 项</span>' : '') + '。</p>' +
    (a.items.map(findingCard).join('') || '<p class="muted">没有未销号的问题。</p>') + more;
}

function optionsOf(labels, chosen) {
  return Object.keys(labels).map(function (k) {
    return '<option value="' + esc(k) + '"' + (k === chosen ? ' selected' : '') + '>' + esc(labels[k]) + '</option>';
  }).join('');
}

function pageNewFinding(code) {
  setTab('inspect');
  var draw = function (d) {
    var v = d.villages.filter(function (x) { return x.code === code; })[0];
    if (!v) { render('<div class="msg err">本月计划没有安排您的小组检查该村。</div><a class="btn alt" href="#/inspect">返回</a>'); return; }
    render('<h2>记录问题: ' + esc(v.name) + '</h2><div id="cmsg"></div>' +
      '<label for="cat">问题类别</label><select id="cat">' + optionsOf(d.categories, 'support_false') + '</select>' +
      '<label for="sev">严重程度</label><select id="sev">' + optionsOf(d.severities, 'minor') + '</select>' +
      '<label for="text">问题描述</label><textarea id="text" maxlength="2000" placeholder="如: 帮扶手册记录与实际不符"></textarea>' +
      '<label>照片 (最多 3 张)</label><label class="btn alt" for="photos" id="pick">拍照或选择照片</label>' +
      '<input id="photos" class="file" type="file" accept="image/*" capture="environment" multiple>' +
      '<button class="btn" id="go">提交问题</button><a class="btn alt" href="#/inspect">返回</a>');
    $('photos').onchange = function () {
      var n = $('photos').files.length;
      $('pick').textContent = n ? '已选 ' + n + ' 张照片 (点此重选)' : '拍照或选择照片';
    };
    $('go').onclick = function () {
      sendWithPhotos('go', '提交问题', function (photos) {
        return {path: INSPECT + 'findings', body: {village_code: code, category: $('cat').value, severity: $('sev').value,
          text: $('text').value, photos: photos}};
      }, function (f) { location.hash = '#/inspect/f/' + f.id; });
    };
  };
  if (inspectState.mine) draw(inspectState.mine); else loadMine().then(draw, inspectError);
}

// Photos shrunk on the phone (app.js), then one POST; the answer's detail is shown as the server gives it.
function sendWithPhotos(buttonId, label, build, done) {
  var btn = $(buttonId), files = Array.prototype.slice.call(($('photos') && $('photos').files) || []);
  if (files.length > 3) { say('err', '照片最多 3 张'); return; }
  btn.disabled = true; btn.textContent = '正在发送…';
  Promise.all(files.map(shrink)).then(function (photos) {
    var req = build(photos);
    return api(req.path, {method: 'POST', body: JSON.stringify(req.body)});
  }).then(function (res) {
    btn.disabled = false; btn.textContent = label;
    if (res.status === 200 || res.status === 201) { inspectState.mine = null; done(res.data); } else say('err', esc(detail(res)));
  }, function (e) {
    btn.disabled = false; btn.textContent = label;
    say('err', esc(e && e.message ? e.message : '没有网络: 请稍后再提交'));
  });
}

function photosOf(urls, alt) {
  return urls.length ? '<div class="thumbs">' + urls.map(function (u) { return '<img loading="lazy" alt="' + alt + '" src="' + esc(u) + '">'; }).join('') + '</div>' : '';
}

function pageFinding(id) {
  setTab('inspect');
  Promise.all([api(INSPECT + 'findings/' + id), loadMine().then(null, function () { return null; })]).then(function (r) {
    var res = r[0], mine = r[1] || {subgroups: []}; // fresh: which buttons show depends on who this phone is now
    if (res.status !== 200) { inspectError(res); return; }
    var f = res.data, rect = f.rectification, me = state.me || {};
    var responsible = me.cadre_id != null && me.cadre_id === rect.responsible_cadre_id;
    var inspector = mine.subgroups.indexOf(f.subgroup_id) >= 0;
    var html = '<h2>' + esc(f.village) + ' · ' + esc(f.category_zh) + '</h2>' +
      '<p class="muted">' + esc(f.town) + ' · ' + esc(f.severity_zh) + ' · ' + esc(f.subgroup || '') + (f.inspector ? ' <span class="nowrap">' + esc(f.inspector) + '</span>' : '') + ' · ' + timeOf(f.created_at) + '</p>' +
      '<p>' + esc(f.text) + '</p>' + photosOf(f.photos, '问题照片') +
      '<h2>整改 · ' + inspectStatus(rect) + '</h2>' +
      '<table><tr><td>责任单位</td><td>' + esc(rect.responsible_unit) + '</td></tr>' +
      '<tr><td>责任人</td><td>' + esc(rect.responsible_cadre || '-') + '</td></tr>' +
      '<tr><td>整改期限</td><td>' + esc(rect.deadline) + '</td></tr>' +
      (rect.rejections ? '<tr><td>退回次数</td><td>' + rect.rejections + '</td></tr>' : '') +
      (rect.closed_at ? '<tr><td>销号</td><td>' + fmtTime(rect.closed_at) + (rect.closed_on_time ? ' <span class="ok">按期</span>' : ' <span class="warn">逾期</span>') + '</td></tr>' : '') + '</table>' +
      (rect.comment ? '<p class="' + (rect.status === 'open' ? 'warn' : 'muted') + '">验收意见: ' + esc(rect.comment) + '</p>' : '') +
      (rect.note ? '<p>整改情况 (' + fmtTime(rect.submitted_at) + '): ' + esc(rect.note) + '</p>' + photosOf(rect.evidence_photos, '整改照片') : '') +
      '<div id="cmsg"></div>';
    if (rect.status === 'open' && responsible) {
      html += '<label for="note">整改情况说明</label><textarea id="note" maxlength="2000" placeholder="如: 已入户核实并更新系统数据"></textarea>' +
        '<label>整改照片 (最多 3 张)</label><label class="btn alt" for="photos" id="pick">拍照或选择照片</label>' +
        '<input id="photos" class="file" type="file" accept="image/*" capture="environment" multiple>' +
        '<button class="btn" id="send">提交整改材料</button>';
    } else if (rect.status === 'submitted' && inspector) {
      html += '<button class="btn" id="accept">验收通过, 销号</button>' +
        '<label for="why">退回理由</label><textarea id="why" maxlength="500" placeholder="如: 缺少群众签字确认"></textarea>' +
        '<button class="btn alt" id="reject">退回重新整改</button>';
    }
    render(html + '<a class="btn alt" href="#/inspect">返回</a>');
    if ($('send')) {
      $('photos').onchange = function () { $('pick').textContent = '已选 ' + $('photos').files.length + ' 张照片'; };
      $('send').onclick = function () {
        sendWithPhotos('send', '提交整改材料', function (photos) {
          return {path: INSPECT + 'rectifications/' + rect.id + '/evidence', body: {note: $('note').value, photos: photos}};
        }, function () { pageFinding(id); });
      };
    }
    if ($('accept')) {
      var decide = function (accept) {
        var btn = $(accept ? 'accept' : 'reject');
        btn.disabled = true;
        api(INSPECT + 'rectifications/' + rect.id + '/review', {method: 'POST',
          body: JSON.stringify({accept: accept, comment: $('why').value || null})}).then(function (res) {
          btn.disabled = false;
          if (res.status === 200) { inspectState.mine = null; pageFinding(id); } else say('err', esc(detail(res)));
        }, function () { btn.disabled = false; say('err', '没有网络: 请稍后再试'); });
      };
      $('accept').onclick = function () { decide(true); };
      $('reject').onclick = function () { decide(false); };
    }
  });
}

addPage(/^\/inspect$/, pageInspect);
addPage(/^\/inspect\/new\/(\d{12})$/, pageNewFinding);
addPage(/^\/inspect\/f\/(\d+)$/, pageFinding);
addTab({name: 'inspect', label: '督查整改', href: '#/inspect', roles: ['cadre', 'leader'], order: 40});
