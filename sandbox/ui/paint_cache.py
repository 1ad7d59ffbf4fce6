"""Pixel caches shared by the wall's painted widgets: a widget's own painting kept as an image, and
big bold text drawn from per-glyph sprites.

A wall frame is mostly unchanged pixels: a widget that paints from a cache costs one blit, and is
painted again only after `invalidate()` (its data, size or pixel ratio changed).
"""

from __future__ import annotations

import math
from collections import OrderedDict
from collections.abc import Callable

from PySide6.QtCore import QPoint, QPointF, QRectF, Qt
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontMetricsF,
    QImage,
    QPainter,
    QPainterPath,
    QPen,
    QPixmap,
    QRegion,
    QTransform,
)
from PySide6.QtWidgets import QAbstractButton, QGraphicsEffect, QLabel, QWidget

__all__ = ["WidgetCache", "SnapshotEffect", "draw_outline_text", "glyph_cache_info", "font_metrics", "advance"]


def _blank_image(width: float, height: float, dpr: float, opaque: bool) -> QImage:
    """A cleared image for a widget of this logical size at pixel ratio `dpr` (no alpha when `opaque`)."""
    fmt = QImage.Format.Format_RGB32 if opaque else QImage.Format.Format_ARGB32_Premultiplied
    img = QImage(max(1, math.ceil(width * dpr)), max(1, math.ceil(height * dpr)), fmt)
    img.setDevicePixelRatio(dpr)
    img.fill(0)
    return img


class _KeptImages:
    """The last `keep` pictures by key, least recently used dropped first (nothing kept when `keep` ≤ 1)."""

    __slots__ = ("keep", "_images")

    def __init__(self, keep: int):
        self.keep = max(1, keep)
        self._images: OrderedDict[tuple, QImage] = OrderedDict()

    def get(self, key: tuple) -> QImage | None:
        img = self._images.get(key)
        if img is not None:
            self._images.move_to_end(key)
        return img

    def put(self, key: tuple, img: QImage) -> None:
        if self.keep > 1:
            self._images[key] = img
            self._images.move_to_end(key)
            while len(self._images) > self.keep:
                self._images.popitem(last=False)

    def clear(self) -> None:
        self._images.clear()

    def __contains__(self, key: tuple) -> bool:
        return key in self._images

    def __len__(self) -> int:
        return len(self._images)


class WidgetCache:
    """One widget's painting as an image, reused while its key (size, pixel ratio, `extra`) holds.

    With `keep` > 1 the last `keep` paintings are kept by key, so a picture shown before (the level one
    drilled out of) or painted ahead (`image()` called before the widget shows it: the levels a drill
    is likely to open next) costs one blit. Only for keys that say everything the picture depends on:
    `invalidate()` then forgets which one is current, not the kept ones.
    """

    __slots__ = ("_key", "_image", "_kept", "renders", "opaque")

    def __init__(self, *, opaque: bool = False, keep: int = 1):
        self._key: tuple | None = None
        self._image: QImage | None = None
        self._kept = _KeptImages(keep)
        self.renders = 0  # tests: a repaint without a change renders nothing new
        self.opaque = opaque  # the painting covers every pixel: stored without alpha, blitted as a copy

    def invalidate(self) -> None:
        self._image = None

    def clear(self) -> None:
        """Forget every painting, kept ones too."""
        self._image = None
        self._kept.clear()

    @property
    def valid(self) -> bool:
        return self._image is not None

    def kept(self) -> int:
        return len(self._kept)

    def has(self, widget: QWidget, dpr: float, extra: tuple = ()) -> bool:
        """A painting of `widget` at its size, pixel ratio `dpr` and `extra` is current or kept."""
        key = (widget.width(), widget.height(), dpr, extra)
        return (self._image is not None and self._key == key) or key in self._kept

    def image(self, widget: QWidget, dpr: float, draw: Callable[[QPainter], None], extra: tuple = ()) -> QImage:
        """The cached painting of `widget` at pixel ratio `dpr` (`draw` paints it when needed)."""
        w, h = widget.width(), widget.height()
        key = (w, h, dpr, extra)
        if self._image is not None and self._key == key:
            return self._image
        img = self._kept.get(key)
        if img is None:
            img = _blank_image(w, h, dpr, self.opaque)
            q = QPainter(img)
            try:
                q.setFont(widget.font())
                draw(q)
            finally:
                q.end()
            self.renders += 1
        self._kept.put(key, img)
        self._image, self._key = img, key
        return img

    def paint(self, widget: QWidget, p: QPainter, draw: Callable[[QPainter], None], extra: tuple = (),
              region: QRegion | None = None) -> None:
        """Blit the cached painting of `widget`; with `region` (a paint event's), only the rectangles
        of it (faster than one blit under a complex clip)."""
        dev = p.device()
        dpr = dev.devicePixelRatioF() if dev is not None else widget.devicePixelRatioF()
        img = self.image(widget, dpr, draw, extra)
        if region is None or region.rectCount() <= 1:
            p.drawImage(0, 0, img)
            return
        for r in region:
            p.drawImage(QRectF(r), img, QRectF(r.x() * dpr, r.y() * dpr, r.width() * dpr, r.height() * dpr))


