"""A camera wall paints all its pictures in one widget: one paint event per frame tick, the frames on
screen where each tile is, a tile under another widget still seen as covered."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QApplication, QWidget

from sandbox.ui.cameras import CameraWall, StaggerGate, UrlPolicy
from sandbox.ui.cameras.frameclock import default_frame_clock
from tests.ui.camera_servers import FAST
from tests.ui.test_cameras_tiles import ColourCamera

pytestmark = [pytest.mark.qt, pytest.mark.usefixtures("themed_app")]


@pytest.fixture
def colour_wall(qtbot):
    cams = [ColourCamera(chunked=True), ColourCamera(chunked=False)]
    cams[1].colour = (30, 60, 210)
    host = QWidget()
    host.resize(1280, 720)
    cameras = [{"id": 9100 + i, "name": f"色卡{i}", "stream_url": f"http://127.0.0.1:{cams[i % 2].port}/v.mjpeg"}
               for i in range(4)]
    wall = CameraWall(cameras, UrlPolicy(["127.0.0.1"]), host, columns=2, settings=FAST, gate=StaggerGate(0.02))
    wall.setGeometry(host.rect())
    qtbot.addWidget(host)
    host.show()
    qtbot.waitExposed(host)
    qtbot.waitUntil(lambda: all(t.state == "live" for t in wall.visible_tiles()), timeout=15000)
    yield wall, cams
    wall.close()
    for c in cams:
        c.close()


def _count_paints(widget, counts: dict, key) -> None:
    orig = widget.paintEvent

    def counting(e, orig=orig):
        counts[key] = counts.get(key, 0) + 1
        orig(e)
    widget.paintEvent = counting


def test_one_paint_event_draws_every_new_frame_and_no_tile_repaints_itself(colour_wall, qtbot):
    wall, _cams = colour_wall
    clock = default_frame_clock()
    counts: dict = {}
    _count_paints(wall._surface, counts, "surface")
    for i, t in enumerate(wall.visible_tiles()):
        _count_paints(t._video, counts, i)
    clock._timer.stop()  # the ticks by hand: every tile has a new frame waiting, then one tick
    try:
        app = QApplication.instance()
        app.processEvents()
        tiles = wall.visible_tiles()
        qtbot.waitUntil(lambda: all(t._source.has_frame() for t in tiles), timeout=5000)
        drawn = [t._video.paints for t in tiles]
        counts.clear()
        clock._tick()
        app.processEvents()
        assert counts == {"surface": 1}  # one paint event, none of a tile or its picture widget
        assert [t._video.paints - d for t, d in zip(tiles, drawn)] == [1, 1, 1, 1]  # each picture drawn once
    finally:
        clock._timer.start()


def test_the_frames_are_on_screen_where_each_tile_is(colour_wall, qtbot):
    wall, _cams = colour_wall

    def centre(tile):
        v = tile._video
        p = v.mapTo(wall, v.rect().center())
        c = wall.grab().toImage().pixelColor(p)
        return c.red(), c.green(), c.blue()

    expected = [(200, 30, 30), (30, 60, 210)] * 2
    for tile, colour in zip(wall.visible_tiles(), expected):
        qtbot.waitUntil(lambda tile=tile, colour=colour: all(abs(a - b) <= 12 for a, b in zip(centre(tile), colour)),
                        timeout=5000)
    # the tiles' own texts are not painted over (the surface is masked to the pictures)
    name = wall.visible_tiles()[0]._name
    assert wall._surface.mask().intersected(name.geometry().translated(name.parentWidget().pos())).isEmpty()


def test_a_tile_under_another_widget_is_covered_the_others_are_not(colour_wall, qtbot):
    wall, _cams = colour_wall
    tiles = wall.visible_tiles()
    panel = QWidget(wall)
    panel.setAutoFillBackground(True)
    panel.setGeometry(tiles[0].geometry())
    panel.show()
    panel.raise_()
    qtbot.waitUntil(lambda: tiles[0]._covered and not any(t._covered for t in tiles[1:]), timeout=3000)
    panel.hide()
    qtbot.waitUntil(lambda: not any(t._covered for t in tiles), timeout=3000)
