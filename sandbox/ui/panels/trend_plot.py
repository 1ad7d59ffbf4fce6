"""The trend's plot widget: pyqtgraph's PlotWidget painting from kept pictures, laid out before it paints."""

from __future__ import annotations

from collections.abc import Callable

import pyqtgraph as pg
from PySide6.QtCore import QCoreApplication, QEvent, QRectF
from PySide6.QtGui import QColor, QImage, QPainter
from PySide6.QtWidgets import QGraphicsView, QGraphicsWidget

from sandbox.ui.paint_cache import WidgetCache
from sandbox.ui.panels.paint import PICTURES_KEPT

__all__ = ["CachedPlotWidget"]


class CachedPlotWidget(pg.PlotWidget):
    """A PlotWidget that keeps its pictures: a repaint without a change is one blit, not a walk
    over the scene's items' paint(). Any change of the scene (pyqtgraph reports them through
    `scene().changed`, the panel also says so directly), of where its items are, or of the view's
    size paints it afresh, unless a picture of that content and layout is kept: with `content_key`
    (what the panel draws, hashable) the last PICTURES_KEPT pictures are kept, so a chart shown before
    or painted ahead (`picture`) costs a blit. `show_ahead` puts a kept picture on screen before the scene
    holds its content (a drill's first frame); `set_dimmed` veils what is shown (another region's chart,
    its successor on its way)."""

    pixels: WidgetCache | None = None  # GraphicsView.__init__ resizes before ours runs
    _key: tuple | None = None  # the key of the picture on screen
    _ahead: tuple | None = None  # (content, layout) of a kept picture shown instead of the scene's
    _veil: QColor | None = None  # painted over the picture while dimmed
    SETTLE_PASSES = 4  # layout passes a paint runs before it takes the picture (pyqtgraph needs 1-2)

    def __init__(self, *args, content_key: Callable[[], object] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.content_key = content_key
        self._laid: dict = {}  # content key -> the layout its picture was made at by picture()
        # the plot's background is an opaque colour
        self.pixels = WidgetCache(opaque=True, keep=PICTURES_KEPT if content_key is not None else 1)
        self.scene().changed.connect(self.invalidate)

    def invalidate(self, *_: object) -> None:
        if self.pixels is not None:
            self.pixels.invalidate()
        self.viewport().update()

    def resizeEvent(self, ev) -> None:
        if self.pixels is not None:
            self.pixels.invalidate()
        super().resizeEvent(ev)

    def paintEvent(self, ev) -> None:
        if self.pixels is None:
            super().paintEvent(ev)
            return
        vp = self.viewport()
        # nothing changed since the last picture (every change of the scene invalidates it): that
        # picture's key, without laying out or measuring the scene again
        if self._ahead is not None and not self.pixels.has(vp, vp.devicePixelRatioF(), self._ahead):
            self._ahead = None  # not kept at this size (a resize came between): the scene's own picture
        if self._ahead is not None:
            key = self._ahead
        else:
            key = self._key if self.pixels.valid and self._key is not None else self._kept_key(vp)
            if key is None:
                key = self._remember(self.settle())
        self._key = key
        p = QPainter(vp)
        try:
            self.pixels.paint(vp, p, self._paint_scene, key)
            if self._veil is not None:
                p.fillRect(vp.rect(), self._veil)
        finally:
            p.end()

    def picture(self) -> QImage:
        """The picture of what the scene holds now, laid out as a paint would (kept: a later paint of
        the same content and layout is a blit). Not put on screen: the scene is changed for a picture
        painted ahead and put back, and a paint before the scene reports that (an expose, the clock's
        repaint) must show what was on screen, not the picture painted ahead."""
        vp = self.viewport()
        key = self._remember(self.settle())
        img = self.pixels.image(vp, vp.devicePixelRatioF(), self._paint_scene, key)
        self.pixels.invalidate()  # kept, not current: the next paint finds the picture of what the scene holds
        return img

    def has_picture(self, content: object) -> bool:
        """A picture of `content` is kept at the view's size (show_ahead would show it)."""
        layout = self._laid.get(content) if self.content_key is not None else None
        vp = self.viewport()
        return layout is not None and self.pixels.has(vp, vp.devicePixelRatioF(), (content, layout))

    def show_ahead(self, content: object) -> bool:
        """Show the kept picture of `content` (painted ahead, or shown before) while the scene still holds
        another chart, until `show_scene()`: a drill's first frame shows its region's chart as a blit, and
        the scene is drawn after that frame. False (nothing changes) when no picture of it is kept."""
        if not self.has_picture(content):
            return False
        layout = self._laid[content]
        if self._ahead != (content, layout):
            self._ahead = (content, layout)
            self.viewport().update()
        return True

    def show_scene(self) -> None:
        """Show what the scene holds again (after `show_ahead`)."""
        if self._ahead is not None:
            self._ahead = None
            self.invalidate()

    @property
    def showing_ahead(self) -> bool:
        return self._ahead is not None

    def set_dimmed(self, colour: QColor | None) -> None:
        """Veil the picture with `colour` (translucent), or show it plainly (None)."""
        if colour != self._veil:
            self._veil = None if colour is None else QColor(colour)
            self.viewport().update()

    @property
    def dimmed(self) -> bool:
        return self._veil is not None

    def _remember(self, key: tuple) -> tuple:
        """Keep the layout a content was settled at, for a later paint of the same content (see _kept_key)."""
        if self.content_key is not None:
            self._laid.pop(key[0], None)
            self._laid[key[0]] = key[1]
            while len(self._laid) > PICTURES_KEPT:
                self._laid.pop(next(iter(self._laid)))
        return key

    def _kept_key(self, vp) -> tuple | None:
        """The key of a kept picture of what the scene holds now, at this size (a chart painted ahead, or
        shown before a paint ahead changed the scene and put it back): blitted without laying the scene
        out first, which a drill's frame did (≈ 0.5 ms at 4K, issue 19). pyqtgraph lays the scene out
        in the posted events that follow and reports any change: the next paint settles it then, after
        the frame. None when there is none."""
        if self.content_key is None or not self._laid:
            return None
        content = self.content_key()
        layout = self._laid.get(content)
        if layout is None or not self.pixels.has(vp, vp.devicePixelRatioF(), (content, layout)):
            return None
        return content, layout

    def settle(self) -> tuple:
        """Lay the scene out as its next paint would, now, and return the key of its picture.

        pyqtgraph sizes its axes while preparing a paint (their tick texts) and lays out in posted
        events: without this a changed chart was rendered two to five times, first laid out the old way (a
        picture shown for one frame and never again), then again at the next event-loop turns."""
        scene, layout = self.scene(), self._layout_key()
        scratch: QImage | None = None  # an axis' picture is made on it
        for _ in range(self.SETTLE_PASSES):
            scene.prepareForPaint()  # what pyqtgraph's paintEvent does first
            items = scene.items()
            for it in items:  # an axis sizes itself for its tick texts when it makes its picture
                if isinstance(it, pg.AxisItem) and it.isVisible() and it.picture is None:
                    if scratch is None:
                        scratch = QImage(1, 1, QImage.Format.Format_ARGB32_Premultiplied)
                    q = QPainter(scratch)
                    try:
                        it.paint(q, None, None)  # keeps its picture: the render below only plays it
                    finally:
                        q.end()
            # only the scene's own layouts (posted to the graphics widgets holding them): the window's
            # widgets must not be laid out from inside a paint (pyqtgraph shadows `layout()`)
            for it in items:
                if isinstance(it, QGraphicsWidget) and QGraphicsWidget.layout(it) is not None:
                    QCoreApplication.sendPostedEvents(it, QEvent.Type.LayoutRequest)
            now = self._layout_key()
            if now == layout:
                break
            layout = now
        content = self.content_key() if self.content_key is not None else None
        return content, layout

    def _layout_key(self) -> tuple:
        """Where every item is: pyqtgraph lays out (axes, labels) in posted events and reports the
        change only at the next event-loop turn; a picture taken in between must not be reused."""
        return tuple(it.sceneBoundingRect().getRect() if it.isVisible() else None  # (hidden: where is moot)
                     for it in self.scene().items())

    def _paint_scene(self, p: QPainter) -> None:
        r = self.viewport().rect()
        QGraphicsView.render(self, p, QRectF(r), r)  # the scene through the view (prepared in settle)
