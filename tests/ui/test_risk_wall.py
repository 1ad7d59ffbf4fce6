"""The wall's 风险 layer and panel on the real API (embedded server on the demo, whose register holds planted hits):
the map coloured by open hits per town, a leader's panel listing the top hits as the server masked them, a delegation
wall counts only, 督办 and 风险 one at a time, and a layer that cannot be fetched saying 暂时无法获取."""

from __future__ import annotations

import os
import re

import pytest
import requests
from PySide6.QtCore import QPointF
from PySide6.QtGui import QColor

from sandbox.client.api import ApiClient
from sandbox.client.cache import ResponseCache
from sandbox.client.errors import Unreachable
from sandbox.ui.layers.risk import RISK_COLOURS, RiskLayer
from sandbox.ui.risk import RiskBoard, RiskState, count_class
from tests.ui.conftest import shown_wall

pytestmark = [pytest.mark.qt, pytest.mark.usefixtures("themed_app")]

COUNTY = "522726000000"
ID_NUMBER = re.compile(r"(?<!\d)\d{17}[\dXx](?!\d)")  # an unmasked ID number


@pytest.fixture(scope="module")
def risk_api(demo_engine):
    from sandbox.server.runtime import EmbeddedServer, new_token

    server = EmbeddedServer(demo_engine).start()
    yield server, {role: new_token(demo_engine, role) for role in ("leader", "delegation", "admin")}
    server.stop()


def _api(risk_api, role: str, path: str, **params) -> dict:
    server, tokens = risk_api
    r = requests.get(f"{server.url}/api/v1{path}", params=params,
                     headers={"Authorization": f"Bearer {tokens[role]}"}, timeout=30)
    r.raise_for_status()
    return r.json()


def _wall(qtbot, risk_api, role, size=(1600, 900), client=None):
    server, tokens = risk_api
    client = client or ApiClient(server.url, tokens[role])
    w = shown_wall(qtbot, client, region=COUNTY, animate=False, prefetch=False, preload=False, size=size)
    qtbot.waitUntil(lambda: w.state.has_data and not w.state.loading, timeout=60000)
    return w, client


def _risk_on(qtbot, w):
    ctl = w.layers_ctl.risk
    assert not ctl.layer.visible and not w.layer_bar.is_on("risk")  # off until asked for
    w.layer_bar.buttons["risk"].click()
    qtbot.waitUntil(lambda: ctl.state.board is not None and ctl.state.board.code == COUNTY, timeout=30000)
    return ctl


def _share_in(img, view, code: str, colour: str) -> int:
    """How many sample points inside `code` (off every label) are painted in `colour`."""
    path = view.paths[code]
    r = path.boundingRect()
    want, hits = QColor(colour), 0
    for i in range(1, 20):
        for j in range(1, 20):
            x, y = r.left() + r.width() * i / 20, r.top() + r.height() * j / 20
            if not path.contains(QPointF(x, y)) or any(lr.contains(QPointF(x, y)) for lr in view.label_rects.values()):
                continue
            px = img.pixelColor(int(x * img.devicePixelRatio()), int(y * img.devicePixelRatio()))
            hits += abs(px.red() - want.red()) + abs(px.green() - want.green()) + abs(px.blue() - want.blue()) < 60
    return hits


def test_leader_wall_colours_towns_by_open_hits_and_lists_the_top_hits(qtbot, risk_api, tmp_path):
    w, client = _wall(qtbot, risk_api, "leader", size=(1920, 1080))
    try:
        ctl = _risk_on(qtbot, w)
        board = ctl.state.board
        api = _api(risk_api, "leader", f"/regions/{COUNTY}/risk")
        want = {c["code"]: c["total"] for c in api["children"]}
        assert {c: n.total for c, n in board.children.items()} == want
        assert board.total.total == api["total"]["total"] > 0
        assert {count_class(n) for n in want.values()} - {0}, "the demo's planted hits lie in some town"
        # the map: each town in its count's colour; a number chip over the towns with hits
        qtbot.waitUntil(lambda: ctl.layer.chips() != [], timeout=10000)
        w.state.map.hovered_code = None
        img = w.canvas.grab().toImage()
        view = w.canvas.view()
        for code, n in want.items():
            assert _share_in(img, view, code, RISK_COLOURS[count_class(n)]) >= 5, (code, n)
        # a count chip each, or "+N" where markers left it no room (layers.chips)
        texts = [t for _, t in ctl.layer.chips()]
        assert any(t.startswith("线索 ") for t in texts) and all(re.fullmatch(r"线索 \d+|\+\d+", t) for t in texts)
        assert not w.legend.isVisible() and not w.summary.isVisible()  # the panel's key replaces the legend
        # the panel: counts per family, open cases, the top hits with rule, place, reason and case state
        panel = ctl.panel
        assert panel.isVisible()
        counts = panel.counts.text()
        for label in ("伪贫困户", "资金使用", "挂名帮扶"):
            assert label in counts
        assert f"在案线索 {api['total']['total']} 条" in counts and "在办核查" in counts
        top = _api(risk_api, "leader", "/risk/hits", region=COUNTY, limit=6)
        lines = panel.hit_lines()
        assert len(lines) == 2 * len(top["items"]) > 0
        assert top["items"][0]["rule_zh"] in lines[0] and top["items"][0]["region_name"] in lines[0]
        assert top["items"][0]["reason"][:20] in lines[1]
        shown = counts + "\n".join(lines)
        assert not ID_NUMBER.search(shown)
        w.grab().save(str(tmp_path / "risk-leader-1920.png"))
        if os.environ.get("SANDBOX_SCREENSHOT_DIR"):
            w.grab().save(os.path.join(os.environ["SANDBOX_SCREENSHOT_DIR"], "risk-leader-1920.png"))
        # off again: the panel goes, the legend and the summary come back
        w.layer_bar.buttons["risk"].click()
        assert not panel.isVisible() and not ctl.layer.visible and w.legend.isVisible()
    finally:
        w.close()
        client.close()


