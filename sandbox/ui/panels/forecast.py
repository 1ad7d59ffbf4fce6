"""The trend chart's forecast: after the last data year, a dashed line with its band (issue 17),
fetched from GET /regions/{code}/forecast on a worker of its own."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QObject, Qt, QTimer
from PySide6.QtGui import QColor

from sandbox.ui.panels.model import TrendDataError, is_number
from sandbox.ui.panels.paint import PanelColors
from sandbox.ui.panels.worker import BackgroundCall, client_for_worker
from sandbox.ui.theme import Metrics, ui_font

__all__ = ["ForecastSeries", "parse_forecast", "ForecastOverlay", "FORECAST_OF"]

log = logging.getLogger(__name__)

# The trend's indicator → the forecast's figure drawn after the last year (others: no forecast)
FORECAST_OF = {"poverty_incidence": "poverty_incidence", "poor_population": "poor_population",
               "poor_households": "poor_households", "exits_in_year": "exits_people"}
COLOUR = "#ffc857"  # warm: what is forecast reads apart from what was recorded
FORECASTS_KEPT = 16  # the last regions' forecasts (a few numbers each): a level shown again draws its own at once


@dataclass(frozen=True)
class ForecastSeries:
    code: str
    as_of: int
    years: tuple[int, ...]
    figures: Mapping[str, tuple[tuple[float, ...], tuple[float, ...], tuple[float, ...]]]  # mean, low, high
    below_year: int | None  # incidence under 3 % (median of the simulations)
    below_already: bool
    computing: bool = False  # the API is still fitting: ask again shortly


def parse_forecast(payload: Any) -> ForecastSeries:
    """Validate GET /regions/{code}/forecast; a figure missing in any year is left out."""
    if not isinstance(payload, Mapping) or not isinstance(payload.get("points"), list):
        raise TrendDataError("forecast payload has no 'points' list")
    pts = [p for p in payload["points"] if isinstance(p, Mapping) and is_number(p.get("year"))]
    years = tuple(int(p["year"]) for p in pts)
    figures = {}
    for key in set(FORECAST_OF.values()):
        bands = [p.get(key) for p in pts]
        if bands and all(isinstance(b, Mapping) and all(is_number(b.get(s)) for s in ("mean", "low", "high"))
                         for b in bands):
            figures[key] = tuple(tuple(float(b[s]) for b in bands) for s in ("mean", "low", "high"))
    below = payload.get("below_line") if isinstance(payload.get("below_line"), Mapping) else {}
    return ForecastSeries(str(payload.get("code") or ""), int(payload.get("as_of") or 0), years, figures,
                          int(below["year"]) if is_number(below.get("year")) else None, bool(below.get("already")),
                          payload.get("status") == "computing")


def fetch_forecast(client: Any, code: str, as_of: int) -> ForecastSeries:
    return parse_forecast(client.forecast(code, as_of))


class ForecastOverlay(QObject):
    """The dashed forecast line and its band on a trend plot; `request` fetches when the region or
    the last data year changed, `draw` places it after the recorded line's last point."""

    def __init__(self, client: Any, plot_item: pg.PlotItem, on_change: Callable[[], None], parent: QObject | None = None,
                 retry_seconds: float = 3.0):
        super().__init__(parent)
        self._again = QTimer(self, singleShot=True, interval=int(retry_seconds * 1000))
        self._again.timeout.connect(self._ask_again)
        # the chart is redrawn from the event loop's next turn through a timer of this overlay's own (a
        # one-shot with a foreign callable as its functor was resolved by PySide as a slot of this object
        # and failed now and then: "Slot 'ForecastOverlay::' not found"); its timeout calls the chart's
        # redraw itself, so the redraw's call stack starts in the chart, not in this module it calls back
        self._redraw = QTimer(self, singleShot=True, interval=0)
        self._redraw.timeout.connect(on_change)
        self.client = client_for_worker(client)
        self.series: ForecastSeries | None = None
        self._wanted: tuple | None = None
        # (code, as_of, stamp) -> its forecast, the last FORECASTS_KEPT: a chart shown again (Esc) or painted
        # ahead draws its forecast in its first frame, not a frame without the dashed line and then one with it
        self._kept: dict[tuple, ForecastSeries] = {}
        self._call = BackgroundCall(self)
        self._call.done.connect(self._done)
        self._call.failed.connect(self._failed)
        self.low = pg.PlotDataItem([], [])
        self.high = pg.PlotDataItem([], [])
        self.band = pg.FillBetweenItem(self.low, self.high)
        self.line = pg.PlotDataItem([], [], antialias=True)
        self.label = pg.TextItem(anchor=(1.0, 0.0))  # hangs from the plot's top right corner
        for z, item in ((-5, self.band), (-4, self.low), (-4, self.high), (5, self.line), (6, self.label)):
            item.setZValue(z)
            plot_item.addItem(item)
        self.label.hide()

    @property
    def busy(self) -> bool:
        return self._call.busy

    def shutdown(self, timeout_ms: int = 15000) -> None:
        self._again.stop()
        self._redraw.stop()
        self._call.shutdown(timeout_ms)

    def request(self, code: str | None, as_of: int | None, stamp: str | None = None) -> None:
        """Fetch the forecast from `as_of` (the last data year); `stamp` (the data's as-of time) refetches on new data."""
        key = (code, as_of, stamp)
        if code is None or as_of is None or key == self._wanted:
            return
        self._wanted = key
        self._again.stop()
        kept = self._kept.get(key)
        if kept is not None:  # fetched before for this region and data (drawn from it already: see draw)
            self._call.cancel()  # another region's answer on its way is not this chart's
            self.series = kept
            return
        if self.series is not None and (self.series.code, self.series.as_of) != key[:2]:
            self.series = None  # another region's forecast never stands beside this one's trend
        if hasattr(self.client, "forecast"):
            self._call.submit(fetch_forecast, self.client, code, as_of)

    def _done(self, series: ForecastSeries) -> None:
        if series.computing:  # the model is being fitted on the server: nothing to draw yet
            self._again.start()
            return
        self.series = series
        if self._wanted is not None and self._wanted[:2] == (series.code, series.as_of):
            self._kept.pop(self._wanted, None)
            self._kept[self._wanted] = series
            while len(self._kept) > FORECASTS_KEPT:
                self._kept.pop(next(iter(self._kept)))
        # redrawn from the event loop's next turn: the chart's redraw calls back into this overlay, and the
        # worker's answer must not lead back into the module it came from on one call stack
        self._redraw.start()

    def _ask_again(self) -> None:
        if self._wanted is not None:
            code, as_of, _stamp = self._wanted
            self._call.submit(fetch_forecast, self.client, code, as_of)

    def _failed(self, message: str) -> None:
        # The forecast is an extra: the recorded trend stays as it is, without a dashed line.
        log.info("forecast not shown: %s", message)
        self.series = None
        self._wanted = None
        self._redraw.start()

    def style(self, m: Metrics) -> None:
        self.line.setPen(pg.mkPen(COLOUR, width=max(1.5, m.px(3)), style=Qt.PenStyle.DashLine))
        self.line.setSymbol("o")
        self.line.setSymbolSize(m.px(7))
        self.line.setSymbolPen(pg.mkPen(COLOUR, width=max(1, m.px(2))))
        self.line.setSymbolBrush(pg.mkBrush(PanelColors.card))
        band = QColor(COLOUR)
        band.setAlpha(85)
        self.band.setBrush(pg.mkBrush(band))
        self.band.setPen(pg.mkPen(None))
        for edge in (self.low, self.high):
            edge.setPen(pg.mkPen(None))
        self.label.setFont(ui_font(m.px(14)))
        self.label.setColor(QColor(COLOUR))

    def clear(self) -> None:
        for item in (self.line, self.low, self.high):
            item.setData([], [])
        self.band.hide()
        self.label.hide()

    def draw(self, code: str | None, indicator: str, last: tuple[int, float] | None,
             stamp: str | None = None) -> tuple[float, float] | None:
        """Draw after `last` (the recorded line's last (year, value)); the drawn (last year, top value) or None.
        Another region's chart (Esc back, or painted ahead) draws its own forecast if it is kept (`stamp`: the
        data's as-of time it was fetched for)."""
        s = self.series
        if last is not None and (s is None or s.code != code or s.as_of != last[0]):
            s = self._kept.get((code, last[0], stamp))
        key = FORECAST_OF.get(indicator)
        if s is None or key is None or key not in s.figures or last is None or s.code != code or not s.years \
                or s.as_of != last[0]:
            self.clear()
            return None
        mean, low, high = s.figures[key]
        xs = np.array([last[0], *s.years], dtype=float)
        self.line.setData(xs, np.array([last[1], *mean]))
        self.low.setData(xs, np.array([last[1], *low]))
        self.high.setData(xs, np.array([last[1], *high]))
        self.band.show()
        # the band in words, not as "10%–90%": on a chart whose values are percentages a leader reads
        # a percent sign as a value (the band is where 8 draws in 10 fall: the 10th to 90th percentile)
        text = "虚线: 预测 · 阴影: 八成可能的范围"
        if key == "poverty_incidence" and s.below_year and not s.below_already:
            text = f"预计{s.below_year}年降至3%以下\n" + text
        self.label.setText(text)
        self.label.show()  # placed by the panel once it knows its value range (place_label)
        return float(xs[-1]), float(max(max(high), last[1]))

    def place_label(self, right: float, top: float) -> None:
        """Hang the label from the plot's top right corner (the view's right edge and top value)."""
        self.label.setPos(right, top)
