"""The map canvas's drill transitions: the old level zooms into (out of) the clicked region, the new one grows."""

# A mixin of sandbox.ui.map_canvas.MapCanvas: both levels are moved and faded from their cached pixels.

from __future__ import annotations

import time

from PySide6.QtCore import QRectF, QVariantAnimation
from PySide6.QtGui import QImage, QPainter, QTransform

from sandbox.ui.frame_timing.animation import Box, Similarity, ZoomPath, ease_in_out
from sandbox.ui.map_layer import MapLayer, halo_width, paint_base

__all__ = ["Transitions", "ZOOM_MS", "FADE_MS", "LABEL_BUDGET_S", "MAX_PIXEL_ZOOM"]

ZOOM_MS = 380  # drill in / out
FADE_MS = 260  # same region, new year or indicator data: the colours morph
LABEL_BUDGET_S = 0.006  # per animation frame: label sprites of the incoming level are made in slices
MAX_PIXEL_ZOOM = 1.25  # a level's cached pixels are drawn up to this zoom; beyond it, its vectors


def _qt(s: Similarity) -> QTransform:
    return QTransform(s.s, 0, 0, s.s, s.tx, s.ty)


def _box(r: QRectF) -> Box:
    return Box(r.x(), r.y(), r.width(), r.height())



