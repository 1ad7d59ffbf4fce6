"""Camera tiles against the real embedded API's MJPEG streams (HTTP on 127.0.0.1) and a silent socket
server: 直播, 信号中断 and back, a killed and restarted server, not-allowed URLs, no credentials shown."""

from __future__ import annotations

import logging
import socket
import threading
import time

import pytest
import requests
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractButton, QLabel, QWidget

from sandbox.ui.cameras import CameraFullView, CameraHealth, CameraTile, CameraWall, StaggerGate, UrlPolicy
from tests.conftest import auth
from tests.ui.camera_servers import FAST, start_stream_server, stop_stream_server

pytestmark = [pytest.mark.qt, pytest.mark.usefixtures("themed_app")]

SECRET = b"camera-tests-secret-0123456789abcdef"


def _start_server(engine, port=None):
    return start_stream_server(engine, secret=SECRET, fps=25, port=port)  # the same URLs across a restart


@pytest.fixture(scope="module")
def server(demo_engine):
    srv = _start_server(demo_engine)
    yield srv
    stop_stream_server(srv)


@pytest.fixture(scope="module")
def cameras(server, tokens) -> list[dict]:
    r = requests.get(server.url + "/api/v1/cameras", headers=auth(tokens["display"]), timeout=10)
    assert r.status_code == 200
    return r.json()


@pytest.fixture
def policy():
    return UrlPolicy(["127.0.0.1"])


@pytest.fixture
def make_tile(qtbot, policy):
    def make(camera, **kw):
        kw.setdefault("settings", FAST)
        kw.setdefault("gate", StaggerGate(FAST.stagger_s))
        tile = CameraTile(camera, policy, **kw)
        qtbot.addWidget(tile)
        tile.resize(480, 300)
        tile.show()
        return tile
    return make


def set_state(server, tokens, camera_id, state):
    r = requests.put(f"{server.url}/api/v1/demo/streams/{camera_id}/state", json={"state": state},
                     headers=auth(tokens["admin"]), timeout=5)
    assert r.status_code == 200


def wait_state(qtbot, tile, state, timeout=15000):
    qtbot.waitUntil(lambda: tile.state == state, timeout=timeout)


class _LocalServer:
    """A TCP listener on 127.0.0.1 that hands every connection to `on_connection` (on its accept thread)."""

    def __init__(self, backlog: int = 64) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(backlog)
        self.port = self.sock.getsockname()[1]
        self._closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self._closed:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.on_connection(conn)

    def on_connection(self, conn: socket.socket) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def close(self) -> None:
        self._closed = True
        self.sock.close()


class SilentServer(_LocalServer):
    """Accepts TCP connections and never sends a byte (a hung camera or proxy)."""

    def __init__(self) -> None:
        self.accepted: list[tuple[float, socket.socket]] = []
        super().__init__()

    def on_connection(self, conn: socket.socket) -> None:
        self.accepted.append((time.monotonic(), conn))

    def close(self) -> None:
        super().close()
        for _, c in self.accepted:
            c.close()


@pytest.fixture
def silent():
    s = SilentServer()
    yield s
    s.close()


def all_texts(root: QWidget) -> str:
    """Every text the widget tree shows or exposes (labels, buttons, tooltips, accessibility, painted words)."""
    out = []
    for w in [root, *root.findChildren(QWidget)]:
        out += [w.toolTip(), w.accessibleName(), w.accessibleDescription(), w.windowTitle(), w.statusTip()]
        if isinstance(w, (QLabel, QAbstractButton)):
            out.append(w.text())
        if isinstance(w, CameraTile):
            out += w.display_texts()
    return "\n".join(t for t in out if t)


# -- live, stalled, down ------------------------------------------------------------------------------

def test_a_tile_plays_the_demo_stream_live(make_tile, cameras, qtbot):
    health = CameraHealth()
    tile = make_tile(cameras[0], health=health)
    wait_state(qtbot, tile, "live", 15000)
    qtbot.waitUntil(lambda: tile._video.image is not None and not tile._video.image.isNull(), timeout=5000)
    assert tile.streaming and "直播" in all_texts(tile)
    assert tile.frame_age() is not None and tile.frame_age() < FAST.stall_s
    assert health.state(cameras[0]["id"]) == "live"
    src = tile._source
    n = src.frames_decoded
    qtbot.waitUntil(lambda: src.frames_decoded - n >= 10, timeout=5000)  # the stream keeps coming (25 fps served)
    img = tile.grab().toImage()
    assert not img.isNull()


