"""Cameras on the wall against the real embedded API and its demo streams: map glyphs in their health colour,
the 监控 view, the project card's tile, show_camera for tours, fresh signed URLs, no credentials on screen."""

from __future__ import annotations

import datetime as dt
import logging
import time

import pytest
import requests
from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QAbstractButton, QLabel, QWidget

from sandbox.client.api import ApiClient
from sandbox.ui.cameras import CameraTile
from sandbox.ui.layers.cameras import HEALTH_COLOURS
from tests.conftest import auth
from tests.ui.camera_servers import FAST, start_stream_server, stop_stream_server
from tests.ui.conftest import shown_wall

pytestmark = [pytest.mark.qt, pytest.mark.usefixtures("themed_app")]

TOWN = "522726103000"  # 基长镇: 济生铁皮石斛产业园 (three cameras) and four more sites
SMALL_TOWN = "522726104000"  # four cameras: a 2×2 grid
JISHENG = "济生铁皮石斛产业园"
SECRET = b"wall-camera-tests-secret-0123456789"


def _start(engine, **hub):
    return start_stream_server(engine, secret=SECRET, fps=10, **hub)


@pytest.fixture(scope="module")
def cam_api(demo_engine, tokens):
    srv = _start(demo_engine)
    yield srv
    stop_stream_server(srv)


@pytest.fixture(scope="module")
def api_cameras(cam_api, tokens) -> list[dict]:
    r = requests.get(cam_api.url + "/api/v1/cameras", headers=auth(tokens["display"]), timeout=10)
    assert r.status_code == 200
    return r.json()


def _make_wall(qtbot, server, token, region, **kw):
    client = ApiClient(server.url, token)
    w = shown_wall(qtbot, client, region=region, animate=False, prefetch=False, preload=False,
                   live=False, camera_settings=FAST, **kw)
    qtbot.waitUntil(lambda: w.state.has_data and not w.state.loading, timeout=60000)
    qtbot.waitUntil(lambda: w.layers is not None and w.layers.region == w.state.map.region_code, timeout=60000)
    return w, client


@pytest.fixture
def wall(qtbot, cam_api, tokens):
    w, client = _make_wall(qtbot, cam_api, tokens["display"], TOWN)
    yield w
    w.close()
    client.close()


def set_feed(server, tokens, camera_id, state):
    r = requests.put(f"{server.url}/api/v1/demo/streams/{camera_id}/state", json={"state": state},
                     headers=auth(tokens["admin"]), timeout=5)
    assert r.status_code == 200


def _grab(wall):
    wall.state.map.hovered_code = None
    return wall.canvas.grab().toImage()


def _near(a: QColor, b: QColor, tol: int = 45) -> bool:
    return abs(a.red() - b.red()) + abs(a.green() - b.green()) + abs(a.blue() - b.blue()) <= tol


def _body_point(wall, cid) -> QPointF:
    r = wall.camera_layer.glyph_rect(cid)
    return QPointF(r.left() + r.width() * 0.33, r.center().y())  # inside the body, clear of the lens cone


def _readable(wall, cid) -> bool:
    """The glyph is not under a label (labels stay on top) nor under another layer's mark."""
    r = wall.camera_layer.glyph_rect(cid).adjusted(-2, -2, 2, 2)
    v = wall.canvas.view()
    return not any(r.intersects(lr) for lr in v.label_rects.values()) and not any(
        r.intersects(g) for g, _ in wall.flow_layer.glyphs())


def _colour_at(wall, cid) -> QColor:
    return QColor(_grab(wall).pixel(_body_point(wall, cid).toPoint()))


def all_texts(root: QWidget) -> str:
    out = []
    for w in [root, *root.findChildren(QWidget)]:
        out += [w.toolTip(), w.accessibleName(), w.accessibleDescription(), w.windowTitle(), w.statusTip()]
        if isinstance(w, (QLabel, QAbstractButton)):
            out.append(w.text())
        if isinstance(w, CameraTile):
            out += w.display_texts()
    return "\n".join(t for t in out if t)


# -- the map layer ----------------------------------------------------------------------------------

