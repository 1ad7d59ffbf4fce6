"""Painting helpers of the panels: text that always fits its box, and widgets painted from one composition."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QFont, QLinearGradient, QPainter
from PySide6.QtWidgets import QWidget

from sandbox.ui.paint_cache import OUTLINE_PX, WidgetCache, advance, draw_outline_text, font_metrics
from sandbox.ui.theme import Colors, Metrics, metrics_for_height, ui_font

__all__ = [
    "PanelColors", "TextItem", "Composition", "fit_font", "text_width", "PaintedWidget",
    "draw_text", "gradient_bar",
]


PICTURES_KEPT = 10  # per painted widget with a content key: the level on screen, its children, its parent


class PanelColors:
    """Colours of the panels on top of the wall's theme (sandbox.ui.theme.Colors)."""

    card = "#0b1a31"
    card_top = "#0f2542"
    border = Colors.panel_border
    accent = Colors.accent
    text = Colors.text
    muted = Colors.text_muted
    track = "#15304f"
    grid = "#1c3a5e"
    good = "#3ddc84"
    warn = "#ffb020"
    bad = "#ff5a5a"
    highlight = "#ffd166"




def text_width(text: str, font: QFont) -> float:
    return advance(text, font)


def fit_font(text: str, font: QFont, width: float) -> QFont:
    """`font`, made smaller until `text` fits `width` (never elided: a smaller figure beats a cut one)."""
    if not text or width <= 0:
        return font
    adv = text_width(text, font)
    if adv <= width:
        return font
    f = QFont(font)
    px = max(1, math.floor(font.pixelSize() * width / adv))
    f.setPixelSize(px)
    while px > 1 and text_width(text, f) > width:
        px -= 1
        f.setPixelSize(px)
    return f


@dataclass
class TextItem:
    """A piece of text exactly as painted: tests check that every one fits its rectangle."""

    text: str
    font: QFont
    rect: QRectF
    color: str = PanelColors.text
    align: Qt.AlignmentFlag = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
    name: str = ""

    def fits(self) -> bool:
        fm = font_metrics(self.font)
        return advance(self.text, self.font) <= self.rect.width() + 0.5 and fm.height() <= self.rect.height() + 0.5

    @classmethod
    def fitted(cls, text: str, font: QFont, rect: QRectF, color: str = PanelColors.text,
               align: Qt.AlignmentFlag = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
               name: str = "") -> TextItem:
        f = fit_font(text, font, rect.width())
        h = font_metrics(f).height()
        if h > rect.height():  # too short a box: shrink on height too
            f = QFont(f)
            f.setPixelSize(max(1, math.floor(f.pixelSize() * rect.height() / h)))
        return cls(text, f, rect, color, align, name)


def draw_text(p: QPainter, item: TextItem) -> None:
    font, rect = item.font, item.rect
    if font.bold() and font.pixelSize() >= OUTLINE_PX:
        fm = font_metrics(font)
        w = advance(item.text, font)
        if item.align & Qt.AlignmentFlag.AlignRight:
            x = rect.right() - w
        elif item.align & Qt.AlignmentFlag.AlignHCenter:
            x = rect.center().x() - w / 2.0
        else:
            x = rect.left()
        y = rect.top() + (rect.height() - fm.height()) / 2.0 + fm.ascent()
        draw_outline_text(p, x, y, font, item.text, item.color, font.pixelSize() / 32.0)
        return
    p.setFont(font)
    p.setPen(QColor(item.color))
    p.drawText(rect, int(item.align), item.text)


def gradient_bar(p: QPainter, rect: QRectF, colour: str, radius: float) -> None:
    """A horizontal bar that brightens towards its end, the command-centre look."""
    if rect.width() <= 0:
        return
    g = QLinearGradient(rect.topLeft(), rect.topRight())
    c = QColor(colour)
    dim = QColor(c)
    dim.setAlphaF(0.45)
    g.setColorAt(0.0, dim)
    g.setColorAt(1.0, c)
    p.setPen(Qt.PenStyle.NoPen)
    p.setBrush(g)
    p.drawRoundedRect(rect, min(radius, rect.width() / 2), radius)


@dataclass
class Composition:
    """What a painted widget draws at one size: shapes first, then texts; `rects` names geometry."""

    texts: list[TextItem] = field(default_factory=list)
    shapes: list[Callable[[QPainter], None]] = field(default_factory=list)
    rects: dict[str, QRectF] = field(default_factory=dict)


