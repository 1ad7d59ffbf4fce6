"""KPI strip across the top of the wall: big counters that count up, change versus last year, as-of."""

from __future__ import annotations

import math
import time
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QEasingCurve, QPointF, QRectF, QSize, Qt, QVariantAnimation, Signal
from PySide6.QtGui import QColor, QFont, QLinearGradient, QPainter, QPen
from PySide6.QtWidgets import QHBoxLayout, QSizePolicy, QWidget

from sandbox.ui.fmt import NO_DATA_TEXT, year_as_of
from sandbox.ui.paint_cache import WidgetCache, font_metrics
from sandbox.ui.panels.model import KpiFigure, as_of_text, kpi_figures, number_text
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
from sandbox.ui.panels.worker import BackgroundCall
from sandbox.ui.theme import Metrics, metrics_for_height

if TYPE_CHECKING:
    from sandbox.client.api import ApiClient

__all__ = ["KpiCard", "KpiStrip", "AsOfBlock", "ANIMATION_MS"]

ANIMATION_MS = 900
TONE_COLORS = {"good": PanelColors.good, "bad": PanelColors.bad, "neutral": PanelColors.muted}
_CACHE_LIMIT = 256


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
        saved = (self.figure, self._from_text)
        try:
            self._from_text = self._text_of(shown) if shown is not None else ""
            self.figure = figure
            comp = self.compose(float(self.width()), float(self.height()))
            still, key = self._still(comp)
            self.still_pixels.image(self, self.devicePixelRatioF(),
                                    lambda q: self._paint_all(q, Composition(still, comp.shapes)), key)
        finally:
            self.figure, self._from_text = saved
        return True

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
        key = (w, h, self.metrics, self.figure, self._from_text)
        lay = self._layouts.get(key)
        if lay is None:
            lay = self._layouts[key] = self._layout(w, h)
            while len(self._layouts) > PICTURES_KEPT:
                self._layouts.popitem(last=False)
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

    def _layout(self, w: float, h: float) -> _CardLayout:
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
        widest = max((self._from_text, f.number_text), key=lambda t: text_width(t, value_f))
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
        return _CardLayout(label, note, value_f, unit_f, unit, px, inner, number_y, lh[1], gap,
                           base - ufm.ascent(), math.ceil(text_width(unit, unit_f)) + 1 if unit else 0.0,
                           math.ceil(ufm.height()),
                           PanelColors.accent if f.value is not None else PanelColors.muted)

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