class Transitions:
    """The drill / fade animation between the level left and the level shown."""

    @property
    def animating(self) -> bool:
        return self._old is not None

    def finish_transition(self) -> None:
        """Jump to the end of a running transition."""
        if self._anim.state() == QVariantAnimation.State.Running:
            self._anim.stop()
        self._end_transition()

    # -- transitions ----------------------------------------------------------------------------
    def _start_transition(self, old: MapLayer, old_code: str | None, left: QImage | None = None) -> None:
        """Animate from `old` (whose last full frame blitted the picture `left`, if any) to the level now set."""
        new, new_code = self._layer, self._shown_code
        self._left_image = None
        if not (self.animate and self.isVisible() and old.paths and new.paths):
            return
        if new_code in old.paths and new_code != old_code:  # drill in: the clicked region opens up
            self._zoom, self._zoom_in = ZoomPath(_box(old.paths[new_code].boundingRect()), _box(new.bounds())), True
        elif old_code in new.paths and new_code != old_code:  # back up: the level shrinks into its region
            self._zoom, self._zoom_in = ZoomPath(_box(old.bounds()), _box(new.paths[old_code].boundingRect())), False
        else:
            self._zoom = None  # a new year, a refresh, or a jump: cross-fade
        self._old = old
        if self._zoom is not None and self._zoom_in:
            self._left_image = left  # (freed when the zoom ends, not in the click)
        self._progress = 0.0
        self._anim.setDuration(ZOOM_MS if self._zoom else FADE_MS)
        self._anim.start()

    def _on_progress(self, value) -> None:
        self._progress = float(value)
        # The incoming labels are needed from mid-way: made in slices from the second frame on, not while
        # the transition is set up (setDuration and start() report values too), inside the apply, before
        # the drill's first frame.
        if self._progress > 0.0 and self._anim.state() == QVariantAnimation.State.Running:
            self._warm_labels(LABEL_BUDGET_S)
        self.update()

    def _warm_labels(self, budget: float) -> None:
        """Render the current level's label sprites for up to `budget` seconds (all when budget <= 0)."""
        halo, dpr = halo_width(self.metrics), self._dpr()
        stop = time.perf_counter() + budget
        for lab in self._layer.labels:
            if budget > 0 and time.perf_counter() > stop:
                return
            lab.sprites(halo, dpr)

    def _render_base(self) -> None:
        """The level on screen's picture, after the first frame that drew it from its vectors."""
        self._layer.base(self.metrics, self._dpr())

    def _end_transition(self) -> None:
        self._left_image = None
        if self._old is not None:
            self._old, self._zoom, self._progress = None, None, 1.0
            self._lit = self._highlight_area()
            self.update()
            self._sync_timer()
            self.transitionFinished.emit()

    def _paint_zoom_start(self, p: QPainter, dpr: float) -> bool:
        """A drill's first frame (progress 0) from the level left's own picture: the zoom starts from the
        level exactly as it was on screen (its layers too, for this one frame), so it is one opaque blit
        instead of the background and the level's pixels blended over it (≈ 1.4 ms at 4K, issue 19). Its
        map furniture (scale bar, north arrow, demo mark) is wiped to the background first: the new
        level's is drawn over it. False when there is no such picture (the caller paints it as any frame)."""
        left, old = self._left_image, self._old
        if left is None or self._zoom is None or not self._zoom_in or self._progress > 0.0:
            return False
        if left.width() != round(self.width() * dpr) or left.height() != round(self.height() * dpr):
            return False
        rm, left_rm = self.state.region_map, old.source
        if rm is None or left_rm is None or (rm.demo, rm.data_label) != (left_rm.demo, left_rm.data_label):
            return False  # another demo mark (or none): the left one would show through
        p.drawImage(0, 0, left)
        bg = self._background(dpr)
        for pos, img in self._chrome_pictures(dpr):  # (their rectangles: whole device pixels)
            w, h = img.width(), img.height()
            p.drawImage(QRectF(pos.x(), pos.y(), w / dpr, h / dpr), bg, QRectF(pos.x() * dpr, pos.y() * dpr, w, h))
        p.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        self._paint_cached(p, self._layer, dpr, transform=_qt(self._zoom.new_view(0.0)), label_opacity=0.0)
        return True

    def _paint_transition(self, p: QPainter, dpr: float) -> None:
        """Both levels from their cached pixels, moved and faded (a level blown up beyond
        MAX_PIXEL_ZOOM from its vectors). The incoming level is opaque from the first frame (a drill
        shows the new data at once, inside the clicked region); its labels fade in once the zoom has
        settled."""
        e = ease_in_out(self._progress)
        old, new = self._old, self._layer
        p.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        if self._zoom is None:
            self._paint_cached(p, old, dpr)
            self._paint_cached(p, new, dpr, opacity=e)
            return
        t_old, t_new = _qt(self._zoom.old_view(e)), _qt(self._zoom.new_view(e))
        labels_in = min(1.0, max(0.0, (e - 0.55) / 0.45))  # text only once the zoom has settled
        old_labels = max(0.0, 1.0 - 3 * e)
        if self._zoom_in:
            self._paint_cached(p, old, dpr, transform=t_old, opacity=1.0 - e, label_opacity=old_labels)
            self._paint_cached(p, new, dpr, transform=t_new, label_opacity=labels_in)
        else:
            self._paint_cached(p, new, dpr, transform=t_new, label_opacity=labels_in)
            self._paint_cached(p, old, dpr, transform=t_old, opacity=1.0 - e, label_opacity=old_labels)

    def _paint_cached(self, p: QPainter, layer: MapLayer, dpr: float, *, transform: QTransform | None = None,
                      opacity: float = 1.0, label_opacity: float = 1.0) -> None:
        if opacity <= 0.0 or not layer.paths:
            return
        m = self.metrics
        p.save()
        if transform is not None:
            p.setTransform(transform, True)
        p.setOpacity(opacity)
        first = transform is not None and layer is self._layer and not layer.has_base(m, dpr)
        if first or (transform is not None and transform.m11() > MAX_PIXEL_ZOOM):
            # Blown up, the cached pixels would thicken the borders, glow and base edge with the zoom:
            # those keep their screen widths (cosmetic pens), so this level is drawn with vectors: only
            # its regions on screen (plus the glow's and the extrusion's reach), the rest are off it; its
            # edges without antialiasing while it moves (see paint_base).
            # `first`: a level not rendered ahead, in its drill's first frame. It fills the clicked region
            # only, where its vectors (drawn as its picture would look, scaled) cost a fraction of its
            # whole picture at 4K (≈ 5-11 ms), which is rendered once this frame is on screen (issue 19).
            pad = m.px(6) + m.px(7) + 2
            screen = QRectF(-pad, -pad, self.width() + 2 * pad, self.height() + 2 * pad)
            inverse, ok = transform.inverted()
            small = first and transform.m11() <= MAX_PIXEL_ZOOM
            paint_base(p, layer, m, inverse.mapRect(screen) if ok else None, moving=not small, scaled=small)
            if first:
                self._base_timer.start()
        else:
            layer.base(m, dpr).draw(p)
        lo = opacity * label_opacity
        if lo > 0.0 and layer.labels:
            p.setOpacity(lo)
            for sprite in layer.label_sprites(m, dpr):
                sprite.draw(p)
        p.restore()

