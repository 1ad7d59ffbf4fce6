"""One drawn level of the map (region outlines, fills, labels in screen pixels), how it paints, and its pixel caches.

A level is painted once into pixels and reused: `MapLayer.base()` holds the extruded base, glow,
fills and borders (transparent outside the regions), and each label line is a small sprite (text
plus halo, rendered by `sandbox.ui.label_halo`) shared by every layer that shows the same text at
the same size. A frame then only blits images; a drill animation moves and fades those images
instead of re-stroking paths.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFontMetricsF, QImage, QPainter, QPainterPath, QPen, QPolygonF, QTransform

from sandbox.ui.label_halo import render_line
from sandbox.ui.poor_villages import paint_poor_outlines
from sandbox.ui.theme import NO_DATA_COLOR, Colors, Metrics, ui_font

__all__ = [
    "MapLabel", "MapLayer", "Sprite", "edge_runs", "paint_base", "paint_highlight", "paint_layer",
    "sprite_cache_info",
]

Point = tuple[float, float]
_GLOW_ALPHA = 170


@dataclass(frozen=True)
class Sprite:
    """Pixels and where their top-left corner goes, in the painter's logical coordinates."""

    image: QImage
    pos: QPointF

    def draw(self, p: QPainter, dx: float = 0.0, dy: float = 0.0) -> None:
        p.drawImage(QPointF(self.pos.x() + dx, self.pos.y() + dy), self.image)

    def rect(self, dx: float = 0.0, dy: float = 0.0) -> QRectF:
        dpr = self.image.devicePixelRatio()
        return QRectF(self.pos.x() + dx, self.pos.y() + dy, self.image.width() / dpr, self.image.height() / dpr)


def _new_image(w_px: int, h_px: int, dpr: float, fmt=QImage.Format.Format_ARGB32_Premultiplied) -> QImage:
    img = QImage(max(1, w_px), max(1, h_px), fmt)
    img.setDevicePixelRatio(dpr)
    img.fill(0)
    return img


def _device_box(r: QRectF, dpr: float) -> tuple[int, int, int, int]:
    """(left, top, width, height) in whole device pixels covering `r`: a sprite drawn there is never resampled."""
    x0, y0 = math.floor(r.left() * dpr), math.floor(r.top() * dpr)
    x1, y1 = math.ceil(r.right() * dpr), math.ceil(r.bottom() * dpr)
    return x0, y0, max(1, x1 - x0), max(1, y1 - y0)


# -- labels -----------------------------------------------------------------------------------------
class MapLabel:
    """A placed label: the region, its screen rectangle and the lines drawn in it."""

    __slots__ = ("code", "rect", "variant", "lines", "_paths", "_sprites")

    def __init__(self, code: str, rect: QRectF, variant: str, lines: list[tuple[str, int, bool, str]]):
        self.code, self.rect, self.variant, self.lines = code, rect, variant, lines
        self._paths: list[tuple[QPainterPath, QColor]] | None = None
        self._sprites: tuple[tuple[float, float], list[Sprite]] | None = None

    def origins(self) -> list[QPointF]:
        """Baseline-left point of each line: lines are centred in `rect`, one under the other."""
        out, y = [], self.rect.top() + 1
        for text, px, bold, _colour in self.lines:
            fm = QFontMetricsF(ui_font(px, bold=bold))
            out.append(QPointF(self.rect.center().x() - fm.horizontalAdvance(text) / 2.0, y + fm.ascent()))
            y += fm.height()
        return out

    def text_paths(self) -> list[tuple[QPainterPath, QColor]]:
        """Glyph outlines of each line (the vector reference drawing, see `paint_layer`)."""
        if self._paths is None:
            out = []
            for (text, px, bold, colour), origin in zip(self.lines, self.origins()):
                path = QPainterPath()
                path.addText(origin, ui_font(px, bold=bold), text)
                out.append((path, QColor(colour)))
            self._paths = out
        return self._paths

    def sprites(self, halo: float, dpr: float) -> list[Sprite]:
        """Each line as a sprite at its place (origins snapped to device pixels), built once per label."""
        if self._sprites is None or self._sprites[0] != (halo, dpr):
            out = []
            for (text, px, bold, colour), origin in zip(self.lines, self.origins()):
                ox, oy = round(origin.x() * dpr) / dpr, round(origin.y() * dpr) / dpr
                s = line_sprite(text, px, bold, colour, halo, dpr)
                out.append(Sprite(s.image, QPointF(ox + s.pos.x(), oy + s.pos.y())))
            self._sprites = ((halo, dpr), out)
        return self._sprites[1]