def test_a_stalled_stream_shows_signal_lost_then_recovers(make_tile, cameras, server, tokens, qtbot):
    cam = cameras[1]
    health = CameraHealth()
    seen = []
    health.changed.connect(lambda cid, st: seen.append((cid, st)))
    tile = make_tile(cam, health=health)
    wait_state(qtbot, tile, "live")
    try:
        set_state(server, tokens, cam["id"], "stalled")  # connection stays open, no frames
        wait_state(qtbot, tile, "stalled", 10000)
        assert "信号中断" in all_texts(tile) and health.state(cam["id"]) == "stalled"
        assert tile._video.image is not None  # the last picture stays, veiled, under 信号中断
        qtbot.wait(1500)  # a few failed attempts against the stalled feed
        assert tile.state == "stalled" and tile._sup.attempts >= 1
    finally:
        set_state(server, tokens, cam["id"], "live")
    wait_state(qtbot, tile, "live", 15000)
    assert (cam["id"], "stalled") in seen and seen[-1] == (cam["id"], "live")


def test_a_camera_cut_and_back(make_tile, cameras, server, tokens, qtbot):
    cam = cameras[2]
    tile = make_tile(cam)
    wait_state(qtbot, tile, "live")
    try:
        set_state(server, tokens, cam["id"], "down")  # open stream ends, new ones get 503
        wait_state(qtbot, tile, "stalled", 10000)
        qtbot.waitUntil(lambda: "摄像头离线" in tile.detail_text(), timeout=10000)
    finally:
        set_state(server, tokens, cam["id"], "live")
    wait_state(qtbot, tile, "live", 15000)


def test_a_killed_and_restarted_server(demo_engine, tokens, make_tile, qtbot):
    srv = _start_server(demo_engine)
    port = srv.port
    cams = requests.get(srv.url + "/api/v1/cameras", headers=auth(tokens["display"]), timeout=10).json()
    tile = make_tile(cams[0])
    wait_state(qtbot, tile, "live")
    stop_stream_server(srv)  # the process serving the stream is gone: connection closed, then refused
    try:
        wait_state(qtbot, tile, "stalled", 10000)
        qtbot.wait(1000)
        assert tile.state == "stalled"
    finally:
        srv = _start_server(demo_engine, port=port)
    try:
        wait_state(qtbot, tile, "live", 15000)
    finally:
        stop_stream_server(srv)


def test_a_server_that_accepts_and_never_sends(make_tile, silent, qtbot):
    cam = {"id": 9001, "name": "无响应摄像头", "site": "测试点", "stream_url": f"http://127.0.0.1:{silent.port}/x.mjpeg"}
    tile = make_tile(cam)
    assert tile.state == "connecting"
    wait_state(qtbot, tile, "down", 10000)  # never a picture: 无信号, and it keeps trying
    qtbot.waitUntil(lambda: len(silent.accepted) >= 2, timeout=15000)
    n0 = len(silent.accepted)
    qtbot.wait(2000)
    # backoff: a few attempts in 2 s (each waits for its timeout), not a connection storm
    assert len(silent.accepted) - n0 <= 4
    assert tile.state == "down" and tile._video.image is None


def test_a_tile_that_outlives_its_health_record_keeps_going(make_tile, silent, qtbot):
    """The window's health record can go before a card tile waiting for deleteLater: no error, no report."""
    import shiboken6

    health = CameraHealth()
    cam = {"id": 9002, "name": "孤立摄像头", "stream_url": f"http://127.0.0.1:{silent.port}/x.mjpeg"}
    tile = make_tile(cam, health=health)
    shiboken6.delete(health)
    wait_state(qtbot, tile, "down", 10000)  # reported state changes after the deletion raise nothing
    assert tile.health is None


def test_an_expired_url_asks_for_a_fresh_one(make_tile, cameras, server, qtbot):
    bad = {**cameras[0], "stream_url": cameras[0]["stream_url"].replace("sig=", "sig=0")}
    tile = make_tile(bad, profile="main")
    with qtbot.waitSignal(tile.urlExpired, timeout=10000) as sig:
        pass
    assert sig.args == [cameras[0]["id"]]
    tile.set_camera(cameras[0])
    wait_state(qtbot, tile, "live", 15000)


# -- policy and privacy -------------------------------------------------------------------------------

@pytest.mark.parametrize("url", ["http://evil.example.com/cam.mjpeg", "ftp://127.0.0.1/cam.mjpeg",
                                 "file:///etc/passwd"])
