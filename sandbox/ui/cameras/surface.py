"""TileSurface: paints all of a camera wall's pictures in one widget, so a frame tick's new frames cost
one paint event, not one per tile (Qt's per-widget paint machinery cost more than the draw itself)."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QPoint, QRect, Qt, QTimer
from PySide6.QtGui import QPainter, QRegion
from PySide6.QtWidgets import QWidget

__all__ = ["TileSurface"]

_GEOMETRY_EVENTS = (QEvent.Type.Move, QEvent.Type.Resize, QEvent.Type.Show, QEvent.Type.Hide)


class TileSurface(QWidget):
    """Lies over `host`'s tiles, masked to their pictures (the tiles' names and states stay their own
    widgets, seen through the mask), opaque within it: Qt then paints neither the tiles nor the pictures
    below. A picture with a new frame asks for its rectangle (`mark`); the rectangles of one tick come
    to one paint event, which draws each picture (VideoView.paint) that lies in it."""

    def __init__(self, host: QWidget) -> None:
        super().__init__(host)
        self.setObjectName("tileSurface")
        for a in (Qt.WidgetAttribute.WA_TransparentForMouseEvents, Qt.WidgetAttribute.WA_OpaquePaintEvent,
                  Qt.WidgetAttribute.WA_NoSystemBackground):
            self.setAttribute(a)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self._views: list = []
        self._placed: dict = {}  # shown view → its picture's rect here (set by remask)
        self._remask_timer = QTimer(self, singleShot=True, interval=0)
        self._remask_timer.timeout.connect(self.remask)
        host.installEventFilter(self)
        self.setGeometry(host.rect())
        self.hide()  # until a picture is shown (an empty mask would be no mask: all of it opaque)

    def attach(self, view) -> None:
        """Paint `view` (a VideoView) here from now on; it and its tile report where they move."""
        if view in self._views:
            return
        self._views.append(view)
        view.surface = self
        view.installEventFilter(self)
        view.parentWidget().installEventFilter(self)
        self._remask_timer.start()

    def _rect_of(self, view) -> QRect:
        host = self.parentWidget()
        return QRect(self.mapFrom(host, view.mapTo(host, QPoint(0, 0))), view.size())

    def _shown(self) -> list:
        host = self.parentWidget()
        return [v for v in self._views if v.isVisibleTo(host) and not v.size().isEmpty()]

    def mark(self, view, rect: QRect | None = None) -> None:
        """`view` has something new to show in `rect` (its own coordinates; None: all of it)."""
        r = self._placed.get(view)
        if r is None or self._remask_timer.isActive():
            return  # not shown, or the remask repaints everything anyway
        self.update(r if rect is None else rect.translated(r.topLeft()))

    def shows(self, view) -> bool:
        """Whether any of `view`'s picture is to be seen (not under a panel or a full-screen camera)."""
        return self.isVisible() and not self.visibleRegion().intersected(self._rect_of(view)).isEmpty()

    def remask(self) -> None:
        """Where each shown picture is (kept for the paints), the mask their union, the tiles under us."""
        self._placed = {v: self._rect_of(v) for v in self._shown()}
        region = QRegion()
        for r in self._placed.values():
            region = region.united(r)
        if region.isEmpty():
            self.hide()
            return
        self.setMask(region)
        self.show()
        for v in self._views:  # over the tiles, under anything else (a full-screen view stays on top)
            v.parentWidget().stackUnder(self)
        self.update()

    def eventFilter(self, obj, event) -> bool:  # noqa: N802
        t = event.type()
        if obj is self.parentWidget():
            if t == QEvent.Type.Resize:
                self.setGeometry(obj.rect())
                self._remask_timer.start()
        elif t in _GEOMETRY_EVENTS:
            self._remask_timer.start()
        return False

    def paintEvent(self, e) -> None:  # noqa: N802
        p = QPainter(self)
        dirty = e.region()
        for v, r in self._placed.items():
            if dirty.intersects(r):
                x, y = r.x(), r.y()
                p.translate(x, y)  # (no clip: a picture draws within its view, the event's region clips the rest)
                v.paint(p, dirty.intersected(r).boundingRect().translated(-x, -y))
                p.translate(-x, -y)
        p.end()