def test_delegation_wall_shows_counts_and_no_reason(qtbot, risk_api):
    w, client = _wall(qtbot, risk_api, "delegation")
    try:
        ctl = _risk_on(qtbot, w)
        board = ctl.state.board
        assert board.hits is None and board.hits_error is None and ctl.state.counts_only  # the API refused: 403
        assert board.total.total == _api(risk_api, "admin", f"/regions/{COUNTY}/risk")["total"]["total"]
        assert ctl.panel.hit_lines() == [] and "只显示数量" in ctl.panel.note.text()
        shown = "\n".join(lab.text() for lab in (ctl.panel.title, ctl.panel.counts, ctl.panel.hits_title,
                                                 ctl.panel.hits, ctl.panel.note))
        reasons = [h["reason"] for h in _api(risk_api, "admin", "/risk/hits", region=COUNTY, limit=200)["items"]]
        assert reasons and not any(r[:12] in shown for r in reasons)
        assert ctl.layer.chips()  # the counts are on the map
    finally:
        w.close()
        client.close()


def test_duty_and_risk_colour_the_map_one_at_a_time(qtbot, risk_api):
    w, client = _wall(qtbot, risk_api, "delegation")
    try:
        ctl = _risk_on(qtbot, w)
        w.layer_bar.buttons["duty"].click()
        assert w.layers_ctl.duty.visible and not ctl.visible and not w.layer_bar.is_on("risk")
        assert not ctl.panel.isVisible() and not w.legend.isVisible()
        w.layer_bar.buttons["risk"].click()
        assert ctl.visible and not w.layers_ctl.duty.visible and ctl.panel.isVisible()
    finally:
        w.close()
        client.close()


def test_a_risk_layer_the_api_cannot_give_says_so(qtbot, risk_api, monkeypatch):
    w, client = _wall(qtbot, risk_api, "leader")
    try:
        real = ApiClient.transport

        def down_for_risk(self, path, params):
            if "risk" in path:
                raise Unreachable("ConnectionRefusedError")
            return real(self, path, params)

        monkeypatch.setattr(ApiClient, "transport", down_for_risk)
        ctl = w.layers_ctl.risk
        w.layer_bar.buttons["risk"].click()
        qtbot.waitUntil(lambda: "暂时无法获取" in ctl.panel.counts.text(), timeout=30000)
        assert ctl.state.board is None and not ctl.layer.chips()
        assert "风险线索暂时无法获取" in (w.canvas.note() or "")
    finally:
        w.close()
        client.close()


def test_hits_the_api_cannot_give_are_said_so_beside_the_counts(qtbot, risk_api, monkeypatch):
    w, client = _wall(qtbot, risk_api, "leader")
    try:
        real = ApiClient.transport

        def down_for_hits(self, path, params):
            if path == "/risk/hits":
                raise Unreachable("ReadTimeout")
            return real(self, path, params)

        monkeypatch.setattr(ApiClient, "transport", down_for_hits)
        ctl = _risk_on(qtbot, w)
        assert ctl.state.board.hits is None and not ctl.state.counts_only  # asked again next time
        assert "在案线索" in ctl.panel.counts.text() and ctl.panel.hit_lines() == []
        assert "线索明细暂时无法获取" in ctl.panel.note.text() and "只显示数量" not in ctl.panel.note.text()
    finally:
        w.close()
        client.close()


def test_the_hit_list_is_never_cached_and_comes_without_evidence(risk_api, tmp_path):
    server, tokens = risk_api
    cache = ResponseCache(tmp_path)
    client = ApiClient(server.url, tokens["admin"], cache=cache)  # an admin reads ID numbers unmasked
    try:
        page = client.risk_hits(COUNTY, limit=50)
        assert page["items"] and all("evidence" not in i for i in page["items"])
        assert cache.entries() == []  # nothing of it on disk
        client.risk(COUNTY)
        assert len(cache.entries()) == 1  # the counts are (the wall shows them offline)
    finally:
        client.close()


def test_risk_state_without_a_window():
    """The Qt-free model: a board for another region is ignored; a refused hit list is not asked for again."""
    st = RiskState()
    assert st.want(COUNTY)
    other = RiskBoard.from_api({"code": "522726100000", "children": []})
    assert not st.apply(other, asked_hits=True) and st.board is None and st.counts_only
    mine = RiskBoard.from_api({"code": COUNTY, "total": {"total": 12, "families": {"funds": 12}},
                               "children": [{"code": "522726100000", "name": "甲镇", "total": 12}]})
    assert st.apply(mine, asked_hits=False) and not st.want(COUNTY)
    assert [label for _, label in mine.families] == ["伪贫困户", "资金使用", "挂名帮扶"]
    layer = RiskLayer()
    layer.set_board(mine)
    assert layer.colour_of("522726100000") == RISK_COLOURS[3] and layer.colour_of("522726103000") == RISK_COLOURS[0]