def test_camera_glyphs_sit_at_their_cameras_in_the_health_colour(wall, api_cameras):
    layer = wall.camera_layer
    mine = [c for c in api_cameras if c["region_code"].startswith(TOWN[:9])]
    assert sorted(c.id for c in layer.cameras) == sorted(c["id"] for c in mine) and len(mine) >= 5
    assert wall.layer_bar.is_on("cameras") and "monitor" in wall.layer_bar.actions
    # each glyph beside its own point (a site's cameras in a row next to the project marker)
    for c in mine:
        at = wall.canvas.to_screen(c["lon"], c["lat"])
        assert (layer.position(c["id"]) - at).manhattanLength() < 12 * layer.glyph_rect(c["id"]).height()
    # nobody watches yet: hollow (dark inside) — the API says online
    readable = [c["id"] for c in mine if _readable(wall, c["id"])]
    assert len(readable) >= 3  # the map is fitted clear of the layers' legend: a little smaller, more overlaps
    img = _grab(wall)
    for cid in readable:
        assert layer.state(cid) == "unknown"
        px = QColor(img.pixel(_body_point(wall, cid).toPoint()))
        assert px.lightness() < 60, f"camera {cid}: an unwatched camera is drawn hollow"
    # what the tiles report shows on the glyphs (the wall's one CameraHealth); every state, in rounds
    states = ["live", "stalled", "down", "blocked"]
    for first in range(0, len(states), len(readable)):
        shown = list(zip(readable, states[first:first + len(readable)]))
        for cid, st in shown:
            wall.camera_health.set(cid, st)
        img = _grab(wall)
        for cid, st in shown:
            px = QColor(img.pixel(_body_point(wall, cid).toPoint()))
            assert _near(px, QColor(HEALTH_COLOURS[st])), f"camera {cid} {st}: {px.name()}"
    tip = layer.tooltip(next(c for c in layer.cameras if c.id == readable[1]))
    assert "信号中断" in tip and "点击全屏观看" in tip
    # the legend has a camera row; the toggle hides the glyphs (tours use set_layer)
    wall.set_layer("cameras", False)
    assert not layer.visible and not wall.layer_bar.is_on("cameras")
    assert not _near(QColor(_grab(wall).pixel(_body_point(wall, readable[0]).toPoint())), QColor(HEALTH_COLOURS["live"]))
    wall.set_layer("cameras", True)
    assert wall.layer_bar.is_on("cameras")


def test_a_feed_cut_turns_its_glyph_red_and_a_frozen_one_amber(qtbot, wall, cam_api, tokens, api_cameras):
    mine = [c["id"] for c in api_cameras if c["region_code"].startswith(TOWN[:9]) and _readable(wall, c["id"])]
    cut, frozen = mine[0], mine[1]
    set_feed(cam_api, tokens, cut, "down")
    try:
        wall.open_monitor()  # the tiles stream: their health feeds the map's glyphs
        tiles = {t.camera_id: t for t in wall.camera_wall.visible_tiles()}
        qtbot.waitUntil(lambda: tiles[frozen].state == "live", timeout=20000)
        set_feed(cam_api, tokens, frozen, "stalled")
        # watchdog window: stall_s plus a tick or two and a failed reconnect
        qtbot.waitUntil(lambda: wall.camera_health.state(cut) == "down", timeout=20000)
        qtbot.waitUntil(lambda: wall.camera_health.state(frozen) == "stalled", timeout=20000)
        assert "无信号" in wall.monitor.summary.text() and "信号中断" in wall.monitor.summary.text()
        wall.close_monitor()
        assert _near(_colour_at(wall, cut), QColor(HEALTH_COLOURS["down"]))
        assert _near(_colour_at(wall, frozen), QColor(HEALTH_COLOURS["stalled"]))
        assert "无信号" in wall.camera_layer.tooltip(next(c for c in wall.camera_layer.cameras if c.id == cut))
    finally:
        set_feed(cam_api, tokens, cut, "live")
        set_feed(cam_api, tokens, frozen, "live")


def test_clicking_a_glyph_opens_that_camera_full_screen(qtbot, wall):
    layer = wall.camera_layer
    cid = next(c.id for c in layer.cameras if _readable(wall, c.id))
    qtbot.mouseClick(wall.canvas, Qt.MouseButton.LeftButton, pos=layer.position(cid).toPoint())
    assert wall.full_view is not None and wall.full_view.tile.camera_id == cid
    assert wall.state.full_camera == cid  # the camera view is in the state model
    assert not wall.project_card.isVisible()  # the glyph, not the project marker beside it
    qtbot.waitUntil(lambda: wall.full_view.tile.state == "live", timeout=20000)
    wall.go_up()  # Esc
    assert wall.full_view is None and wall.state.full_camera is None


# -- the 监控 view -----------------------------------------------------------------------------------

