"""A PNG of the wall rendered offscreen at a given size, once its data, panels and layers have arrived."""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path

from PySide6.QtCore import QEventLoop, Qt
from PySide6.QtWidgets import QApplication

from sandbox.ui.frame_timing.after_frame import flush_after_frame
from sandbox.ui.loader import WallClient
from sandbox.ui.wall import WallWindow
from sandbox.ui.wall_layout import DisplaySpec

__all__ = ["render_screenshot"]

log = logging.getLogger(__name__)


def _settle(app: QApplication, win: WallWindow, turns: int = 3, limit: int = 25) -> None:
    """Turn the event loop until a painted frame stops changing the layout (pyqtgraph sizes its axes
    while painting and lays out in posted events): `turns` quiet turns in a row, at most `limit`."""
    quiet, last = 0, None
    for _ in range(limit):
        win.grab()  # paints: lets every widget measure what it draws
        app.processEvents()
        state = win.panels.trend.plot_layout_key()
        quiet = quiet + 1 if state == last else 0
        last = state
        if quiet >= turns:
            return


def render_screenshot(client: WallClient, path: str | os.PathLike, size: tuple[int, int] = (1920, 1080), *,
                      region: str, year: int | None = None,
                      indicator: str = "poverty_incidence", timeout: float = 60.0, monitor: bool = False,
                      stream_cameras: bool = False, display: DisplaySpec | None = None) -> Path:
    """Build the wall offscreen at `size`, wait for its data, save a PNG and return its path.

    A village's code renders its town's map with the village panel open. `monitor` shows the 监控 view
    instead of the map; cameras stream only if `stream_cameras` (then it waits for their pictures), so
    a plain screenshot is deterministic: camera glyphs from the API's status, no streams."""
    from sandbox.ui.warm import application

    app = application(offscreen=True)
    win = WallWindow(client, region=region, year=year, indicator=indicator, animate=False, preload=False, live=False,
                     stream_cameras=stream_cameras, display=display)
    win.setAttribute(Qt.WidgetAttribute.WA_DontShowOnScreen, True)
    win.resize(*size)
    win.show()
    try:
        if not win.wait_for_data(timeout):
            log.warning("screenshot taken without fresh data: %s", win.state.error or "timed out")
        flush_after_frame()  # the panels' and layers' fetches start now, then are waited for below
        win.canvas.finish_transition()
        deadline = time.monotonic() + timeout
        while win.panels.trend.busy and time.monotonic() < deadline:  # the trend arrives on its own thread
            app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)
            time.sleep(0.01)
        win.kpis.finish_animations()
        if win.layers_enabled:  # the live layers come on their own worker
            while win.layer_worker.busy() and time.monotonic() < deadline:
                app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)
                time.sleep(0.01)
            app.processEvents()
        if monitor:
            win.open_monitor()
            tiles = win.camera_wall.visible_tiles() if win.camera_wall is not None else []
            while stream_cameras and tiles and time.monotonic() < deadline and \
                    not all(t.state in ("live", "down", "blocked") for t in tiles):
                app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)
                time.sleep(0.01)
        _settle(app, win)
        if win.arranger.fit():  # text off the panel seams, once everything is laid out
            _settle(app, win)
        out = Path(path)
        out.parent.mkdir(parents=True, exist_ok=True)
        if not win.grab().save(str(out), "PNG"):
            raise OSError(f"could not write PNG to {out}")
        return out
    finally:
        win.close()
        win.deleteLater()