def test_a_url_that_is_not_allowed_says_so_and_never_connects(make_tile, url, qtbot):
    health = CameraHealth()
    tile = make_tile({"id": 77, "name": "外部摄像头", "site": "某地", "stream_url": url}, health=health)
    qtbot.wait(300)
    assert tile.state == "blocked" and not tile.streaming and tile._source is None
    assert "地址不允许" in all_texts(tile) and health.state(77) == "blocked"


def test_a_host_outside_the_allow_list_gets_no_connection(make_tile, silent, qtbot):
    tile = make_tile({"id": 78, "name": "外部摄像头", "stream_url": f"http://localhost:{silent.port}/x.mjpeg"})
    qtbot.wait(500)
    assert tile.state == "blocked" and "localhost" in tile.detail_text() and silent.accepted == []


def test_no_stream_url_is_no_signal(make_tile):
    tile = make_tile({"id": 79, "name": "未接入", "stream_url": ""})
    assert tile.state == "down" and "未配置" in tile.detail_text()


def test_credentials_never_on_screen_or_in_logs(make_tile, cameras, caplog, qtbot, silent):
    caplog.set_level(logging.DEBUG)
    url = cameras[0]["stream_url"]
    sig = url.split("sig=")[1]
    with_creds = url.replace("http://", "http://admin:Secr3tPw@")
    live = make_tile({**cameras[0], "stream_url": with_creds}, profile="main")
    blocked = make_tile({"id": 80, "name": "外部", "stream_url": "rtsp://root:Secr3tPw@evil.example.com/s?token=T0k3n"})
    hung = make_tile({"id": 81, "name": "挂起", "stream_url": f"http://u:Secr3tPw@127.0.0.1:{silent.port}/s?sig={sig}"})
    wait_state(qtbot, live, "live")
    wait_state(qtbot, hung, "down", 10000)
    assert blocked.state == "blocked"
    text = "\n".join(all_texts(t) for t in (live, blocked, hung)) + caplog.text
    # the logs did see these URLs (urllib3's request lines, the tile's warning), redacted
    assert "/api/v1/demo/streams/" in caplog.text and "sig=***" in caplog.text
    assert "not allowed (rtsp://evil.example.com/s?token=***)" in caplog.text
    for secret in ("Secr3tPw", "admin", sig, "T0k3n", "root:"):
        assert secret not in text, secret


# -- the wall -----------------------------------------------------------------------------------------

def _many(cameras, n):
    out = []
    for i in range(n):
        c = dict(cameras[i % len(cameras)])
        c["name"] = f"{c['name']}#{i + 1}"
        out.append(c)
    return out


@pytest.fixture
def make_wall(qtbot, policy):
    hosts = []  # pytest-qt holds widgets weakly: keep the hosts alive for the test

    def make(cams, **kw):
        kw.setdefault("settings", FAST)
        kw.setdefault("gate", StaggerGate(0.02))
        host = QWidget()
        hosts.append(host)
        host.resize(1280, 720)
        wall = CameraWall(cams, policy, host, **kw)
        wall.setGeometry(host.rect())
        qtbot.addWidget(host)
        host.show()
        qtbot.waitExposed(host)
        return wall
    yield make
    for h in hosts:
        h.close()


def test_grid_pages_and_layouts(make_wall, cameras, qtbot):
    cams = _many(cameras, 11)
    wall = make_wall(cams, columns=3)
    assert wall.per_page == 9 and wall.pages == 2 and len(wall.visible_tiles()) == 9
    grid_pos = {wall._grid.getItemPosition(wall._grid.indexOf(t))[:2] for t in wall.visible_tiles()}
    assert grid_pos == {(r, c) for r in range(3) for c in range(3)}
    assert "第 1/2 页" in all_texts(wall)
    wall.set_page(1)
    assert [t.camera["name"] for t in wall.visible_tiles()] == [c["name"] for c in cams[9:]]
    wall.set_columns(2)  # stays on the page that holds the first camera shown before: 9..11 of 11
    assert wall.per_page == 4 and wall.pages == 3 and wall.page == 2 and len(wall.visible_tiles()) == 3
    wall.set_page(0)
    assert len(wall.visible_tiles()) == 4
    grid_pos = {wall._grid.getItemPosition(wall._grid.indexOf(t))[:2] for t in wall.visible_tiles()}
    assert grid_pos == {(0, 0), (0, 1), (1, 0), (1, 1)}
    qtbot.mouseClick(wall._next, Qt.MouseButton.LeftButton)
    assert wall.page == 1 and "第 2/3 页" in all_texts(wall)
    # only the shown tiles stream
    qtbot.waitUntil(lambda: all(t.streaming for t in wall.visible_tiles()), timeout=5000)
    assert not any(t.streaming for t in wall.tiles if t.isHidden())
    with pytest.raises(ValueError):
        wall.set_columns(5)