_SPRITES: OrderedDict[tuple, Sprite] = OrderedDict()
# Bounded by count and by pixel bytes, least recently used first: labels with figures (one per
# year, indicator and level) kept filling a count-only cache for hours (issue 20: ≈ 8 kB each,
# 2048 of them ≈ 17 MB). 8 MB holds ≈ 1000 lines, several levels' worth.
_SPRITE_LIMIT = 2048
_SPRITE_BYTES_LIMIT = 8 * 2**20
_sprite_stats = {"hits": 0, "misses": 0, "bytes": 0}


def sprite_cache_info() -> dict[str, int]:
    """Counters of the label-sprite cache (tests check that a repaint renders no new text)."""
    return {**_sprite_stats, "size": len(_SPRITES)}


def sprite_cache_bytes() -> int:
    """Pixel bytes the label-sprite cache holds (native memory, which tracemalloc never sees: the soak reports it)."""
    return sum(s.image.sizeInBytes() for s in list(_SPRITES.values()))


def line_sprite(text: str, px: int, bold: bool, colour: str, halo: float, dpr: float) -> Sprite:
    """One label line: its glyphs filled with `colour` over a halo `halo` px wide; `pos` is relative to
    the baseline-left origin. Cached by content: the same name at the same size is rendered once."""
    key = (text, px, bold, colour, halo, dpr)
    hit = _SPRITES.get(key)
    if hit is not None:
        _SPRITES.move_to_end(key)
        _sprite_stats["hits"] += 1
        return hit
    _sprite_stats["misses"] += 1
    sprite = Sprite(*render_line(text, px, bold, colour, halo, dpr))
    _SPRITES[key] = sprite
    _sprite_stats["bytes"] += sprite.image.sizeInBytes()
    while len(_SPRITES) > 1 and (len(_SPRITES) > _SPRITE_LIMIT or _sprite_stats["bytes"] > _SPRITE_BYTES_LIMIT):
        _sprite_stats["bytes"] -= _SPRITES.popitem(last=False)[1].image.sizeInBytes()
    return sprite


# -- region edges -------------------------------------------------------------------------------------
def _open_ring(ring: Sequence[Point]) -> list[Point]:
    pts = [tuple(p) for p in ring]
    if len(pts) > 1 and pts[0] == pts[-1]:
        pts.pop()
    return pts


def edge_runs(rings: Iterable[Sequence[Point]]) -> tuple[list[tuple[list[Point], bool]], list[tuple[list[Point], bool]]]:
    """(outer, borders): polylines along the rings' edges, each with whether it is a closed ring.

    `borders` has every edge once (an edge two regions share is drawn by the first ring that has it);
    `outer` has the edges no other ring shares: the outline of the whole level, where the glow shows.
    """
    rings = [r for r in (_open_ring(r) for r in rings) if len(r) >= 2]
    count: dict[tuple[Point, Point], int] = {}
    for ring in rings:
        n = len(ring)
        for i in range(n):
            a, b = ring[i], ring[(i + 1) % n]
            k = (a, b) if a <= b else (b, a)
            count[k] = count.get(k, 0) + 1
    seen: set[tuple[Point, Point]] = set()
    outer: list[tuple[list[Point], bool]] = []
    borders: list[tuple[list[Point], bool]] = []
    for ring in rings:
        n = len(ring)
        keys = []
        for i in range(n):
            a, b = ring[i], ring[(i + 1) % n]
            keys.append((a, b) if a <= b else (b, a))
        first = [k not in seen and not seen.add(k) for k in keys]  # noqa: PLR1704 - set.add returns None
        _runs(ring, first, borders)
        _runs(ring, [count[k] == 1 for k in keys], outer)
    return outer, borders


def _runs(ring: list[Point], keep: list[bool], out: list[tuple[list[Point], bool]]) -> None:
    n = len(ring)
    if all(keep):
        out.append((ring, True))
        return
    if not any(keep):
        return
    start = next(i for i in range(n) if not keep[i]) + 1  # begin right after a dropped edge
    run: list[Point] = []
    for j in range(n):
        i = (start + j) % n
        if keep[i]:
            if not run:
                run.append(ring[i])
            run.append(ring[(i + 1) % n])
        elif run:
            out.append((run, False))
            run = []
    if run:
        out.append((run, False))


def runs_path(runs: Iterable[tuple[Sequence[Point], bool]]) -> QPainterPath:
    path = QPainterPath()
    for pts, closed in runs:
        path.addPolygon(QPolygonF([QPointF(x, y) for x, y in pts]))
        if closed:
            path.closeSubpath()
    return path


