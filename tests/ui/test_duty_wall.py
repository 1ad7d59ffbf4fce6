"""The wall's 督办 layer and panel on the real API (embedded server) with registered test sources: the map coloured
by overdue share, leader walls listing overdue items oldest first, delegation walls counts only, a `duty` event
over /events refreshing the counts live, and the 简报 button saving the server's PDF."""

from __future__ import annotations

import datetime as dt
import importlib

import pytest
from PySide6.QtCore import QPointF
from PySide6.QtGui import QColor

from sandbox.client.api import ApiClient
from sandbox.server.core.cache import ResponseCache
from sandbox.store.command import duty
from sandbox.store.command.duty import DutyItem
from sandbox.ui.duty import DutyBoard, DutyState
from sandbox.ui.layers.duty import SHARE_COLOURS, DutyLayer
from tests.ui.conftest import shown_wall

pytestmark = [pytest.mark.qt, pytest.mark.usefixtures("themed_app")]

COUNTY = "522726000000"
TOWN_A, TOWN_B = "522726100000", "522726103000"


@pytest.fixture(scope="module")
def duty_api(demo_engine):
    from sandbox.server.runtime import EmbeddedServer, new_token

    server = EmbeddedServer(demo_engine).start()
    server.server.config.app.state.sse_heartbeat_s = 1.0
    yield server, {role: new_token(demo_engine, role) for role in ("leader", "delegation")}
    server.stop()


@pytest.fixture
def items(monkeypatch, duty_api):
    """Town A: two overdue instructions (the older first); town B: one open finding, none overdue."""
    today = dt.datetime.now(dt.timezone(dt.timedelta(hours=8))).date()
    now = dt.datetime.utcnow().replace(microsecond=0)
    rows = [
        DutyItem("instruction", 1, TOWN_A[:9] + "201", "危房改造进度", now - dt.timedelta(days=40),
                 today - dt.timedelta(days=20), True, True),
        DutyItem("instruction", 2, TOWN_A, "全镇走访", now - dt.timedelta(days=10), today - dt.timedelta(days=3),
                 True, True),
        DutyItem("finding", 3, TOWN_B[:9] + "201", "帮扶不实", now - dt.timedelta(days=2), None, True, False),
    ]
    # Only these: the demo history of the real sources (once merged) must not move the counts asserted here.
    monkeypatch.setattr(duty, "SOURCES", {"test": lambda session, prefix, today: [
        r for r in rows if r.region_code.startswith(prefix)]})
    # the API's day is the one these items were dated by, even if Beijing's midnight (16:00 UTC) falls in between
    route = importlib.import_module("sandbox.server.command.duty")  # the module: its package exports the router
    monkeypatch.setattr(route, "beijing_today", lambda: today)
    server, _ = duty_api
    server.server.config.app.state.responses = ResponseCache()  # no board counted before these sources
    return rows


def _wall(qtbot, duty_api, role):
    server, tokens = duty_api
    client = ApiClient(server.url, tokens[role])
    w = shown_wall(qtbot, client, region=COUNTY, animate=False, prefetch=False, preload=False)
    qtbot.waitUntil(lambda: w.state.has_data and not w.state.loading, timeout=60000)
    return w, client


@pytest.fixture
def leader_wall(qtbot, duty_api, items):
    w, client = _wall(qtbot, duty_api, "leader")
    yield w
    w.close()
    client.close()


def _duty_on(qtbot, w):
    ctl = w.layers_ctl.duty
    assert not ctl.layer.visible and not w.layer_bar.is_on("duty")  # off until asked for
    w.layer_bar.buttons["duty"].click()
    qtbot.waitUntil(lambda: ctl.state.board is not None and ctl.state.board.code == COUNTY, timeout=30000)
    return ctl