class AsOfBlock(PaintedWidget):
    """The strip's last column: which region and year, and 数据截至 …."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.region_line = ""
        self.as_of_line = ""
        # The widest lines shown at these metrics: the block never narrows, so the strip keeps its layout
        # from level to level (黔南布依族苗族自治州 then 独山县) and what was painted ahead at those widths holds.
        self._widest = 0
        self.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)

    def content_key(self) -> object:
        return self.region_line, self.as_of_line

    def set_lines(self, region_line: str, as_of_line: str) -> None:
        self.region_line, self.as_of_line = region_line, as_of_line
        self.setFixedWidth(self._width())
        self.invalidate()

    def _fonts(self):
        return self.scaled_font(20, bold=True), self.scaled_font(15)

    def _natural_width(self) -> int:
        a, b = self._fonts()
        return math.ceil(max(text_width(self.region_line, a), text_width(self.as_of_line, b),
                             text_width("数据截至 2020年12月31日", b))) + 2 * self.metrics.px(12) + 2

    def _width(self) -> int:
        self._widest = max(self._widest, self._natural_width())
        return self._widest

    def set_metrics(self, metrics: Metrics) -> None:
        if metrics != self.metrics:
            self._widest = 0  # other fonts: measured afresh
        super().set_metrics(metrics)
        self.setFixedWidth(self._width())

    def sizeHint(self) -> QSize:
        return QSize(self._width(), self.metrics.px(100))

    def compose(self, w: float, h: float) -> Composition:
        comp = Composition()
        a, b = self._fonts()
        pad = self.metrics.px(12)
        ha, hb = math.ceil(font_metrics(a).height()), math.ceil(font_metrics(b).height())
        gap = self.metrics.px(6)
        y = (h - ha - hb - gap) / 2
        right = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
        if self.region_line:
            comp.texts.append(TextItem.fitted(self.region_line, a, QRectF(pad, y, w - 2 * pad, ha), "#ffffff",
                                              right, "region"))
        if self.as_of_line:
            comp.texts.append(TextItem.fitted(self.as_of_line, b, QRectF(pad, y + ha + gap, w - 2 * pad, hb),
                                              PanelColors.muted, right, "as_of"))
        return comp


class KpiStrip(QWidget):
    """The counters of the region on screen. Drive it with `update_region(GET /regions/{code} dict)`.

    With a client, last year's figures are fetched on a worker thread (once per region and year) for
    the 较上年 line; without one, the change shows only for years this strip has already seen.
    """

    figuresChanged = Signal()

    def __init__(self, client: ApiClient | None = None, parent: QWidget | None = None, *,
                 animate: bool = True):
        super().__init__(parent)
        self.setObjectName("kpiStrip")
        self.client = client
        self.animate = animate
        self.metrics: Metrics = metrics_for_height(1080)
        self.region: dict | None = None
        self._cache: dict[tuple[str, int], Mapping[str, Any]] = {}
        self._cache_as_of: tuple | None = None  # (as_of, imported_at) the cache holds figures of
        self._asked: set[tuple[str, int]] = set()
        self.cards: dict[str, KpiCard] = {}
        lay = QHBoxLayout(self)
        for fig in kpi_figures(None):
            card = KpiCard(fig)
            self.cards[fig.key] = card
            lay.addWidget(card, 1)
        self.as_of_block = AsOfBlock()
        lay.addWidget(self.as_of_block, 0)
        self._call: BackgroundCall | None = None
        if client is not None:
            self._call = BackgroundCall(self)
            self._call.done.connect(self._on_previous)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.set_metrics(self.metrics, force=True)

    # -- public API ---------------------------------------------------------------------------------
    def card(self, key: str) -> KpiCard:
        return self.cards[key]

    def figures(self) -> list[KpiFigure]:
        return [c.figure for c in self.cards.values()]

    def set_animated(self, on: bool) -> None:
        self.animate = bool(on)
        if not on:
            self.finish_animations()

    def set_defer(self, defer) -> None:
        """Start last year's fetch through `defer` (see BackgroundCall.defer)."""
        if self._call is not None:
            self._call.defer = defer

    def finish_animations(self) -> None:
        """Jump every counter to its final value (before a screenshot)."""
        for c in self.cards.values():
            c.finish_animation()

    def stop_counting(self, loading: bool = True) -> None:
        """A new level's data is on its way (`loading`): counters still counting up to the level about to
        go jump to their final values (kept pictures, a blit each), so their frames do not take the GUI
        thread from the answer and the new level's first frame (issue 19); the new level counts from there."""
        if loading:
            for c in self.cards.values():
                if c.animating:
                    c.finish_animation()

    @property
    def animating(self) -> bool:
        return any(c.animating for c in self.cards.values())

    def set_metrics(self, metrics: Metrics, *, force: bool = False) -> None:
        if metrics == self.metrics and not force:
            return
        self.metrics = metrics
        for c in self.cards.values():
            c.set_metrics(metrics)
        self.as_of_block.set_metrics(metrics)
        lay = self.layout()
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(metrics.px(12))
        h = max(c.card_height() for c in self.cards.values())
        self.setFixedHeight(h)

    def update_region(self, region: Mapping[str, Any] | None) -> None:
        if not region:
            return
        region = dict(region)
        self.region = region
        code, year = str(region.get("code") or ""), region.get("year")
        as_of = (region.get("as_of"), region.get("imported_at"))  # a corrected register may keep its date
        if as_of != self._cache_as_of:  # new data on the server: last year's figures may have moved too
            self._cache.clear()
            self._asked.clear()
            self._cache_as_of = as_of
        if code and isinstance(year, int):
            if len(self._cache) >= _CACHE_LIMIT:
                self._cache.clear()
            self._cache[(code, year)] = _remembered(region)
            # The region carries its own figures in every year: last year's need no request.
            previous = _series_previous(region)
            if previous is not None:
                self._cache[(code, year - 1)] = previous
        self._apply(animate=self.animate)
        self._ask_previous(code, year, region.get("years") or [])
        self.as_of_block.set_lines(*_as_of_lines(region))

    def paint_ahead(self, region: Mapping[str, Any] | None) -> None:
        """Paint ahead what the cards will show first once `update_region(region)` is called (with the
        figures of last year known now); nothing on screen changes."""
        if not region:
            return
        code, year = str(region.get("code") or ""), region.get("year")
        # last year's figures as update_region will have them: from the region's own series first (a level
        # never shown is not in the cache yet, and painted without its 较上年 lines the click renders anew)
        previous = _series_previous(region)
        if previous is None and isinstance(year, int) and self._cache_as_of == (region.get("as_of"),
                                                                               region.get("imported_at")):
            previous = self._cache.get((code, year - 1))
        for fig in kpi_figures(region, previous):
            self.cards[fig.key].paint_ahead_figure(fig, animate=self.animate)
        region_line, as_of_line = _as_of_lines(region)  # (kept only if its width stays: it usually does)
        self.as_of_block.paint_ahead(region_line=region_line, as_of_line=as_of_line)

    def shutdown(self, timeout_ms: int = 15000) -> None:
        if self._call is not None:
            self._call.shutdown(timeout_ms)

    # -- internals ----------------------------------------------------------------------------------
    def _previous(self) -> Mapping[str, Any] | None:
        r = self.region or {}
        year = r.get("year")
        if not isinstance(year, int):
            return None
        return self._cache.get((str(r.get("code") or ""), year - 1))

    def _apply(self, *, animate: bool) -> None:
        for fig in kpi_figures(self.region, self._previous()):
            self.cards[fig.key].set_figure(fig, animate=animate)
        self.figuresChanged.emit()

    def _ask_previous(self, code: str, year: Any, years: list) -> None:
        if self._call is None or not code or not isinstance(year, int):
            return
        key = (code, year - 1)
        if key in self._cache or key in self._asked or (years and (year - 1) not in years):
            return
        self._asked.add(key)
        self._call.submit(_fetch_previous, self.client, code, year - 1)

    def _on_previous(self, result: tuple[str, int, dict]) -> None:
        code, year, region = result
        self._cache[(code, year)] = _remembered(region)
        cur = self.region or {}
        if str(cur.get("code")) == code and cur.get("year") == year + 1:
            self._apply(animate=False)  # only the change lines are new; the counters stay put


