"""The wall rooted at a province (a 2-county slice of the demo 贵州, real embedded API) asks the province's and a
prefecture's layers for the fund chain alone — their maps draw no project, check-in or camera marker — and a
county's for every layer; the 监控 view opened on the province's map still asks for the province's cameras."""

from __future__ import annotations

import collections

import pytest
from PySide6.QtCore import Qt

from sandbox.client.api import ApiClient
from tests.ui.conftest import shown_wall

pytestmark = [pytest.mark.qt, pytest.mark.usefixtures("themed_app")]

PROVINCE, QIANNAN, DUSHAN = "520000000000", "522700000000", "522726000000"
MARKER_CALLS = ("projects", "checkins", "checkin_visits", "cameras")


@pytest.fixture
def asked(monkeypatch):
    """Every layer call any of the wall's clients makes (its worker's is a clone): name → regions asked."""
    calls: dict[str, list] = collections.defaultdict(list)
    for name in (*MARKER_CALLS, "funds_chain"):
        real = getattr(ApiClient, name)

        def counted(self, *args, _name=name, _real=real, **kw):
            calls[_name].append(args[0] if args else kw.get("region"))
            return _real(self, *args, **kw)

        monkeypatch.setattr(ApiClient, name, counted)
    return calls


def _layers_of(qtbot, wall, code):
    """Until the level is on screen, settled (a click now drills), with its layers applied."""
    qtbot.waitUntil(lambda: wall.state.map.region_code == code and wall.layers is not None
                    and wall.layers.region == code and wall.state.has_data and not wall.state.loading
                    and not wall.canvas.animating and not wall.worker.busy(), timeout=60000)


def test_the_province_and_prefecture_layers_ask_for_the_fund_chain_alone(qtbot, province_api, asked):
    url, token = province_api
    client = ApiClient(url, token)
    wall = shown_wall(qtbot, client, region="52", animate=False, prefetch=False, preload=False,
                      live=False)
    try:
        _layers_of(qtbot, wall, PROVINCE)
        for code in (QIANNAN, DUSHAN):
            with qtbot.waitSignal(wall.dataApplied, timeout=30000):
                qtbot.mouseClick(wall.canvas, Qt.MouseButton.LeftButton,
                                 pos=wall.canvas.drill_point(code).toPoint())
            _layers_of(qtbot, wall, code)
            if code == QIANNAN:
                above = {name: list(asked[name]) for name in MARKER_CALLS}
        assert above == {name: [] for name in MARKER_CALLS}  # nothing asked on the province's or 黔南's map
        assert {PROVINCE, QIANNAN, DUSHAN} <= set(asked["funds_chain"])  # the fund flow is drawn on every map
        assert all(DUSHAN in asked[name] for name in MARKER_CALLS)  # the county's map draws every layer

        with qtbot.waitSignal(wall.dataApplied, timeout=30000):
            qtbot.keyClick(wall, Qt.Key.Key_Escape)
        with qtbot.waitSignal(wall.dataApplied, timeout=30000):
            qtbot.keyClick(wall, Qt.Key.Key_Escape)
        _layers_of(qtbot, wall, PROVINCE)
        before = len(asked["cameras"])
        wall.open_monitor()  # the province's cameras are asked for when the 监控 view opens
        qtbot.waitUntil(lambda: len(asked["cameras"]) > before and wall.camera_wall is not None
                        and len(wall.camera_wall.cameras) > 0, timeout=30000)
        assert all(str(c.get("region_code") or "").startswith("52") for c in wall.camera_wall.cameras)
        assert f"共 {len(wall.camera_wall.cameras)} 路" in wall.monitor.summary.text()
    finally:
        wall.close()
        client.close()