def test_leader_wall_colours_the_map_and_lists_overdue_items_oldest_first(qtbot, leader_wall):
    ctl = _duty_on(qtbot, leader_wall)
    board = ctl.state.board
    assert board.children[TOWN_A].overdue == 2 and board.children[TOWN_A].overdue_share == 100.0
    assert board.children[TOWN_B].open == 1 and board.children[TOWN_B].overdue_share == 0.0
    panel = ctl.panel
    assert panel.isVisible()
    lines = panel.item_lines()
    assert len(lines) == 2 and "危房改造进度" in lines[0] and "全镇走访" in lines[1]  # oldest first
    assert "超期 20 天" in lines[0] and "已 40 天" in lines[0]
    assert panel.brief.isVisible()
    assert not leader_wall.summary.isVisible()  # the panel takes the summary's room
    # the map: town A in the "act" colour, town B in the "fine" colour
    img = leader_wall.canvas.grab().toImage()
    view = leader_wall.canvas.view()
    for code, colour in ((TOWN_A, SHARE_COLOURS[3]), (TOWN_B, SHARE_COLOURS[1])):
        path = view.paths[code]
        r = path.boundingRect()
        hits = 0
        for i in range(1, 20):
            for j in range(1, 20):
                x, y = r.left() + r.width() * i / 20, r.top() + r.height() * j / 20
                if not path.contains(QPointF(x, y)) or any(lr.contains(QPointF(x, y))
                                                           for lr in view.label_rects.values()):
                    continue
                px = img.pixelColor(int(x * img.devicePixelRatio()), int(y * img.devicePixelRatio()))
                want = QColor(colour)
                hits += abs(px.red() - want.red()) + abs(px.green() - want.green()) + abs(px.blue() - want.blue()) < 60
        assert hits >= 5, code
    # off again: the panel goes, the summary comes back
    leader_wall.layer_bar.buttons["duty"].click()
    assert not panel.isVisible() and not ctl.layer.visible


def test_a_duty_event_refreshes_the_counts_live(qtbot, leader_wall, items, duty_api):
    ctl = _duty_on(qtbot, leader_wall)
    qtbot.waitUntil(lambda: leader_wall.live is not None and leader_wall.live.connected, timeout=30000)
    assert ctl.state.board.children[TOWN_B].open == 1
    new = DutyItem("complaint", 9, TOWN_B[:9] + "202", "新投诉", dt.datetime.utcnow(), None, True, False)
    items.append(new)
    server, _ = duty_api
    server.server.config.app.state.events.publish("duty", {
        "kind": "complaint", "id": 9, "region_code": new.region_code, "title": "新投诉",
        "at": dt.datetime.utcnow().isoformat()})
    qtbot.waitUntil(lambda: ctl.state.board.children[TOWN_B].open == 2, timeout=30000)
    assert ctl.state.board.children[TOWN_B].complaints_month == 1
    assert TOWN_B in ctl.layer.flashes  # the town flashes where it arrived


def test_delegation_wall_shows_counts_only(qtbot, duty_api, items):
    w, client = _wall(qtbot, duty_api, "delegation")
    try:
        ctl = _duty_on(qtbot, w)
        assert ctl.state.board.items is None and ctl.state.board.total.overdue == 2
        assert ctl.panel.item_lines() == [] and not ctl.panel.brief.isVisible()
        assert "只显示数量" in ctl.panel.note.text()
        shown = ctl.panel.counts.text() + ctl.panel.worst.text()
        assert "超期 2 件" in shown and "危房改造进度" not in shown
    finally:
        w.close()
        client.close()


def test_the_brief_button_saves_the_servers_pdf(qtbot, leader_wall, tmp_path, monkeypatch):
    monkeypatch.setenv("SANDBOX_BRIEF_DIR", str(tmp_path))
    ctl = _duty_on(qtbot, leader_wall)
    with qtbot.waitSignal(ctl.briefSaved, timeout=60000) as saved:
        ctl.panel.brief.click()
    path = saved.args[0]
    assert path.startswith(str(tmp_path)) and open(path, "rb").read(4) == b"%PDF"
    assert "简报已保存" in leader_wall.state.last_note


