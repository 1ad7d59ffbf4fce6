"""The wall window (header, drill-down map, legend, timeline, village panel, cameras): layout and wiring only."""

# What a click, a key or a timer does is the session's (sandbox.ui.session, no widgets); the live
# layers and the cameras have controllers of their own (wall_layers, wall_cameras). This window
# builds the widgets, lays them out and connects them to those three.

from __future__ import annotations

import logging
import os
import time
from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import QEvent, QEventLoop, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QApplication, QFrame, QHBoxLayout, QLayout, QMainWindow, QSizePolicy, QVBoxLayout, QWidget

from sandbox.ui.breadcrumb import BreadcrumbBar
from sandbox.ui.cameras.reconnect import StreamSettings
from sandbox.ui.frame_timing.after_frame import after_frame, flush_after_frame
from sandbox.ui.header import ErrorBanner, HeaderBar
from sandbox.ui.indicator_picker import IndicatorMenu, IndicatorPicker
from sandbox.ui.later import Later, build_soon, built, stop_building
from sandbox.ui.layers.cameras import MonitorView
from sandbox.ui.legend import LegendWidget
from sandbox.ui.loader import WallClient
from sandbox.ui.map_canvas import MapCanvas
from sandbox.ui.paint_cache import SnapshotEffect
from sandbox.ui.panels import KpiStrip, PanelsColumn
from sandbox.ui.panels.paint import PICTURES_KEPT
from sandbox.ui.panels.worker import client_for_worker
from sandbox.ui.session import IDLE_SECONDS, LEAF_NOTE, ROOT_NOTE, WallSession
from sandbox.ui.session_qt import make_session, qt_host
from sandbox.ui.state import MapState, WallState
from sandbox.ui.summary import SummaryPanel
from sandbox.ui.theme import Metrics, metrics_for_height, stylesheet
from sandbox.ui.timeline import TimelineBar, TimelinePlayer
from sandbox.ui.wall_backdrop import Backdrop
from sandbox.ui.wall_cameras import WallCameras
from sandbox.ui.wall_layers import WallLayers
from sandbox.ui.wall_layout import DisplaySpec
from sandbox.ui.wall_seams import WallArranger

__all__ = ["WallWindow", "render_screenshot", "run_wall", "LEAF_NOTE", "ROOT_NOTE"]

log = logging.getLogger(__name__)

SIDE_FRACTION = 0.2
PANELS_FRACTION = 0.22
VILLAGE_FRACTION = 0.44
_INPUT_EVENTS = {QEvent.Type.MouseButtonPress, QEvent.Type.KeyPress, QEvent.Type.TouchBegin, QEvent.Type.Wheel}
# What the first frame does not show: made on first use, else one per event-loop turn once the first frame
# with data is painted (sandbox.ui.later). The layers' parts are the layers controller's (wall_layers).
LATER_PARTS = ("village_panel", "household_cards")


def _via(part: str, name: str) -> property:
    """A read-only attribute of one of the window's parts (the session or a controller), under the
    name the window has always had for it."""
    return property(lambda self: getattr(getattr(self, part), name), doc=f"`{part}.{name}`")


