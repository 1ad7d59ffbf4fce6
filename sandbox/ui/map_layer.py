"""One drawn level of the map (region outlines, fills, labels in screen pixels) and how it paints."""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFontMetricsF, QPainter, QPainterPath, QPen, QTransform

from sandbox.ui.theme import NO_DATA_COLOR, Colors, Metrics, ui_font

__all__ = ["MapLabel", "MapLayer", "paint_layer"]


class MapLabel:
    """A placed label: the region, its screen rectangle and the lines drawn in it."""

    __slots__ = ("code", "rect", "variant", "lines", "_paths")

    def __init__(self, code: str, rect: QRectF, variant: str, lines: list[tuple[str, int, bool, str]]):
        self.code, self.rect, self.variant, self.lines = code, rect, variant, lines
        self._paths: list[tuple[QPainterPath, QColor]] | None = None

    def text_paths(self) -> list[tuple[QPainterPath, QColor]]:
        """Glyph outlines of each line, built once: an animation frame only fills and strokes them."""
        if self._paths is None:
            out, y = [], self.rect.top() + 1
            for text, px, bold, colour in self.lines:
                font = ui_font(px, bold=bold)
                fm = QFontMetricsF(font)
                path = QPainterPath()
                path.addText(QPointF(self.rect.center().x() - fm.horizontalAdvance(text) / 2.0, y + fm.ascent()),
                             font, text)
                out.append((path, QColor(colour)))
                y += fm.height()
            self._paths = out
        return self._paths


class MapLayer:
    """Everything needed to paint one level without the state: what an animation fades and zooms."""

    def __init__(self, code: str | None = None):
        self.code = code  # the region whose children these are
        self.paths: dict[str, QPainterPath] = {}
        self.colours: dict[str, QColor] = {}
        self.labels: list[MapLabel] = []

    def bounds(self) -> QRectF:
        """Screen rectangle of all the regions (empty when there are none)."""
        out = QRectF()
        for path in self.paths.values():
            out = out.united(path.boundingRect())
        return out


def _pen(colour: QColor, width: float, *, cap=Qt.PenCapStyle.SquareCap) -> QPen:
    pen = QPen(colour, width, Qt.PenStyle.SolidLine, cap, Qt.PenJoinStyle.RoundJoin)
    pen.setCosmetic(True)  # widths in screen pixels even while a transition scales the layer
    return pen


def paint_layer(p: QPainter, layer: MapLayer, m: Metrics, *, transform: QTransform | None = None,
                opacity: float = 1.0, label_opacity: float | None = None,
                hovered: str | None = None, selected: str | None = None) -> None:
    """Paint `layer` (extruded base, glow, fills, borders, highlight, labels) under `transform`."""
    if opacity <= 0.0 or not layer.paths:
        return
    t = transform or QTransform()
    p.save()
    p.setOpacity(opacity)
    # Extruded base under the whole level: the "sandbox table" look, cheap at hundreds of paths.
    p.setTransform(t * QTransform.fromTranslate(0, m.px(7)))
    p.setPen(Qt.PenStyle.NoPen)
    p.setBrush(QColor("#0b3358"))
    for path in layer.paths.values():
        p.drawPath(path)
    p.setTransform(t)
    # Glow: thick strokes under the fills; only the outer half-width stays visible.
    glow = QColor(Colors.accent)
    glow.setAlpha(170)
    p.setBrush(Qt.BrushStyle.NoBrush)
    p.setPen(_pen(glow, m.px(6), cap=Qt.PenCapStyle.RoundCap))
    for path in layer.paths.values():
        p.drawPath(path)
    p.setPen(_pen(QColor(Colors.region_border), max(1.0, 1.6 * m.scale)))
    for code, path in layer.paths.items():
        p.setBrush(layer.colours.get(code, QColor(NO_DATA_COLOR)))
        p.drawPath(path)
    if hovered in layer.paths:
        p.setBrush(layer.colours.get(hovered, QColor(NO_DATA_COLOR)).lighter(135))
        p.setPen(_pen(QColor(Colors.hover), m.px(3)))
        p.drawPath(layer.paths[hovered])
    if selected in layer.paths:
        p.setBrush(Qt.BrushStyle.NoBrush)
        p.setPen(_pen(QColor(Colors.selected), m.px(5)))
        p.drawPath(layer.paths[selected])
    lo = opacity if label_opacity is None else opacity * label_opacity
    if lo > 0.0 and layer.labels:
        p.setOpacity(lo)
        halo = _pen(QColor(Colors.label_halo), max(2.0, 3.5 * m.scale))
        for lab in layer.labels:
            for path, colour in lab.text_paths():
                p.strokePath(path, halo)
                p.fillPath(path, colour)
    p.restore()
