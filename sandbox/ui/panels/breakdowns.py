"""The region's structure panels: 五个一批 bars, 致贫原因 donut, 两不愁三保障 status rows."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from PySide6.QtCore import QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from sandbox.ui.fmt import NO_DATA_TEXT, year_as_of
from sandbox.ui.paint_cache import font_metrics
from sandbox.ui.panels.model import (
    BarRow,
    CauseBreakdown,
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
# By cause code, not by rank: 因病 keeps its colour while a leader drills from town to town.
CAUSE_COLORS = {
    "01": "#ff6b6b", "02": "#ff9f43", "03": "#ffd166", "04": "#f78fb3", "05": "#a3d977", "06": "#4dd0e1",
    "07": "#4f8cff", "08": "#b58cff", "09": "#3ddc84", "10": "#c8a27a", "11": "#7f9cf5", "99": "#9aa5b1",
    "rest": "#5b6b80",
}
NO_POOR_TEXT = "当年无未脱贫户"
ALIGN_LEFT = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
ALIGN_RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
ALIGN_CENTER = Qt.AlignmentFlag.AlignCenter


def _scaled(font: QFont, factor: float) -> QFont:
    f = QFont(font)
    f.setPixelSize(max(1, math.floor(font.pixelSize() * factor)))
    return f


def _line_h(font: QFont) -> float:
    return math.ceil(font_metrics(font).height())


def _message(comp: Composition, text: str, font: QFont, w: float, h: float) -> Composition:
    comp.texts.append(TextItem.fitted(text, font, QRectF(0, 0, w, h), PanelColors.muted, ALIGN_CENTER, "message"))
    return comp


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
        line = int(_line_h(self.scaled_font(18))) + self.metrics.px(2)
        return line if minimum else max(self.metrics.px(30), line)

    def sizeHint(self):
        return QSize(self.metrics.px(420), 5 * self._row_h())

    def minimumSizeHint(self):
        return QSize(self.metrics.px(240), 5 * self._row_h(minimum=True))

    def compose(self, w: float, h: float) -> Composition:
        m, comp = self.metrics, Composition()
        label_f, pop_f, hh_f = self.scaled_font(18), self.scaled_font(18, bold=True), self.scaled_font(16)
        if self.rows is None:
            return _message(comp, NO_DATA_TEXT, label_f, w, h)
        if not any(r.population or r.households for r in self.rows):
            return _message(comp, NO_POOR_TEXT, label_f, w, h)
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
            label_f, pop_f, hh_f = _scaled(label_f, k), _scaled(pop_f, k), _scaled(hh_f, k)
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
        line = max(_line_h(label_f), _line_h(pop_f))
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


class CauseDonut(PaintedWidget):
    """A donut of the main causes (share of poor households) with its legend at the right."""

    def __init__(self, parent: QWidget | None = None, *, rows: int = 6):
        super().__init__(parent)
        self.rows = rows
        self.breakdown: CauseBreakdown | None = None
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)

    def content_key(self) -> object:
        return "cause", self.breakdown, self.rows

    def set_breakdown(self, breakdown: CauseBreakdown | None) -> None:
        self.breakdown = breakdown
        self.invalidate()

    def _rows(self) -> int:
        return self.rows

    def _row_h(self, minimum: bool = False) -> int:
        line = int(_line_h(self.scaled_font(17))) + self.metrics.px(1)
        return line if minimum else max(self.metrics.px(26), line)

    def sizeHint(self):
        return QSize(self.metrics.px(420), self._rows() * self._row_h())

    def minimumSizeHint(self):
        return QSize(self.metrics.px(240), self._rows() * self._row_h(minimum=True))

    def spans(self) -> list[tuple[str, float, float]]:
        """(code, start angle, span) in degrees, clockwise from 12 o'clock, as painted."""
        out, start = [], 0.0
        for s in (self.breakdown.slices if self.breakdown else ()):
            out.append((s.code, start, 360.0 * s.share))
            start += 360.0 * s.share
        return out

    def compose(self, w: float, h: float) -> Composition:
        m, comp = self.metrics, Composition()
        label_f, pct_f, hh_f = self.scaled_font(17), self.scaled_font(17, bold=True), self.scaled_font(15)
        b = self.breakdown
        if b is None:
            return _message(comp, NO_DATA_TEXT, label_f, w, h)
        if not b.slices:
            return _message(comp, NO_POOR_TEXT, label_f, w, h)
        d = max(4.0, min(h - m.px(4), w * 0.36))
        ring = d * 0.24
        cx, cy = d / 2, h / 2
        outer = QRectF(cx - d / 2, cy - d / 2, d, d)
        spans = self.spans()

        def paint_donut(p: QPainter):
            inner = outer.adjusted(ring, ring, -ring, -ring)
            for code, start, span in spans:
                path = QPainterPath()
                a0 = 90.0 - start  # Qt: counter-clockwise from 3 o'clock
                path.arcMoveTo(outer, a0)
                path.arcTo(outer, a0, -span)
                path.arcTo(inner, a0 - span, span)
                path.closeSubpath()
                p.setPen(QPen(QColor(PanelColors.card), max(1, m.px(2))))
                p.setBrush(QColor(CAUSE_COLORS.get(code, CAUSE_COLORS["rest"])))
                p.drawPath(path)
        comp.shapes.append(paint_donut)
        comp.rects["donut"] = outer
        # centre: the number of poor households the shares are of
        inner_w = d - 2 * ring - m.px(6)
        num_f = self.scaled_font(20, bold=True)
        cap_f = self.scaled_font(13)
        nh, ch = _line_h(num_f), _line_h(cap_f)
        comp.texts.append(TextItem.fitted(f"{b.households:,}", num_f,
                                          QRectF(cx - inner_w / 2, cy - (nh + ch) / 2, inner_w, nh),
                                          "#ffffff", ALIGN_CENTER, "total"))
        comp.texts.append(TextItem.fitted("未脱贫户", cap_f, QRectF(cx - inner_w / 2, cy - (nh + ch) / 2 + nh, inner_w, ch),
                                          PanelColors.muted, ALIGN_CENTER, "total_caption"))
        # legend
        x0 = d + m.px(18)
        sw = m.px(12)
        gap = m.px(8)
        avail = w - x0 - sw - gap
        labels = [s.label for s in b.slices]
        pcts = [s.percent_text for s in b.slices]
        hhs = [f"{s.households:,}户" for s in b.slices]
        lw = max(text_width(t, label_f) for t in labels)
        pw = max(text_width(t, pct_f) for t in pcts)
        hw = max(text_width(t, hh_f) for t in hhs)
        show_hh = lw + pw + hw + 2 * gap <= avail
        if not show_hh and lw + pw + gap > avail:
            k = max(0.3, (avail - gap) / (lw + pw))
            label_f, pct_f = _scaled(label_f, k), _scaled(pct_f, k)
            lw = max(text_width(t, label_f) for t in labels)
            pw = max(text_width(t, pct_f) for t in pcts)
        lw, pw, hw = math.ceil(lw) + 1, math.ceil(pw) + 1, math.ceil(hw) + 1
        n = len(b.slices)
        row_h = min(float(self._row_h()), h / n)
        y0 = (h - row_h * n) / 2
        line = min(row_h, max(_line_h(label_f), _line_h(pct_f)))
        x_label = x0 + sw + gap
        x_hh = w - hw
        x_pct = (x_hh - gap - pw) if show_hh else (w - pw)
        for i, (s, lab, pct, hh) in enumerate(zip(b.slices, labels, pcts, hhs)):
            ry = y0 + (i + 0.5) * row_h
            colour = CAUSE_COLORS.get(s.code, CAUSE_COLORS["rest"])
            sq = QRectF(x0, ry - sw / 2, sw, sw)
            comp.shapes.append(lambda p, sq=sq, colour=colour: (p.setPen(Qt.PenStyle.NoPen),
                                                                p.setBrush(QColor(colour)),
                                                                p.drawRoundedRect(sq, sw / 4, sw / 4)))
            comp.texts.append(TextItem.fitted(lab, label_f, QRectF(x_label, ry - line / 2, max(1.0, x_pct - gap - x_label), line),
                                              PanelColors.text, ALIGN_LEFT, f"label:{s.code}"))
            comp.texts.append(TextItem.fitted(pct, pct_f, QRectF(x_pct, ry - line / 2, pw, line),
                                              colour, ALIGN_RIGHT, f"percent:{s.code}"))
            if show_hh:
                comp.texts.append(TextItem.fitted(hh, hh_f, QRectF(x_hh, ry - line / 2, hw, line),
                                                  PanelColors.muted, ALIGN_RIGHT, f"households:{s.code}"))
        return comp


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
        line = int(_line_h(self.scaled_font(18))) + self.metrics.px(2)
        return line if minimum else max(self.metrics.px(30), line)

    def sizeHint(self):
        return QSize(self.metrics.px(420), 5 * self._row_h())

    def minimumSizeHint(self):
        return QSize(self.metrics.px(240), 5 * self._row_h(minimum=True))

    def compose(self, w: float, h: float) -> Composition:
        m, comp = self.metrics, Composition()
        label_f, rate_f, gap_f = self.scaled_font(18), self.scaled_font(18, bold=True), self.scaled_font(17)
        if not self.rows:
            return _message(comp, NO_DATA_TEXT, label_f, w, h)
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
            label_f, rate_f, gap_f = _scaled(label_f, k), _scaled(rate_f, k), _scaled(gap_f, k)
            lw, rw, gw = widths(label_f, rate_f, gap_f)
        lw, rw, gw = math.ceil(lw) + 1, math.ceil(rw) + 1, math.ceil(gw) + 1
        x_label = dot + gap
        x_gap = w - gw
        x_rate = x_gap - gap - rw
        x_bar = x_label + lw + gap
        bar_w = x_rate - gap - x_bar if show_bar else 0
        n = len(self.rows)
        step = h / n
        line = max(_line_h(label_f), _line_h(rate_f), _line_h(gap_f))
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
