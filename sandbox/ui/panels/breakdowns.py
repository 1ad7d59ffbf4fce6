"""The region's structure panels: 五个一批 bars, 致贫原因 donut, 两不愁三保障 status rows."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from PySide6.QtCore import QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QPainter, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from sandbox.ui.fmt import NO_DATA_TEXT, year_as_of
from sandbox.ui.panels.cause_donut import CAUSE_COLORS, CauseDonut
from sandbox.ui.panels.chart_fit import (
    ALIGN_LEFT,
    ALIGN_RIGHT,
    NO_POOR_TEXT,
    line_height,
    message,
    shrunk_font,
)
from sandbox.ui.panels.model import (
    BarRow,
    GuaranteeRow,
    cause_breakdown,
    exit_batch_rows,
    guarantee_rows,
)
from sandbox.ui.panels.paint import (
    Composition,
    PaintedWidget,
    PanelColors,
    TextItem,
    gradient_bar,
    text_width,
)
from sandbox.ui.panels.titled import Panel

__all__ = [
    "ExitBatchChart", "CauseDonut", "GuaranteeChart", "ExitBatchPanel", "CausePanel", "GuaranteePanel",
    "BATCH_COLORS", "CAUSE_COLORS",
]

BATCH_COLORS = {
    "production": "#33d6ff", "relocation": "#4f8cff", "ecology": "#3ddc84",
    "education": "#b58cff", "social_security": "#ffb020",
}


class ExitBatchChart(PaintedWidget):
    """Five horizontal bars (people), with people and households as figures at the right."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.rows: list[BarRow] | None = None
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)

    def set_rows(self, rows: list[BarRow] | None) -> None:
        self.rows = rows
        self.invalidate()

    def content_key(self) -> object:
        return "batch", None if self.rows is None else tuple(self.rows)

    def _row_h(self, minimum: bool = False) -> int:
        line = int(line_height(self.scaled_font(18))) + self.metrics.px(2)
        return line if minimum else max(self.metrics.px(30), line)

    def sizeHint(self):
        return QSize(self.metrics.px(420), 5 * self._row_h())

    def minimumSizeHint(self):
        return QSize(self.metrics.px(240), 5 * self._row_h(minimum=True))

    def compose(self, w: float, h: float) -> Composition:
        m, comp = self.metrics, Composition()
        label_f, pop_f, hh_f = self.scaled_font(18), self.scaled_font(18, bold=True), self.scaled_font(16)
        if self.rows is None:
            return message(comp, NO_DATA_TEXT, label_f, w, h)
        if not any(r.population or r.households for r in self.rows):
            return message(comp, NO_POOR_TEXT, label_f, w, h)
        labels = [r.label for r in self.rows]
        pops = [f"{r.population:,}人" for r in self.rows]
        hhs = [f"{r.households:,}户" for r in self.rows]
        gap, min_bar = m.px(10), m.px(48)

        def widths(lf, pf, hf):
            return (max(text_width(t, lf) for t in labels), max(text_width(t, pf) for t in pops),
                    max(text_width(t, hf) for t in hhs))

        lw, pw, hw = widths(label_f, pop_f, hh_f)
        need = lw + pw + hw + 3 * gap + min_bar
        if need > w:  # narrow column: everything a little smaller rather than cut
            k = max(0.3, (w - 3 * gap - min_bar) / (lw + pw + hw))
            label_f, pop_f, hh_f = shrunk_font(label_f, k), shrunk_font(pop_f, k), shrunk_font(hh_f, k)
            lw, pw, hw = widths(label_f, pop_f, hh_f)
        lw, pw, hw = math.ceil(lw) + 1, math.ceil(pw) + 1, math.ceil(hw) + 1
        x_bar = lw + gap
        bar_w = max(1.0, w - x_bar - gap - pw - gap - hw)
        x_pop = x_bar + bar_w + gap
        x_hh = x_pop + pw + gap
        n = len(self.rows)
        step = h / n
        bar_h = max(2, m.px(12))
        top = max(r.population for r in self.rows) or 1
        line = max(line_height(label_f), line_height(pop_f))
        comp.rects["track"] = QRectF(x_bar, 0, bar_w, h)
        for i, (row, pop_t, hh_t) in enumerate(zip(self.rows, pops, hhs)):
            cy = (i + 0.5) * step
            box = QRectF(0, cy - line / 2, lw, line)
            comp.texts.append(TextItem.fitted(row.label, label_f, box, PanelColors.text, ALIGN_LEFT, f"label:{row.key}"))
            comp.texts.append(TextItem.fitted(pop_t, pop_f, QRectF(x_pop, cy - line / 2, pw, line),
                                              PanelColors.text, ALIGN_RIGHT, f"population:{row.key}"))
            comp.texts.append(TextItem.fitted(hh_t, hh_f, QRectF(x_hh, cy - line / 2, hw, line),
                                              PanelColors.muted, ALIGN_RIGHT, f"households:{row.key}"))
            track = QRectF(x_bar, cy - bar_h / 2, bar_w, bar_h)
            fill = QRectF(x_bar, cy - bar_h / 2, bar_w * row.population / top, bar_h)
            comp.rects[f"bar:{row.key}"] = fill
            colour = BATCH_COLORS.get(row.key, PanelColors.accent)

            def paint(p: QPainter, track=track, fill=fill, colour=colour):
                p.setPen(Qt.PenStyle.NoPen)
                p.setBrush(QColor(PanelColors.track))
                p.drawRoundedRect(track, bar_h / 2, bar_h / 2)
                gradient_bar(p, fill, colour, bar_h / 2)
            comp.shapes.append(paint)
        return comp

    def bar_rect(self, key: str) -> QRectF:
        return QRectF(self.composition().rects[f"bar:{key}"])


