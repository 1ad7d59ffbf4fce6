"""The wall window (header, map, legend, banner) plus the screenshot and kiosk entry points."""

from __future__ import annotations

import logging
import os
import sys
import time
from pathlib import Path

from PySide6.QtCore import QEventLoop, Qt, QTimer, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QApplication, QFrame, QHBoxLayout, QMainWindow, QVBoxLayout, QWidget

from sandbox.ui.header import ErrorBanner, HeaderBar
from sandbox.ui.legend import LegendWidget
from sandbox.ui.loader import LoadResult, RegionLoader, WallClient
from sandbox.ui.map_canvas import MapCanvas
from sandbox.ui.state import MapState, WallState
from sandbox.ui.summary import SummaryPanel
from sandbox.ui.theme import Metrics, apply_theme, metrics_for_height, stylesheet

__all__ = ["WallWindow", "render_screenshot", "run_wall"]

log = logging.getLogger(__name__)

SIDE_FRACTION = 0.24


class WallWindow(QMainWindow):
    """The sandbox wall. Talks to the county only through `client`, always off the GUI thread."""

    dataApplied = Signal()
    loadFailed = Signal(str)

    def __init__(self, client: WallClient, *, region: str, year: int | None = None,
                 indicator: str = "poverty_incidence", retry_seconds: float = 30.0,
                 parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("wall")
        self.setWindowTitle("扶贫电子沙盘")
        self.client = client
        self.state = WallState(MapState(indicator))
        self.metrics: Metrics | None = None
        self._target: tuple[str, int | None] = (region, year)
        self._have_indicators = False

        self.header = HeaderBar(self.state)
        self.banner = ErrorBanner(self.state)
        self.canvas = MapCanvas(self.state.map)
        self.legend = LegendWidget(self.state.map)
        self.summary = SummaryPanel(self.state)
        self.side = QFrame(objectName="sidePanel")
        side_lay = QVBoxLayout(self.side)
        side_lay.setContentsMargins(0, 0, 0, 0)
        side_lay.addWidget(self.legend)
        side_lay.addWidget(self.summary)
        side_lay.addStretch(1)
        body = QHBoxLayout()
        body.addWidget(self.canvas, 1)
        body.addWidget(self.side, 0)
        root = QWidget(objectName="wallRoot")
        lay = QVBoxLayout(root)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(0)
        lay.addWidget(self.header)
        lay.addWidget(self.banner)
        self._body_host = QWidget(objectName="bodyHost")
        self._body_host.setLayout(body)
        lay.addWidget(self._body_host, 1)
        self.setCentralWidget(root)

        self.loader = RegionLoader(client, self)
        self.loader.loaded.connect(self._on_loaded)
        self.loader.failed.connect(self._on_failed)
        self._retry = QTimer(self, singleShot=True, interval=max(1, int(retry_seconds * 1000)))
        self._retry.timeout.connect(self.refresh)
        self._apply_metrics(metrics_for_height(1080))
        self.load(region, year)

    # -- loading ----------------------------------------------------------------------------------
    def load(self, region: str, year: int | None = None) -> None:
        """Ask for a region/year; the screen changes only when all of its data has arrived."""
        self._target = (region, year)
        self._retry.stop()
        self.state.loading = True
        self.loader.request(region, year, with_indicators=not self._have_indicators)

    def refresh(self) -> None:
        self.load(*self._target)

    def set_indicator(self, key: str) -> None:
        self.state.map.indicator_key = key  # every indicator is in the GeoJSON: no refetch

    def _on_loaded(self, result: LoadResult) -> None:
        if result.indicators is not None:
            self.state.map.set_indicators(result.indicators)
            self._have_indicators = True
        self.state.apply(result.region, result.region_map)
        self._target = (self.state.map.region_code, self.state.map.year)
        self.state.loading = False
        self.dataApplied.emit()

    def _on_failed(self, message: str) -> None:
        self.state.loading = False
        self.state.error = message
        if not self.state.has_data:
            self.canvas.set_placeholder("暂无可显示的地图数据")
        self._retry.start()
        self.loadFailed.emit(message)

    # -- layout -----------------------------------------------------------------------------------
    def _apply_metrics(self, m: Metrics) -> None:
        if m == self.metrics:
            return
        self.metrics = m
        self.setStyleSheet(stylesheet(m))
        pad = m.px(16)
        self._body_host.layout().setContentsMargins(pad, pad, pad, pad)
        self._body_host.layout().setSpacing(pad)
        self.side.layout().setSpacing(pad)
        self.canvas.set_metrics(m)
        self.legend.set_metrics(m)
        self.header.setFixedHeight(m.px(104))

    def resizeEvent(self, event) -> None:
        self._apply_metrics(metrics_for_height(self.height()))
        self.side.setFixedWidth(max(260, int(self.width() * SIDE_FRACTION)))
        super().resizeEvent(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_F5:
            self.refresh()
            return
        super().keyPressEvent(event)

    def closeEvent(self, event) -> None:
        self._retry.stop()
        self.loader.shutdown()
        super().closeEvent(event)

    def wait_for_data(self, timeout: float = 30.0) -> bool:
        """Spin the event loop until the current request is answered; True if data is on screen."""
        deadline = time.monotonic() + timeout
        loop = QEventLoop()
        self.dataApplied.connect(loop.quit)
        self.loadFailed.connect(loop.quit)
        try:
            while self.state.loading and time.monotonic() < deadline:
                QTimer.singleShot(100, loop.quit)
                loop.exec()
        finally:
            self.dataApplied.disconnect(loop.quit)
            self.loadFailed.disconnect(loop.quit)
        return self.state.has_data and self.state.error is None


def _application(offscreen: bool = False) -> QApplication:
    app = QApplication.instance()
    if app is None:
        if offscreen:
            os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
        app = QApplication([sys.argv[0] if sys.argv else "sandbox"])
    apply_theme(app)
    return app


def render_screenshot(client: WallClient, path: str | os.PathLike, size: tuple[int, int] = (1920, 1080), *,
                      region: str, year: int | None = None,
                      indicator: str = "poverty_incidence", timeout: float = 60.0) -> Path:
    """Build the wall offscreen at `size`, wait for its data, save a PNG and return its path."""
    app = _application(offscreen=True)
    win = WallWindow(client, region=region, year=year, indicator=indicator)
    win.setAttribute(Qt.WidgetAttribute.WA_DontShowOnScreen, True)
    win.resize(*size)
    win.show()
    try:
        if not win.wait_for_data(timeout):
            log.warning("screenshot taken without fresh data: %s", win.state.error or "timed out")
        app.processEvents()
        out = Path(path)
        out.parent.mkdir(parents=True, exist_ok=True)
        if not win.grab().save(str(out), "PNG"):
            raise OSError(f"could not write PNG to {out}")
        return out
    finally:
        win.close()
        win.deleteLater()


def run_wall(client: WallClient, *, region: str, year: int | None = None,
             indicator: str = "poverty_incidence", fullscreen: bool = True) -> int:
    """Run the wall until it is closed; returns the Qt exit code."""
    app = _application()
    win = WallWindow(client, region=region, year=year, indicator=indicator)
    if fullscreen:
        win.showFullScreen()
    else:
        win.resize(1920, 1080)
        win.show()
    return app.exec()
