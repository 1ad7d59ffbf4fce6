"""How the trend panel draws its series: the plot under its message, axes, curve, exit line, the year's highlight."""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QBrush, QColor, QFontMetricsF, QLinearGradient
from PySide6.QtWidgets import QLabel, QSizePolicy, QWidget

from sandbox.ui.panels.forecast import ForecastOverlay
from sandbox.ui.panels.model import indicator_label, number_text
from sandbox.ui.panels.paint import PanelColors
from sandbox.ui.panels.trend_plot import CachedPlotWidget
from sandbox.ui.theme import Metrics, metrics_for_height, ui_font

__all__ = ["TrendBody", "TrendChart"]


def _value_text(value: float | None, unit: str) -> str:
    if value is None:
        return "无数据"
    if unit == "%":
        return number_text(value, 2 if 0 < abs(value) < 1 else 1) + "%"
    return number_text(value, 0 if float(value).is_integer() else 1) + unit


_AXIS_TEXT_WIDTH = 30  # a new axis' room for its tick texts (pyqtgraph's AxisItem.__init__)


class TrendBody(QWidget):
    """The plot, with a message laid over it (loading, no data, or what failed)."""

    def __init__(self, parent: QWidget | None = None, content_key: Callable[[], object] | None = None):
        super().__init__(parent)
        self.metrics: Metrics = metrics_for_height(1080)
        self.plot = CachedPlotWidget(parent=self, background=PanelColors.card, content_key=content_key)
        self.plot.setFrameShape(pg.QtWidgets.QFrame.Shape.NoFrame)
        self.message = QLabel(self)
        self.message.setObjectName("trendMessage")
        self.message.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.message.setWordWrap(True)
        self.message.hide()
        self.on_resize: Callable[[], None] | None = None
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)

    def sizeHint(self) -> QSize:
        return QSize(self.metrics.px(420), self.metrics.px(260))

    def minimumSizeHint(self) -> QSize:
        return QSize(self.metrics.px(240), self.metrics.px(150))

    def set_metrics(self, m: Metrics) -> None:
        self.metrics = m
        self.updateGeometry()
        self._place_message()

    def show_message(self, text: str, tone: str = "muted") -> None:
        colour = {"error": PanelColors.warn, "muted": PanelColors.muted}.get(tone, PanelColors.muted)
        m = self.metrics
        self.message.setFont(ui_font(m.px(18)))
        self.message.setStyleSheet(
            f"QLabel#trendMessage {{ color: {colour}; background: rgba(6, 16, 31, 215);"
            f" border: {max(1, m.px(1.5))}px solid {colour}; border-radius: {m.px(6)}px;"
            f" padding: {m.px(8)}px {m.px(12)}px; }}")
        self.message.setText(text)
        self.message.show()
        self.message.raise_()
        self._place_message()

    def hide_message(self) -> None:
        self.message.hide()
        self.message.setText("")

    def _place_message(self) -> None:
        # isHidden, not isVisible: a message shown while the panel itself is not yet on screen must be
        # placed too, or it keeps Qt's default geometry (top-left, its text cut short).
        if self.message.isHidden():
            return
        w = max(1, self.width() - 2 * self.metrics.px(16))
        fm = QFontMetricsF(self.message.font())
        natural = math.ceil(fm.horizontalAdvance(self.message.text())) + 2 * self.metrics.px(14) + 4
        w = min(w, natural)
        h = self.message.heightForWidth(w)
        if h <= 0:
            h = self.message.sizeHint().height()
        self.message.setGeometry((self.width() - w) // 2, max(0, (self.height() - h) // 2), w, h)

    def resizeEvent(self, event) -> None:
        self.plot.setGeometry(0, 0, self.width(), self.height())
        self._place_message()
        if self.on_resize is not None:
            self.on_resize()
        super().resizeEvent(event)


class TrendChart:
    """The drawing half of TrendPanel (a mixin): builds and styles the pyqtgraph plot and draws the
    series on screen into it. The panel holds the state (series, year, indicator, metrics)."""

    def _build_plot(self) -> None:
        pi = self.plot.getPlotItem()
        pi.hideButtons()
        pi.setMenuEnabled(False)
        pi.setMouseEnabled(x=False, y=False)
        pi.getViewBox().setMouseEnabled(False, False)
        pi.showGrid(x=False, y=True, alpha=0.18)
        self.year_band = pg.LinearRegionItem(values=(0, 0), movable=False)
        self.year_band.setZValue(-10)
        for line in self.year_band.lines:
            line.setPen(pg.mkPen(None))
        pi.addItem(self.year_band)
        self.curve = pg.PlotDataItem([], [], connect="finite", antialias=True)
        pi.addItem(self.curve)
        self.exit_line = pg.InfiniteLine(pos=3.0, angle=0, movable=False)
        self.exit_line.label = pg.InfLineLabel(self.exit_line, text="", position=0.03, anchors=[(0, 1), (0, 1)])
        pi.addItem(self.exit_line)
        self.year_dot = pg.ScatterPlotItem(antialias=True)
        pi.addItem(self.year_dot)
        self.year_text = pg.TextItem(anchor=(0.5, 1.25), fill=pg.mkBrush(6, 16, 31, 215))
        pi.addItem(self.year_text)
        self.forecast = ForecastOverlay(self.client, pi, self._forecast_arrived, self)
        self._style_plot()
        self._draw()

    def _style_plot(self) -> None:
        self.plot.invalidate()  # the cached picture is stale
        m = self.metrics
        pi = self.plot.getPlotItem()
        tick_font = ui_font(m.px(15))
        for name in ("left", "bottom"):
            ax = pi.getAxis(name)
            ax.setPen(pg.mkPen(PanelColors.border, width=max(1, m.px(1))))
            ax.setTextPen(pg.mkPen(PanelColors.muted))
            ax.setStyle(tickFont=tick_font, tickLength=-m.px(6), tickTextOffset=m.px(6), autoExpandTextSpace=True)
        label_css = {"color": PanelColors.muted, "font-size": f"{m.px(15)}px"}
        pi.setLabel("left", self.left_axis_text(), **label_css)
        pi.setLabel("bottom", "年份", **label_css)
        for name in ("left", "bottom"):
            pi.getAxis(name).label.setFont(ui_font(m.px(15)))
        # pyqtgraph sizes the axis for 1080p-ish labels; at 4K the label would sit on the year ticks
        line = QFontMetricsF(tick_font).height()
        pi.getAxis("bottom").setHeight(math.ceil(2 * line + m.px(6) + m.px(8)))
        self.curve.setPen(pg.mkPen(PanelColors.accent, width=max(1.5, m.px(3))))
        self.curve.setSymbol("o")
        self.curve.setSymbolSize(m.px(9))
        self.curve.setSymbolPen(pg.mkPen(PanelColors.accent, width=max(1, m.px(2))))
        self.curve.setSymbolBrush(pg.mkBrush(PanelColors.card))
        self.exit_line.setPen(pg.mkPen(PanelColors.bad, width=max(1, m.px(2)), style=Qt.PenStyle.DashLine))
        self.exit_line.label.setColor(QColor(PanelColors.bad))
        self.exit_line.label.setFont(ui_font(m.px(15)))
        band = QColor(PanelColors.accent)
        band.setAlpha(34)
        self.year_band.setBrush(pg.mkBrush(band))
        self.year_text.setFont(ui_font(m.px(18), bold=True))
        self.year_text.setColor(QColor(PanelColors.highlight))
        self.year_text.border = pg.mkPen(PanelColors.highlight, width=max(1, m.px(1)))
        # The year dot's pen and brush, made once per metrics: pyqtgraph's symbol atlas keys a dot's picture
        # on these objects' ids, so a fresh pair per highlight kept a picture per year change (issue 20).
        self._dot_pen = pg.mkPen("#ffffff", width=max(1, m.px(2)))
        self._dot_brush = pg.mkBrush(PanelColors.highlight)
        self.forecast.style(m)
        self._draw()

    def _draw(self) -> None:
        self.plot.invalidate()  # the cached picture is stale
        pi = self.plot.getPlotItem()
        s = self.series
        _label, unit = indicator_label(self._shown_indicator())
        pi.setLabel("left", self.left_axis_text())
        # The value axis' width as a new chart's: pyqtgraph widens it for wider tick texts and narrows it only
        # by more than 10 px, so the same figures drew a wider axis after a level with bigger numbers. Now a
        # chart is what its figures draw, whatever was shown before: the picture kept for a level (or painted
        # ahead of its drill) is the one its drill draws.
        left = pi.getAxis("left")
        left.textWidth = _AXIS_TEXT_WIDTH
        left._updateWidth()
        # no values: no made-up 0.2 … 1.0 scale behind the 暂无数据 message
        pi.getAxis("left").setStyle(showValues=bool(s is not None and s.years and s.has_values))
        # no years yet: the bottom axis's made-up 0.2 … 0.8 are not drawn (kept for layout: same height)
        pi.getAxis("bottom").setTextPen(pg.mkPen(PanelColors.muted if s is not None and s.years else "#00000000"))
        if s is None or not s.years:
            self.curve.setData([], [])
            self.exit_line.hide()
            self.year_dot.setData([])
            self.year_text.hide()
            self.year_band.hide()
            self.forecast.clear()
            if s is not None:  # the API answered: no year of data yet (boundaries alone)
                self._show_message("暂无年度数据")
            return
        xs = np.array(s.years, dtype=float)
        ys = np.array([np.nan if v is None else v for v in s.values], dtype=float)
        finite = ys[np.isfinite(ys)]
        if finite.size:
            self.curve.setData(xs, ys, connect="finite")
        else:
            self.curve.setData([], [])
        # a soft fill under the line, fading towards the axis
        if finite.size:
            top = float(finite.max())
            grad = QLinearGradient(0, 0, 0, 1)
            grad.setCoordinateMode(QLinearGradient.CoordinateMode.ObjectBoundingMode)
            c0, c1 = QColor(PanelColors.accent), QColor(PanelColors.accent)
            c0.setAlpha(70)
            c1.setAlpha(8)
            grad.setColorAt(0, c0)
            grad.setColorAt(1, c1)
            self.curve.setFillLevel(0.0)
            self.curve.setBrush(QBrush(grad))
        else:
            top = 0.0
            self.curve.setFillLevel(None)
        exit_at = self.exit_lines.get(self._shown_indicator())
        if exit_at is not None:
            self.exit_line.setValue(exit_at)
            text = f"退出线 {exit_at:g}{unit}"
            self.exit_line.label.format = text  # fixed text: no {value} placeholder
            self.exit_line.label.setText(text)
            self.exit_line.show()
            top = max(top, exit_at)
        else:
            self.exit_line.hide()
        recorded = [(y, v) for y, v in zip(s.years, s.values) if v is not None]
        drawn = self.forecast.draw(self._code, self._shown_indicator(), recorded[-1] if recorded else None,
                                   s.as_of or self._region_as_of)
        if drawn is not None:
            top = max(top, drawn[1])
        self._set_year_ticks()
        pi.setXRange(min(s.years) - 0.5, (drawn[0] if drawn else max(s.years)) + 0.5, padding=0)
        y_max = 105.0 if unit == "%" and top > 90 else (top or 1.0) * 1.22
        # a little room under zero so a point at (or near) 0 is not cut by the axis
        pi.setYRange(-0.05 * y_max, y_max, padding=0)
        self.forecast.place_label((drawn[0] if drawn else max(s.years)) + 0.45, y_max)
        self._apply_highlight()
        if not s.has_values:
            self._show_message("该指标在此区域暂无数据")
        elif self.error is None:
            self._body.hide_message()

    def _forecast_arrived(self) -> None:
        """The forecast came (or failed): the chart drawn again with it, and remembered as the region's chart
        (what Esc back to it shows in its first frame)."""
        self._draw()
        self._remember_chart(self._picture_key())

    def _apply_highlight(self) -> None:
        s, y = self.series, self._year
        vb = self.plot.getPlotItem().getViewBox()
        (y_bottom, y_top), plot_h = vb.viewRange()[1], vb.height()
        key = (id(s), y, self.metrics, self._shown_indicator(), y_top, plot_h, self._shown)
        if key == getattr(self, "_highlight_key", None):
            return  # nothing moved (a drill to another region before its trend arrived)
        self._highlight_key = key
        self.plot.invalidate()  # the cached picture is stale
        if s is None or y not in s.years:
            self.year_band.hide()
            self.year_dot.setData([])
            self.year_text.hide()
            return
        self.year_band.setRegion((y - 0.42, y + 0.42))
        self.year_band.show()
        v = s.value_at(y)
        if v is None:
            self.year_dot.setData([])
            self.year_text.hide()
            return
        m = self.metrics
        self.year_dot.setData([y], [v], size=m.px(17), brush=self._dot_brush, pen=self._dot_pen)
        _label, unit = indicator_label(self._shown_indicator())
        self.year_text.setText(f"{y}年 {_value_text(v, unit)}")
        # keep the caption inside the plot at the first and last years
        years = s.years
        ax = 0.5 if len(years) < 3 or years[0] < y < years[-1] else (0.0 if y == years[0] else 1.0)
        # above the point, unless the room up to the plot's top edge is less than the caption needs
        room = (y_top - v) / (y_top - y_bottom) * plot_h if y_top > y_bottom else 0.0
        ay = 1.3 if room >= 1.4 * self.year_text.boundingRect().height() else -0.35
        self.year_text.setAnchor((ax, ay))
        self.year_text.setPos(y, v)
        self.year_text.show()

    def left_axis_text(self) -> str:
        """The value axis' title: the indicator and unit, or just the unit when the plot is too short."""
        label, unit = indicator_label(self._shown_indicator())
        full = f"{label}（{unit}）" if unit else label
        short = f"单位：{unit}" if unit else label
        font = ui_font(self.metrics.px(15))
        room = self.plot.height() - self.plot.getPlotItem().getAxis("bottom").height() - self.metrics.px(12)
        return full if QFontMetricsF(font).horizontalAdvance(full) <= room else short

    def _fit_axes(self) -> None:
        self.plot.invalidate()  # the cached picture is stale
        pi = self.plot.getPlotItem()
        text = self.left_axis_text()
        axis = pi.getAxis("left")
        if axis.labelText != text:
            axis.setLabel(text)
        self._set_year_ticks()

    def _set_year_ticks(self) -> None:
        """Every year when there is room for it, else every other year (never overlapping labels)."""
        self.plot.invalidate()  # the cached picture is stale
        years = self.series.years if self.series is not None else ()
        if not years:
            return
        ahead = self.forecast.series.years if self.forecast.line.xData is not None and len(self.forecast.line.xData) \
            and self.forecast.series is not None else ()
        years = tuple(years) + tuple(y for y in ahead if y > max(years))
        pi = self.plot.getPlotItem()
        font = ui_font(self.metrics.px(15))
        need = QFontMetricsF(font).horizontalAdvance("2020") * 1.25
        # the view is the plot minus the value axis; estimate before the first layout pass
        view_w = pi.getViewBox().width() or (self.plot.width() - self.metrics.px(60))
        per_year = view_w / max(1, len(years))
        step = 1 if per_year >= need else (2 if 2 * per_year >= need else 3)
        self.year_tick_step = step
        major = [(y, str(y)) for i, y in enumerate(years) if i % step == 0]
        minor = [(y, "") for i, y in enumerate(years) if i % step != 0]
        pi.getAxis("bottom").setTicks([major, minor])

    def caption_rect(self) -> QRectF:
        """The highlighted year's caption in plot-widget pixels (tests check it stays inside)."""
        if not self.year_text.isVisible():
            return QRectF()
        r = self.year_text.mapRectToScene(self.year_text.boundingRect())
        return self.plot.mapFromScene(r).boundingRect().toRectF()
