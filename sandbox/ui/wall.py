"""The wall window (header, drill-down map, legend, timeline, village panel, cameras): layout and wiring only."""

# What a click, a key or a timer does is the session's (sandbox.ui.session, no widgets); the live
# layers and the cameras have controllers of their own (wall_layers, wall_cameras). This window
# builds the widgets and lays them out (wall_body), sizes them for its screen (wall_sizing) and
# connects them to those three. A screenshot of it: sandbox.ui.wall_screenshot.

from __future__ import annotations

import time
from collections.abc import Sequence

from PySide6.QtCore import QEvent, QEventLoop, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QApplication, QMainWindow, QWidget

from sandbox.ui.cameras.reconnect import StreamSettings
from sandbox.ui.frame_timing.after_frame import after_frame
from sandbox.ui.later import Later, build_soon, built, stop_building
from sandbox.ui.loader import WallClient
from sandbox.ui.panels import KpiStrip, PanelsColumn
from sandbox.ui.panels.worker import client_for_worker
from sandbox.ui.session import IDLE_SECONDS, LEAF_NOTE, ROOT_NOTE, WallSession
from sandbox.ui.session_qt import make_session, qt_host
from sandbox.ui.state import MapState, WallState
from sandbox.ui.theme import Metrics, metrics_for_height
from sandbox.ui.timeline import TimelinePlayer
from sandbox.ui.wall_body import WallBody
from sandbox.ui.wall_cameras import WallCameras
from sandbox.ui.wall_layers import WallLayers
from sandbox.ui.wall_layout import DisplaySpec
from sandbox.ui.wall_seams import WallArranger
from sandbox.ui.wall_sizing import WallSizing

__all__ = ["WallWindow", "run_wall", "LEAF_NOTE", "ROOT_NOTE"]

_INPUT_EVENTS = {QEvent.Type.MouseButtonPress, QEvent.Type.KeyPress, QEvent.Type.TouchBegin, QEvent.Type.Wheel}
# What the first frame does not show: made on first use, else one per event-loop turn once the first frame
# with data is painted (sandbox.ui.later). The layers' parts are the layers controller's (wall_layers).
LATER_PARTS = ("village_panel", "household_cards")


def _via(part: str, name: str) -> property:
    """A read-only attribute of one of the window's parts (the session or a controller), under the
    name the window has always had for it."""
    return property(lambda self: getattr(getattr(self, part), name), doc=f"`{part}.{name}`")