class WallWindow(QMainWindow):
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

    # -- construction -----------------------------------------------------------------------------
    def _build(self) -> None:
        st = self.state
        self.header = HeaderBar(st)
        self.banner = ErrorBanner(st)
        self.canvas = MapCanvas(st.map)
        self.legend = LegendWidget(st.map)
        self.summary = SummaryPanel(st)
        self.breadcrumb = BreadcrumbBar(st.nav)
        self.timeline = TimelineBar(st)

        root = Backdrop()
        self.indicator_menu = IndicatorMenu(st.map, root)
        self.indicator_picker = IndicatorPicker(st.map, self.indicator_menu)

        self._map_column = QVBoxLayout()
        self._map_column.setContentsMargins(0, 0, 0, 0)
        self._map_column.addWidget(self.breadcrumb)
        self._map_column.addWidget(self.canvas, 1)
        self.monitor = MonitorView()  # the 监控 view: takes the canvas's place when open
        self.monitor.hide()
        self._map_column.addWidget(self.monitor, 1)
        self._stage = QHBoxLayout()  # the map and, when open, the village panel beside it
        self._stage.setContentsMargins(0, 0, 0, 0)
        self._stage.addLayout(self._map_column, 1)  # the village panel joins it when made (_make_village_panel)
        self._main_column = QVBoxLayout()  # the timeline runs under both
        self._main_column.setContentsMargins(0, 0, 0, 0)
        self._main_column.addLayout(self._stage, 1)
        self._main_column.addWidget(self.timeline)

        self.side = QFrame(objectName="sidePanel")
        self.side_column = QVBoxLayout(self.side)
        self.side_column.setContentsMargins(0, 0, 0, 0)
        self.indicator_picker.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.side_column.addWidget(self.indicator_picker)
        self.legend.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)
        self.side_column.addWidget(self.legend)
        # The summary repeats the KPI strip for the hovered region: first to give way on small screens.
        self.summary.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Ignored)
        self.side_column.addWidget(self.summary, 1)
        self.side_column.addStretch(1)

        # Ignored vertically: below 1080p the panels squeeze (their text shrinks to fit) rather than
        # forcing the window taller than the screen.
        self.panels.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Ignored)
        body = QHBoxLayout()
        body.addWidget(self.panels, 0)  # the selected region's 五个一批, causes, guarantees, trend
        body.addLayout(self._main_column, 1)
        body.addWidget(self.side, 0)
        self._body_host = QWidget(objectName="bodyHost")
        self._body_host.setLayout(body)
        root.body, root.header = self._body_host, self.header
        self._backdrop = root
        # Panels of labels and plain buttons: painted from one image until something in them changes.
        # The side column's panels each have their own: a drill changes the legend's counts, not the
        # indicator picker, so only the legend's pixels are made again for the frame showing it.
        for panel in (self.header, self.breadcrumb, self.timeline, self.indicator_picker, self.legend,
                      self.summary):
            # header, path and legend keep a picture per prefetched level: they are painted ahead of the drill
            self._snapshot(panel, keep=PICTURES_KEPT if panel in (self.header, self.breadcrumb, self.legend) else 3)
        # Cards straight over the backdrop bake it into their cached pixels and are opaque: Qt then
        # paints neither the backdrop nor anything else under them.
        for card in (*self.kpis.cards.values(), self.kpis.as_of_block):
            card.set_backdrop(root)
        self.panels.set_backdrop(root)

        self._kpi_host = QWidget(objectName="kpiStrip")
        self.kpi_strip = QHBoxLayout(self._kpi_host)
        self.kpi_strip.setContentsMargins(0, 0, 0, 0)
        self.kpi_strip.addWidget(self.kpis)

        lay = QVBoxLayout(root)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(0)
        lay.addWidget(self.header)
        lay.addWidget(self._kpi_host)
        lay.addWidget(self.banner)
        lay.addWidget(self._body_host, 1)
        self.setCentralWidget(root)
        # The window's size is the screen's: its content never makes it bigger. By default Qt raises a
        # window's minimum size to its layout's and grows the window to it; here the metrics follow the
        # height, so a taller window asks for more height again (the offline banner and the red strip
        # together need more than 1080 px): the wall grew at every outage, slid off the screen and
        # re-rendered every label and map layer at each new size (issue 5's RSS jumps). Content that
        # does not fit is squeezed instead, as the panels already are below 1080p.
        self.layout().setSizeConstraint(QLayout.SizeConstraint.SetNoConstraint)

    def _place_layers(self) -> None:
        """The layers' fund chain joins the side column; their toggles float over the map."""
        self.add_side_panel(self.fund_panel, 1)
        self._snapshot(self.fund_panel)
        self.fund_panel.hide()  # shown with the first fund data
        self.add_side_panel(self.layers_ctl.duty.panel, 1)  # the 督办 panel, with its layer
        self._snapshot(self.layers_ctl.duty.panel)  # labels and a button: a full repaint blits it
        self.layers_ctl.duty.panel.hide()
        self.add_side_panel(self.layers_ctl.risk.panel, 1)  # the 风险 panel, with its layer
        self.layers_ctl.risk.panel.hide()

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
        the panels column's place and its own (fixed) width, so the map changes by the difference."""
        if self.village_panel.isVisible():
            return
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

    def _snapshot(self, panel: QWidget, keep: int = 3) -> None:
        """Paint `panel` (labels, plain buttons) from one cached image over the backdrop (SnapshotEffect),
        keeping its last `keep` pictures."""
        panel.setGraphicsEffect(SnapshotEffect(panel, self._backdrop, keep))
        self._backdrop.covered.append(panel)

    def add_banner(self, widget: QWidget) -> None:
        """Put a strip above the error banner, under the header and the KPI strip (the offline banner)."""
        lay = self.centralWidget().layout()
        at = lay.indexOf(self.banner)
        lay.insertWidget(at if at >= 0 else 1, widget)

    def add_side_panel(self, widget: QWidget, stretch: int = 0) -> None:
        """Put a panel in the right-hand column, above the trailing spacer."""
        self.side_column.insertWidget(self.side_column.count() - 1, widget, stretch)

    def _on_village_state(self, village) -> None:
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

    # -- layout -------------------------------------------------------------------------------------
    def _apply_metrics(self, m: Metrics) -> None:
        if m == self.metrics:
            return
        self.metrics = m
        self._backdrop.metrics = m
        self._style()
        pad = m.px(16)
        self._body_host.layout().setContentsMargins(pad, pad, pad, pad)
        self._body_host.layout().setSpacing(pad)
        self._map_column.setSpacing(m.px(10))
        self._stage.setSpacing(pad)
        self._main_column.setSpacing(pad)
        self.side_column.setSpacing(pad)
        self.kpis.set_metrics(m)
        self.panels.set_metrics(m)
        self.legend.set_metrics(m)
        self.timeline.set_metrics(m)
        if built(self, "village_panel"):
            self.village_panel.set_metrics(m)
        self.indicator_menu.set_metrics(m)
        self.fund_panel.set_metrics(m)
        self.layers_ctl.duty.panel.set_metrics(m)
        self.layers_ctl.risk.panel.set_metrics(m)
        self.layers_ctl.set_metrics(m)  # the project card, once made
        if built(self, "household_cards"):
            self.household_cards.set_metrics(m)
        self.monitor.set_metrics(m)
        self.layer_bar.set_metrics(m)
        self.layer_bar.move(m.px(116), m.px(14))  # beside the north arrow
        if self.layers_enabled:  # labels keep clear of the floating control
            self.canvas.label_obstacles = self.layers_ctl.obstacles()
        self.breadcrumb.set_spacing(m.px(6))
        self.header.setFixedHeight(m.px(104))
        self.canvas.set_metrics(m)  # last: its labels keep clear of the layer control placed above

    def _size_columns(self) -> None:
        w = self.width()
        if self.arranger is not None and self.arranger.size_columns():  # a video wall's plan (wall_layout)
            # the village panel takes the panels column's place, its width too: the map keeps its own
            self._set_village_width(self.panels.width())
            return
        else:
            side = max(260, int(w * SIDE_FRACTION))
            self.side.setFixedWidth(side)
            self.panels.setFixedWidth(max(300, int(w * PANELS_FRACTION)))
        # Never wider than what the map column (its breadcrumb) leaves: a window never grows for it.
        pad = self.metrics.px(16) if self.metrics is not None else 16
        room = w - side - self._map_column.minimumSize().width() - 4 * pad
        self._set_village_width(max(420, min(int(w * VILLAGE_FRACTION), room)))

    def _set_village_width(self, width: int) -> None:
        self._village_width = width
        if built(self, "village_panel"):
            self.village_panel.setFixedWidth(width)

    def _metrics_for_size(self) -> Metrics:
        m = metrics_for_height(self.height())
        return self.arranger.metrics_for(m) if self.arranger is not None else m

    def _style(self) -> None:
        """The window's style sheet for its metrics, once it is on its way to a screen. Set at construction
        for 1080p and again for the size the window is shown at, it would style every widget twice (the
        second time ≈ 50 ms at 4K, a start's largest single cost after the imports)."""
        if self._style_ready and self._styled != self.metrics:
            self.setStyleSheet(stylesheet(self.metrics))
            self._styled = self.metrics

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
        self.dataApplied.connect(loop.quit)
        self.loadFailed.connect(loop.quit)
        try:
            while (self.state.loading or self.canvas.animating) and time.monotonic() < deadline:
                QTimer.singleShot(100, loop.quit)
                loop.exec()
        finally:
            self.dataApplied.disconnect(loop.quit)
            self.loadFailed.disconnect(loop.quit)
        return self.state.has_data and self.state.error is None


def _application(offscreen: bool = False) -> QApplication:
    from sandbox.ui.warm import application

    return application(offscreen)


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
    app = _application(offscreen=True)
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
