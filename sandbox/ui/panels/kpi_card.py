"""One KPI counter of the strip: label, a big number that counts up to its figure, and the change below."""

from __future__ import annotations

import math
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QEasingCurve, QPointF, QRectF, QSize, QVariantAnimation
from PySide6.QtGui import QColor, QFont, QLinearGradient, QPainter, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from sandbox.ui.fmt import NO_DATA_TEXT
from sandbox.ui.paint_cache import WidgetCache, font_metrics
from sandbox.ui.panels.model import KpiFigure, number_text
from sandbox.ui.panels.paint import (
    PICTURES_KEPT,
    Composition,
    PaintedWidget,
    PanelColors,
    TextItem,
    draw_text,
    fit_font,
    text_width,
)

__all__ = ["KpiCard", "ANIMATION_MS", "TONE_COLORS"]

ANIMATION_MS = 900
TONE_COLORS = {"good": PanelColors.good, "bad": PanelColors.bad, "neutral": PanelColors.muted}


def _smaller(font: QFont) -> QFont:
    f = QFont(font)
    f.setPixelSize(max(1, math.floor(font.pixelSize() * 0.94)))
    return f


@dataclass(frozen=True)
class _CardLayout:
    """What a KPI card's picture keeps while its number counts: fonts, label, note, where things go."""

    label: TextItem
    note: TextItem | None
    value_font: QFont
    unit_font: QFont
    unit: str
    x: float
    inner: float
    number_y: float
    number_h: float
    gap: float
    unit_y: float
    unit_w: float
    unit_h: float
    colour: str
    room: float  # the number's width that leaves its unit beside it (at value_font)