# -- text metrics ---------------------------------------------------------------------------------------
# A QFontMetricsF made afresh can cost a font-engine lookup (Qt's font cache drops engines nobody
# holds, and a 4K wall's glyph caches are big enough that it does so often): panels that measure
# hundreds of strings per layout then spend tens of milliseconds on it. One metrics object per font
# is kept (which keeps its engine), and the advances of the strings measured.
_METRICS: dict[tuple, QFontMetricsF] = {}
_ADVANCES: dict[tuple, float] = {}
_METRICS_LIMIT, _ADVANCE_LIMIT = 256, 8192


def _metrics_key(font: QFont) -> tuple:
    return font.key(), font.hintingPreference()


def font_metrics(font: QFont) -> QFontMetricsF:
    """`QFontMetricsF(font)`, shared per font (read only: never change it)."""
    key = _metrics_key(font)
    fm = _METRICS.get(key)
    if fm is None:
        if len(_METRICS) >= _METRICS_LIMIT:
            _METRICS.clear()
        fm = _METRICS[key] = QFontMetricsF(font)
    return fm


def advance(text: str, font: QFont) -> float:
    """`QFontMetricsF(font).horizontalAdvance(text)`, remembered."""
    fkey = _metrics_key(font)
    key = (text, fkey)
    w = _ADVANCES.get(key)
    if w is None:
        if len(_ADVANCES) >= _ADVANCE_LIMIT:
            _ADVANCES.clear()
        fm = _METRICS.get(fkey) or font_metrics(font)
        w = _ADVANCES[key] = fm.horizontalAdvance(text)
    return w


# -- big bold text ---------------------------------------------------------------------------------------
# Qt draws glyphs above ~64 px as outlines, which skips FreeType's synthetic bold; a font without a
# bold face (WenQuanYi Micro Hei) then needs its outline stroked to look bold. Stroking glyph outlines
# costs milliseconds per string, so each glyph is stroked once and reused (a counting KPI redraws its
# number every frame from these sprites).
_GLYPHS: OrderedDict[tuple, tuple[QImage, float, float]] = OrderedDict()
_GLYPH_LIMIT = 1024
# Bytes too (a 4K wall's 100 px glyph is ≈ 60 kB: 1024 of them would be 60 MB), least recently used first.
_GLYPH_BYTES_LIMIT = 8 * 2**20
_PHASES = 4  # sub-pixel positions per axis a glyph sprite is made for
_glyph_stats = {"hits": 0, "misses": 0, "bytes": 0}


def glyph_cache_info() -> dict[str, int]:
    return {**_glyph_stats, "size": len(_GLYPHS)}


def glyph_cache_bytes() -> int:
    """Pixel bytes the glyph-sprite cache holds (native memory, which tracemalloc never sees: the soak reports it)."""
    return sum(img.sizeInBytes() for img, _left, _top in list(_GLYPHS.values()))


