"""Camera tiles decode only what the screen shows: the DCT scale follows the tile's device-pixel size (never
below it), a resized tile decodes at its new scale, frames the display has not caught up with and hidden
tiles are not decoded."""

from __future__ import annotations

import threading

import numpy as np
import pytest
import requests
import simplejpeg

from sandbox.ui.cameras import CameraTile, StaggerGate, UrlPolicy
from sandbox.ui.cameras.mjpeg import MjpegSource, _decoded_size
from tests.conftest import auth
from tests.ui.camera_servers import FAST, start_stream_server, stop_stream_server

pytestmark = [pytest.mark.qt, pytest.mark.usefixtures("themed_app")]


@pytest.fixture(scope="module")
def server(demo_engine):
    srv = start_stream_server(demo_engine, secret=b"decode-tests-secret-0123456789abcdef", fps=25)
    yield srv
    stop_stream_server(srv)


@pytest.fixture(scope="module")
def cameras(server, tokens) -> list[dict]:
    r = requests.get(server.url + "/api/v1/cameras", headers=auth(tokens["display"]), timeout=10)
    assert r.status_code == 200
    return r.json()


@pytest.fixture
def make_tile(qtbot):
    def make(camera, size):
        tile = CameraTile(camera, UrlPolicy(["127.0.0.1"]), settings=FAST, gate=StaggerGate(FAST.stagger_s))
        qtbot.addWidget(tile)
        tile.resize(*size)
        tile.show()
        return tile
    return make


@pytest.mark.parametrize("box, decoded", [
    ((462, 222), (360, 640)),   # a 4×4 tile at 1080p shows 395×222: ½ (320×180) would be enlarged, so whole
    ((320, 180), (180, 320)),   # exactly half: ½ at 1:1
    ((300, 500), (180, 320)),   # a tall box shows 300×169 of the frame: ½ covers it
    ((1000, 100), (180, 320)),  # a wide, short box shows 178×100: ½, not ¼ (160×90 would be enlarged)
    ((150, 80), (90, 160)),     # ¼
    ((40, 20), (45, 80)),       # ⅛ is the smallest
    ((1920, 1080), (360, 640)),  # larger than the stream: whole, never more
    ((0, 0), (360, 640)),       # not laid out yet: whole
])
def test_the_decode_scale_covers_the_picture_the_box_shows(box, decoded):
    assert _decoded_size(360, 640, *box) == decoded
    h, w = decoded
    shown = min(box[0] / 640, box[1] / 360, 1.0)  # larger than the stream: the whole frame, enlarged
    if box[0] > 0:
        assert w >= 640 * shown - 0.5 and h >= 360 * shown - 0.5  # never shown larger than decoded


def _frame(tile):
    img = tile._video.image
    return None if img is None or img.isNull() else (img.width(), img.height())


def test_a_resized_tile_decodes_at_its_new_scale(make_tile, cameras, qtbot):
    tile = make_tile(cameras[0], (400, 260))  # a small tile (the picture box under its title is ≈ 388×220)
    qtbot.waitUntil(lambda: tile.state == "live" and _frame(tile) is not None, timeout=15000)
    box = tile._video.size()
    assert box.width() <= 640 and box.height() < 360
    qtbot.waitUntil(lambda: _frame(tile) == (640, 360), timeout=5000)  # 388×220 shown: ½ would be too small
    tile.resize(300, 170)  # the box drops under 320×180: ½ covers it
    qtbot.waitUntil(lambda: _frame(tile) == (320, 180), timeout=5000)
    tile.resize(900, 560)  # and back up: whole again
    qtbot.waitUntil(lambda: _frame(tile) == (640, 360), timeout=5000)


def test_the_decode_scale_counts_device_pixels(make_tile, cameras, qtbot, monkeypatch):
    from sandbox.ui.cameras.video import VideoView

    # a 200 % scaled screen (a 4K wall): a box of 300×170 logical pixels is 600×340 on the panel
    monkeypatch.setattr(VideoView, "devicePixelRatioF", lambda self: 2.0)
    tile = make_tile(cameras[0], (300, 170))
    qtbot.waitUntil(lambda: tile.state == "live" and _frame(tile) is not None, timeout=15000)
    qtbot.wait(300)
    assert _frame(tile) == (640, 360)