class KpiCard(PaintedWidget):
    """One counter: label, big number with its unit, and a small line (change or remark) below."""

    def __init__(self, figure: KpiFigure, parent: QWidget | None = None):
        super().__init__(parent)
        self.figure = figure
        self._shown: float | None = figure.value  # the number on screen (differs while counting)
        self._from_text = ""
        self._anim = QVariantAnimation(self)
        self._anim.setEasingCurve(QEasingCurve.Type.OutCubic)
        self._anim.valueChanged.connect(self._on_step)
        self._anim.finished.connect(self._on_finished)
        self._start: float = 0.0
        self._start_total: float | None = None  # the total a count started from ("value / total" cards)
        self._t0 = 0.0
        self.still_pixels = WidgetCache(keep=PICTURES_KEPT)  # while counting: all but the number and unit
        self.face_pixels = WidgetCache()  # the card itself, whatever it shows
        self._layouts: OrderedDict[tuple, _CardLayout] = OrderedDict()  # per figure; ahead ones too
        # (figure, from_text) of the counts whose first frame was painted ahead: any other first frame
        # (a count cut short starts from the number on screen) is known missing without building its key
        self._firsts_ahead: OrderedDict[tuple, None] = OrderedDict()
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)

    # -- figures ----------------------------------------------------------------------------------
    @property
    def animating(self) -> bool:
        return self._anim.state() == QVariantAnimation.State.Running

    @property
    def number_text(self) -> str:
        """The number as painted right now (the final one unless a count-up is running)."""
        f = self.figure
        if f.value is None or self._shown is None:
            return f.empty if f.value is None else NO_DATA_TEXT
        shown = self._shown
        if self.animating and time.monotonic() - self._t0 >= self._anim.duration() / 1000.0:
            shown = f.value  # the count is over even if its last timer tick has not run (screenshots)
        return self._text_of(shown)

    def _text_of(self, shown: float) -> str:
        f = self.figure
        text = number_text(shown, f.decimals)
        total = self._total_at(shown)
        if total is not None:
            text += f" / {number_text(total, 0)}"
        return text

    def _total_at(self, shown: float | None) -> float | None:
        """The total shown next to the value `shown`: "exited / all" counts as one, both moving from the
        old pair to the new one (a fixed new total under a counting value would read "21 / 9" on the way
        from 40 / 74 to 9 / 9)."""
        f = self.figure
        if f.total is None or shown is None or self._start_total is None or f.value is None \
                or f.value == self._start:
            return f.total
        k = min(1.0, max(0.0, (shown - self._start) / (f.value - self._start)))
        return self._start_total + (f.total - self._start_total) * k

    @property
    def display_text(self) -> str:
        return self.number_text + self.figure.unit_text

    def set_figure(self, figure: KpiFigure, *, animate: bool = True, duration_ms: int = ANIMATION_MS) -> None:
        if figure.value == self.figure.value and figure.total == self.figure.total:
            self.figure = figure  # same counter, new remark: let a running count-up carry on
            self.invalidate()
            return
        old_text = self.number_text
        start = self._shown
        old_total = self._total_at(start) if self.animating else self.figure.total  # what is on screen
        self._anim.stop()
        self.figure = figure
        self._start_total = None
        target = figure.value
        if animate and target is not None and start != target and duration_ms > 0:
            self._start = 0.0 if start is None else float(start)
            self._start_total = old_total if start is not None and figure.total is not None else None
            self._from_text = old_text if start is not None else ""
            self._shown = self._start
            self._anim.setDuration(duration_ms)
            self._anim.setStartValue(0.0)
            self._anim.setEndValue(1.0)
            self._t0 = time.monotonic()
            self._anim.start()
        else:
            self._shown = target
            self._from_text = ""
        self.invalidate()

    def content_key(self) -> object:
        return "kpi", self.figure, self._from_text, self._shown

    def paint_ahead_figure(self, figure: KpiFigure, *, animate: bool = True) -> bool:
        """Paint ahead what `set_figure(figure, animate=animate)` will show first (once a count running
        now has ended): the counting card's still part (card, label, note), or the whole card when it
        will not count."""
        shown = self.figure.value if self.animating else self._shown
        if figure.value == self.figure.value and figure.total == self.figure.total:
            return not self.animating and self.paint_ahead(figure=figure)
        if not (animate and figure.value is not None and shown != figure.value):
            return self.paint_ahead(figure=figure, _shown=figure.value, _from_text="")
        if not self.isVisible() or self.width() <= 0:
            return False
        saved = (self.figure, self._from_text, self._shown, self._start, self._start_total, self._t0)
        try:
            self._from_text = self._text_of(shown) if shown is not None else ""
            # the count's start as set_figure will set it (the total it starts from: the one shown by then)
            self._start_total = self.figure.total if shown is not None and figure.total is not None else None
            self.figure = figure
            self._shown = self._start = 0.0 if shown is None else float(shown)
            self._t0 = time.monotonic()  # a count running now is at its start here, never at its end
            comp = self.compose(float(self.width()), float(self.height()))
            still, key = self._still(comp)
            self.still_pixels.image(self, self.devicePixelRatioF(),
                                    lambda q: self._paint_all(q, Composition(still, comp.shapes)), key)
            # And the count's first frame whole: that frame is then one blit. Also while a count runs now:
            # the levels a county prefetches are painted ahead in its own count's first second on screen,
            # and a drill from it then drew every card's still part and number (≈ 1.5 ms at 4K, issue 19).
            self.pixels.image(self, self.devicePixelRatioF(), lambda q: self._paint_all(q, comp),
                              self._first_key())
            self._firsts_ahead[(figure, self._from_text)] = None
            while len(self._firsts_ahead) > PICTURES_KEPT:
                self._firsts_ahead.popitem(last=False)
        finally:
            self.figure, self._from_text, self._shown, self._start, self._start_total, self._t0 = saved
        return True

    def _first_key(self) -> tuple:
        """The key, in `pixels`, of a count's first frame whole (the number where it starts)."""
        under = self._backdrop.under_key(self) if self._backdrop is not None else None
        return ("kpi-first", self.figure, self._from_text, self.number_text), self.metrics, under

    def _still(self, comp: Composition) -> tuple[list[TextItem], tuple]:
        """What stays put while the number counts, and its key in `still_pixels`."""
        still = [t for t in comp.texts if t.name not in ("number", "unit")]
        under = self._backdrop.under_key(self) if self._backdrop is not None else None
        return still, (tuple((t.text, t.font.key(), t.rect.getRect(), t.color) for t in still), under, self.metrics)

    def composition(self) -> Composition:
        if self.animating:
            self._cache = None  # the number depends on the clock while counting
        return super().composition()

    def set_backdrop(self, backdrop) -> None:
        for cache in (self.still_pixels, self.face_pixels):
            cache.opaque = backdrop is not None
            cache.clear()
        super().set_backdrop(backdrop)

    def _paint_all(self, p: QPainter, comp: Composition) -> None:
        """The card's face (backdrop, card, accent line: cached per size), then its texts."""
        under = self._backdrop.under_key(self) if self._backdrop is not None else None
        self.face_pixels.paint(self, p, self._paint_face, (under, self.metrics))
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.setRenderHint(QPainter.RenderHint.TextAntialiasing)
        for item in comp.texts:
            draw_text(p, item)

    def _paint_face(self, p: QPainter) -> None:
        if self._backdrop is not None:
            self._backdrop.paint_under(p, self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        self._paint_card(p, float(self.width()), float(self.height()))

    def cacheable(self) -> bool:
        return not self.animating  # counting: see paintEvent

    def paintEvent(self, event) -> None:
        if not self.animating:
            super().paintEvent(event)  # the whole card from its cached pixels
            return
        if self._shown == self._start and self._first_frame_kept():
            return  # the count's first frame (the drill's), painted ahead whole: one blit
        # Counting: the card, label and note stay put (cached once per count); only the number and
        # its unit are drawn each frame, the number from cached glyphs.
        comp = self.composition()
        moving = [t for t in comp.texts if t.name in ("number", "unit")]
        still, key = self._still(comp)
        p = QPainter(self)
        try:
            self.still_pixels.paint(self, p, lambda q: self._paint_all(q, Composition(still, comp.shapes)), key)
            p.setRenderHint(QPainter.RenderHint.Antialiasing)
            p.setRenderHint(QPainter.RenderHint.TextAntialiasing)
            for item in moving:
                draw_text(p, item)
        finally:
            p.end()

    def _first_frame_kept(self) -> bool:
        """Blit the count's first frame if it was painted ahead (`paint_ahead_figure`); False when not."""
        if (self.figure, self._from_text) not in self._firsts_ahead:
            return False  # (a drill mid-count: ≈ 0.07 ms a card at 4K for the key of a picture never made)
        key, dpr = self._first_key(), self.devicePixelRatioF()
        if not self.pixels.has(self, dpr, key):
            return False
        p = QPainter(self)
        try:
            self.pixels.paint(self, p, lambda q: self._paint_all(q, self.composition()), key)
        finally:
            p.end()
        return True

    def finish_animation(self) -> None:
        if self.animating:
            self._anim.stop()
        self._on_finished()

    def _on_step(self, t: Any) -> None:
        target = self.figure.value
        if target is None:
            return
        self._shown = self._start + (target - self._start) * float(t)
        self.update()  # the number moves; the card's size and the rest of its picture do not

    def _on_finished(self) -> None:
        self._shown = self.figure.value
        self._from_text = ""
        self.invalidate()

    # -- geometry ---------------------------------------------------------------------------------
    def _fonts(self):
        return (self.scaled_font(19), self.scaled_font(44, bold=True), self.scaled_font(20),
                self.scaled_font(16))

    def _pad(self) -> tuple[int, int]:
        return self.metrics.px(16), self.metrics.px(9)

    def sizeHint(self) -> QSize:
        return QSize(self.metrics.px(210), self.card_height())

    def minimumSizeHint(self) -> QSize:
        return QSize(self.metrics.px(120), self.card_height())

    def card_height(self) -> int:
        label_f, value_f, _unit_f, note_f = self._fonts()
        _px, py = self._pad()
        lines = sum(math.ceil(font_metrics(f).height()) for f in (label_f, value_f, note_f))
        return lines + 2 * py

    def compose(self, w: float, h: float) -> Composition:
        """The card at this size. While counting this runs every frame: the fonts, label and note are
        laid out once per figure (`_layout`), only the number and where its unit goes are new."""
        lay = self._kept_layout((w, h, self.metrics, self.figure), w, h, "")
        start = self._from_text
        if start and self.figure.value is not None and text_width(start, lay.value_font) > lay.room:
            # the count starts from a number too wide for the figure's own font: both fitted at a smaller one
            lay = self._kept_layout((w, h, self.metrics, self.figure, start), w, h, start)
        comp = Composition()
        comp.shapes.append(lambda p: self._paint_card(p, w, h))
        comp.texts.append(lay.label)
        number = self.number_text
        vw = math.ceil(text_width(number, lay.value_font)) + 1
        num_rect = QRectF(lay.x, lay.number_y, min(vw, lay.inner), lay.number_h)
        comp.texts.append(TextItem(number, lay.value_font, num_rect, lay.colour, name="number"))
        if lay.unit:
            comp.texts.append(TextItem(lay.unit, lay.unit_font,
                                       QRectF(lay.x + num_rect.width() + lay.gap, lay.unit_y, lay.unit_w, lay.unit_h),
                                       PanelColors.muted, name="unit"))
        if lay.note is not None:
            comp.texts.append(lay.note)
        return comp

    def _kept_layout(self, key: tuple, w: float, h: float, start: str) -> _CardLayout:
        """The layout for `key`, made once. A count's start (`start`, the number on screen when it began) is
        in the key only when the figure's own font leaves it no room: a drill mid-count starts from a
        number no picture was painted ahead for, and laying the card out again for it cost the drill's
        frame ≈ 0.1 ms a card at 4K (issue 19)."""
        lay = self._layouts.get(key)
        if lay is None:
            lay = self._layouts[key] = self._layout(w, h, start)
            while len(self._layouts) > PICTURES_KEPT:
                self._layouts.popitem(last=False)
        return lay

    def _layout(self, w: float, h: float, start: str = "") -> _CardLayout:
        m = self.metrics
        label_f, value_f, unit_f, note_f = self._fonts()
        px, py = self._pad()
        inner = w - 2 * px
        f = self.figure
        lh = [math.ceil(font_metrics(x).height()) for x in (label_f, value_f, note_f)]
        extra = max(0.0, h - 2 * py - sum(lh)) / 2
        y = py + extra / 2
        label = TextItem.fitted(f.label, label_f, QRectF(px, y, inner, lh[0]), PanelColors.muted, name="label")
        y += lh[0] + extra / 2
        unit = f.unit_text
        gap = m.px(4) if unit else 0
        # size the number for the widest text it shows during the count (from the old value to the new
        # one), so it does not jitter
        widest = max((start, f.number_text), key=lambda t: text_width(t, value_f))
        if f.value is None:
            value_f = fit_font(f.empty, self.scaled_font(30, bold=True), inner)
        else:
            # a narrow card: number and unit shrink together until both fit side by side
            while value_f.pixelSize() > 1 and (text_width(widest, value_f) + gap
                                               + (text_width(unit, unit_f) if unit else 0.0)) > inner:
                value_f, unit_f = _smaller(value_f), _smaller(unit_f)
        vfm, ufm = font_metrics(value_f), font_metrics(unit_f)
        base = y + (lh[1] - vfm.height()) / 2 + vfm.ascent()  # the unit sits on the number's baseline
        number_y = y
        y += lh[1] + extra / 2
        note = (TextItem.fitted(f.note, note_f, QRectF(px, y, inner, lh[2]), TONE_COLORS.get(f.tone, PanelColors.muted),
                                name="note") if f.note else None)
        room = inner - gap - (text_width(unit, unit_f) if unit else 0.0)
        return _CardLayout(label, note, value_f, unit_f, unit, px, inner, number_y, lh[1], gap,
                           base - ufm.ascent(), math.ceil(text_width(unit, unit_f)) + 1 if unit else 0.0,
                           math.ceil(ufm.height()),
                           PanelColors.accent if f.value is not None else PanelColors.muted, room)

    def _paint_card(self, p: QPainter, w: float, h: float) -> None:
        m = self.metrics
        r = QRectF(0.5, 0.5, w - 1, h - 1)
        g = QLinearGradient(r.topLeft(), r.bottomLeft())
        g.setColorAt(0.0, QColor("#10294a"))
        g.setColorAt(1.0, QColor(PanelColors.card))
        p.setPen(QPen(QColor(PanelColors.border), max(1, m.px(1.5))))
        p.setBrush(g)
        radius = m.px(6)
        p.drawRoundedRect(r, radius, radius)
        # a glowing accent line along the top edge
        line = QLinearGradient(r.topLeft(), r.topRight())
        c = QColor(PanelColors.accent)
        clear = QColor(c)
        clear.setAlpha(0)
        line.setColorAt(0.0, clear)
        line.setColorAt(0.5, c)
        line.setColorAt(1.0, clear)
        p.setPen(QPen(line, max(1, m.px(2.5))))
        p.drawLine(QPointF(r.left() + radius, r.top() + 1), QPointF(r.right() - radius, r.top() + 1))