def test_monitor_view_shows_the_regions_cameras_and_esc_returns_to_the_map(qtbot, wall, api_cameras):
    mine = sorted(c["id"] for c in api_cameras if c["region_code"].startswith(TOWN[:9]))
    with qtbot.waitSignal(wall.monitorToggled, timeout=5000):
        wall.layer_bar.actions["monitor"].click()
    assert wall.monitor_open and wall.monitor.isVisible() and not wall.canvas.isVisible()
    assert wall.state.monitor_open
    grid = wall.camera_wall
    assert grid.columns == 3 and sorted(t.camera_id for t in grid.visible_tiles()) == mine[:9]
    assert "基长镇" in wall.monitor.title.text() and f"共 {len(mine)} 路" in wall.monitor.summary.text()
    qtbot.waitUntil(lambda: all(t.state == "live" for t in grid.visible_tiles()), timeout=30000)
    qtbot.waitUntil(lambda: all(wall.camera_health.state(i) == "live" for i in mine[:9]), timeout=5000)
    # a tile opens full screen; Esc closes it first, then the view
    grid.visible_tiles()[0].clicked.emit(dict(grid.visible_tiles()[0].camera))
    assert grid.full_view is not None and not any(t.streaming for t in grid.tiles)
    qtbot.keyClick(wall, Qt.Key.Key_Escape)
    assert grid.full_view is None and wall.monitor_open
    qtbot.keyClick(wall, Qt.Key.Key_Escape)
    assert not wall.monitor_open and wall.canvas.isVisible() and not wall.state.monitor_open
    assert wall.state.map.region_code == TOWN  # Esc left the map where it was
    assert not any(t.streaming for t in grid.tiles)  # hidden tiles stop
    # the map's glyphs show what the tiles saw
    assert all(wall.camera_layer.state(i) == "live" for i in mine[:9])


