"""The wall's right-hand column: 五个一批, 致贫原因, 两不愁三保障 and the trend, stacked."""

from __future__ import annotations

from typing import Any, Mapping

from PySide6.QtWidgets import QVBoxLayout, QWidget

from sandbox.ui.panels.breakdowns import CausePanel, ExitBatchPanel, GuaranteePanel
from sandbox.ui.panels.paint import Panel
from sandbox.ui.panels.trend import TrendClient, TrendPanel
from sandbox.ui.theme import Metrics, metrics_for_height

__all__ = ["PanelsColumn"]


class PanelsColumn(QWidget):
    """Panels of the region on screen. The window calls `update_region` with GET /regions/{code}.

    `client` serves the trend (GET /regions/{code}/trend) on a worker thread of its own: pass an
    ApiClient that no other thread uses.
    """

    def __init__(self, client: TrendClient, parent: QWidget | None = None, *,
                 indicator: str = "poverty_incidence", exit_lines: Mapping[str, float] | None = None,
                 retry_seconds: float = 30.0):
        super().__init__(parent)
        self.setObjectName("panelsColumn")
        self.metrics: Metrics = metrics_for_height(1080)
        self.region: dict | None = None
        self.exit_batch = ExitBatchPanel()
        self.causes = CausePanel()
        self.guarantee = GuaranteePanel()
        self.trend = TrendPanel(client, indicator=indicator, exit_lines=exit_lines, retry_seconds=retry_seconds)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        for panel in (self.exit_batch, self.causes, self.guarantee):
            lay.addWidget(panel, 0)
        lay.addWidget(self.trend, 1)
        self.set_metrics(self.metrics)

    @property
    def panels(self) -> tuple[Panel, ...]:
        return self.exit_batch, self.causes, self.guarantee, self.trend

    def update_region(self, region: Mapping[str, Any] | None) -> None:
        if not region:
            return
        self.region = dict(region)
        for panel in (self.exit_batch, self.causes, self.guarantee):
            panel.update_region(self.region)
        self.trend.update_region(self.region)

    def set_metrics(self, metrics: Metrics) -> None:
        self.metrics = metrics
        self.layout().setSpacing(metrics.px(10))
        for panel in self.panels:
            panel.set_metrics(metrics)
        self.updateGeometry()

    def set_indicator(self, key: str) -> None:
        self.trend.set_indicator(key)

    def set_year(self, year: int | None) -> None:
        self.trend.set_year(year)

    def shutdown(self, timeout_ms: int = 15000) -> None:
        """Stop the trend's worker (call from the window's closeEvent)."""
        self.trend.shutdown(timeout_ms)