class GuaranteeChart(PaintedWidget):
    """Five rows: status dot, guarantee, rate bar, rate, remaining gap (green when nothing is left)."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.rows: list[GuaranteeRow] = []
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)

    def content_key(self) -> object:
        return "guarantee", tuple(self.rows)

    def set_rows(self, rows: list[GuaranteeRow]) -> None:
        self.rows = list(rows)
        self.invalidate()

    @staticmethod
    def row_colour(row: GuaranteeRow) -> str:
        if row.status == "ok":
            return PanelColors.good
        if row.status == "nodata":
            return PanelColors.muted
        return PanelColors.bad if row.rate is not None and row.rate < 90.0 else PanelColors.warn

    def colours(self) -> dict[str, str]:
        return {r.key: self.row_colour(r) for r in self.rows}

    def _row_h(self, minimum: bool = False) -> int:
        line = int(line_height(self.scaled_font(18))) + self.metrics.px(2)
        return line if minimum else max(self.metrics.px(30), line)

    def sizeHint(self):
        return QSize(self.metrics.px(420), 5 * self._row_h())

    def minimumSizeHint(self):
        return QSize(self.metrics.px(240), 5 * self._row_h(minimum=True))

    def compose(self, w: float, h: float) -> Composition:
        m, comp = self.metrics, Composition()
        label_f, rate_f, gap_f = self.scaled_font(18), self.scaled_font(18, bold=True), self.scaled_font(17)
        if not self.rows:
            return message(comp, NO_DATA_TEXT, label_f, w, h)
        dot = m.px(12)
        gap, min_bar = m.px(10), m.px(36)
        labels = [r.label for r in self.rows]
        rates = [r.rate_text for r in self.rows]
        gaps = [r.gap_text for r in self.rows]

        def widths(lf, rf, gf):
            return (max(text_width(t, lf) for t in labels), max(text_width(t, rf) for t in rates),
                    max(text_width(t, gf) for t in gaps))

        lw, rw, gw = widths(label_f, rate_f, gap_f)
        fixed = dot + gap + 3 * gap
        show_bar = fixed + lw + rw + gw + min_bar + gap <= w
        if not show_bar and fixed + lw + rw + gw > w:
            k = max(0.3, (w - fixed) / (lw + rw + gw))
            label_f, rate_f, gap_f = shrunk_font(label_f, k), shrunk_font(rate_f, k), shrunk_font(gap_f, k)
            lw, rw, gw = widths(label_f, rate_f, gap_f)
        lw, rw, gw = math.ceil(lw) + 1, math.ceil(rw) + 1, math.ceil(gw) + 1
        x_label = dot + gap
        x_gap = w - gw
        x_rate = x_gap - gap - rw
        x_bar = x_label + lw + gap
        bar_w = x_rate - gap - x_bar if show_bar else 0
        n = len(self.rows)
        step = h / n
        line = max(line_height(label_f), line_height(rate_f), line_height(gap_f))
        bar_h = max(2, m.px(8))
        for i, row in enumerate(self.rows):
            cy = (i + 0.5) * step
            colour = self.row_colour(row)
            dot_r = QRectF(0, cy - dot / 2, dot, dot)
            comp.rects[f"dot:{row.key}"] = dot_r
            comp.shapes.append(lambda p, r=dot_r, c=colour: (p.setPen(Qt.PenStyle.NoPen), p.setBrush(QColor(c)),
                                                              p.drawEllipse(r)))
            if i:
                y = i * step
                comp.shapes.append(lambda p, y=y: (p.setPen(QPen(QColor(PanelColors.grid), 1)),
                                                   p.drawLine(QPointF(0, y), QPointF(w, y))))
            comp.texts.append(TextItem.fitted(row.label, label_f, QRectF(x_label, cy - line / 2, lw, line),
                                              PanelColors.text, ALIGN_LEFT, f"label:{row.key}"))
            comp.texts.append(TextItem.fitted(row.rate_text, rate_f, QRectF(x_rate, cy - line / 2, rw, line),
                                              PanelColors.text if row.rate is not None else PanelColors.muted,
                                              ALIGN_RIGHT, f"rate:{row.key}"))
            comp.texts.append(TextItem.fitted(row.gap_text, gap_f, QRectF(x_gap, cy - line / 2, gw, line),
                                              colour, ALIGN_RIGHT, f"gap:{row.key}"))
            if show_bar and bar_w > 0:
                track = QRectF(x_bar, cy - bar_h / 2, bar_w, bar_h)
                fill = QRectF(x_bar, cy - bar_h / 2, bar_w * max(0.0, min(100.0, row.rate or 0.0)) / 100.0, bar_h)
                comp.rects[f"bar:{row.key}"] = fill

                def paint(p: QPainter, track=track, fill=fill, colour=colour):
                    p.setPen(Qt.PenStyle.NoPen)
                    p.setBrush(QColor(PanelColors.track))
                    p.drawRoundedRect(track, bar_h / 2, bar_h / 2)
                    gradient_bar(p, fill, colour, bar_h / 2)
                comp.shapes.append(paint)
        return comp


class _RegionPanel(Panel):
    def update_region(self, region: Mapping[str, Any] | None) -> None:
        region = region or {}
        self.set_as_of(year_as_of(region.get("as_of"), region.get("year")))  # the year's figures: its end
        self._apply(region)

    def _apply(self, region: Mapping[str, Any]) -> None:
        for name, value in self._chart_data(region).items():
            setattr(self.chart, name, value)
        self.chart.invalidate()

    def paint_ahead(self, region: Mapping[str, Any]) -> None:
        """Paint the chart `update_region(region)` will show, ahead of it (see PaintedWidget.paint_ahead)."""
        self.chart.paint_ahead(**self._chart_data(region))

    def _chart_data(self, region: Mapping[str, Any]) -> dict:  # pragma: no cover - abstract
        """The chart's data attributes for `region` (what its setter would set)."""
        raise NotImplementedError


class ExitBatchPanel(_RegionPanel):
    """五个一批: the planned way out of the region's remaining poor households."""

    def __init__(self, parent: QWidget | None = None):
        self.chart = ExitBatchChart()
        super().__init__("五个一批 脱贫路径", self.chart, parent)

    def _chart_data(self, region):
        return {"rows": exit_batch_rows(region)}


class CausePanel(_RegionPanel):
    """致贫原因: main cause of poverty of the remaining poor households, largest first."""

    def __init__(self, parent: QWidget | None = None, *, top: int = 5):
        self.top = top
        self.chart = CauseDonut(rows=top + 1)
        super().__init__("致贫原因构成", self.chart, parent)

    def _chart_data(self, region):
        return {"breakdown": cause_breakdown(region, self.top)}


class GuaranteePanel(_RegionPanel):
    """两不愁三保障: guarantee rates and the households still short of each."""

    def __init__(self, parent: QWidget | None = None):
        self.chart = GuaranteeChart()
        super().__init__("两不愁三保障", self.chart, parent)

    def _chart_data(self, region):
        return {"rows": list(guarantee_rows(region))}
