"""The wall window's widgets and their places: header, KPI strip, banner, panels, map and side columns."""

from __future__ import annotations

from PySide6.QtWidgets import QFrame, QHBoxLayout, QLayout, QSizePolicy, QVBoxLayout, QWidget

from sandbox.ui.breadcrumb import BreadcrumbBar
from sandbox.ui.header import ErrorBanner, HeaderBar
from sandbox.ui.indicator_picker import IndicatorMenu, IndicatorPicker
from sandbox.ui.layers.cameras import MonitorView
from sandbox.ui.legend import LegendWidget
from sandbox.ui.map_canvas import MapCanvas
from sandbox.ui.paint_cache import SnapshotEffect
from sandbox.ui.panels.paint import PICTURES_KEPT
from sandbox.ui.summary import SummaryPanel
from sandbox.ui.timeline import TimelineBar
from sandbox.ui.wall_backdrop import Backdrop


class WallBody:
    """WallWindow's construction (a mixin): makes the widgets the window lays out, puts them in their
    columns and gives the panels that are painted from one picture their SnapshotEffect."""

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