def _jpeg(i: int) -> bytes:
    img = np.full((360, 640, 3), (i * 40) % 256, np.uint8)
    return simplejpeg.encode_jpeg(img, quality=70, colorspace="RGB")


def test_frames_the_display_has_not_taken_are_not_decoded(qtbot):
    src = MjpegSource()
    stop = threading.Event()
    src._deliver(1, _jpeg(1), stop)
    src._deliver(1, _jpeg(2), stop)  # the display has not taken frame 1: 2 and 3 would overwrite it unseen
    src._deliver(1, _jpeg(3), stop)
    assert (src.frames_decoded, src.frames_skipped) == (1, 2)
    assert src.take() is not None
    assert src.take() is None
    src._deliver(1, _jpeg(4), stop)  # the display caught up: the next one is decoded
    assert (src.frames_decoded, src.frames_skipped) == (2, 2)
    assert src.take() is not None


def test_an_untaken_frame_is_replaced_once_it_is_old(qtbot):
    from sandbox.ui.cameras.mjpeg import _UNTAKEN_S

    src = MjpegSource()
    stop = threading.Event()
    src._deliver(1, _jpeg(1), stop)
    src._ring.latest_at -= _UNTAKEN_S + 0.1
    src._deliver(1, _jpeg(2), stop)  # a display frozen for longer: it gets the newest frame when it wakes
    assert src.frames_decoded == 2


def test_a_hidden_tile_decodes_nothing(make_tile, cameras, qtbot):
    tile = make_tile(cameras[1], (480, 300))
    qtbot.waitUntil(lambda: tile.state == "live", timeout=15000)
    src = tile._source
    tile.hide()
    qtbot.wait(200)
    n = src.frames_decoded
    qtbot.wait(600)  # 15 frames served meanwhile
    assert src.frames_decoded == n and not tile.streaming
    tile.set_active(False)
    tile.show()  # shown but paused (under a full-screen camera): still nothing
    qtbot.wait(400)
    assert src.frames_decoded == n


def _covered_tile(camera, qtbot):
    """A live tile with an opaque panel about to be laid over it."""
    from PySide6.QtWidgets import QWidget

    parent = QWidget()
    qtbot.addWidget(parent)
    parent.resize(500, 320)
    tile = CameraTile(camera, UrlPolicy(["127.0.0.1"]), settings=FAST, gate=StaggerGate(FAST.stagger_s),
                      parent=parent)
    tile.setGeometry(0, 0, 480, 300)
    card = QWidget(parent)  # a panel laid over the whole tile
    card.setAutoFillBackground(True)
    card.setGeometry(0, 0, 500, 320)
    card.hide()
    parent.show()
    qtbot.waitUntil(lambda: tile.state == "live", timeout=15000)
    card.show()
    card.raise_()
    qtbot.wait(300)  # the next watchdog tick notices
    return tile, card, parent


def test_a_covered_tile_decodes_next_to_nothing_and_stays_live(cameras, qtbot):
    tile, card, _parent = _covered_tile(cameras[2], qtbot)  # (the parent held: it owns the tile)
    src = tile._source
    n = src.frames_decoded
    qtbot.wait(2000)  # 50 frames served, a stall would have been noticed after 1.5 s
    assert src.frames_decoded - n <= 6  # one every half second at most, not 25 a second
    assert tile.state == "live" and tile.streaming
    card.hide()  # uncovered: full rate again
    qtbot.wait(300)
    n = src.frames_decoded
    qtbot.waitUntil(lambda: src.frames_decoded - n >= 10, timeout=3000)


def test_a_stream_that_stalls_under_a_panel_is_still_noticed(cameras, server, tokens, qtbot):
    cam = cameras[3]
    tile, _card, _parent = _covered_tile(cam, qtbot)

    def set_state(state):
        r = requests.put(f"{server.url}/api/v1/demo/streams/{cam['id']}/state", json={"state": state},
                         headers=auth(tokens["admin"]), timeout=5)
        assert r.status_code == 200
    try:
        set_state("stalled")  # the connection stays open, no frames: the waiting frame must not keep it "live"
        qtbot.waitUntil(lambda: tile.state == "stalled", timeout=10000)
    finally:
        set_state("live")