def test_duty_state_and_layer_without_a_window():
    """The Qt-free model: a board for another region is ignored; events outside the region are not ours."""
    st = DutyState()
    assert st.want(TOWN_A)
    other = DutyBoard.from_api({"code": TOWN_B, "children": []})
    assert not st.apply(other) and st.board is None
    mine = DutyBoard.from_api({"code": TOWN_A, "role": "display", "items_shown": False,
                               "children": [{"code": TOWN_A[:9] + "201", "name": "甲村", "open": 4, "overdue": 1,
                                             "overdue_share": 25.0}],
                               "overdue": {"total": 1, "items": [{"title": "不该出现"}]}})
    assert st.apply(mine) and mine.items is None and not mine.may_brief
    assert st.concerns({"region_code": TOWN_A[:9] + "205"}) and not st.concerns({"region_code": TOWN_B})
    assert not st.want(TOWN_A)  # already there
    layer = DutyLayer(clock=lambda: 1.0)
    layer.set_board(mine)
    assert layer.colour_of(TOWN_A[:9] + "201") == SHARE_COLOURS[2]
    assert layer.flash(TOWN_A[:9] + "201") and not layer.flash(TOWN_B[:9] + "201")


def test_a_late_board_of_the_level_left_is_not_applied_after_a_drill():
    """Issue 16/19: the county's board, asked for before a drill into a town, must not land on the town's map."""
    st = DutyState()
    assert st.want(COUNTY)
    county = DutyBoard.from_api({"code": COUNTY, "children": [{"code": TOWN_A, "open": 3}]})
    assert st.apply(county)
    st.moved(TOWN_A)  # the drill's data is on screen; the town's board is asked for after its frame
    late = DutyBoard.from_api({"code": COUNTY, "children": [{"code": TOWN_A, "open": 4}]})
    assert not st.apply(late)
    assert st.want(TOWN_A) and st.board is None  # the town's own board is fetched, the county's cleared


def test_a_board_shown_lately_is_kept_and_forgotten_by_a_live_item_inside_it():
    now = [100.0]
    st = DutyState(clock=lambda: now[0])
    st.want(COUNTY)
    board = DutyBoard.from_api({"code": COUNTY, "children": []})
    st.apply(board)
    st.want(TOWN_A)
    assert st.kept(COUNTY) is board and st.kept(TOWN_A) is None
    st.forget(TOWN_B[:9] + "201")  # a complaint in town B: the county's board counts it
    assert st.kept(COUNTY) is None
    st.want(COUNTY)
    st.apply(board)
    now[0] += 31  # older than the server keeps a board
    assert st.kept(COUNTY) is None


def test_going_back_to_a_level_shown_lately_shows_its_board_without_a_request(qtbot, leader_wall):
    """With the 督办 layer on, a drill back to a level seen a moment ago sends no duty request: nothing of
    the layer's is on the network while the level's own answers come (issue 16's drill p95)."""
    w = leader_wall
    ctl = _duty_on(qtbot, w)
    qtbot.waitUntil(lambda: w.live is not None and w.live.connected, timeout=30000)  # its resync asks again
    qtbot.waitUntil(lambda: not w.layer_worker.busy(), timeout=30000)
    sent = []
    submit = w.layer_worker.submit
    w.layer_worker.submit = lambda channel, *a, **k: (sent.append(channel), submit(channel, *a, **k))[1]
    with qtbot.waitSignal(w.dataApplied, timeout=30000):
        w.drill(TOWN_A)
    assert "duty" not in sent  # not on the click: after the frame showing the town
    qtbot.waitUntil(lambda: ctl.state.board is not None and ctl.state.board.code == TOWN_A, timeout=30000)
    assert sent.count("duty") == 1
    with qtbot.waitSignal(w.dataApplied, timeout=30000):
        w.go_up()
    qtbot.waitUntil(lambda: ctl.state.board is not None and ctl.state.board.code == COUNTY, timeout=30000)
    qtbot.wait(200)
    assert sent.count("duty") == 1  # the county's board was shown a moment ago: no request