class PaintedWidget(QWidget):
    """A widget drawn from a Composition that is recomputed when size, data or metrics change.

    Its pixels are cached too (`pixels`): a repaint without a change is one blit. A subclass whose
    picture changes without `invalidate()` (a running animation) returns False from `cacheable()`.

    A subclass whose picture is a function of a few data attributes says so with `content_key()`:
    its pictures are then kept per content (the level one drills back to costs a blit), and
    `paint_ahead(attr=value)` paints the picture those data will give before they are set.
    """

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.metrics: Metrics = metrics_for_height(1080)
        self._cache: tuple[tuple[int, int], Composition] | None = None
        keyed = type(self).content_key is not PaintedWidget.content_key
        self.pixels = WidgetCache(keep=PICTURES_KEPT if keyed else 1)
        self._backdrop = None

    def set_backdrop(self, backdrop) -> None:
        """Paint `backdrop` (see sandbox.ui.wall._Backdrop) under this widget into its own pixels, and
        so be opaque: nothing under it gets painted in a frame."""
        self._backdrop = backdrop
        self.pixels.opaque = backdrop is not None
        self.pixels.clear()
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent, backdrop is not None)
        self.invalidate()

    def set_metrics(self, metrics: Metrics) -> None:
        if metrics != self.metrics:
            self.metrics = metrics
            self.invalidate()

    def invalidate(self) -> None:
        self._cache = None
        self.pixels.invalidate()
        self.updateGeometry()
        self.update()

    def cacheable(self) -> bool:
        return True

    def content_key(self) -> object:
        """Everything the picture depends on besides size, pixel ratio, metrics and backdrop (hashable),
        for a subclass that can say; the base class cannot (None)."""
        return None

    def _pixels_key(self) -> tuple:
        under = self._backdrop.under_key(self) if self._backdrop is not None else None
        content = self.content_key()
        return ((content, self.metrics) if content is not None else id(self.composition())), under

    def paint_ahead(self, **data) -> bool:
        """Paint, into the kept pictures, what this widget will show once its attributes are `data`
        (e.g. `rows=...`), and leave its state as it was: the frame that sets them is then one blit.
        False when there is nothing to paint ahead (hidden, not keyed, or not cacheable now)."""
        if self.content_key() is None or not self.isVisible() or self.width() <= 0 or not self.cacheable():
            return False
        saved, cache = {k: getattr(self, k) for k in data}, self._cache
        try:
            for k, v in data.items():
                setattr(self, k, v)
            self._cache = None
            comp = self.composition()
            self.pixels.image(self, self.devicePixelRatioF(), lambda q: self._paint_all(q, comp), self._pixels_key())
        finally:
            for k, v in saved.items():
                setattr(self, k, v)
            self._cache = cache
        return True

    def composition(self) -> Composition:
        size = (self.width(), self.height())
        if self._cache is None or self._cache[0] != size:
            self._cache = (size, self.compose(float(size[0]), float(size[1])))
        return self._cache[1]

    def compose(self, w: float, h: float) -> Composition:  # pragma: no cover - abstract
        raise NotImplementedError

    def text_items(self) -> list[TextItem]:
        return list(self.composition().texts)

    def painted_texts(self) -> list[str]:
        return [t.text for t in self.composition().texts]

    def scaled_font(self, px_at_1080: float, *, bold: bool = False) -> QFont:
        return ui_font(self.metrics.px(px_at_1080), bold=bold)

    def paintEvent(self, event) -> None:
        p = QPainter(self)
        try:
            if self.cacheable():  # composed only when the picture is not kept already
                self.pixels.paint(self, p, lambda q: self._paint_all(q, self.composition()), self._pixels_key())
            else:
                self._paint_all(p, self.composition())
        finally:
            p.end()

    def _paint_all(self, p: QPainter, comp: Composition) -> None:
        if self._backdrop is not None:
            self._backdrop.paint_under(p, self)
        self.paint_composition(p, comp)

    def paint_composition(self, p: QPainter, comp: Composition) -> None:
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.setRenderHint(QPainter.RenderHint.TextAntialiasing)
        for shape in comp.shapes:
            p.save()
            shape(p)
            p.restore()
        for item in comp.texts:
            draw_text(p, item)
