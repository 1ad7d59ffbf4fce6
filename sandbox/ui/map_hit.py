"""Hit-testing on the map canvas: which region or layer item is under a point, and the clicks on them."""

# A mixin of sandbox.ui.map_canvas.MapCanvas.

from __future__ import annotations

from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QColor, QMouseEvent, QPainterPath

from sandbox.ui.map_layer import MapLabel
from sandbox.ui.theme import NO_DATA_COLOR

__all__ = ["HitTesting"]


class HitTesting:
    """Regions and layer items under the pointer; a click drills, a right click goes back."""

    def region_at(self, pos: QPointF) -> str | None:
        """Code of the region under a widget position, topmost first."""
        paths = self._layer.paths
        for code in reversed(list(paths)):
            if paths[code].contains(pos):
                return code
        return None

    def region_center(self, code: str) -> QPointF:
        """Widget position of a region's label point (for tests and animations)."""
        f = self.state.region_map.feature(code) if self.state.region_map else None
        if f is None or self._fit is None or self._projection is None:
            raise KeyError(code)
        return QPointF(*self._fit.to_screen(*self._projection.forward(*f.label_point)))

    def drill_point(self, code: str) -> QPointF:
        """A widget position whose click drills into `code`: its label point, or when a marker or mark
        covers that, the nearest free point of the region (a click on a marker opens the marker's card)."""
        centre = self.region_center(code)
        path = self._layer.paths.get(code)
        if path is None:
            raise KeyError(code)
        box = path.boundingRect()
        step = max(4.0, min(box.width(), box.height()) / 24)
        for ring in range(0, 48):
            for i in range(-ring, ring + 1):
                for j in (-ring, ring) if abs(i) != ring else range(-ring, ring + 1):
                    p = QPointF(QPointF(centre.x() + i * step, centre.y() + j * step).toPoint())  # a pixel: clicks are
                    if self.region_at(p) == code and self.overlay_at(p) is None:
                        return p
        raise KeyError(code)

    def region_path(self, code: str) -> QPainterPath:
        return QPainterPath(self._layer.paths[code])

    def region_colour(self, code: str) -> QColor:
        return QColor(self._layer.colours.get(code, QColor(NO_DATA_COLOR)))

    def labels(self) -> list[MapLabel]:
        return list(self._layer.labels)

    def overlay_at(self, pos: QPointF) -> tuple[str, object] | None:
        """(layer name, item) under a widget position, the topmost layer first."""
        v = self.view()
        for ov in reversed(self.active_overlays()):
            ov.ensure_layout(v)
            item = ov.hit(pos)
            if item is not None:
                return ov.name, item
        return None

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        hit = None if self.animating else self.overlay_at(event.position())
        code = None if self.animating else self.region_at(event.position())
        self.state.hovered_code = code
        self.setCursor(Qt.CursorShape.PointingHandCursor if (code or hit) else Qt.CursorShape.ArrowCursor)
        tip = ""
        if hit is not None:
            ov = next((o for o in self.overlays if o.name == hit[0]), None)
            tip = ov.tooltip(hit[1]) if ov is not None else ""
        if tip != self.toolTip():
            self.setToolTip(tip)
        super().mouseMoveEvent(event)

    def leaveEvent(self, event) -> None:
        self.state.hovered_code = None
        super().leaveEvent(event)

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self._press_code = None if self.animating else self.region_at(event.position())
            self._press_item = None if self.animating else self.overlay_at(event.position())
        super().mousePressEvent(event)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            code = self.region_at(event.position())
            item = self.overlay_at(event.position()) if self._press_item is not None else None
            if item is not None and not self.animating and _same_item(item, self._press_item):
                # a project marker or an anomaly mark, not the region under it
                self._press_item = self._press_code = None
                self.overlayClicked.emit(*item)
                super().mouseReleaseEvent(event)
                return
            if code is not None and code == self._press_code and not self.animating:
                self.state.selected_code = code
                self.regionClicked.emit(code)
            self._press_code = None
        elif event.button() == Qt.MouseButton.RightButton:
            self.backRequested.emit()
        super().mouseReleaseEvent(event)

    def contextMenuEvent(self, event) -> None:
        event.accept()  # right click means "back", never a context menu


def _same_item(a: tuple[str, object] | None, b: tuple[str, object] | None) -> bool:
    if a is None or b is None or a[0] != b[0]:
        return False
    x, y = a[1], b[1]
    if isinstance(x, dict) and isinstance(y, dict):
        return x.get("target") == y.get("target")
    return x == y
