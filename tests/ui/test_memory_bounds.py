"""Issue 20 (memory): the wall's pixel caches stay under their byte bounds; freed heap goes back on a timer."""

from __future__ import annotations

import sys

import pytest
from PySide6.QtGui import QFont, QImage, QPainter

from sandbox.ui import heap, map_layer, paint_cache


def test_label_sprites_stay_under_their_byte_bound_after_many_distinct_lines(qapp, monkeypatch):
    # Isolated from the other tests' sprites; the real bounds (2048 lines, 8 MB).
    monkeypatch.setattr(map_layer, "_SPRITES", type(map_layer._SPRITES)())
    monkeypatch.setitem(map_layer._sprite_stats, "bytes", 0)
    made = 0
    for i in range(160):  # big lines, each ≈ 100-200 kB: ≈ 20 MB of distinct figures
        map_layer.line_sprite(f"{i:04d} 贫困户 建档立卡 脱贫 {i * 7:05d}", 64, True, "#ffffff", 3.0, 2.0)
        made += 1
        assert map_layer.sprite_cache_bytes() <= map_layer._SPRITE_BYTES_LIMIT
        assert map_layer.sprite_cache_info()["size"] <= map_layer._SPRITE_LIMIT
    assert map_layer.sprite_cache_info()["size"] < made  # the bytes bound dropped some, well before 2048
    assert map_layer.sprite_cache_info()["bytes"] == map_layer.sprite_cache_bytes()
    # the most recent line is kept, so a repaint of the level on screen renders nothing again
    misses = map_layer.sprite_cache_info()["misses"]
    map_layer.line_sprite(f"{159:04d} 贫困户 建档立卡 脱贫 {159 * 7:05d}", 64, True, "#ffffff", 3.0, 2.0)
    assert map_layer.sprite_cache_info()["misses"] == misses


def test_glyph_sprites_stay_under_their_byte_bound_after_many_distinct_glyphs(qapp, monkeypatch):
    monkeypatch.setattr(paint_cache, "_GLYPHS", type(paint_cache._GLYPHS)())
    monkeypatch.setitem(paint_cache._glyph_stats, "bytes", 0)
    img = QImage(64, 64, QImage.Format.Format_ARGB32_Premultiplied)
    font = QFont()
    font.setPixelSize(120)
    p = QPainter(img)
    try:
        for i in range(400):  # 400 distinct glyphs at 120 px, 2× pixel ratio: ≈ 0.1 MB each
            paint_cache._glyph(chr(0x4E00 + i), font, paint_cache.QColor("#ffffff"), 3.0, 2.0, 0, 0)
            assert paint_cache.glyph_cache_bytes() <= paint_cache._GLYPH_BYTES_LIMIT
            assert paint_cache.glyph_cache_info()["size"] <= paint_cache._GLYPH_LIMIT
    finally:
        p.end()
    assert paint_cache.glyph_cache_info()["size"] < 400  # some were dropped for the bytes
    assert paint_cache.glyph_cache_info()["bytes"] == paint_cache.glyph_cache_bytes()


def test_freed_heap_is_handed_back_on_a_timer_but_never_while_busy(qtbot):
    busy, trims = [True], []
    trim = heap.PeriodicTrim(lambda: busy[0], seconds=0.05, release=lambda: trims.append(1) or True)
    qtbot.wait(300)
    assert trims == [] and trim.trims == 0  # a drill in flight: no trim
    busy[0] = False
    qtbot.waitUntil(lambda: len(trims) >= 2, timeout=2000)
    assert trim.trims == len(trims)
    trim.stop()
    n = len(trims)
    qtbot.wait(200)
    assert len(trims) == n


def test_a_trim_skipped_for_a_busy_wall_comes_as_soon_as_it_is_idle(qtbot):
    busy, trims = [True], []
    trim = heap.PeriodicTrim(lambda: busy[0], seconds=600, release=lambda: trims.append(1) or True)
    trim.tick()  # the ten-minute tick finds a drill in flight
    assert trims == []
    busy[0] = False
    qtbot.waitUntil(lambda: trims == [1], timeout=3000)  # not ten minutes later
    trim.stop()


def test_the_wall_s_refresh_controller_trims_the_heap_while_the_wall_is_idle(qtbot, county_client):
    # Freshness (what the kiosk and the soak install) hands freed heap back every TRIM_SECONDS,
    # not only when an outage ends, and never mid-load.
    from sandbox.ui import freshness
    from sandbox.ui.wall import WallWindow

    from .conftest import COUNTY

    wall = WallWindow(county_client, region=COUNTY, retry_seconds=600, prefetch=False, preload=False)
    qtbot.addWidget(wall)
    wall.show()
    qtbot.waitUntil(lambda: wall.state.has_data and not wall.state.loading, timeout=15000)
    fresh = freshness.install(wall, county_client, refresh_seconds=600)
    assert fresh.trim.timer.isActive() and fresh.trim.timer.interval() == int(heap.TRIM_SECONDS * 1000)
    assert 10 <= heap.TRIM_SECONDS <= 300
    trims = []
    fresh.trim.release = lambda: trims.append(1) or True
    fresh.trim.tick()
    assert trims == [1]
    wall.state.loading = True
    fresh.trim.tick()
    assert trims == [1]  # busy: skipped
    wall.state.loading = False
    fresh.stop()
    assert not fresh.trim.timer.isActive()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc only")
def test_arenas_can_be_limited_where_glibc_is():
    assert heap.limit_arenas(heap.ARENA_MAX) is True


def test_the_supervised_wall_starts_with_few_malloc_arenas(monkeypatch):
    from sandbox import app

    monkeypatch.delenv("MALLOC_ARENA_MAX", raising=False)
    assert app._child_env()["MALLOC_ARENA_MAX"] == "2"
    monkeypatch.setenv("MALLOC_ARENA_MAX", "4")  # an operator's own setting wins
    assert app._child_env()["MALLOC_ARENA_MAX"] == "4"