def test_a_4x4_wall_plays_sixteen_sub_streams_and_full_screen_the_main_stream(make_wall, cameras, qtbot):
    cams = _many(cameras, 17)
    wall = make_wall(cams, columns=4)
    assert wall.per_page == 16 and wall.pages == 2 and len(wall.visible_tiles()) == 16
    grid_pos = {wall._grid.getItemPosition(wall._grid.indexOf(t))[:2] for t in wall.visible_tiles()}
    assert grid_pos == {(r, c) for r in range(4) for c in range(4)}
    assert all(t.url == t.camera["sub_stream_url"] and "/sub.mjpeg?" in t.url for t in wall.visible_tiles())
    qtbot.waitUntil(lambda: all(t.state == "live" for t in wall.visible_tiles()), timeout=40000)
    assert max(t._video.image.width() for t in wall.visible_tiles()) <= 640  # the 640×360 sub-stream
    view = wall.open_camera(cams[0])
    assert view.tile.url == cams[0]["stream_url"] and "/sub.mjpeg" not in view.tile.url
    qtbot.waitUntil(lambda: view.tile.state == "live" and view.tile._video.image is not None, timeout=20000)
    assert view.tile._video.image.width() == 1280  # the main stream, decoded whole at this size
    wall.close_full_screen()


def test_a_tile_without_a_sub_stream_plays_the_main_stream(make_tile, cameras):
    cam = {k: v for k, v in cameras[0].items() if k != "sub_stream_url"}
    assert make_tile(cam).url == cam["stream_url"]
    assert make_tile(dict(cameras[0], sub_stream_url=None)).url == cameras[0]["stream_url"]


def test_the_grid_size_follows_the_number_of_cameras():
    from sandbox.ui.cameras.grid import grid_for

    assert [grid_for(n) for n in (0, 1, 4, 5, 9, 10, 16, 29)] == [2, 2, 2, 3, 3, 4, 4, 4]


def test_full_screen_text_scales_on_a_4k_and_larger_wall(policy, qtbot):
    sizes = {}
    for w, h in ((1920, 1080), (3840, 2160), (7680, 2160)):
        host = QWidget()
        qtbot.addWidget(host)
        host.resize(w, h)
        host.show()
        view = CameraFullView({"id": 1, "name": "济生铁皮石斛产业园·1号大棚"}, policy, host)
        view.show()
        qtbot.waitUntil(lambda: view.tile.height() > h * 0.8)
        qtbot.wait(100)  # the tile's children get their resize events
        sizes[(w, h)] = (view.hint.font().pixelSize(), view.tile._name.font().pixelSize(),
                         view.tile._video._big.pixelSize())
        view.close()
    base = sizes[(1920, 1080)]
    for size in ((3840, 2160), (7680, 2160)):
        assert all(big >= 1.8 * small for big, small in zip(sizes[size], base)), (size, sizes)


def test_click_opens_full_screen_and_esc_returns(make_wall, cameras, qtbot):
    wall = make_wall(cameras[:4], columns=2)
    qtbot.waitUntil(lambda: all(t.state == "live" for t in wall.visible_tiles()), timeout=20000)
    target = wall.visible_tiles()[1]
    with qtbot.waitSignal(wall.fullScreenOpened, timeout=5000) as opened:
        qtbot.mouseClick(target, Qt.MouseButton.LeftButton)
    assert opened.args == [cameras[1]["id"]]
    view = wall.full_view
    assert view is not None and view.isVisible() and view.geometry() == wall.window().rect()
    assert not any(t.streaming for t in wall.tiles)  # the grid is covered: it stops streaming
    wait_state(qtbot, view.tile, "live")
    assert "按 Esc 键或点击画面返回" in all_texts(view)
    with qtbot.waitSignal(wall.fullScreenClosed, timeout=5000):
        qtbot.keyClick(view, Qt.Key.Key_Escape)
    assert wall.full_view is None
    qtbot.waitUntil(lambda: all(t.streaming for t in wall.visible_tiles()), timeout=5000)
    # and a click on the full view goes back too
    wall.open_camera(cameras[0])
    with qtbot.waitSignal(wall.fullScreenClosed, timeout=5000):
        qtbot.mouseClick(wall.full_view, Qt.MouseButton.LeftButton)


