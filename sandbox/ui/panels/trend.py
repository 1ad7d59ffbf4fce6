"""Trend chart of one indicator 2014-2020 (pyqtgraph, raster), fetched off the GUI thread."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import pyqtgraph as pg
from PySide6.QtCore import QTimer, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QWidget

from sandbox.ui.panels.model import EXIT_LINES, TrendDataError, TrendSeries, indicator_label, parse_trend
from sandbox.ui.panels.paint import PICTURES_KEPT, PanelColors
from sandbox.ui.panels.titled import Panel
from sandbox.ui.panels.trend_chart import TrendBody, TrendChart
from sandbox.ui.panels.worker import BackgroundCall, bad_data_message
from sandbox.ui.theme import Metrics

if TYPE_CHECKING:
    from sandbox.client.api import ApiClient

__all__ = ["TrendPanel", "fetch_trend", "trend_of_series"]

log = logging.getLogger(__name__)

LOADING = "正在加载趋势数据…"
AHEAD_WAIT_MS = 400  # queued paint-ahead starts this long after it is asked for, then one per turn
AHEAD_QUEUED = PICTURES_KEPT - 2  # levels waiting to be painted ahead: never more than the plot keeps beside its own
_VEIL = QColor(PanelColors.card)
_VEIL.setAlpha(190)  # another region's chart, its successor on its way: seen as a shape, not read as current


def fetch_trend(client: ApiClient, code: str, indicator: str) -> TrendSeries:
    """The blocking part, run on the worker thread: one API call and validation."""
    return parse_trend(client.trend(code, indicator), indicator)


def trend_of_series(series: Mapping[str, Any], code: str, indicator: str, as_of: str | None) -> TrendSeries:
    """The trend from the region's own `series` (GET /regions/{code} carries every year's figures):
    validated like an answer of GET /trend, without a request."""
    points = []
    for year, values in series.items():
        if not str(year).isdigit() or not isinstance(values, Mapping):
            raise TrendDataError(f"bad series year {year!r}")
        points.append({"year": int(year), "value": values.get(indicator)})
    return parse_trend({"code": code, "indicator": indicator, "as_of": as_of, "points": points}, indicator)


class TrendPanel(TrendChart, Panel):
    """An indicator of the selected region over the years; the current year is highlighted.

    Give it its own ApiClient (one client per worker thread). `update_region` draws the region's own series
    at once (unless a picture of its chart is kept: that is blitted, the scene drawn after the frame) and
    fetches only for an API whose regions come without it, when the region, the indicator or the data's
    as-of time changed; `set_year` just moves the highlight.
    """

    trendChanged = Signal()  # new data is on screen
    trendFailed = Signal(str)  # Chinese message now shown in the panel

    def __init__(self, client: ApiClient, parent: QWidget | None = None, *,
                 indicator: str = "poverty_incidence", exit_lines: Mapping[str, float] | None = None,
                 retry_seconds: float = 30.0):
        self._body = TrendBody(content_key=self._picture_key)
        super().__init__("", self._body, parent)
        self.client = client
        self.exit_lines = dict(EXIT_LINES if exit_lines is None else exit_lines)
        self.series: TrendSeries | None = None
        self.error: str | None = None
        self.year_tick_step = 1  # 2: only every other year is labelled (narrow panel)
        self._indicator = indicator
        self._code: str | None = None
        self._year: int | None = None
        self._region_as_of: str | None = None
        self._series: Mapping[str, Any] | None = None  # the region's own figures in every year, if it came with them
        self._wanted: tuple | None = None  # (code, indicator, as_of) asked for
        self._shown: tuple | None = None  # what the plot holds
        # (code, indicator, as_of, year, metrics) -> the content key of its chart painted ahead or drawn (the
        # plot keeps the pictures): a drill's first frame shows it before the scene is drawn
        self._charts: dict[tuple, object] = {}
        self._call = BackgroundCall(self)
        self._call.done.connect(self._on_done)
        self._call.failed.connect(self._on_failed)
        self._retry = QTimer(self, singleShot=True, interval=max(1, int(retry_seconds * 1000)))
        self._retry.timeout.connect(self._fetch)
        # levels asked to be painted ahead before the panel could paint (built after them, or not yet laid
        # out): painted one per event-loop turn once it can, so the first drills after a start are blits too
        self._ahead_queue: list[Mapping[str, Any]] = []
        self._placed = False  # on screen with a size once (a later hide drops paint-ahead, as before)
        # each is a chart drawn and rendered (≈ 15 ms at 4K): they wait until the start's work is done (the
        # panel is built right after the first frame, the wall's other parts with it) and leave frames between
        self._ahead_timer = QTimer(self, singleShot=True)
        self._ahead_timer.timeout.connect(self._paint_queued)
        self._build_plot()
        self._body.on_resize = self._on_resize
        self._update_title()
        self._body.show_message("等待区域数据…")

    # -- public API ---------------------------------------------------------------------------------
    @property
    def plot(self) -> pg.PlotWidget:
        return self._body.plot

    @property
    def indicator(self) -> str:
        return self._indicator

    @property
    def year(self) -> int | None:
        return self._year

    @property
    def region_code(self) -> str | None:
        return self._code

    @property
    def busy(self) -> bool:
        return self._call.busy

    def plot_layout_key(self) -> tuple:
        """Where the plot's items are (a screenshot waits until it stops changing)."""
        return self.plot._layout_key()

    def message_text(self) -> str:
        """The message over the plot ('' when the chart is shown plainly)."""
        return self._body.message.text() if self._body.message.isVisible() else ""

    def points(self) -> list[tuple[int, float | None]]:
        """(year, value) as plotted, 无数据 years as None."""
        if self.series is None:
            return []
        return list(zip(self.series.years, self.series.values))

    def exit_line_value(self) -> float | None:
        """The dashed exit line's level when it is drawn, else None."""
        return float(self.exit_line.value()) if self.exit_line.isVisible() and self._shown else None

    def _picture_key(self) -> tuple:
        """What the plot's picture shows besides its size and layout: the style, the indicator, the
        series, the highlighted year, the exit line and the forecast drawn after it."""
        s = self.series
        fc = self.forecast
        drawn = tuple(() if item.xData is None else (tuple(item.xData.tolist()), tuple(item.yData.tolist()))
                      for item in (fc.line, fc.low, fc.high))
        label = fc.label.textItem.toPlainText() if fc.label.isVisible() else ""
        return (self.metrics, self._shown_indicator(), None if s is None else (s.years, s.values), self._year,
                self.exit_line_value(), drawn, label)

    def update_region(self, region: Mapping[str, Any] | None) -> None:
        if not region or not region.get("code"):
            return
        self._code = str(region["code"])
        self._region_as_of = region.get("as_of")
        series = region.get("series")
        self._series = series if isinstance(series, Mapping) and series else None
        if region.get("year") is not None:
            self._year = int(region["year"])
        self._fetch_if_needed()
        self._apply_highlight()
        self._cover_stale()

    def paint_ahead(self, region: Mapping[str, Any] | None) -> bool:
        """Paint, into the plot's kept pictures, the chart `update_region(region)` will show once its trend
        is drawn (from the region's own series), and leave the chart as it is: the frame that draws that
        trend is then a blit. Also while the chart on screen is still on its way (its loading message stays):
        a town prefetched before the county's trend arrived is painted ahead too. False when there is nothing
        to paint ahead (hidden, the region without a series, an error on screen)."""
        if not region or not region.get("code") or self.error is not None:
            return False
        if not self._can_paint_ahead():
            if not self._placed:  # built, not yet laid out on screen (a start): painted once it is
                self.paint_ahead_later([region])
            return False
        series = region.get("series")
        if not isinstance(series, Mapping) or not series:
            return False
        code = str(region["code"])
        try:
            ahead = trend_of_series(series, code, self._indicator, region.get("as_of"))
        except TrendDataError:
            return False
        year = int(region["year"]) if region.get("year") is not None else self._year
        saved = self.series, self._code, self._year, self._shown
        message = None if self._body.message.isHidden() else (self._body.message.text(), self._message_tone)
        try:
            self.series, self._code, self._year = ahead, code, year
            self._shown = (code, self._indicator, region.get("as_of"))
            self._draw()
            self.plot.picture()
            self._remember_chart(self._picture_key())
        finally:
            self.series, self._code, self._year, self._shown = saved
            self._draw()  # as it was (its picture is kept: the next paint is a blit)
            self.plot.settle()
            if message is None:
                self._body.hide_message()
            elif self._body.message.isHidden() or self._body.message.text() != message[0]:
                self._show_message(*message)
        return True

    def paint_ahead_later(self, regions: list[Mapping[str, Any]]) -> None:
        """Paint these levels ahead (see paint_ahead) one per event-loop turn, once the panel is on screen
        with its size: asked for before it was built or laid out. The last AHEAD_QUEUED are kept."""
        codes = {str(r.get("code")) for r in regions}
        self._ahead_queue = [r for r in self._ahead_queue if str(r.get("code")) not in codes] + list(regions)
        del self._ahead_queue[:-AHEAD_QUEUED]
        self._ahead_timer.start(AHEAD_WAIT_MS)

    def _can_paint_ahead(self) -> bool:
        if self.isVisible() and self.plot.width() > 0:
            self._placed = True
        return self._placed and self.isVisible() and self.plot.width() > 0

    def _paint_queued(self) -> None:
        if not self._ahead_queue or not self._can_paint_ahead():
            return  # (a resize or show starts it again)
        region = self._ahead_queue.pop(0)
        try:
            self.paint_ahead(region)
        finally:
            if self._ahead_queue:
                self._ahead_timer.start(0)

    def showEvent(self, event) -> None:
        super().showEvent(event)
        if self._ahead_queue:
            self._ahead_timer.start(AHEAD_WAIT_MS)

    def set_indicator(self, key: str) -> None:
        if key != self._indicator:
            self._indicator = key
            self._fetch_if_needed()
            self._cover_stale()

    def set_year(self, year: int | None) -> None:
        if year != self._year:
            self._year = year
            self._apply_highlight()
            self._cover_stale()

    def set_metrics(self, metrics: Metrics) -> None:
        super().set_metrics(metrics)
        self._style_plot()
        if self._body.message.isVisible():
            self._body.show_message(self._body.message.text(), self._message_tone)

    def shutdown(self, timeout_ms: int = 15000) -> None:
        self._retry.stop()
        self._ahead_timer.stop()
        self._ahead_queue.clear()
        self._call.shutdown(timeout_ms)
        self.forecast.shutdown(timeout_ms)

    def _shown_indicator(self) -> str:
        """The indicator the chart is drawn for: the one on screen until the new one's data arrives."""
        return self.series.indicator if self.series is not None and self.series.indicator else self._indicator

    # -- fetching -----------------------------------------------------------------------------------
    def _key(self) -> tuple:
        return (self._code, self._indicator, self._region_as_of)

    def _fetch_if_needed(self) -> None:
        if self._code is None:
            return
        key = self._key()
        if key == self._shown and self.error is None:
            return
        if key == self._wanted and self._call.busy:
            return
        self._fetch()

    def _fetch(self) -> None:
        if self._code is None:
            return
        self._retry.stop()
        self._wanted = self._key()
        if self._series is not None and self.isVisible() and self._kept_chart() is None:
            # the region brought its years and no picture of its chart is kept: drawn now, in the frame that
            # shows the level (through the worker it came a frame or two after, behind a veil: a flash); not
            # while hidden (the panel just built at a start: no frame shows it yet, the start goes on)
            self._call.cancel()  # an older answer on its way is not this chart's
            try:
                series = trend_of_series(self._series, self._code, self._indicator, self._region_as_of)
            except TrendDataError as exc:
                self._on_failed(bad_data_message(exc, "panel data"))
            else:
                self._on_done(series)
            return
        if self._shown is None:
            self._show_message(LOADING)
        if self._series is not None:  # a picture of its chart is kept: blitted now, the scene drawn after the frame
            self._call.submit(trend_of_series, self._series, self._code, self._indicator, self._region_as_of)
        else:  # an API from before the region carried its series
            self._call.submit(fetch_trend, self.client, self._code, self._indicator)

    def _on_done(self, series: TrendSeries) -> None:
        self.series = series
        self.error = None
        self._shown = self._wanted
        self._update_title()
        self.set_as_of(series.as_of or self._region_as_of)
        self._uncover()
        self._draw()
        self._remember_chart(self._picture_key())
        # the forecast from the last data year: drawn dashed after it when it arrives; asked for from the event
        # loop's next turn, not on this call stack (a drill's path stays out of the worker it came from)
        code, as_of = self._code, max(series.years) if series.years else None
        stamp = series.as_of or self._region_as_of
        QTimer.singleShot(0, self, lambda: self._code == code and self.forecast.request(code, as_of, stamp))
        self.trendChanged.emit()

    def _on_failed(self, message: str) -> None:
        self.error = message
        self._uncover()
        text = f"趋势数据加载失败：{message}"
        if self._shown is None or self._wanted is None or self._shown[:2] != self._wanted[:2]:
            # What is on screen belongs to another region or indicator: never leave it looking current.
            self.series = None
            self._shown = None
            self._update_title()
            self._draw()
        else:
            text += "（图中为上次获取的数据）"
        self._show_message(text + "，正在自动重试", tone="error")
        self._retry.start()
        self.trendFailed.emit(text)

    # -- while another region's chart is on screen ---------------------------------------------------
    def _on_resize(self) -> None:
        self._fit_axes()
        if self._ahead_queue:
            self._ahead_timer.start(AHEAD_WAIT_MS)
        self._cover_stale()  # a picture painted ahead at the old size is no more: the old chart veiled instead

    def _remember_chart(self, content: object) -> None:
        """The chart drawn for the region, indicator and year now in `_shown` / `_year` is `content`."""
        if self._shown is None:
            return
        key = (*self._shown, self._year, self.metrics)
        self._charts.pop(key, None)
        self._charts[key] = content
        while len(self._charts) > PICTURES_KEPT:
            self._charts.pop(next(iter(self._charts)))

    def _kept_chart(self) -> object | None:
        """The content key of this region's, indicator's and year's chart if a picture of it is kept (painted
        ahead, or shown before), else None."""
        content = self._charts.get((*self._key(), self._year, self.metrics))
        return content if content is not None and self.plot.has_picture(content) else None

    def _cover_stale(self) -> None:
        """The scene holds another region's (or indicator's) chart while this one's trend is on its way
        (the worker's answer comes after the frame): the frame shows this region's chart if a picture of it
        is kept (painted ahead of a prefetched drill, or shown before: Esc), else (a region without its
        series: a request) the old chart dimmed under 正在加载趋势数据… — never one level's map beside
        another level's trend."""
        stale = self._shown is not None and self._shown[:2] != (self._code, self._indicator)
        if not stale:
            self._uncover()
            return
        content = self._kept_chart()
        if content is not None and self.plot.show_ahead(content):
            self.plot.set_dimmed(None)
            if self._body.message.text() == LOADING:
                self._body.hide_message()
            return
        self.plot.show_scene()
        self.plot.set_dimmed(_VEIL)
        self._show_message(LOADING)

    def _uncover(self) -> None:
        """The scene's own chart, plainly (its trend arrived, failed, or is the one already drawn)."""
        self.plot.show_scene()
        if self.plot.dimmed:
            self.plot.set_dimmed(None)
            if self._body.message.text() == LOADING:
                self._body.hide_message()

    # -- what the panel says over its plot (the plot itself: TrendChart) ------------------------------
    _message_tone = "muted"

    def _show_message(self, text: str, tone: str = "muted") -> None:
        self._message_tone = tone
        self._body.show_message(text, tone)

    def _update_title(self) -> None:
        label, _unit = indicator_label(self._shown_indicator())
        self.set_title(f"{label}变化趋势")
