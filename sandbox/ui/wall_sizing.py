"""How the wall window fits its screen: metrics for its height, the columns' widths, the style sheet."""

from __future__ import annotations

from sandbox.ui.later import built
from sandbox.ui.theme import Metrics, metrics_for_height, stylesheet

SIDE_FRACTION = 0.2
PANELS_FRACTION = 0.22
VILLAGE_FRACTION = 0.44


class WallSizing:
    """WallWindow's sizing (a mixin): the metrics of the window's height (or a video wall's plan) handed
    to every part, the side, panels and village columns' widths, and the style sheet set once shown."""

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
