"""The wall's right-hand column: 五个一批, 致贫原因, 两不愁三保障 and the trend, stacked."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from PySide6.QtWidgets import QVBoxLayout, QWidget

from sandbox.ui.panels.breakdowns import CausePanel, ExitBatchPanel, GuaranteePanel
from sandbox.ui.panels.model import indicator_label
from sandbox.ui.panels.paint import PICTURES_KEPT
from sandbox.ui.panels.titled import Panel
from sandbox.ui.theme import Metrics, metrics_for_height

if TYPE_CHECKING:
    from sandbox.client.api import ApiClient
    from sandbox.ui.panels.trend import TrendPanel

__all__ = ["PanelsColumn"]


class PanelsColumn(QWidget):
    """Panels of the region on screen. The window calls `update_region` with GET /regions/{code}.

    The trend comes with the region (its `series`); `client` serves GET /regions/{code}/trend only
    for an API whose regions do not carry their series yet.
    """

    def __init__(self, client: ApiClient, parent: QWidget | None = None, *,
                 indicator: str = "poverty_incidence", exit_lines: Mapping[str, float] | None = None,
                 retry_seconds: float = 30.0, lazy_trend: bool = False):
        super().__init__(parent)
        self.setObjectName("panelsColumn")
        self.metrics: Metrics = metrics_for_height(1080)
        self.region: dict | None = None
        self.exit_batch = ExitBatchPanel()
        self.causes = CausePanel()
        self.guarantee = GuaranteePanel()
        self._trend_args = (client, indicator, exit_lines, retry_seconds)
        self._indicator, self._backdrop = indicator, None
        self._trend: TrendPanel | None = None
        self._defer = None
        self._ahead: list[dict] = []  # paint-ahead asked for before the trend panel was built (see ensure_trend)
        # The trend needs pyqtgraph (≈0.4 s to import): with `lazy_trend` a titled card stands in
        # until `ensure_trend()` (the wall calls it once the first data is on screen) or first use.
        self._slot: Panel | None = Panel(self._trend_title(indicator), QWidget()) if lazy_trend else None
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        for panel in (self.exit_batch, self.causes, self.guarantee):
            lay.addWidget(panel, 0)
        if self._slot is not None:
            lay.addWidget(self._slot, 1)
        else:
            self.ensure_trend()
        self.set_metrics(self.metrics)

    @staticmethod
    def _trend_title(indicator: str) -> str:
        return f"{indicator_label(indicator)[0]}变化趋势"

    @property
    def trend(self) -> TrendPanel:
        return self.ensure_trend()

    @property
    def trend_ready(self) -> bool:
        return self._trend is not None

    def ensure_trend(self) -> TrendPanel:
        """Build the trend panel now if it is still the stand-in."""
        if self._trend is None:
            from sandbox.ui.panels.trend import TrendPanel

            client, indicator, exit_lines, retry_seconds = self._trend_args
            self._trend = TrendPanel(client, indicator=self._indicator, exit_lines=exit_lines,
                                     retry_seconds=retry_seconds)
            self._trend.set_metrics(self.metrics)
            self._trend._call.defer = self._defer
            if self._backdrop is not None:
                self._trend.set_backdrop(self._backdrop)
            lay = self.layout()
            if self._slot is not None:
                lay.replaceWidget(self._slot, self._trend)
                self._slot.hide()
                self._slot.deleteLater()
                self._slot = None
            else:
                lay.addWidget(self._trend, 1)
            if self.region is not None:
                self._trend.update_region(self.region)
            if self._ahead:  # painted once the panel is laid out, one per turn: the first drills are blits too
                self._trend.paint_ahead_later(self._ahead)
                self._ahead = []
        return self._trend

    @property
    def panels(self) -> tuple[Panel, ...]:
        last = self._trend if self._trend is not None else self._slot
        return self.exit_batch, self.causes, self.guarantee, last

    def set_defer(self, defer) -> None:
        """Start the trend's fetches through `defer` (see BackgroundCall.defer)."""
        self._defer = defer
        if self._trend is not None:
            self._trend._call.defer = defer

    def set_backdrop(self, backdrop) -> None:
        """Cards paint the wall's backdrop into their own pixels (see Panel.set_backdrop)."""
        self._backdrop = backdrop
        for panel in self.panels:
            panel.set_backdrop(backdrop)

    def update_region(self, region: Mapping[str, Any] | None) -> None:
        if not region:
            return
        self.region = dict(region)
        for panel in (self.exit_batch, self.causes, self.guarantee):
            panel.update_region(self.region)
        if self._trend is not None:
            self._trend.update_region(self.region)

    def paint_ahead(self, region: Mapping[str, Any] | None) -> None:
        """Paint ahead the charts `update_region(region)` will show: the structure charts, and the trend
        as its region's series draws it (with its forecast if that was fetched before, else it is drawn when
        it arrives). Asked for before the trend panel is built (a start), the trend's is painted once it is."""
        if region:
            for panel in (self.exit_batch, self.causes, self.guarantee):
                panel.paint_ahead(region)
            if self._trend is not None:
                self._trend.paint_ahead(region)
            elif self._slot is not None:  # not built yet (pyqtgraph waits for the first data on screen)
                code = region.get("code")
                self._ahead = [r for r in self._ahead if r.get("code") != code][-(PICTURES_KEPT - 3):]
                self._ahead.append(dict(region))

    def set_metrics(self, metrics: Metrics) -> None:
        self.metrics = metrics
        self.layout().setSpacing(metrics.px(10))
        for panel in self.panels:
            panel.set_metrics(metrics)
        self.updateGeometry()

    def set_indicator(self, key: str) -> None:
        self._indicator = key
        if self._trend is not None:
            self._trend.set_indicator(key)
        elif self._slot is not None:
            self._slot.set_title(self._trend_title(key))

    def set_year(self, year: int | None) -> None:
        if self._trend is not None:
            self._trend.set_year(year)

    def shutdown(self, timeout_ms: int = 15000) -> None:
        """Stop the trend's worker (call from the window's closeEvent)."""
        if self._trend is not None:
            self._trend.shutdown(timeout_ms)
