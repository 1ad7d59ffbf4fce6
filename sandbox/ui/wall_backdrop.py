"""The wall's backdrop: the navy, the header's band and the body's gradient, painted straight where exposed."""

from __future__ import annotations

from PySide6.QtCore import QPoint, QPointF, QRect, Qt
from PySide6.QtGui import QColor, QLinearGradient, QPainter, QRegion
from PySide6.QtWidgets import QWidget

from sandbox.ui.theme import Colors, Metrics, metrics_for_height

__all__ = ["Backdrop"]


class Backdrop(QWidget):
    """The window's background: the plain navy, the header's band and under it a gradient over the body.
    Opaque, so Qt paints nothing beneath it, and opaque children (the map, and the cards that paint this
    backdrop into their own cached pixels, see `paint_under`) are cut out of what it paints.

    Painted straight into the frame, not kept as a picture of the whole window (issue 19, the start): a
    gradient fill costs about what a blit of the same pixels costs, while a window-sized picture cost the
    first frame its making (a fresh 33 MB image at 4K, filled, then blitted: ≈ 20 ms of the start) and
    kept 33 MB for nothing else."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("wallRoot")
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent, True)
        self.header: QWidget | None = None  # the band at the top
        self.body: QWidget | None = None  # the area under the gradient
        self.metrics: Metrics = metrics_for_height(1080)
        self.covered: list[QWidget] = []  # children whose own image includes this backdrop (no Qt opacity)
        self.painted_px = 0  # tests: pixels painted so far (what is covered is never painted)

    def key(self) -> tuple:
        geo = tuple((w.geometry().getRect() if w is not None else None) for w in (self.header, self.body))
        return (*geo, self.metrics)

    def paintEvent(self, event) -> None:
        region = event.region()
        for w in self.covered:  # they paint this backdrop themselves (see SnapshotEffect)
            if w.isVisible():
                region -= QRect(w.mapTo(self, QPoint(0, 0)), w.size())
        if region.isEmpty():
            return
        p = QPainter(self)
        try:
            self._paint_region(p, region & self.rect())
        finally:
            p.end()

    def paint_under(self, p: QPainter, widget: QWidget) -> None:
        """Paint what this backdrop shows under `widget` (in `widget`'s coordinates): a card that
        paints it first covers every one of its pixels, so it can be opaque."""
        o = widget.mapTo(self, QPoint(0, 0))
        p.save()
        try:
            p.translate(-o.x(), -o.y())
            self._paint(p, QRect(o, widget.size()))
        finally:
            p.restore()

    def under_key(self, widget: QWidget) -> tuple:
        o = widget.mapTo(self, QPoint(0, 0))
        return (o.x(), o.y(), self.width(), self.height(), self.key())

    def _paint(self, p: QPainter, clip: QRect) -> None:
        """The backdrop within `clip` (this widget's coordinates)."""
        self._paint_region(p, QRegion(clip & self.rect()))

    def _paint_region(self, p: QPainter, area: QRegion) -> None:
        """The backdrop within `area`, every pixel filled once: the navy only where neither the header's
        band nor the body's gradient goes (filling it under them too cost a second 4K fill per frame), and
        each of the three parts one brush over its rectangles (one rectangle at a time: faster than a
        complex clip)."""
        if area.isEmpty():
            return
        self.painted_px += sum(r.width() * r.height() for r in area)
        header = self.header.geometry() if self.header is not None and self.header.isVisible() else None
        body = self.body.geometry() if self.body is not None and not self.body.geometry().isEmpty() else None
        navy = area
        for r in (header, body):
            if r is not None:
                navy = navy - r
        _fill(p, navy, QColor(Colors.background))
        if header is not None:
            _fill(p, area & header, _vertical(header, QColor("#0f2a50"), QColor("#081426")))
            b = self.metrics.px(2)  # the accent rule under the header (QSS keeps its room: a transparent border)
            rule = area & QRect(header.left(), header.top() + header.height() + 1 - b, header.width(), b)
            _fill(p, rule if body is None else rule - body, QColor(Colors.accent))
        if body is not None:
            _fill(p, area & body, _vertical(body, QColor(Colors.background_top), QColor(Colors.background)))


def _vertical(r: QRect, top: QColor, bottom: QColor) -> QLinearGradient:
    """A gradient from `r`'s top edge to its bottom edge (as QRectF sees them: bottom = top + height)."""
    g = QLinearGradient(QPointF(0, r.top()), QPointF(0, r.top() + r.height()))
    g.setColorAt(0.0, top)
    g.setColorAt(1.0, bottom)
    return g


def _fill(p: QPainter, region: QRegion, brush) -> None:
    for r in region:
        p.fillRect(r, brush)