class WallWindow(WallBody, WallSizing, QMainWindow):
    """The sandbox wall. Talks to the county only through `client`, always off the GUI thread.

    `session` (WallSession) is what the wall is asked to do; `layers_ctl` and `cams` run the live
    layers and the cameras. Layout slots for more panels: `kpi_strip` (a QHBoxLayout under the header)
    and `side_column` (the right-hand QVBoxLayout, legend and summary first; `add_side_panel` keeps
    the order). `worker` runs every API call of the session on its one worker thread.
    """

    dataApplied = Signal()
    loadFailed = Signal(str)
    villageOpened = Signal()  # a village's panel is on screen with its figures (its list may follow)
    villageApplied = Signal()  # ... and its answer, the households list, too
    layersApplied = Signal()  # the live layers of the region on screen arrived
    checkinArrived = Signal(object)  # a check-in from GET /events is on the map
    cameraOpened = Signal(int)  # a camera is full screen over the wall
    cameraMissing = Signal(int)  # show_camera(id): the API has no such camera
    camerasRefreshed = Signal()  # fresh signed stream URLs were handed to the tiles
    monitorToggled = Signal(bool)  # the 监控 view took the map's place (True) or gave it back

    # the session's (what a click, a key or a timer does)
    worker, loader, village_loader = (_via("session", n) for n in ("worker", "loader", "village_loader"))
    prefetcher, village_prefetcher = (_via("session", n) for n in ("prefetcher", "village_prefetcher"))
    load, drill, go_up, go_home, go_to = (_via("session", n) for n in ("load", "drill", "go_up", "go_home", "go_to"))
    set_year, set_indicator, refresh = (_via("session", n) for n in ("set_year", "set_indicator", "refresh"))
    open_village, close_village = (_via("session", n) for n in ("open_village", "close_village"))
    set_idle_seconds = _via("session", "set_idle_seconds")
    # the live layers'
    layers, layers_enabled, layer_worker = (_via("layers_ctl", n) for n in ("data", "enabled", "worker"))
    projects_layer, flow_layer = (_via("layers_ctl", n) for n in ("projects", "flows"))
    checkin_layer, camera_layer = (_via("layers_ctl", n) for n in ("checkins", "cameras"))
    layer_bar, fund_panel, project_card = (_via("layers_ctl", n) for n in ("bar", "fund_panel", "card"))
    live, request_layers = (_via("layers_ctl", n) for n in ("live", "request"))
    set_layer_visible = set_layer = _via("layers_ctl", "set_visible")  # `set_layer`: the tours' name
    layer_names, open_project, close_project = (
        _via("layers_ctl", n) for n in ("names", "open_project", "close_project"))
    # the cameras'
    camera_policy, camera_health, stream_cameras = (_via("cams", n) for n in ("policy", "health", "stream"))
    cameras, camera_wall, full_view = (_via("cams", n) for n in ("cameras", "camera_wall", "full_view"))
    monitor_open, open_monitor, close_monitor = (
        _via("cams", n) for n in ("monitor_open", "open_monitor", "close_monitor"))
    show_camera, close_full_camera = (_via("cams", n) for n in ("show_camera", "close_full_camera"))
    # wall_seams' camera grid beside the map on a wide wall
    _region_cameras, _beside_tile, _open_full = (
        _via("cams", n) for n in ("region_cameras", "beside_tile", "open_full"))
    # made on first use or after the first frame with data (LATER_PARTS)
    village_panel = Later(lambda self: self._make_village_panel())
    household_cards = Later(lambda self: self._make_household_cards())

    def __init__(self, client: WallClient, *, region: str, year: int | None = None,
                 indicator: str = "poverty_incidence", retry_seconds: float = 30.0,
                 prefetch: bool = True, idle_seconds: float = IDLE_SECONDS, animate: bool = True,
                 panels_client: WallClient | None = None, preload: bool = True, layers: bool = True,
                 live: bool = True, camera_hosts: Sequence[str] = (), camera_settings: StreamSettings | None = None,
                 stream_cameras: bool = True, display: DisplaySpec | None = None, parent: QWidget | None = None):
        super().__init__(parent)
        self.arranger: WallArranger | None = None  # the layout on a video wall (set below)
        self.setObjectName("wall")
        self.setWindowTitle("扶贫电子沙盘")
        self.client = client
        self.state = WallState(MapState(indicator))
        self.metrics: Metrics | None = None
        self._styled: Metrics | None = None  # the metrics of the style sheet set (see _style)
        self._style_ready = False
        self._later_asked = False
        # Panels fetch on threads of their own, each with its own HTTP session.
        panels_client = client if panels_client is None else panels_client
        self._panels_client = panels_client
        self._village_width = 0  # the village panel's, once the columns are sized (see _size_columns)
        self.kpis = KpiStrip(client_for_worker(panels_client), animate=animate)
        self.panels = PanelsColumn(client_for_worker(panels_client), indicator=indicator, lazy_trend=True)
        # Their fetches start once the frame showing the new level is painted (see after_frame).
        self.kpis.set_defer(after_frame)
        self.panels.set_defer(after_frame)
        self._build()

        host = qt_host(self, animating=lambda: self.canvas.animating, visible=self.isVisible)
        self.session: WallSession = make_session(client, self.state, self, host=host, prefetch=prefetch,
                                                 retry_seconds=retry_seconds, preload=preload)
        self.player = TimelinePlayer(self.state, self.session.set_year, parent=self)
        self.player.playingChanged.connect(self.timeline.set_playing)
        self.session.playing = lambda: self.player.playing
        self.cams = WallCameras(self, client, camera_hosts, camera_settings, stream_cameras)
        self.layers_ctl = WallLayers(self, client, layers, live)
        self.session.layers, self.session.cameras = self.layers_ctl, self.cams
        self._place_layers()
        self._connect()
        # Esc closes the first of these that is open, else the village panel, else goes up a level.
        host.escapes[:] = [self.cams.close_full_camera, self.cams.close_grid_camera, self._close_menu,
                           self.cams.close_monitor, self.layers_ctl.escape_project, self._close_household_card]
        self.arranger = WallArranger(self, display)  # wide walls and panel seams (wall_layout, wall_seams)
        self._apply_metrics(metrics_for_height(1080))
        QApplication.instance().installEventFilter(self)
        self.session.set_idle_seconds(idle_seconds)
        self.state.nav.set_home(region)  # the path starts here: its first crumb is the wall's home
        self.session.load(region, year)

    def _connect(self) -> None:
        st, s, canvas = self.state, self.session, self.canvas
        canvas.regionClicked.connect(s.drill)
        canvas.backRequested.connect(s.go_up)
        self.breadcrumb.crumbClicked.connect(s.go_to)
        self.breadcrumb.backClicked.connect(s.go_up)
        self.timeline.slider.yearPicked.connect(self._on_year_picked)
        self.timeline.play_button.clicked.connect(lambda _=False: self.player.toggle())
        st.village.events.changed.connect(self._on_village_state)
        st.map.events.indicator.connect(self._on_indicator)
        # what the state says over the map, the map shows
        st.events.busy.connect(canvas.set_busy)
        st.events.loading.connect(self.kpis.stop_counting)  # a level on its way: the old count gives way
        st.events.note.connect(canvas.show_note)
        st.events.placeholder.connect(canvas.set_placeholder)
        s.events.applied.connect(self._on_applied)
        s.events.failed.connect(self.loadFailed.emit)
        s.events.village_opened.connect(self.villageOpened.emit)
        s.events.village_applied.connect(self.villageApplied.emit)
        s.events.shown.connect(self._on_shown)
        s.events.prepare.connect(self._paint_ahead)
        s.events.prepare_village.connect(self._paint_ahead_village)
        # a prefetched village's household table is made ready while idle: its click only shows it
        s.village_prefetcher.ready.connect(lambda _code, r: self.village_panel.prepare_later(r.households))
        s.events.refreshing.connect(self.layers_ctl.forget)
        s.events.home.connect(self.indicator_menu.close_menu)
        for part, signals in ((self.layers_ctl, ("layersApplied", "checkinArrived")),
                              (self.cams, ("cameraOpened", "cameraMissing", "camerasRefreshed", "monitorToggled"))):
            for name in signals:
                getattr(part, "applied" if name == "layersApplied" else name).connect(getattr(self, name))
        if self.layers_enabled:
            self.dataApplied.connect(self.layers_ctl.request_later)

    # -- what the session did -------------------------------------------------------------------------
    def _on_applied(self) -> None:
        self.dataApplied.emit()
        if not self._later_asked:  # what the first frame does not show is made once it is painted
            self._later_asked = True
            after_frame(lambda: build_soon(self, LATER_PARTS))
            after_frame(self.layers_ctl.build_later)
        if not self.panels.trend_ready:  # pyqtgraph's import waits for the first data on screen
            # after the frame, not on the next turn: that turn comes before the paint, and pyqtgraph's
            # import (≈0.5 s) would hold back the wall's first picture
            after_frame(self.panels.ensure_trend)

    def _on_shown(self, region: dict) -> None:
        self.kpis.update_region(region)
        self.panels.update_region(region)

    def _paint_ahead(self, code: str, ready) -> None:
        """A prefetched level laid out and rendered ahead of its drill: its map and its panels' pictures."""
        self.canvas.prepare(code, ready.region_map, ready.series)
        self.kpis.paint_ahead(ready.region)
        self.panels.paint_ahead(ready.region)
        self.header.paint_ahead(ready.region)
        self.breadcrumb.paint_ahead(ready.region)
        self.legend.paint_ahead(code, ready.region_map, ready.series)

    def _paint_ahead_village(self, _code: str) -> None:
        """The town's map rendered ahead at the width a village panel leaves it: the village panel takes
        the panels column's place and its own (fixed) width, so the map changes by the difference; and
        its villages' names drawn as the panel draws them (their glyphs made ahead of the first frame)."""
        if self.village_panel.isVisible():
            return
        rm = self.state.map.region_map
        if rm is not None:
            self.village_panel.paint_names_ahead([f.name for f in rm.features])
        give = self.panels.width() if self.panels.isVisible() else 0
        width = self.canvas.width() + give - self.village_panel.minimumWidth()
        self.canvas.keep_ready((width, self.canvas.height()))

    @property
    def preparing(self) -> bool:
        """Levels and the map beside a village panel are still being rendered ahead of their clicks."""
        return self.session.preparing or self.canvas.readying or \
            (built(self, "village_panel") and self.village_panel.preparing)

    # -- parts made after the first frame (LATER_PARTS) ---------------------------------------------------
    def _make_village_panel(self):
        from sandbox.ui.village_panel import VillagePanel

        st = self.state
        panel = VillagePanel(st.village, st.map)
        panel.hide()
        self._stage.addWidget(panel, 0)  # beside the map
        panel.closeRequested.connect(self.session.close_village)
        panel.pageRequested.connect(self.session.page)
        if self.metrics is not None:
            panel.set_metrics(self.metrics)
        if self._village_width:
            panel.setFixedWidth(self._village_width)
        self.__dict__["village_panel"] = panel
        self.household_cards  # noqa: B018 - a list row → its card: wired to the panel's table
        return panel

    def _make_household_cards(self):
        self.village_panel  # noqa: B018 - makes the cards too, the first time
        if built(self, "household_cards"):
            return self.household_cards
        from sandbox.ui.household_card import HouseholdCards

        cards = HouseholdCards(self, self._panels_client)  # a list row → its card (预计脱贫年度)
        if self.metrics is not None:
            cards.set_metrics(self.metrics)
        return cards

    def _close_household_card(self) -> bool:
        return built(self, "household_cards") and self.household_cards.close()

    def _close_menu(self) -> bool:
        if not self.indicator_menu.isVisible():
            return False
        self.indicator_menu.close_menu()
        return True

    def _on_indicator(self, *_: object) -> None:
        self.panels.set_indicator(self.state.map.indicator_key)

    def _on_year_picked(self, year: int) -> None:
        self.player.stop()
        self.session.set_year(year)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        # every event of the application passes here: `isInputEvent()` first, as `event.type()` costs a
        # Python enum per event (a few hundred per drill frame)
        if event.isInputEvent() and event.type() in _INPUT_EVENTS:
            self.session.touched()  # someone is using the wall
        return False

    def _on_village_state(self, village) -> None:
        # Opened at the click, its list on its way (issue 19): the town's count-up jumps to its end and
        # the map's dots stop, so their frames do not take the GUI thread ahead of the answer's.
        awaited = village.waiting and village.households is None and not village.note and not village.at_click
        if awaited:
            self.kpis.stop_counting()
        self.canvas.hold_motion(awaited)
        # The village panel takes the room the panels column leaves: hide one before showing the other,
        # or for a moment both count towards the window's minimum width and the window grows for good.
        if not village.is_open and not built(self, "village_panel"):  # never opened: nothing to hide
            self._size_columns()
            self.panels.setVisible(True)
            return
        first, then = (self.panels, self.village_panel) if village.is_open else (self.village_panel, self.panels)
        first.setVisible(False)
        self._size_columns()
        then.setVisible(True)

    def setVisible(self, visible: bool) -> None:  # noqa: N802 - Qt API
        if visible and not self._style_ready:
            self._style_ready = True
            if self.testAttribute(Qt.WidgetAttribute.WA_Resized):  # sized before its first show: that size's
                self._apply_metrics(self._metrics_for_size())
            self._style()
        super().setVisible(visible)

    def resizeEvent(self, event) -> None:
        self._style_ready = True
        self._apply_metrics(self._metrics_for_size())
        self._style()
        self._size_columns()
        super().resizeEvent(event)
        if self.indicator_menu.isVisible():
            self.indicator_menu.setGeometry(self.centralWidget().rect())

    def keyPressEvent(self, event: QKeyEvent) -> None:
        key = event.key()
        if key == Qt.Key.Key_Escape:
            self.session.go_up()
        elif key == Qt.Key.Key_F5:
            self.session.refresh()
        elif key == Qt.Key.Key_Space:
            self.player.toggle()
        else:
            super().keyPressEvent(event)

    def closeEvent(self, event) -> None:
        self.session.close()  # work waiting for the next frame (see after_frame) is dropped
        for owner in (self, self.layers_ctl):  # no part made after close: its workers would outlive the window
            stop_building(owner)
        QApplication.instance().removeEventFilter(self)
        self.cams.close(self.arranger)  # every tile's stream ends before the worker threads go
        self.player.stop()
        self.worker.shutdown()
        self.kpis.shutdown()
        self.panels.shutdown()
        if built(self, "household_cards"):
            self.household_cards.shutdown()
        self.layers_ctl.close()
        super().closeEvent(event)

    def wait_for_data(self, timeout: float = 30.0) -> bool:
        """Spin the event loop until the current request is answered; True if data is on screen."""
        deadline = time.monotonic() + timeout
        loop = QEventLoop()

        def done(*_) -> None:
            loop.quit()

        # A Python function, not `loop.quit`: PySide 6.11 keeps ≈ 53 B for every connect or disconnect of a
        # signal to a C++ slot, and the soak and benches call this thousands of times (issue 20).
        self.dataApplied.connect(done)
        self.loadFailed.connect(done)
        try:
            while (self.state.loading or self.canvas.animating) and time.monotonic() < deadline:
                QTimer.singleShot(100, loop, loop.quit)  # (with the loop as context: gone with it, nothing kept)
                loop.exec()
        finally:
            self.dataApplied.disconnect(done)
            self.loadFailed.disconnect(done)
        return self.state.has_data and self.state.error is None


def _application(offscreen: bool = False) -> QApplication:
    from sandbox.ui.warm import application

    return application(offscreen)


def run_wall(client: WallClient, *, region: str, year: int | None = None,
             indicator: str = "poverty_incidence", fullscreen: bool = True) -> int:
    """Run the wall until it is closed; returns the Qt exit code."""
    from sandbox.ui.freshness import install

    app = _application()
    win = WallWindow(client, region=region, year=year, indicator=indicator)
    win.freshness = install(win, client, refresh_seconds=300, health_seconds=30)  # the offline banner
    if fullscreen:
        screen = app.primaryScreen()
        if screen is not None:  # styled once, for the size it is shown at (see WallWindow._style)
            win.resize(screen.geometry().size())
        win.showFullScreen()
    else:
        win.resize(1920, 1080)
        win.show()
    return app.exec()