def _font_key(font: QFont) -> tuple:
    return font.family(), font.pixelSize(), font.bold(), font.weight(), font.italic()


def _glyph(ch: str, font: QFont, colour: QColor, width: float, dpr: float, fx: int, fy: int
           ) -> tuple[QImage, float, float]:
    key = (ch, _font_key(font), colour.rgba(), width, dpr, fx, fy)
    hit = _GLYPHS.get(key)
    if hit is not None:
        _GLYPHS.move_to_end(key)
        _glyph_stats["hits"] += 1
        return hit
    _glyph_stats["misses"] += 1
    fm = font_metrics(font)
    pad = math.ceil(width * dpr) + 2
    baseline = pad + math.ceil(fm.ascent() * dpr)
    w = math.ceil(advance(ch, font) * dpr) + 2 * pad + 2
    h = baseline + math.ceil(fm.descent() * dpr) + pad + 1
    img = QImage(max(1, w), max(1, h), QImage.Format.Format_ARGB32_Premultiplied)
    img.fill(0)
    path = QPainterPath()
    path.addText(QPointF(0, 0), font, ch)
    p = QPainter(img)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    p.translate(pad + fx / _PHASES, baseline + fy / _PHASES)
    p.scale(dpr, dpr)
    p.fillPath(path, colour)
    p.strokePath(path, QPen(colour, width))
    p.end()
    img.setDevicePixelRatio(dpr)
    out = (img, pad / dpr, baseline / dpr)
    _GLYPHS[key] = out
    _glyph_stats["bytes"] += img.sizeInBytes()
    while len(_GLYPHS) > 1 and (len(_GLYPHS) > _GLYPH_LIMIT or _glyph_stats["bytes"] > _GLYPH_BYTES_LIMIT):
        _glyph_stats["bytes"] -= _GLYPHS.popitem(last=False)[1][0].sizeInBytes()
    return out


# Qt draws glyphs above ~64 px as outlines, which skips FreeType's synthetic bold; fonts like WenQuanYi Micro
# Hei have no bold face, so big bold text from this size up is drawn as a stroked path (draw_outline_text).
OUTLINE_PX = 56


def draw_outline_text(p: QPainter, x: float, y: float, font: QFont, text: str, colour: QColor | str,
                      width: float) -> None:
    """`text` with its baseline-left at (x, y): glyph outlines filled and stroked `width` wide (the same
    picture as fillPath + strokePath of the whole string), from cached per-glyph sprites."""
    colour = QColor(colour)
    t = p.worldTransform()
    if t.type().value > QTransform.TransformationType.TxTranslate.value:  # scaled or rotated: vectors
        path = QPainterPath()
        path.addText(QPointF(x, y), font, text)
        p.fillPath(path, colour)
        p.strokePath(path, QPen(colour, width))
        return
    dev = p.device()
    dpr = dev.devicePixelRatioF() if dev is not None else 1.0
    x, y = x + t.dx(), y + t.dy()
    p.save()
    p.resetTransform()
    for i, ch in enumerate(text):
        if ch.isspace():
            continue
        gx, gy = (x + advance(text[:i], font)) * dpr, y * dpr  # device pixels
        ix, iy = math.floor(gx), math.floor(gy)
        img, left, top = _glyph(ch, font, colour, width, dpr, int((gx - ix) * _PHASES), int((gy - iy) * _PHASES))
        p.drawImage(QPointF(ix / dpr - left, iy / dpr - top), img)
    p.restore()


# -- whole panels ------------------------------------------------------------------------------------------
def _widget_state(w: QWidget) -> tuple:
    """What a widget's picture depends on besides the window's stylesheet: visibility, geometry, text,
    for buttons their QSS states (hover, pressed, checked, focus, enabled), and the widget class's
    `snapshot_key(self)` when it has one (anything else its look depends on, a QSS property included)."""
    if w.isHidden():
        return id(w), True  # not drawn: where it was last and what it said do not matter
    out = (id(w), False, w.geometry().getRect())
    if isinstance(w, QLabel):
        out += (w.text(),)
    elif isinstance(w, QAbstractButton):
        out += (w.text(), w.isDown(), w.isChecked(), w.hasFocus(), w.isEnabled(), w.underMouse())
    key = getattr(type(w), "snapshot_key", None)  # on the class: a miss on a Qt object is slow
    if key is not None:
        out += (key(w),)
    return out


