"""The overlay contract the map canvas paints over its cached choropleth, and the screen view overlays lay out in."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from PySide6.QtCore import QPointF, QRectF
from PySide6.QtGui import QImage, QPainter, QPainterPath

from sandbox.ui.theme import Metrics

__all__ = ["MapView", "Overlay", "dot_sprite"]

_ABOVE_COUNTY = ("prefecture", "county")  # the children drawn on a province's and a prefecture's map


@dataclass
class MapView:
    """The level on screen, in widget pixels: what an overlay needs to place itself. `key` changes
    whenever any of it does (size, zoom, level, labels), and only then do overlays lay out again."""

    code: str | None
    width: int
    height: int
    metrics: Metrics
    project: Callable[[float, float], QPointF]  # lon/lat → widget pixels
    anchors: dict[str, QPointF] = field(default_factory=dict)  # region code → its label point
    label_rects: dict[str, QRectF] = field(default_factory=dict)  # region code → its label's rectangle
    paths: dict[str, QPainterPath] = field(default_factory=dict)  # region code → outline
    names: dict[str, str] = field(default_factory=dict)
    bounds: QRectF = field(default_factory=QRectF)
    child_level: str = ""  # level of the regions drawn ("town", "village")
    dpr: float = 1.0
    key: tuple = ()

    def region_at(self, pos: QPointF) -> str | None:
        for code in reversed(list(self.paths)):
            if self.paths[code].contains(pos):
                return code
        return None


class Overlay:
    """One layer over the map. Static pixels (`paint_static`) are rendered into the canvas's overlay
    cache whenever `version` or the view changes; `paint_frame` draws what moves, every animation frame,
    inside `frame_rect()`. Overlays never touch the choropleth's own cache."""

    name = ""
    title_zh = ""
    # Whether it draws on a province's or a prefecture's map: a marker per project, camera or village
    # over hundreds of counties would hide the map itself, so those layers start at the county's map.
    above_county = True

    def __init__(self) -> None:
        self.visible = True
        self.version = 0
        self.region: str | None = None  # the level its data belongs to: nothing is drawn on another
        self._laid_out: tuple | None = None
        self.on_change: Callable[[], None] | None = None

    # -- state ---------------------------------------------------------------------------------
    def changed(self) -> None:
        """Its data changed: the canvas renders its static pixels again."""
        self.version += 1
        self._laid_out = None
        if self.on_change is not None:
            self.on_change()

    def set_visible(self, on: bool) -> None:
        if bool(on) != self.visible:
            self.visible = bool(on)
            if self.on_change is not None:
                self.on_change()

    def active(self, view: MapView | None) -> bool:
        return self.visible and view is not None and self.region is not None and self.region == view.code \
            and (self.above_county or view.child_level not in _ABOVE_COUNTY)

    def layout_key(self, view: MapView) -> tuple:
        return (view.key, self.version)

    def ensure_layout(self, view: MapView) -> None:
        key = self.layout_key(view)
        if key != self._laid_out:
            self.layout(view)
            self._laid_out = key

    # -- to override ---------------------------------------------------------------------------
    def layout(self, view: MapView) -> None:
        """Screen-space geometry for this view (paths, positions): once per view and data."""

    def paint_static(self, p: QPainter, view: MapView) -> None:
        """What does not move (markers, curves, points), painted into the canvas's overlay cache."""

    def paint_frame(self, p: QPainter, view: MapView, now: float) -> None:
        """What moves (flow dots, pulses), painted every frame over the cached pixels."""

    def animating(self, now: float) -> bool:
        return False

    def frame_rect(self) -> QRectF:
        """Where `paint_frame` may draw (the canvas repaints only this rectangle per frame)."""
        return QRectF()

    def hit(self, pos: QPointF) -> Any:
        """The item under a widget position (a project, an anomaly), or None."""
        return None

    def obstacles(self) -> list[QRectF]:
        """Where its markers are, once laid out: the map's chips keep clear of them (see layers.chips)."""
        return []

    def tooltip(self, item: Any) -> str:
        return ""


_DOTS: dict[tuple, QImage] = {}


def dot_sprite(colour, radius: float, dpr: float, glow: bool = True) -> QImage:
    """A soft round dot as a small image (blitting it is far cheaper than filling an ellipse)."""
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QColor, QRadialGradient

    c = QColor(colour)
    key = (c.rgba(), round(radius, 2), dpr, glow)
    hit = _DOTS.get(key)
    if hit is not None:
        return hit
    reach = radius * (2.0 if glow else 1.0) + 1
    size = max(2, int(round(2 * reach * dpr)))
    img = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
    img.setDevicePixelRatio(dpr)
    img.fill(0)
    p = QPainter(img)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    centre = QPointF(size / dpr / 2.0, size / dpr / 2.0)
    if glow:
        g = QRadialGradient(centre, reach)
        halo = QColor(c)
        halo.setAlpha(110)
        g.setColorAt(0.0, halo)
        halo.setAlpha(0)
        g.setColorAt(1.0, halo)
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(g)
        p.drawEllipse(centre, reach, reach)
    p.setPen(Qt.PenStyle.NoPen)
    p.setBrush(c)
    p.drawEllipse(centre, radius, radius)
    p.end()
    _DOTS[key] = img
    return img


def paint_warning(p: QPainter, centre: QPointF, size: float, count: int | None = None) -> QRectF:
    """A red-amber warning triangle with "!" (or a count): where the fund chain does not reconcile."""
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QColor, QPen, QPolygonF

    from sandbox.ui.theme import ui_font

    h = size
    w = size * 1.15
    tri = QPolygonF([QPointF(centre.x(), centre.y() - h / 2), QPointF(centre.x() + w / 2, centre.y() + h / 2),
                     QPointF(centre.x() - w / 2, centre.y() + h / 2)])
    p.save()
    p.setPen(QPen(QColor("#02060d"), max(1.5, size * 0.12), Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap,
                  Qt.PenJoinStyle.RoundJoin))
    p.setBrush(QColor("#ff4d4f"))
    p.drawPolygon(tri)
    p.setPen(QColor("#ffffff"))
    p.setFont(ui_font(max(6, round(size * (0.55 if count and count > 9 else 0.62))), bold=True))
    text = "!" if not count or count <= 1 else str(count)
    p.drawText(QRectF(centre.x() - w / 2, centre.y() - h * 0.18, w, h * 0.66), Qt.AlignmentFlag.AlignCenter, text)
    p.restore()
    return QRectF(centre.x() - w / 2, centre.y() - h / 2, w, h)