def test_wall_health_follows_tiles(make_wall, cameras, qtbot):
    wall = make_wall(cameras[:4], columns=2)
    qtbot.waitUntil(lambda: all(wall.health.state(c["id"]) == "live" for c in cameras[:4]), timeout=20000)


def test_rtsp_goes_through_qt_multimedia_and_retries(make_tile, qtbot):
    """An RTSP camera nobody answers for: the Qt Multimedia source fails, the tile says 无信号 and retries."""
    with socket.socket() as s:  # a port with nobody listening
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    tile = make_tile({"id": 82, "name": "RTSP 摄像头", "stream_url": f"rtsp://user:Secr3tPw@127.0.0.1:{port}/ch1"})
    assert tile._source is not None and tile._source.kind == "media"
    wait_state(qtbot, tile, "down", 20000)
    assert "Secr3tPw" not in all_texts(tile)


def test_a_tile_deleted_while_streaming_leaves_no_worker_running(policy, cameras, qtbot):
    import threading as th

    host = QWidget()
    tile = CameraTile(cameras[0], policy, settings=FAST, gate=StaggerGate(0.0), parent=host)
    host.resize(400, 300)
    host.show()
    wait_state(qtbot, tile, "live")
    host.deleteLater()  # never closed: the lead's panel just goes away
    del host, tile
    qtbot.waitUntil(lambda: not any(t.name.startswith("mjpeg-") and t.is_alive() for t in th.enumerate()),
                    timeout=10000)


# -- other cameras' ways of sending MJPEG ------------------------------------------------------------

class ColourCamera(_LocalServer):
    """An MJPEG camera of one solid colour at a time (switchable), over HTTP/1.1 chunked with the parts
    cut across chunk boundaries and several in one chunk, or over HTTP/1.0 with a body that ends at close."""

    def __init__(self, chunked: bool) -> None:
        self.chunked = chunked
        self.colour = (200, 30, 30)
        super().__init__(backlog=8)

    def _frame(self) -> bytes:
        import numpy as np
        import simplejpeg

        img = np.empty((180, 320, 3), np.uint8)
        img[:] = self.colour
        jpeg = simplejpeg.encode_jpeg(img, quality=90, colorspace="RGB")
        return b"--cam\r\nContent-Type: image/jpeg\r\n\r\n" + jpeg + b"\r\n"  # no Content-Length: boundary scan

    def on_connection(self, conn: socket.socket) -> None:
        threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        try:
            conn.recv(65536)
            version, framing = (b"HTTP/1.1", b"Transfer-Encoding: chunked\r\n") if self.chunked else (b"HTTP/1.0", b"")
            conn.sendall(version + b" 200 OK\r\nContent-Type: multipart/x-mixed-replace; boundary=cam\r\n" + framing
                         + b"Connection: close\r\n\r\n")
            cuts = [7, 1500, 100000]  # mid-header, mid-JPEG, more than a part
            i = 0
            while not self._closed:
                body = self._frame() + self._frame()
                pos = 0
                while pos < len(body):
                    piece = body[pos:pos + cuts[i % len(cuts)]]
                    pos += len(piece)
                    i += 1
                    conn.sendall(b"%x\r\n%s\r\n" % (len(piece), piece) if self.chunked else piece)
                time.sleep(0.04)
        except OSError:
            pass
        finally:
            conn.close()


@pytest.mark.parametrize("chunked", [True, False], ids=["chunked", "close-delimited"])
def test_a_camera_that_cuts_its_parts_anywhere_is_shown_true_to_colour(make_tile, chunked, qtbot):
    cam_server = ColourCamera(chunked)
    try:
        tile = make_tile({"id": 9003, "name": "色卡摄像头", "stream_url": f"http://127.0.0.1:{cam_server.port}/v.mjpeg"})
        wait_state(qtbot, tile, "live")
        video = tile._video

        def centre():
            c = video.grab().toImage().pixelColor(video.width() // 2, video.height() // 2)
            return c.red(), c.green(), c.blue()

        qtbot.waitUntil(lambda: all(abs(a - b) <= 12 for a, b in zip(centre(), (200, 30, 30))), timeout=5000)
        cam_server.colour = (30, 60, 210)  # the picture follows the stream
        qtbot.waitUntil(lambda: all(abs(a - b) <= 12 for a, b in zip(centre(), (30, 60, 210))), timeout=5000)
        assert tile.state == "live"
    finally:
        cam_server.close()
