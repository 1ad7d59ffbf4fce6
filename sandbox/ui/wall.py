"""The wall window (header, drill-down map, legend, timeline, village panel, cameras) plus screenshot and kiosk entry points."""

from __future__ import annotations

import logging
import os
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import QEvent, QEventLoop, QObject, QPoint, QPointF, QRect, QRectF, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QKeyEvent, QLinearGradient, QPainter
from PySide6.QtWidgets import (
    QApplication,
    QFrame,
    QHBoxLayout,
    QLayout,
    QMainWindow,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from sandbox.ui import classify
from sandbox.ui.breadcrumb import BreadcrumbBar
from sandbox.ui.cameras import CameraHealth, CameraTile, CameraWall, StaggerGate, StreamSettings, UrlPolicy
from sandbox.ui.cameras.grid import GRID_SIZES, CameraFullView, grid_for, open_fullscreen
from sandbox.ui.cameras.reconnect import default_gate
from sandbox.ui.frame_timing.after_frame import after_frame, flush_after_frame
from sandbox.ui.frame_timing.gc_pause import hold_until_frame
from sandbox.ui.fund_panel import FundChainPanel
from sandbox.ui.header import ErrorBanner, HeaderBar
from sandbox.ui.indicator_picker import IndicatorMenu, IndicatorPicker
from sandbox.ui.layers.cameras import CamerasLayer, MonitorView
from sandbox.ui.layers.checkins import CheckinLayer, region_prefix
from sandbox.ui.layers.data import (
    CameraPoint,
    LayersData,
    ProjectDetail,
    ProjectPoint,
    fetch_camera,
    fetch_cameras,
    fetch_layers,
    fetch_project,
)
from sandbox.ui.layers.errors import apply_layer_errors
from sandbox.ui.layers.funds import FundFlowLayer
from sandbox.ui.layers.projects import ProjectsLayer
from sandbox.ui.layers.toggles import LayerToggleBar
from sandbox.ui.legend import LegendWidget
from sandbox.ui.loader import FetchWorker, LoadResult, RegionLoader, VillageLoader, VillageResult, WallClient
from sandbox.ui.map_canvas import MapCanvas
from sandbox.ui.paint_cache import SnapshotEffect, WidgetCache
from sandbox.ui.panels import KpiStrip, PanelsColumn
from sandbox.ui.panels.paint import PICTURES_KEPT
from sandbox.ui.panels.worker import client_for_worker
from sandbox.ui.prefetch import Prefetcher, VillagePrefetcher
from sandbox.ui.project_card import ProjectCard
from sandbox.ui.state import MapState, RegionSeries, WallState
from sandbox.ui.summary import SummaryPanel
from sandbox.ui.theme import Colors, Metrics, apply_theme, metrics_for_height, stylesheet
from sandbox.ui.timeline import TimelineBar, TimelinePlayer
from sandbox.ui.village_panel import VillagePanel
from sandbox.ui.wall_layout import DisplaySpec
from sandbox.ui.wall_seams import WallArranger

__all__ = ["WallWindow", "render_screenshot", "run_wall"]

log = logging.getLogger(__name__)

SIDE_FRACTION = 0.2
PANELS_FRACTION = 0.22
VILLAGE_FRACTION = 0.44
LEAF_NOTE = "已是最底层（行政村），没有下级区域"
ROOT_NOTE = "已是最上层"
IDLE_SECONDS = 300.0  # nobody touched the wall for this long: back to the county overview
PRELOAD_DELAY_MS = 1000  # after the first data: mapclassify's import (≈3 s of CPU) waits for the first frames
_PRELOAD: threading.Thread | None = None
PREPARE_RETRY_MS = 60  # a prefetched level waits for the animation or load on screen to end
_DEFERRED = "after-frame"  # the workers' channel of work waiting for the next frame (see after_frame)
_INPUT_EVENTS = {QEvent.Type.MouseButtonPress, QEvent.Type.KeyPress, QEvent.Type.TouchBegin, QEvent.Type.Wheel}


class _Backdrop(QWidget):
    """The window's background, painted once per size and blitted: the plain navy, the header's band
    and under it a gradient over the body. Opaque, so Qt paints nothing beneath it, and opaque
    children (the map, and the cards that bake this backdrop into their own cached pixels, see
    `paint_under`) are cut out of what it paints."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("wallRoot")
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent, True)
        self.header: QWidget | None = None  # the band at the top
        self.body: QWidget | None = None  # the area under the gradient
        self.metrics: Metrics = metrics_for_height(1080)
        self.pixels = WidgetCache(opaque=True)
        self.covered: list[QWidget] = []  # children whose own image includes this backdrop (no Qt opacity)

    def key(self) -> tuple:
        geo = tuple((w.geometry().getRect() if w is not None else None) for w in (self.header, self.body))
        return (*geo, self.metrics)

    def paintEvent(self, event) -> None:
        region = event.region()
        for w in self.covered:  # they paint this backdrop themselves (see SnapshotEffect)
            if w.isVisible():
                region -= QRect(w.mapTo(self, QPoint(0, 0)), w.size())
        if region.isEmpty():
            return
        p = QPainter(self)
        try:
            self._blit(p, region)
        finally:
            p.end()

    def _blit(self, p: QPainter, region=None) -> None:
        key = self.key()
        self.pixels.paint(self, p, lambda q: self._paint(q, key), key, region)

    def paint_under(self, p: QPainter, widget: QWidget) -> None:
        """Paint what this backdrop shows under `widget` (in `widget`'s coordinates): a card that
        paints it first covers every one of its pixels, so it can be opaque."""
        o = widget.mapTo(self, QPoint(0, 0))
        dev = p.device()
        dpr = dev.devicePixelRatioF() if dev is not None else self.devicePixelRatioF()
        key = self.key()
        img = self.pixels.image(self, dpr, lambda q: self._paint(q, key), key)
        w, h = widget.width(), widget.height()
        p.drawImage(QRectF(0, 0, w, h), img, QRectF(o.x() * dpr, o.y() * dpr, w * dpr, h * dpr))

    def under_key(self, widget: QWidget) -> tuple:
        o = widget.mapTo(self, QPoint(0, 0))
        return (o.x(), o.y(), self.width(), self.height(), self.key())

    def _paint(self, p: QPainter, key: tuple) -> None:
        p.fillRect(self.rect(), QColor(Colors.background))
        if self.header is not None and self.header.isVisible():
            r = QRectF(self.header.geometry())
            g = QLinearGradient(QPointF(0, r.top()), QPointF(0, r.bottom()))
            g.setColorAt(0.0, QColor("#0f2a50"))
            g.setColorAt(1.0, QColor("#081426"))
            p.fillRect(r, g)
            b = self.metrics.px(2)  # the accent rule under the header (QSS keeps its room: a transparent border)
            p.fillRect(QRectF(r.left(), r.bottom() + 1 - b, r.width(), b), QColor(Colors.accent))
        if self.body is not None:
            r = QRectF(self.body.geometry())
            if not r.isEmpty():
                g = QLinearGradient(QPointF(0, r.top()), QPointF(0, r.bottom()))
                g.setColorAt(0.0, QColor(Colors.background_top))
                g.setColorAt(1.0, QColor(Colors.background))
                p.fillRect(r, g)


class WallWindow(QMainWindow):
    """The sandbox wall. Talks to the county only through `client`, always off the GUI thread.

    Layout slots for more panels: `kpi_strip` (a QHBoxLayout under the header) and `side_column`
    (the right-hand QVBoxLayout, legend and summary first; `add_side_panel` keeps the order).
    `worker` runs every API call on the wall's one worker thread; panels may submit to it.
    """

    dataApplied = Signal()
    loadFailed = Signal(str)
    villageApplied = Signal()
    layersApplied = Signal()  # the live layers of the region on screen arrived
    checkinArrived = Signal(object)  # a check-in from GET /events is on the map
    cameraOpened = Signal(int)  # a camera is full screen over the wall
    cameraMissing = Signal(int)  # show_camera(id): the API has no such camera
    camerasRefreshed = Signal()  # fresh signed stream URLs were handed to the tiles
    monitorToggled = Signal(bool)  # the 监控 view took the map's place (True) or gave it back

    def __init__(self, client: WallClient, *, region: str, year: int | None = None,
                 indicator: str = "poverty_incidence", retry_seconds: float = 30.0,
                 prefetch: bool = True, idle_seconds: float = IDLE_SECONDS, animate: bool = True,
                 panels_client: WallClient | None = None, preload: bool = True, layers: bool = True,
                 live: bool = True, camera_hosts: Sequence[str] = (), camera_settings: StreamSettings | None = None,
                 stream_cameras: bool = True, display: DisplaySpec | None = None, parent: QWidget | None = None):
        super().__init__(parent)
        self.arranger: WallArranger | None = None  # the layout on a video wall (set below)
        self.preload = preload  # import mapclassify in the background after the first data
        self._closed = False
        self.setObjectName("wall")
        self.setWindowTitle("扶贫电子沙盘")
        self.client = client
        self.state = WallState(MapState(indicator))
        self.metrics: Metrics | None = None
        self._target: tuple[str, int | None] = (region, year)
        self._have_indicators = False
        self._series: dict[str, RegionSeries] = {}
        # Panels fetch on threads of their own, each with its own HTTP session.
        panels_client = client if panels_client is None else panels_client
        self.kpis = KpiStrip(client_for_worker(panels_client), animate=animate)
        self.panels = PanelsColumn(client_for_worker(panels_client), indicator=indicator, lazy_trend=True)
        # Their fetches start once the frame showing the new level is painted (see after_frame).
        self.kpis.set_defer(after_frame)
        self.panels.set_defer(after_frame)
        self._build()

        self.worker = FetchWorker(self)
        self.loader = RegionLoader(client, self, self.worker)
        self.loader.loaded.connect(self._on_loaded)
        self.loader.failed.connect(self._on_failed)
        self.village_loader = VillageLoader(client, self, self.worker)
        self.village_loader.loaded.connect(self._on_village)
        self.village_loader.failed.connect(self._on_village_failed)
        self.prefetcher = Prefetcher(client, self.worker, self._series_of, self)
        self.prefetcher.enabled = prefetch
        self.prefetcher.ready.connect(self._queue_prepare)
        self.village_prefetcher = VillagePrefetcher(client, self.worker, self)
        self.village_prefetcher.enabled = prefetch
        self._to_prepare: list[str] = []  # prefetched levels to lay out and render while idle
        self._on_screen: tuple[str, LoadResult, float] | None = None  # the level shown, since when fresh
        self._prepare_timer = QTimer(self, singleShot=True, interval=0)
        self._prepare_timer.timeout.connect(self._prepare_next)
        self.player = TimelinePlayer(self.state, self.set_year, parent=self)
        self.player.playingChanged.connect(self.timeline.set_playing)
        self._retry = QTimer(self, singleShot=True, interval=max(1, int(retry_seconds * 1000)))
        self._retry.timeout.connect(self.refresh)
        self._idle = QTimer(self, singleShot=True)
        self._idle.timeout.connect(self.go_home)
        self._idle_enabled = False
        self._connect()
        self._setup_cameras(client, camera_hosts, camera_settings, stream_cameras)
        self._setup_layers(client, layers, live)
        self.arranger = WallArranger(self, display)  # wide walls and panel seams (wall_layout, wall_seams)
        self._apply_metrics(metrics_for_height(1080))
        QApplication.instance().installEventFilter(self)
        self.set_idle_seconds(idle_seconds)
        self.load(region, year)

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
        self.village_panel = VillagePanel(st.village, st.map)
        self.village_panel.hide()

        root = _Backdrop()
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
        self._stage.addLayout(self._map_column, 1)
        self._stage.addWidget(self.village_panel, 0)
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

    def _connect(self) -> None:
        self.canvas.regionClicked.connect(self.drill)
        self.canvas.backRequested.connect(self.go_up)
        self.breadcrumb.crumbClicked.connect(self.go_to)
        self.breadcrumb.backClicked.connect(self.go_up)
        self.timeline.slider.yearPicked.connect(self._on_year_picked)
        self.timeline.play_button.clicked.connect(lambda _=False: self.player.toggle())
        self.village_panel.closeRequested.connect(self.close_village)
        self.village_panel.pageRequested.connect(self._on_page)
        self.state.village.events.changed.connect(self._on_village_state)
        self.state.map.events.indicator.connect(self._on_indicator)

    # -- live layers (projects, fund flows, check-ins) --------------------------------------------------
    def _setup_layers(self, client: WallClient, enabled: bool, live: bool) -> None:
        """The three layers over the map, their toggles, the fund-chain panel and the project card.
        `enabled` False: none (the map alone)."""
        self.projects_layer = ProjectsLayer()
        self.flow_layer = FundFlowLayer()
        self.flow_layer.projects = self.projects_layer
        self.checkin_layer = CheckinLayer()
        self.camera_layer = CamerasLayer()
        self.camera_layer.projects = self.projects_layer
        for ov in (self.flow_layer, self.checkin_layer, self.projects_layer, self.camera_layer):  # bottom to top
            self.canvas.add_overlay(ov)
        self.camera_health.changed.connect(self._on_camera_health)
        self.layer_bar = LayerToggleBar([("projects", "项目", True), ("funds", "资金流", True),
                                         ("checkins", "走访", True), ("cameras", "摄像头", True)], self.canvas,
                                        actions=[("monitor", "监控")])
        self.layer_bar.toggled.connect(self.set_layer_visible)
        self.layer_bar.triggered.connect(lambda name: self.open_monitor() if name == "monitor" else None)
        self.monitor.backRequested.connect(self.close_monitor)
        self.fund_panel = FundChainPanel()
        self.fund_panel.hide()  # shown with the first fund data
        self.add_side_panel(self.fund_panel, 1)
        self._snapshot(self.fund_panel)
        self.project_card = ProjectCard(self.canvas)
        self.project_card.keep_clear = [self.layer_bar]
        self.project_card.closeRequested.connect(self.close_project)
        self.layers_enabled = bool(enabled)
        self.layers: LayersData | None = None
        self._layers_key: tuple | None = None
        self.live = None
        self.layer_worker = None
        self._layers_client = None
        self._layers_reload = QTimer(self, singleShot=True, interval=2000)  # coalesces bursts of `facts`
        self._layers_reload.timeout.connect(lambda: self.request_layers(force=True))
        if not self.layers_enabled:
            self.layer_bar.hide()
            self.fund_panel.hide()
            return
        self.canvas.reserve_legend = True
        self.layer_worker = FetchWorker(self)  # its own thread and HTTP session: never behind a drill
        self._layers_client = client_for_worker(client)
        self.layer_worker.done.connect(self._on_layer_result)
        self.layer_worker.failed.connect(self._on_layer_failed)
        self.canvas.overlayClicked.connect(self._on_overlay_clicked)
        self.dataApplied.connect(self._request_layers_later)
        if live:
            from sandbox.ui.layers.live import LiveEvents

            self.live = LiveEvents(client, self)
            self.live.checkin.connect(self._on_live_checkin)
            self.live.resync.connect(lambda: self.request_layers(force=True))
            self.live.facts.connect(self._on_facts)
            self.live.start()

    def set_layer_visible(self, name: str, on: bool) -> None:
        ov = {"projects": self.projects_layer, "funds": self.flow_layer, "checkins": self.checkin_layer,
              "cameras": self.camera_layer}.get(name)
        if ov is None:
            log.warning("no map layer named %r", name)
            return
        ov.set_visible(on)
        b = self.layer_bar.buttons.get(name)
        if b is not None and b.isChecked() != bool(on):
            b.setChecked(bool(on))
        if name == "funds":
            self._show_fund_panel(bool(on) and self.layers_enabled)

    def set_layer(self, name: str, on: bool) -> None:
        """Show or hide a map layer (projects, funds, checkins, cameras): the tours' name for `set_layer_visible`."""
        self.set_layer_visible(name, on)

    def layer_names(self) -> list[str]:
        """The map layers a tour may show (none when the wall has no API connection for them)."""
        return list(self.layer_bar.buttons) if self.layers_enabled else []

    def _show_fund_panel(self, on: bool) -> None:
        # The summary repeats the KPI strip (it is the first to give way): the fund chain takes its room,
        # unless a wide wall gives the fund chain a column of its own.
        self.summary.setVisible(not on or (self.arranger is not None and self.arranger.funds_beside))
        self.fund_panel.setVisible(on)

    def _request_layers_later(self) -> None:
        """The layers of a new level are asked for once the frame showing it is painted."""
        self.layer_worker.hold(_DEFERRED)  # busy until then
        after_frame(self._request_layers_now)

    def _request_layers_now(self) -> None:
        try:
            self.layer_worker.release(_DEFERRED)
            if not self._closed:
                self.request_layers()
        except RuntimeError:  # the window was deleted before the frame came
            pass

    def request_layers(self, force: bool = False) -> None:
        """Fetch the layers of the region and year on screen (off the GUI thread), unless already there."""
        if not self.layers_enabled or self.layer_worker is None:
            return
        code, year = self.state.map.region_code, self.state.map.year
        if code is None:
            return
        if not force and self._layers_key == (code, year):
            return
        self._layers_key = (code, year)
        if self.project_card.isVisible() and not force:
            self.close_project()
        client = self._layers_client
        self.layer_worker.submit("layers", lambda: fetch_layers(client, code, year), f"layers {code}")

    def _on_layer_result(self, channel: str, result) -> None:
        if channel == "project" and isinstance(result, ProjectDetail):
            if self.project_card.project_id is not None and result.project.get("id") == self.project_card.project_id \
                    and not self.project_card.isHidden():
                rc = str(result.project.get("region_code") or "")
                names = self.canvas.view().names if self.canvas.view() is not None else {}
                result.project.setdefault("region_name", names.get(rc) or names.get(rc[:9] + "000"))
                self.project_card.set_detail(result)
                self._take_cameras(result.cameras)
                self._set_card_camera(result.cameras[0] if result.cameras else None)
            return
        if channel == "camera" and isinstance(result, tuple):
            self._on_camera_found(*result)
            return
        if channel == "cameras" and isinstance(result, list):
            self._on_cameras_refreshed(result)
            return
        if channel != "layers" or not isinstance(result, LayersData):
            return
        if (result.region, result.year) != (self.state.map.region_code, self.state.map.year):
            return  # the map moved on while these were loading
        self.layers = result
        self.projects_layer.set_data(result.region, result.projects)
        self.flow_layer.set_data(result.region, result.chain)
        self.checkin_layer.set_data(result.region, result.checkins, result.visits)
        self._take_cameras(result.cameras)
        self.camera_layer.set_health_all(self.camera_health.states())
        self.camera_layer.set_data(result.region, [c for c in (CameraPoint.from_api(d) for d in result.cameras)
                                                   if c is not None])
        if self.monitor_open:
            self._fill_monitor()
        name = (self.state.region or {}).get("name")
        self.fund_panel.set_chain(result.chain, name, result.year)
        apply_layer_errors(self, result)
        self._show_fund_panel(self.flow_layer.visible)
        self.layersApplied.emit()

    def _on_layer_failed(self, channel: str, message: str) -> None:
        if channel == "project":
            self.project_card.show_error(message)
        elif channel == "camera":
            self.canvas.show_note(f"摄像头暂时无法获取（{message}）")
        elif channel == "cameras":
            log.warning("fresh camera URLs not loaded: %s", message)  # the tiles keep retrying; so do we
            self._camera_refresh.start()
        else:
            log.warning("map layers not loaded: %s", message)  # the choropleth stays; retried on the next load
            self._layers_key = None

    def _on_overlay_clicked(self, name: str, item) -> None:
        if name == "cameras" and isinstance(item, CameraPoint):
            self.show_camera(item.id)
        elif name == "projects" and isinstance(item, ProjectPoint):
            self.open_project(item.id, item.name)
        elif name == "funds" and isinstance(item, dict):
            target = str(item.get("target") or "")
            if target.startswith("project:"):
                self.open_project(int(target.split(":")[1]), str(item.get("name") or ""))
            else:
                self.fund_panel.select(item.get("items") or [])
                self.canvas.show_note(f"{item.get('name')}：资金链异常 {item.get('count')} 处，说明见右侧资金链面板")

    def open_project(self, project_id: int, name: str = "") -> None:
        """Open a project's card (its details arrive from the worker)."""
        if self.layer_worker is None:
            return
        if self.project_card.project_id != project_id:
            self._set_card_camera(None)
        self.project_card.show_loading(project_id, name or f"项目 {project_id}")
        self.projects_layer.set_selected(project_id)
        client, year = self._layers_client, self.state.map.year
        self.layer_worker.submit("project", lambda: fetch_project(client, project_id, year), f"project {project_id}")

    def close_project(self) -> None:
        self._set_card_camera(None)  # its tile stops streaming and goes
        self.project_card.hide()
        self.projects_layer.set_selected(None)
        if self.layer_worker is not None:
            self.layer_worker.cancel("project")

    # -- cameras (map glyphs, 监控 view, project card tile, full screen) ----------------------------------
    def _setup_cameras(self, client: WallClient, hosts: Sequence[str], settings: StreamSettings | None,
                       stream: bool) -> None:
        """One URL policy, one health record and one stagger gate for every tile of the wall: the map's
        glyphs show what any tile saw, and tiles starting together still connect one after another."""
        self.camera_policy = UrlPolicy.for_api(client.config.base_url, tuple(hosts or ()))
        self.camera_settings = settings or StreamSettings()
        self.camera_gate = StaggerGate(settings.stagger_s) if settings is not None else default_gate()
        self.camera_health = CameraHealth(self)
        self.stream_cameras = stream  # off for screenshots: tiles show their state, never connect
        self.cameras: dict[int, dict] = {}  # id → the newest GET /cameras dict (its signed URL included)
        self.camera_wall: CameraWall | None = None
        self.full_view: CameraFullView | None = None  # a camera full screen from the map, a tour or the card
        self._monitor_region: str | None = None
        self._pending_camera: int | None = None
        self._camera_refresh = QTimer(self, singleShot=True, interval=500)  # several tiles expire together
        self._camera_refresh.timeout.connect(self._refresh_cameras)

    def _tile_kwargs(self) -> dict:
        return {"settings": self.camera_settings, "health": self.camera_health, "gate": self.camera_gate}

    def _take_cameras(self, cams: list[dict]) -> None:
        """Keep the newest dict of each camera; health starts from the API (offline → 无信号) and the URL policy."""
        fresh = [c for c in cams if isinstance(c.get("id"), int)]
        for c in fresh:
            self.cameras[c["id"]] = dict(c)
        self.camera_health.seed(fresh)
        for c in fresh:
            cid = c["id"]
            verdict = self.camera_policy.check(c.get("stream_url"))
            if not verdict.allowed:  # known before any tile tries: the glyph says so at once
                self.camera_health.set(cid, "blocked" if (c.get("stream_url") or "").strip() else "down")
            elif c.get("status") == "offline" and self.camera_health.state(cid) == "unknown":
                self.camera_health.set(cid, "down")

    def _on_camera_health(self, camera_id: int, state: str) -> None:
        self.camera_layer.set_health(camera_id, state)
        if self.monitor_open:
            self._title_monitor()

    def _hold(self, tile: CameraTile) -> CameraTile:
        if not self.stream_cameras:
            tile.set_active(False)
        tile.urlExpired.connect(self._on_url_expired)
        return tile

    def _set_card_camera(self, cam: dict | None) -> None:
        """The project card's live tile of its first camera (None: remove it, which stops its stream)."""
        old = self.project_card.camera_widget
        cam = ProjectCard.tile_camera(cam) if cam is not None else None  # named as the card names it
        if cam is not None and isinstance(old, CameraTile) and old.camera_id == cam.get("id"):
            old.set_camera(cam)  # a fresh signed URL for the same camera: the link stays
            return
        if old is not None:
            self.project_card.set_camera_widget(None)
            old.close()
            old.deleteLater()
        if cam is None:
            return
        tile = self._hold(CameraTile(cam, self.camera_policy, **self._tile_kwargs()))
        tile.setObjectName("cardCameraTile")
        tile.setFixedHeight(self._card_tile_height())
        tile.clicked.connect(self._open_full)
        if self.full_view is not None:
            tile.set_active(False)
        self.project_card.set_camera_widget(tile)

    def _beside_tile(self) -> CameraTile:
        """A tile for the camera grid beside the map on a wide wall (wall_seams.BesideCameras)."""
        return self._hold(CameraTile({}, self.camera_policy, **self._tile_kwargs()))

    def _card_tile_height(self) -> int:
        m = self.metrics or metrics_for_height(1080)
        return m.px(210)

    @property
    def monitor_open(self) -> bool:
        return not self.monitor.isHidden()

    def _region_cameras(self) -> list[dict]:
        """The cameras of the region on screen, newest dicts, in id order."""
        code = self.state.map.region_code
        if code is None:
            return []
        prefix = region_prefix(code)
        return [c for _, c in sorted(self.cameras.items()) if str(c.get("region_code") or "").startswith(prefix)]

    def open_monitor(self) -> None:
        """The 监控 view in the map's place: the region's cameras, 2×2 for up to four, 3×3 up to nine, else
        4×4 (paged); tiles play sub-streams."""
        if not self.layers_enabled:
            self.canvas.show_note("摄像头不可用：未连接中心接口")
            return
        if self.camera_wall is None:
            self.camera_wall = CameraWall([], self.camera_policy, self.monitor, columns=max(GRID_SIZES),
                                          **self._tile_kwargs())
            for t in self.camera_wall.tiles:  # all sixteen made up front (4×4): they are never replaced
                self._hold(t)
            self.camera_wall.fullScreenOpened.connect(lambda cid: self.cameraOpened.emit(cid))
            self.monitor.set_wall(self.camera_wall)
        self._monitor_region = None
        self._fill_monitor()
        if not self.monitor_open:
            # Hide one before showing the other: for a moment both would count towards the window's
            # minimum height and the window would grow for good.
            self.canvas.hide()  # the project card and the layer control go with it
            self.monitor.show()
            self.monitorToggled.emit(True)

    def close_monitor(self) -> None:
        """Back to the map (返回地图 / Esc): the grid is hidden, so its tiles stop streaming."""
        if not self.monitor_open:
            return
        if self.camera_wall is not None:
            self.camera_wall.close_full_screen()
        self.monitor.hide()
        self.canvas.show()
        self.monitorToggled.emit(False)

    def _fill_monitor(self) -> None:
        wall = self.camera_wall
        if wall is None:
            return
        cams = self._region_cameras()
        code = self.state.map.region_code
        if code != self._monitor_region:  # a new region: its own grid size, from its first page
            self._monitor_region = code
            wall.set_cameras(cams)
            wall.set_columns(grid_for(len(cams)))
            wall.set_page(0)
        else:
            wall.set_cameras(cams)
        if not self.stream_cameras:
            for t in wall.tiles:
                t.set_active(False)
        self._title_monitor()

    def _title_monitor(self) -> None:
        cams = self._region_cameras()
        counts: dict[str, int] = {}
        for c in cams:
            st = self.camera_health.state(c["id"])
            counts[st] = counts.get(st, 0) + 1
        self.monitor.set_title(str((self.state.region or {}).get("name") or ""), len(cams), counts)

    def show_camera(self, camera_id: int) -> None:
        """Open a camera full screen over the wall (a tour's step; Esc or a click returns). A camera not
        on this level is asked of the API first (off the GUI thread); an unknown id says so on the map."""
        cam = self.cameras.get(camera_id)
        if cam is not None:
            self._open_full(cam)
            return
        if self.layer_worker is None:
            log.warning("show_camera(%s): the wall has no API connection for cameras", camera_id)
            self.canvas.show_note(f"无法打开摄像头 {camera_id}：未连接中心接口")
            return
        self._pending_camera = camera_id
        client = self._layers_client
        self.layer_worker.submit("camera", lambda: (camera_id, fetch_camera(client, camera_id)), f"camera {camera_id}")

    def _on_camera_found(self, camera_id: int, cam: dict | None) -> None:
        if camera_id != self._pending_camera:
            return
        self._pending_camera = None
        if cam is None:
            log.warning("show_camera(%s): no such camera", camera_id)
            self.canvas.show_note(f"没有编号为 {camera_id} 的摄像头")
            self.cameraMissing.emit(camera_id)
            return
        self._take_cameras([cam])
        self._open_full(self.cameras[camera_id])

    def _open_full(self, cam: dict) -> CameraFullView:
        """Full screen over the window. Tiles underneath pause: the same camera never streams twice."""
        self.close_full_camera()
        if self.monitor_open and self.camera_wall is not None:
            view = self.camera_wall.open_camera(cam)  # the grid pauses and resumes itself
        else:
            view = open_fullscreen(cam, self.camera_policy, self, **self._tile_kwargs())
            if isinstance(cam.get("id"), int):
                self.cameraOpened.emit(cam["id"])
        self._hold(view.tile)
        card_tile = self.project_card.camera_widget
        if isinstance(card_tile, CameraTile):
            card_tile.set_active(False)
        view.closed.connect(lambda v=view: self._full_closed(v))
        self.full_view = view
        return view

    def _full_closed(self, view: CameraFullView) -> None:
        if self.full_view is view:
            self.full_view = None
        card_tile = self.project_card.camera_widget
        if isinstance(card_tile, CameraTile):
            card_tile.set_active(self.stream_cameras)
        if not self.stream_cameras and self.camera_wall is not None:
            for t in self.camera_wall.tiles:  # the grid resumed them all on close
                t.set_active(False)

    def close_full_camera(self) -> bool:
        """Close the camera shown full screen; False if none was."""
        view = self.full_view
        if view is None:
            return False
        self.full_view = None
        view.close()
        return True

    def _on_url_expired(self, camera_id: int) -> None:
        log.info("camera %s: stream URL expired, fetching fresh ones", camera_id)
        self._camera_refresh.start()

    def _refresh_cameras(self) -> None:
        """Fresh signed URLs for every camera the caller may see (those on screen may be from another level)."""
        if self.layer_worker is None:
            return
        client = self._layers_client
        self.layer_worker.submit("cameras", lambda: fetch_cameras(client), "cameras")

    def _on_cameras_refreshed(self, cams: list[dict]) -> None:
        self._take_cameras(cams)
        if self.camera_wall is not None and self.monitor_open:
            self.camera_wall.set_cameras(self._region_cameras())  # same cameras keep their links
        tiles = [self.project_card.camera_widget]
        if self.full_view is not None:
            tiles.append(self.full_view.tile)
        for t in tiles:
            if isinstance(t, CameraTile) and t.camera_id in self.cameras:
                cam = self.cameras[t.camera_id]
                t.set_camera(ProjectCard.tile_camera(cam) if t is tiles[0] else cam)
        self.camerasRefreshed.emit()

    def _on_live_checkin(self, c) -> None:
        if self.checkin_layer.add_live(c):
            self.checkinArrived.emit(c)

    def _on_facts(self, data: dict) -> None:
        code = str(data.get("region_code") or "")
        shown = self.state.map.region_code or ""
        from sandbox.ui.layers.checkins import region_prefix

        if code.startswith(region_prefix(shown)):
            self._layers_reload.start()  # this level's visit rates moved

    def set_idle_seconds(self, seconds: float) -> None:
        """How long the wall waits without input before going back to the county (0: never)."""
        self._idle_enabled = seconds > 0
        self._idle.setInterval(max(1, int(seconds * 1000)))
        if self._idle_enabled:
            self._idle.start()
        else:
            self._idle.stop()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() in _INPUT_EVENTS and self._idle_enabled:
            self._idle.start()  # someone is using the wall
        return False

    def _snapshot(self, panel: QWidget, keep: int = 3) -> None:
        """Paint `panel` (labels, plain buttons) from one cached image over the backdrop (SnapshotEffect),
        keeping its last `keep` pictures."""
        panel.setGraphicsEffect(SnapshotEffect(panel, self._backdrop, keep))
        self._backdrop.covered.append(panel)

    def add_side_panel(self, widget: QWidget, stretch: int = 0) -> None:
        """Put a panel in the right-hand column, above the trailing spacer."""
        self.side_column.insertWidget(self.side_column.count() - 1, widget, stretch)

    # -- navigation ---------------------------------------------------------------------------------
    def load(self, region: str, year: int | None = None, *, busy: str | None = None) -> None:
        """Ask for a region/year; the screen changes only when all of its data has arrived."""
        hold_until_frame()
        self._target = (region, year)
        self._retry.stop()
        # The last town's village panels still on their way would hold the worker and the API while
        # this level loads: drop them (the ones already here stay, for a quick way back).
        self.village_prefetcher.cancel_pending()
        ready = self.prefetcher.get(region, year) if self._have_indicators else None
        if ready is not None:  # prefetched a moment ago: no network, no wait
            self.loader.cancel()
            self._on_loaded(ready)
            return
        self.state.loading = True
        known = region == self.state.map.region_code or self.state.nav.index_of(region) is not None or (
            self.state.map.region_map is not None and self.state.map.region_map.feature(region) is not None)
        self.loader.request(region, year, with_indicators=not self._have_indicators,
                            series=self._series_of(region), with_ancestors=not known,
                            has_children=self._has_children(region),
                            preload_classes=not classify.preloaded()
                            and classify.needs_mapclassify(self.state.map.indicator_key))
        self.canvas.set_busy(busy)

    def _has_children(self, code: str) -> bool | None:
        """Whether `code` is a level with a map of its own (not a village), when the screen knows."""
        st = self.state
        if code == st.map.region_code:
            return True
        f = st.map.region_map.feature(code) if st.map.region_map is not None else None
        if f is not None:
            return f.level != "village"
        crumb = next((c for c in st.nav.stack if c.code == code), None)
        return None if crumb is None else not crumb.is_leaf

    def _preload_classes(self) -> None:
        """Import mapclassify off the GUI thread once the first data is on screen, so switching to an
        indicator classed by natural breaks or quantiles never freezes the wall for its import."""
        global _PRELOAD
        if _PRELOAD is None and not classify.preloaded():
            _PRELOAD = threading.Thread(target=classify.preload_quietly, name="mapclassify-preload", daemon=True)
            _PRELOAD.start()

    def _queue_prepare(self, code: str) -> None:
        rm = self.state.map.region_map
        if rm is None or rm.feature(code) is None:
            return  # prefetched for a level no longer on screen
        if code not in self._to_prepare:
            self._to_prepare.append(code)
        self._prepare_timer.start(0)

    def _prepare_next(self) -> None:
        """Render one prefetched level ahead of its drill, its map and its panels' pictures (one per
        event-loop turn, never mid-animation): the click then shows pixels that already exist."""
        if not self._to_prepare or not self.isVisible():
            return
        if self.canvas.animating or self.state.loading:
            self._prepare_timer.start(PREPARE_RETRY_MS)
            return
        code = self._to_prepare.pop(0)
        try:
            ready = self.prefetcher.get(code, self.state.map.year)
            if ready is not None and ready.village is None:
                self.canvas.prepare(str(ready.region.get("code") or code), ready.region_map, ready.series)
                self.kpis.paint_ahead(ready.region)  # and the panels' pictures of that level
                self.panels.paint_ahead(ready.region)
                self.header.paint_ahead(ready.region)
                self.breadcrumb.paint_ahead(ready.region)
                self.legend.paint_ahead(str(ready.region.get("code") or code), ready.region_map, ready.series)
        except Exception:  # noqa: BLE001 - only a head start: a drill then paints as it always could
            log.exception("rendering %s ahead failed", code)
        finally:
            if self._to_prepare:
                self._prepare_timer.start(0)

    def _series_of(self, code: str) -> RegionSeries | None:
        return self._series.get(code) or self.prefetcher.series(code)

    def refresh(self) -> None:
        """Fetch what is asked for again, all years afresh (F5, the retry timer)."""
        self._series.clear()
        self.prefetcher.clear()
        self.village_prefetcher.clear()
        self._on_screen = None  # nor is the level on screen kept for Esc as it was before the refresh
        self._layers_key = None  # everything on screen is fetched again: the layers and an open card too
        if self.project_card.project_id is not None and self.project_card.isVisible():
            self.open_project(self.project_card.project_id)
        self.load(*self._target)
        if self.state.village.is_open:
            self.village_loader.request(self.state.village.code, self.state.map.year, self.state.village.page)

    def drill(self, code: str) -> None:
        """A region on the map was clicked: open its children, or its panel if it is a village."""
        rm = self.state.map.region_map
        f = rm.feature(code) if rm is not None else None
        if f is None:
            return
        if self.state.village.code == code:
            self.canvas.show_note(LEAF_NOTE)
            return
        if f.level == "village":
            self.open_village(code)
            return
        self.load(code, self.state.map.year, busy=f"正在载入 {f.name}…")

    def open_village(self, code: str, page: int = 1) -> None:
        """Ask for a village's panel (figures and a page of households); it opens when they arrive, at
        once when they were prefetched with the town."""
        ready = self.village_prefetcher.get(code, self.state.map.year) if page == 1 else None
        if ready is not None:
            self.worker.cancel(self.village_loader.channel)  # an older click's answer must not replace this panel
            self._on_village(ready)
            return
        self.village_loader.request(code, self.state.map.year, page)
        rm = self.state.map.region_map
        f = rm.feature(code) if rm is not None else None
        self.canvas.set_busy(f"正在载入 {f.name}…" if f else "正在载入…")

    def close_village(self) -> None:
        self.state.close_village()

    def go_up(self) -> None:
        """One level up: close a full-screen camera, else the menu, else the 监控 view, else the project card,
        else the village panel, else show the parent's map."""
        if self.close_full_camera():
            return
        if self.camera_wall is not None and self.camera_wall.full_view is not None:
            self.camera_wall.close_full_screen()
            return
        if self.indicator_menu.isVisible():
            self.indicator_menu.close_menu()
            return
        if self.monitor_open:
            self.close_monitor()
            return
        if self.project_card.isVisible():
            self.close_project()
            return
        if self.state.close_village():
            return
        parent = self.state.nav.up_target()
        if parent is None:
            self.canvas.show_note(ROOT_NOTE)
            return
        self.load(parent.code, self.state.map.year, busy=f"正在返回 {parent.name}…")

    def go_home(self) -> None:
        """Back to the top of the path (the idle timeout): menu and village closed, the tour left running."""
        self.indicator_menu.close_menu()
        self.state.close_village()
        root = self.state.nav.root
        if root is not None and root.code != self.state.map.region_code:
            self.load(root.code, self.state.map.year)

    def go_to(self, code: str) -> None:
        """A breadcrumb was clicked."""
        if code == self.state.map.region_code:
            self.state.close_village()
            return
        crumb = next((c for c in self.state.nav.stack if c.code == code), None)
        self.load(code, self.state.map.year, busy=f"正在载入 {crumb.name}…" if crumb else None)

    def set_year(self, year: int) -> None:
        """Show another year of the region asked for last (a drill on its way keeps going), and of the open village."""
        code = self._target[0]
        self.load(code, year)
        if self.state.village.is_open:
            self.village_loader.request(self.state.village.code, year, 1)

    def set_indicator(self, key: str) -> None:
        self.state.map.indicator_key = key  # every indicator is in the GeoJSON: no refetch

    def _on_indicator(self, *_: object) -> None:
        self.panels.set_indicator(self.state.map.indicator_key)

    def _on_year_picked(self, year: int) -> None:
        self.player.stop()
        self.set_year(year)

    def _on_page(self, page: int) -> None:
        v = self.state.village
        if v.is_open and 1 <= page <= v.pages:
            self.village_loader.request(v.code, self.state.map.year, page, with_region=False)

    # -- results ------------------------------------------------------------------------------------
    def _on_loaded(self, result: LoadResult) -> None:
        hold_until_frame()  # (again, if the data came over the network: the frame showing it is next)
        st = self.state
        if result.indicators is not None:
            st.map.set_indicators(result.indicators)
            self._have_indicators = True
        if result.series is not None:
            self._series[result.series.code] = result.series
        self.canvas.set_busy(None)
        st.loading = False
        if not result.region_map.features and result.village is None and st.has_data:
            # Nothing to drill into: keep the level on screen and say why.
            self.canvas.show_note(f"{result.region.get('name') or '该区域'} 没有下级区域")
            self._target = (st.map.region_code, st.map.year)
            st.error = None
            self.dataApplied.emit()
            return
        came_from = st.map.region_code
        left = self._on_screen
        if left is not None and left[0] != str(result.region.get("code")):  # Esc brings it back at once
            self.prefetcher.keep(*left)
        code = str(result.region.get("code"))
        self._on_screen = (code, result, self.prefetcher.arrived_at(code, result))
        st.apply(result.region, result.region_map, result.series, result.ancestors)
        if result.missing:  # offline and not cached: shown without it, and said so
            self.canvas.show_note(f"{'、'.join(result.missing)}暂时无法获取，恢复连接后自动更新", 6000)
        self.kpis.update_region(result.region)
        self.panels.update_region(result.region)
        if came_from and result.region_map.feature(came_from) is not None:
            st.map.selected_code = came_from  # back up a level: the region just left stays outlined
        if not result.region_map.features:
            self.canvas.set_placeholder("该区域没有下级区域")
        if result.village is not None:
            v = result.village
            st.open_village(v.region, v.households, v.note)
        self._target = (st.map.region_code, st.map.year)
        self.dataApplied.emit()
        if not self.panels.trend_ready:  # pyqtgraph's import waits for the first data on screen
            # after the frame, not on the next turn: that turn comes before the paint, and pyqtgraph's
            # import (≈0.5 s) would hold back the wall's first picture
            after_frame(self.panels.ensure_trend)
        if self.preload and _PRELOAD is None:
            QTimer.singleShot(PRELOAD_DELAY_MS, self._preload_classes)
        children = [f.code for f in result.region_map.features if f.level != "village"]
        villages = [f.code for f in result.region_map.features if f.level == "village"]
        self._to_prepare = [c for c in self._to_prepare if c in children]  # the last level's are moot
        if not self.player.playing:  # the next click is most likely one of these
            # once the frame showing this level is painted: the fetches would slow that frame down
            self.worker.hold(_DEFERRED)  # busy until then
            after_frame(lambda key=(st.map.region_code, st.map.year):
                        self._prefetch_children(key, children, villages))

    def _prefetch_children(self, key: tuple, children: list[str], villages: list[str] = ()) -> None:
        """Prefetch the children of the level on screen (unless another level replaced it meanwhile):
        levels with a map, and a town's village panels."""
        self.worker.release(_DEFERRED)
        if self._closed or key != (self.state.map.region_code, self.state.map.year) or self.player.playing:
            return
        year = key[1]
        self.prefetcher.schedule(children, year)
        if villages:
            self.village_prefetcher.schedule(list(villages), year)
        for code in children:  # fetched earlier: lay out and render again if it fell out of the cache
            if self.prefetcher.get(code, year) is not None:
                self._queue_prepare(code)

    @property
    def preparing(self) -> bool:
        """Prefetched levels are still waiting to be laid out and rendered ahead of their drill."""
        return bool(self._to_prepare)

    def _on_failed(self, message: str) -> None:
        st = self.state
        st.loading = False
        self.canvas.set_busy(None)
        st.error = message
        if st.has_data:
            self._target = (st.map.region_code, st.map.year)  # retry what is on screen, not the failed drill
        else:
            self.canvas.set_placeholder("暂无可显示的地图数据")
        self._retry.start()
        self.loadFailed.emit(message)

    def _on_village(self, result: VillageResult) -> None:
        st = self.state
        self.canvas.set_busy(None)
        if result.region is None:
            if st.village.is_open:  # a new page; ignore it if the panel was closed meanwhile
                st.village.show(None, result.households, result.note)
        else:
            if str(result.region.get("parent_code")) != st.map.region_code:
                return  # the map moved on while this village was loading
            st.open_village(result.region, result.households, result.note)
        self.villageApplied.emit()

    def _on_village_failed(self, message: str) -> None:
        self.canvas.set_busy(None)
        self.state.error = message
        self.loadFailed.emit(message)

    def _on_village_state(self, village) -> None:
        # The village panel takes the room the panels column leaves: hide one before showing the other,
        # or for a moment both count towards the window's minimum width and the window grows for good.
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
        self.setStyleSheet(stylesheet(m))
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
        self.village_panel.set_metrics(m)
        self.indicator_menu.set_metrics(m)
        self.fund_panel.set_metrics(m)
        self.project_card.set_metrics(m)
        self.monitor.set_metrics(m)
        if isinstance(self.project_card.camera_widget, CameraTile):
            self.project_card.camera_widget.setFixedHeight(self._card_tile_height())
        self.layer_bar.set_metrics(m)
        self.layer_bar.move(m.px(116), m.px(14))  # beside the north arrow
        if self.layers_enabled:  # labels keep clear of the floating control
            self.canvas.label_obstacles = [QRectF(self.layer_bar.geometry()).adjusted(-4, -4, 4, 4)]
        self.breadcrumb.set_spacing(m.px(6))
        self.header.setFixedHeight(m.px(104))
        self.canvas.set_metrics(m)  # last: its labels keep clear of the layer control placed above

    def _size_columns(self) -> None:
        w = self.width()
        if self.arranger is not None and self.arranger.size_columns():  # a video wall's plan (wall_layout)
            # the village panel takes the panels column's place, its width too: the map keeps its own
            self.village_panel.setFixedWidth(self.panels.width())
            return
        else:
            side = max(260, int(w * SIDE_FRACTION))
            self.side.setFixedWidth(side)
            self.panels.setFixedWidth(max(300, int(w * PANELS_FRACTION)))
        # Never wider than what the map column (its breadcrumb) leaves: a window never grows for it.
        pad = self.metrics.px(16) if self.metrics is not None else 16
        room = w - side - self._map_column.minimumSize().width() - 4 * pad
        self.village_panel.setFixedWidth(max(420, min(int(w * VILLAGE_FRACTION), room)))

    def resizeEvent(self, event) -> None:
        m = metrics_for_height(self.height())
        self._apply_metrics(self.arranger.metrics_for(m) if self.arranger is not None else m)
        self._size_columns()
        super().resizeEvent(event)
        if self.indicator_menu.isVisible():
            self.indicator_menu.setGeometry(self.centralWidget().rect())

    def keyPressEvent(self, event: QKeyEvent) -> None:
        key = event.key()
        if key == Qt.Key.Key_Escape:
            self.go_up()
        elif key == Qt.Key.Key_F5:
            self.refresh()
        elif key == Qt.Key.Key_Space:
            self.player.toggle()
        else:
            super().keyPressEvent(event)

    def closeEvent(self, event) -> None:
        self._closed = True  # work waiting for the next frame (see after_frame) is dropped
        QApplication.instance().removeEventFilter(self)
        self._camera_refresh.stop()
        self.close_full_camera()
        self._set_card_camera(None)
        if self.camera_wall is not None:
            self.camera_wall.close()  # every tile's stream ends before the worker threads go
        if self.arranger is not None and self.arranger.cameras is not None:
            self.arranger.cameras.close_streams()
        self._idle.stop()
        self._retry.stop()
        self.player.stop()
        self.worker.shutdown()
        self.kpis.shutdown()
        self.panels.shutdown()
        if self.live is not None:
            self.live.stop()
        if self.layer_worker is not None:
            self.layer_worker.shutdown()
        if self._layers_client is not None and self._layers_client is not self.client and \
                callable(getattr(self._layers_client, "close", None)):
            self._layers_client.close()
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
    app = QApplication.instance()
    if app is None:
        if offscreen:
            os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
        app = QApplication([sys.argv[0] if sys.argv else "sandbox"])
    apply_theme(app)
    return app


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
        win.showFullScreen()
    else:
        win.resize(1920, 1080)
        win.show()
    return app.exec()