def _as_of_lines(region: Mapping[str, Any]) -> tuple[str, str]:
    """The strip's last column for a region: '百泉镇 · 2020年度' and its 数据截至 line."""
    code, year = str(region.get("code") or ""), region.get("year")
    name = region.get("name") or code
    return (f"{name} · {year}年度" if year else str(name)), as_of_text(year_as_of(region.get("as_of"), year),
                                                                      region.get("imported_at"))


def _remembered(region: Mapping[str, Any]) -> dict:
    """What a year's cards need of it as "last year": its indicators, and why a rate had none."""
    out = dict(region.get("indicators") or {})
    out["indicator_notes"] = region.get("indicator_notes") or {}
    return out


def _series_previous(region: Mapping[str, Any]) -> dict | None:
    """Last year's figures from the region's own `series` (every year rides along), if it has them."""
    series, year = region.get("series"), region.get("year")
    previous = series.get(str(year - 1)) if isinstance(series, Mapping) and isinstance(year, int) else None
    return _remembered_of_series(previous) if isinstance(previous, Mapping) else None


def _remembered_of_series(values: Mapping[str, Any]) -> dict:
    """A year of the region's `series` in the form of `_remembered` (its notes ride along)."""
    out = dict(values)
    out["indicator_notes"] = values.get("indicator_notes") or {}
    return out


def _fetch_previous(client: ApiClient, code: str, year: int) -> tuple[str, int, dict]:
    region = client.region(code, year)
    if not isinstance(region, dict):
        raise TypeError("region payload is not an object")
    return code, year, region