# -- one level ------------------------------------------------------------------------------------------
class MapLayer:
    """Everything needed to paint one level without the state: what an animation fades and zooms."""

    def __init__(self, code: str | None = None):
        self.code = code  # the region whose children these are
        self.paths: dict[str, QPainterPath] = {}
        self.colours: dict[str, QColor] = {}
        self.labels: list[MapLabel] = []
        self.outline: QPainterPath | None = None  # outer edges only (None: stroke every path)
        self.borders: QPainterPath | None = None  # every edge once (None: stroke every path)
        self.fit = None  # the view these screen paths were made for
        self.geometry = None  # the projected geometry they came from
        self.source = None  # the RegionMap they show
        self._bounds: QRectF | None = None
        self._rects: dict[str, QRectF] | None = None
        self._base: tuple[tuple, Sprite] | None = None
        self.renders = 0  # times the base was rendered (tests: a hover never re-renders it)

    def bounds(self) -> QRectF:
        """Screen rectangle of all the regions (empty when there are none)."""
        if self._bounds is None:
            out = QRectF()
            for path in self.paths.values():
                out = out.united(path.boundingRect())
            self._bounds = out
        return QRectF(self._bounds)

    def path_rects(self) -> dict[str, QRectF]:
        """Each region's bounding rectangle (what a blown-up level tests against the screen)."""
        if self._rects is None:
            self._rects = {c: path.controlPointRect() for c, path in self.paths.items()}
        return self._rects

    def base(self, m: Metrics, dpr: float) -> Sprite:
        """The level without labels or highlight, rendered once (per metrics and pixel ratio)."""
        key = (m, dpr)
        if self._base is None or self._base[0] != key:
            pad = m.px(6) + m.px(7) + 2  # the glow's half-width, the extrusion, antialiasing
            x, y, w, h = _device_box(self.bounds().adjusted(-pad, -pad, pad, pad), dpr)
            img = _new_image(w, h, dpr)
            p = QPainter(img)
            try:
                p.setRenderHint(QPainter.RenderHint.Antialiasing)
                p.translate(-x / dpr, -y / dpr)
                paint_base(p, self, m)
            finally:
                p.end()
            self._base = (key, Sprite(img, QPointF(x / dpr, y / dpr)))
            self.renders += 1
        return self._base[1]

    def has_base(self, m: Metrics, dpr: float) -> bool:
        return self._base is not None and self._base[0] == (m, dpr)

    def label_sprites(self, m: Metrics, dpr: float) -> list[Sprite]:
        halo = halo_width(m)
        return [s for lab in self.labels for s in lab.sprites(halo, dpr)]

    def labels_ready(self, m: Metrics, dpr: float) -> bool:
        halo = halo_width(m)
        return all(lab._sprites is not None and lab._sprites[0] == (halo, dpr) for lab in self.labels)


def halo_width(m: Metrics) -> float:
    return max(2.0, 3.5 * m.scale)


def _pen(colour: QColor, width: float, *, cap=Qt.PenCapStyle.SquareCap, cosmetic: bool = True) -> QPen:
    pen = QPen(colour, width, Qt.PenStyle.SolidLine, cap, Qt.PenJoinStyle.RoundJoin)
    pen.setCosmetic(cosmetic)  # widths in screen pixels even while a transition scales the layer
    return pen