def test_monitor_view_follows_the_region_and_uses_2x2_for_four_cameras(qtbot, wall, api_cameras):
    wall.open_monitor()
    wall.monitor.back_button.click()
    assert not wall.monitor_open
    wall.load(SMALL_TOWN)
    qtbot.waitUntil(lambda: wall.state.map.region_code == SMALL_TOWN and wall.layers is not None
                    and wall.layers.region == SMALL_TOWN, timeout=60000)
    wall.open_monitor()
    mine = sorted(c["id"] for c in api_cameras if c["region_code"].startswith(SMALL_TOWN[:9]))
    assert len(mine) <= 4
    assert wall.camera_wall.columns == 2 and sorted(t.camera_id for t in wall.camera_wall.visible_tiles()) == mine
    # the breadcrumb takes the view up to the county: the grid follows, 4×4 (sub-streams) and paged
    wall.go_to(wall.state.nav.stack[0].code)
    qtbot.waitUntil(lambda: wall.layers is not None and wall.layers.region == wall.state.nav.stack[0].code
                    and wall.camera_wall.columns == 4, timeout=60000)
    assert len(api_cameras) > 9 and len(wall.camera_wall.visible_tiles()) == 16
    assert wall.monitor_open and wall.camera_wall.pages == -(-len(api_cameras) // 16)


# -- the project card ----------------------------------------------------------------------------------

def test_project_card_shows_a_live_tile_of_its_first_camera(qtbot, wall, api_cameras):
    proj = next(p for p in wall.projects_layer.projects if p.name == JISHENG)
    first = min(c["id"] for c in api_cameras if c.get("project_id") == proj.id)
    wall.open_project(proj.id, proj.name)
    card = wall.project_card
    qtbot.waitUntil(lambda: card.detail is not None, timeout=30000)
    tile = card.camera_widget
    assert isinstance(tile, CameraTile) and tile.camera_id == first and card.camera_slot.indexOf(tile) >= 0
    qtbot.waitUntil(lambda: tile.state == "live", timeout=20000)
    qtbot.mouseClick(tile, Qt.MouseButton.LeftButton)  # full screen; the card's tile pauses meanwhile
    view = wall.full_view
    assert view is not None and view.tile.camera_id == first and not tile.streaming
    qtbot.keyClick(view, Qt.Key.Key_Escape)
    assert wall.full_view is None and tile.streaming
    wall.go_up()  # closes the card: the tile goes and its stream ends
    assert card.camera_widget is None and not tile.streaming and not card.isVisible()


def test_a_project_without_cameras_keeps_the_text(qtbot, wall, api_cameras):
    with_cam = {c.get("project_id") for c in api_cameras}
    proj = next((p for p in wall.projects_layer.projects if p.id not in with_cam), None)
    if proj is None:
        pytest.skip("every project of this town has a camera")
    wall.open_project(proj.id, proj.name)
    qtbot.waitUntil(lambda: wall.project_card.detail is not None, timeout=30000)
    assert wall.project_card.camera_widget is None and "未接入摄像头" in wall.project_card.camera_placeholder.text()


# -- tours: set_layer, show_camera -----------------------------------------------------------------------

def test_show_camera_fetches_a_camera_from_elsewhere_and_esc_closes_it(qtbot, wall, api_cameras):
    other = next(c for c in api_cameras if not c["region_code"].startswith(TOWN[:9]))
    assert other["id"] not in wall.cameras
    with qtbot.waitSignal(wall.cameraOpened, timeout=30000) as sig:
        wall.show_camera(other["id"])
    assert sig.args == [other["id"]] and wall.full_view.tile.camera_id == other["id"]
    assert wall.full_view.geometry() == wall.rect()  # over the whole wall
    qtbot.waitUntil(lambda: wall.full_view.tile.state == "live", timeout=20000)
    qtbot.keyClick(wall.full_view, Qt.Key.Key_Escape)
    assert wall.full_view is None
    # a known camera opens at once; a click on the picture returns too
    mine = next(c for c in api_cameras if c["region_code"].startswith(TOWN[:9]))
    wall.show_camera(mine["id"])
    qtbot.mouseClick(wall.full_view.tile, Qt.MouseButton.LeftButton)
    assert wall.full_view is None


def test_show_camera_of_an_unknown_id_says_so(qtbot, wall, caplog):
    with caplog.at_level(logging.WARNING, logger="sandbox.ui.wall"):
        with qtbot.waitSignal(wall.cameraMissing, timeout=30000):
            wall.show_camera(987654)
    assert wall.full_view is None
    assert wall.canvas.note() == "没有编号为 987654 的摄像头"
    assert any("987654" in r.getMessage() for r in caplog.records)


# -- signed URLs -----------------------------------------------------------------------------------------

def test_an_expired_url_is_replaced_by_a_fresh_one_and_the_tile_plays(qtbot, demo_engine, tokens):
    srv = _start(demo_engine, url_ttl_s=4.0)  # short-lived URLs: they run out while the wall waits
    try:
        w, client = _make_wall(qtbot, srv, tokens["display"], TOWN)
        try:
            first = w.cameras[min(w.cameras)]
            exp = dt.datetime.fromisoformat(first["stream_expires_at"]).timestamp()
            deadline = time.monotonic() + 10
            while time.time() <= exp + 0.5 and time.monotonic() < deadline:
                qtbot.wait(100)
            old_url = first["stream_url"]
            with qtbot.waitSignal(w.camerasRefreshed, timeout=20000):
                w.show_camera(first["id"])  # 403: the tile asks for a fresh URL
            tile = w.full_view.tile
            qtbot.waitUntil(lambda: tile.state == "live", timeout=20000)
            assert tile.camera["stream_url"] != old_url and w.cameras[first["id"]]["stream_url"] != old_url
        finally:
            w.close()
            client.close()
    finally:
        stop_stream_server(srv)


# -- privacy and screenshots -------------------------------------------------------------------------------

def test_no_signature_or_token_appears_anywhere_on_the_wall(qtbot, wall, api_cameras, tokens):
    wall.open_monitor()
    qtbot.waitUntil(lambda: any(t.state == "live" for t in wall.camera_wall.visible_tiles()), timeout=20000)
    wall.camera_wall.open_camera(wall.camera_wall.visible_tiles()[0].camera)
    text = all_texts(wall)
    text += "\n".join(wall.camera_layer.tooltip(c) for c in wall.camera_layer.cameras)
    sigs = [c["stream_url"].split("sig=")[1] for c in api_cameras if "sig=" in c["stream_url"]]
    assert sigs
    for bad in ("sig=", "exp=", "stream_url", "/demo/streams/", tokens["display"], *sigs):
        assert bad not in text
    assert "直播" in text


def test_a_wall_told_not_to_stream_keeps_every_tile_paused(qtbot, cam_api, tokens):
    w, client = _make_wall(qtbot, cam_api, tokens["display"], TOWN, stream_cameras=False)
    try:
        w.open_monitor()
        w.show_camera(min(w.cameras))
        qtbot.wait(300)
        tiles = [*w.camera_wall.tiles, w.full_view.tile]
        assert not any(t.streaming for t in tiles)
        assert all(w.camera_health.state(i) == "unknown" for i in w.cameras)
    finally:
        w.close()
        client.close()