class SnapshotEffect(QGraphicsEffect):
    """Paints a widget and all its children from one image, made again only when what they show
    changes (texts, geometry, visibility, button states: see `_widget_state`; a child class can add to
    it with a `snapshot_key()` method), or the window's stylesheet does.

    For panels of labels and plain buttons that repaint far more often than they change: a full-wall
    frame then costs one blit for the panel instead of a paint event per child. Not for widgets that
    animate on their own or show anything the key does not cover (a table, a video).

    With a `backdrop` (see sandbox.ui.wall._Backdrop) the image includes what the backdrop shows
    under the widget, so it covers every pixel: the backdrop leaves that rectangle out.

    The last `keep` images are kept by state: going back a level (the header, path and legend of the
    level before) costs a blit.
    """

    def __init__(self, widget: QWidget, backdrop=None, keep: int = 3):
        super().__init__(widget)
        self._widget = widget
        self.backdrop = backdrop
        self._key: tuple | None = None
        self._image: QImage | None = None
        self._kept = _KeptImages(keep)
        self.renders = 0

    def state(self) -> tuple:
        w = self._widget
        under = self.backdrop.under_key(w) if self.backdrop is not None else None
        return (w.width(), w.height(), under, w.window().styleSheet(), w.styleSheet(),
                tuple(_widget_state(c) for c in (w, *w.findChildren(QWidget))))

    def invalidate(self) -> None:
        self._image = None
        self._kept.clear()
        self.update()

    def kept(self) -> int:
        return len(self._kept)

    def paint_ahead(self) -> None:
        """Keep a picture of the widget as it is now, painted offscreen (a widget about to change
        paints its next state ahead this way, then is put back). Its own paint path (`sourcePixmap`)
        exists only inside a frame, so the widget is rendered with the effect switched off."""
        w = self._widget
        dpr = w.devicePixelRatioF()
        key = (self.state(), dpr)
        if key in self._kept or self._kept.keep <= 1:
            return
        source = _blank_image(w.width(), w.height(), dpr, False)  # as `sourcePixmap` gives it in a frame
        self.setEnabled(False)
        try:
            w.render(source, QPoint(), QRegion(), QWidget.RenderFlag.DrawChildren)
        finally:
            self.setEnabled(True)
        self._keep_image(key, source, dpr)

    def _keep_image(self, key: tuple, source: QImage | QPixmap, dpr: float, offset: QPoint = QPoint()) -> QImage:
        """The widget's own pixels (`source`) over what the backdrop shows under it, kept under `key`."""
        w = self._widget
        img = _blank_image(w.width(), w.height(), dpr, self.backdrop is not None)
        q = QPainter(img)
        try:
            if self.backdrop is not None:
                self.backdrop.paint_under(q, w)
            if isinstance(source, QImage):
                q.drawImage(offset, source)
            else:
                q.drawPixmap(offset, source)
        finally:
            q.end()
        self.renders += 1
        self._kept.put(key, img)
        return img

    def draw(self, painter: QPainter) -> None:
        dev = painter.device()
        dpr = dev.devicePixelRatioF() if dev is not None else 1.0
        key = (self.state(), dpr)
        if self._image is None or key != self._key:
            kept = self._kept.get(key)
            if kept is not None:
                self._image, self._key = kept, key
        if self._image is None or key != self._key:
            offset = QPoint()  # filled in by Qt; (0, 0) without padding
            pm = self.sourcePixmap(Qt.CoordinateSystem.LogicalCoordinates, offset, QGraphicsEffect.PixmapPadMode.NoPad)
            if isinstance(pm, tuple):  # some bindings return (pixmap, offset)
                pm, offset = pm
            self._image, self._key = self._keep_image(key, pm, dpr, QPoint(offset)), key
        painter.drawImage(0, 0, self._image)
