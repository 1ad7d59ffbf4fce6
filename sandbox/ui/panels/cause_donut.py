"""致贫原因 as a donut: the main causes' shares of the poor households, with their legend at the right."""

from __future__ import annotations

import math

from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QColor, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from sandbox.ui.fmt import NO_DATA_TEXT
from sandbox.ui.panels.chart_fit import (
    ALIGN_CENTER,
    ALIGN_LEFT,
    ALIGN_RIGHT,
    NO_POOR_TEXT,
    line_height,
    message,
    shrunk_font,
)
from sandbox.ui.panels.model import CauseBreakdown
from sandbox.ui.panels.paint import Composition, PaintedWidget, PanelColors, TextItem, text_width

__all__ = ["CauseDonut", "CAUSE_COLORS"]

# By cause code, not by rank: 因病 keeps its colour while a leader drills from town to town.
CAUSE_COLORS = {
    "01": "#ff6b6b", "02": "#ff9f43", "03": "#ffd166", "04": "#f78fb3", "05": "#a3d977", "06": "#4dd0e1",
    "07": "#4f8cff", "08": "#b58cff", "09": "#3ddc84", "10": "#c8a27a", "11": "#7f9cf5", "99": "#9aa5b1",
    "rest": "#5b6b80",
}


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
        line = int(line_height(self.scaled_font(17))) + self.metrics.px(1)
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
            return message(comp, NO_DATA_TEXT, label_f, w, h)
        if not b.slices:
            return message(comp, NO_POOR_TEXT, label_f, w, h)
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
        nh, ch = line_height(num_f), line_height(cap_f)
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
            label_f, pct_f = shrunk_font(label_f, k), shrunk_font(pct_f, k)
            lw = max(text_width(t, label_f) for t in labels)
            pw = max(text_width(t, pct_f) for t in pcts)
        lw, pw, hw = math.ceil(lw) + 1, math.ceil(pw) + 1, math.ceil(hw) + 1
        n = len(b.slices)
        row_h = min(float(self._row_h()), h / n)
        y0 = (h - row_h * n) / 2
        line = min(row_h, max(line_height(label_f), line_height(pct_f)))
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