def paint_base(p: QPainter, layer: MapLayer, m: Metrics, visible: QRectF | None = None, *,
               moving: bool = False, scaled: bool = False) -> None:
    """Extruded base, glow, fills and borders of `layer` (what `MapLayer.base` caches).

    Same picture as stroking and filling every region in turn, with far less stroking: the glow is
    only visible outside the level (fills cover the rest), so only the outer edges are stroked, and
    every border edge is stroked once (not once per region that has it).

    `visible` (the layer's own coordinates): only the regions reaching into it are drawn. A level blown
    up by a drill's zoom shows a few of its regions; stroking and filling all of them cost as much as
    the whole level at 4K (≈ 30 ms a frame for a prefecture's counties). Inside `visible` the picture is
    the same: each shown region's own edge gets the glow (its inner half, and the half over a neighbour,
    are covered by the fills drawn after it) and the border (a shared edge twice, with an opaque pen).

    `moving` (a frame of a drill's zoom): the glow and the borders are stroked without antialiasing, at
    their full width. Qt's antialiased stroker costs ≈ 10 ms per wide pen along a prefecture's edges at
    4K, the plain one ≈ 1.5 ms; for the few frames a level moves, the edges' last half pixel is not seen.

    `scaled`: the picture `MapLayer.base` would make, drawn under the painter's transform as that picture
    is when a transition scales it (pens and the extrusion scale too): a level's first drill frame, before
    its picture exists.
    """
    if not layer.paths:
        return
    paths = layer.paths
    whole = visible is None
    if not whole:
        rects = layer.path_rects()
        paths = {c: path for c, path in paths.items() if rects[c].intersects(visible)}
        whole = len(paths) == len(layer.paths)
    p.save()
    # Extruded base under the whole level: the "sandbox table" look. (One fill per region: Qt
    # rasterises several small paths faster than their union as one path.)
    p.save()
    down = QTransform.fromTranslate(0, m.px(7))  # in screen pixels, zoomed or not (or as the picture, scaled)
    p.setTransform(down * p.transform() if scaled else p.transform() * down)
    base = QColor("#0b3358")
    for path in paths.values():
        p.fillPath(path, base)
    p.restore()
    # Glow: a thick stroke under the fills; only its outer half stays visible.
    glow = QColor(Colors.accent)
    glow.setAlpha(_GLOW_ALPHA)
    p.setBrush(Qt.BrushStyle.NoBrush)
    p.setPen(_pen(glow, m.px(6), cap=Qt.PenCapStyle.RoundCap, cosmetic=not scaled))
    smooth = p.testRenderHint(QPainter.RenderHint.Antialiasing)
    edges_smooth = smooth and not moving
    p.setRenderHint(QPainter.RenderHint.Antialiasing, edges_smooth)
    for path in ([layer.outline] if whole and layer.outline is not None else paths.values()):
        p.drawPath(path)
    p.setRenderHint(QPainter.RenderHint.Antialiasing, smooth)
    for code, path in paths.items():
        p.fillPath(path, layer.colours.get(code) or QColor(NO_DATA_COLOR))
    p.setPen(_pen(QColor(Colors.region_border), max(1.0, 1.6 * m.scale), cap=Qt.PenCapStyle.RoundCap,
                  cosmetic=not scaled))
    p.setRenderHint(QPainter.RenderHint.Antialiasing, edges_smooth)
    for path in ([layer.borders] if whole and layer.borders is not None else paths.values()):
        p.drawPath(path)
    p.setRenderHint(QPainter.RenderHint.Antialiasing, smooth)
    paint_poor_outlines(p, layer, m, scaled=scaled)  # 贫困村 on a town's map
    p.restore()


def paint_highlight(p: QPainter, layer: MapLayer, m: Metrics, hovered: str | None, selected: str | None) -> None:
    """The hovered region (lighter, white edge) and the selected one (cyan edge), over the base."""
    if hovered in layer.paths:
        p.setBrush(layer.colours.get(hovered, QColor(NO_DATA_COLOR)).lighter(135))
        p.setPen(_pen(QColor(Colors.hover), m.px(3)))
        p.drawPath(layer.paths[hovered])
    if selected in layer.paths:
        p.setBrush(Qt.BrushStyle.NoBrush)
        p.setPen(_pen(QColor(Colors.selected), m.px(5)))
        p.drawPath(layer.paths[selected])


def highlight_rect(layer: MapLayer, m: Metrics, code: str | None) -> QRectF:
    """What a highlight of `code` can touch (its outline plus the widest highlight pen), or empty."""
    if code not in layer.paths:
        return QRectF()
    pad = m.px(5) / 2.0 + 2
    return layer.paths[code].boundingRect().adjusted(-pad, -pad, pad, pad)


def paint_layer(p: QPainter, layer: MapLayer, m: Metrics, *, transform: QTransform | None = None,
                opacity: float = 1.0, label_opacity: float | None = None,
                hovered: str | None = None, selected: str | None = None) -> None:
    """Paint `layer` with vectors only, no caches (the reference the cached frames are checked against)."""
    if opacity <= 0.0 or not layer.paths:
        return
    p.save()
    if transform is not None:
        p.setTransform(transform, True)
    p.setOpacity(opacity)
    paint_base(p, layer, m)
    paint_highlight(p, layer, m, hovered, selected)
    lo = opacity if label_opacity is None else opacity * label_opacity
    if lo > 0.0 and layer.labels:
        p.setOpacity(lo)
        halo = _pen(QColor(Colors.label_halo), halo_width(m))
        for lab in layer.labels:
            for path, colour in lab.text_paths():
                p.strokePath(path, halo)
                p.fillPath(path, colour)
    p.restore()
