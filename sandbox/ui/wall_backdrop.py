"""The wall's backdrop: the navy, the header's band and the body's gradient, painted once per size and blitted."""

from __future__ import annotations

from PySide6.QtCore import QPoint, QPointF, QRect, QRectF, Qt
from PySide6.QtGui import QColor, QLinearGradient, QPainter
from PySide6.QtWidgets import QWidget

from sandbox.ui.paint_cache import WidgetCache
from sandbox.ui.theme import Colors, Metrics, metrics_for_height

__all__ = ["Backdrop"]


class Backdrop(QWidget):
    """The window's background, painted once per size and blitted: the plain navy, the header's band
    and under it a gradient over the body. Opaque, so Qt paints nothing beneath it, and opaque
    children (the map, and the cards that bake this backdrop into their own cached pixels, see
    `paint_under`) are cut out of what it paints."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("wallRoot")
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent, True)
        self.header: QWidget | None = None  # the band at the top
        self.body: QWidget | None = None  # the area under the gradient
        self.metrics: Metrics = metrics_for_height(1080)
        self.pixels = WidgetCache(opaque=True)
        self.covered: list[QWidget] = []  # children whose own image includes this backdrop (no Qt opacity)

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
            self._blit(p, region)
        finally:
            p.end()

    def _blit(self, p: QPainter, region=None) -> None:
        key = self.key()
        self.pixels.paint(self, p, lambda q: self._paint(q, key), key, region)

    def paint_under(self, p: QPainter, widget: QWidget) -> None:
        """Paint what this backdrop shows under `widget` (in `widget`'s coordinates): a card that
        paints it first covers every one of its pixels, so it can be opaque."""
        o = widget.mapTo(self, QPoint(0, 0))
        dev = p.device()
        dpr = dev.devicePixelRatioF() if dev is not None else self.devicePixelRatioF()
        key = self.key()
        img = self.pixels.image(self, dpr, lambda q: self._paint(q, key), key)
        w, h = widget.width(), widget.height()
        p.drawImage(QRectF(0, 0, w, h), img, QRectF(o.x() * dpr, o.y() * dpr, w * dpr, h * dpr))

    def under_key(self, widget: QWidget) -> tuple:
        o = widget.mapTo(self, QPoint(0, 0))
        return (o.x(), o.y(), self.width(), self.height(), self.key())

    def _paint(self, p: QPainter, key: tuple) -> None:
        p.fillRect(self.rect(), QColor(Colors.background))
        if self.header is not None and self.header.isVisible():
            r = QRectF(self.header.geometry())
            g = QLinearGradient(QPointF(0, r.top()), QPointF(0, r.bottom()))
            g.setColorAt(0.0, QColor("#0f2a50"))
            g.setColorAt(1.0, QColor("#081426"))
            p.fillRect(r, g)
            b = self.metrics.px(2)  # the accent rule under the header (QSS keeps its room: a transparent border)
            p.fillRect(QRectF(r.left(), r.bottom() + 1 - b, r.width(), b), QColor(Colors.accent))
        if self.body is not None:
            r = QRectF(self.body.geometry())
            if not r.isEmpty():
                g = QLinearGradient(QPointF(0, r.top()), QPointF(0, r.bottom()))
                g.setColorAt(0.0, QColor(Colors.background_top))
                g.setColorAt(1.0, QColor(Colors.background))
                p.fillRect(r, g)
