"""The map canvas's painting: the frame from cached pictures, the static picture, the layers' pixels, the chrome."""

# A mixin of sandbox.ui.map_canvas.MapCanvas (see its module docstring for what is cached and why).

from __future__ import annotations

import math

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFontMetricsF, QImage, QPainter, QPaintEvent, QPen, QPolygonF, QRadialGradient

from sandbox.ui.layers.base import Overlay
from sandbox.ui.layers.legend import paint_legend
from sandbox.ui.map_layer import paint_highlight
from sandbox.ui.map_ready import READY_KEPT
from sandbox.ui.theme import Colors, ui_font

__all__ = ["MapPainting", "CHROME_KEPT"]

# the furniture's pictures: a north arrow, a demo mark, a scale bar per level and map width (≤ 0.2 MB each at 4K)
CHROME_KEPT = 24


class MapPainting:
    """paintEvent and the pictures it blits."""

    def _dpr(self) -> float:
        return self.devicePixelRatioF()

    def paintEvent(self, event: QPaintEvent) -> None:
        p = QPainter(self)
        try:
            dpr = p.device().devicePixelRatioF()  # the screen's, or 1 when rendered into an image
            p.setRenderHint(QPainter.RenderHint.Antialiasing)
            p.setRenderHint(QPainter.RenderHint.TextAntialiasing)
            if self._old is not None:
                if not self._paint_zoom_start(p, dpr):
                    p.drawImage(0, 0, self._background(dpr))
                    self._paint_transition(p, dpr)
                p.setOpacity(1.0)
                p.resetTransform()
                self._paint_chrome(p)
            else:
                overlays = self.active_overlays()
                if overlays and self._holding() and self._composite is None:
                    # A drill's data is on its way: this level is about to go, so its layers' pixels are
                    # not rendered again for the frame its click shows (≈ 30-50 ms at 4K), only once the
                    # wait is long enough to say 正在载入 (a slow answer keeps the layers on screen).
                    self._paint_plain(p, dpr)
                    self._layers_stale = True  # the layers come back when the wait ends (set_busy)
                    self._shown_image = None
                elif overlays:
                    self._paint_live(p, dpr, overlays)
                else:
                    self._shown_image = self._static_image(dpr)
                    p.drawImage(0, 0, self._shown_image)
                    self._paint_highlight(p, dpr)
            self._paint_pills(p)
        finally:
            p.end()  # an exception must never leave the backing store with an active painter

    def _paint_plain(self, p: QPainter, dpr: float) -> None:
        """The level without its layers, from its cached pixels (no 4K picture rendered)."""
        p.drawImage(0, 0, self._background(dpr))
        if self._layer.paths:
            self._paint_cached(p, self._layer, dpr)
        else:
            self._paint_placeholder(p)
        self._paint_chrome(p)
        self._paint_highlight(p, dpr)

    def _paint_chrome(self, p: QPainter) -> None:
        for pos, img in self._chrome_pictures(p.device().devicePixelRatioF()):
            p.drawImage(pos, img)

    def _chrome_pictures(self, dpr: float, fit=None) -> list[tuple[QPointF, QImage]]:
        """The map's furniture (north arrow, scale bar, demo mark), each a transparent picture of its
        rectangle (grown by a few pixels, on whole device pixels) at its place, painted once: every frame
        of a drill drew their polygon, lines and texts (≈ 0.5 ms at 4K, issue 19). The scale bar is one
        per level's scale (`fit`: a level prepared ahead of its drill makes its own, see `prepare`)."""
        m, out = self.metrics, []
        if self._layer.paths or fit is not None:
            out.append(self._chrome_piece(("north", dpr, m), dpr, self._north_arrow_rect, self._paint_north_arrow))
            scale = self._scale_bar_length(fit)
            if scale is not None:
                out.append(self._chrome_piece(("scale", dpr, m, self.height(), scale), dpr, self._scale_bar_rect,
                                              lambda p, s=scale: self._paint_scale_bar(p, s)))
        rm = self.state.region_map
        if fit is None and rm is not None and (rm.demo or rm.data_label):
            key = ("demo", dpr, m, self.width(), rm.demo, rm.data_label,
                   tuple(r.getRect() for r in self.label_obstacles))
            out.append(self._chrome_piece(key, dpr, self.demo_mark_rect, self._paint_demo_mark))
        return out

    def _chrome_piece(self, key: tuple, dpr: float, rect, paint) -> tuple[QPointF, QImage]:
        kept = self._chrome.get(key)
        if kept is None:
            r = rect()
            r = r if isinstance(r, QRectF) else QRectF(r.x, r.y, r.w, r.h)
            kept = self._chrome[key] = self._chrome_picture(r, dpr, paint)
            while len(self._chrome) > CHROME_KEPT:
                self._chrome.popitem(last=False)
        else:
            self._chrome.move_to_end(key)
        return kept

    def _chrome_picture(self, rect: QRectF, dpr: float, paint) -> tuple[QPointF, QImage]:
        pad = self.metrics.px(4) * dpr
        d = QRectF(rect.x() * dpr, rect.y() * dpr, rect.width() * dpr, rect.height() * dpr)
        d = d.adjusted(-pad, -pad, pad, pad).toAlignedRect()
        img = QImage(max(1, d.width()), max(1, d.height()), QImage.Format.Format_ARGB32_Premultiplied)
        img.setDevicePixelRatio(dpr)
        img.fill(0)
        q = QPainter(img)
        try:
            q.translate(-d.x() / dpr, -d.y() / dpr)
            q.setRenderHint(QPainter.RenderHint.Antialiasing)
            q.setRenderHint(QPainter.RenderHint.TextAntialiasing)
            paint(q)
        finally:
            q.end()
        return QPointF(d.x() / dpr, d.y() / dpr), img

    def _static_image(self, dpr: float) -> QImage:
        """Background, the level (base and labels), north arrow, scale bar and demo mark: opaque, one blit."""
        key = (self._version, self.width(), self.height(), dpr, self.metrics)
        if self._static is None or self._static[0] != key:
            img = self._from_ready("static", dpr)
            if img is None:
                img = self._render_static(dpr)
                self.cache_stats["static"] += 1
            self._static = (key, img)
        return self._static[1]

    def _render_static(self, dpr: float, overlay: QImage | None = None) -> QImage:
        img = QImage(max(1, round(self.width() * dpr)), max(1, round(self.height() * dpr)),
                     QImage.Format.Format_RGB32)  # opaque: blitted as a plain copy
        img.setDevicePixelRatio(dpr)
        p = QPainter(img)
        try:
            p.drawImage(0, 0, self._background(dpr))
            p.setRenderHint(QPainter.RenderHint.Antialiasing)
            p.setRenderHint(QPainter.RenderHint.TextAntialiasing)
            if self._layer.paths:
                if overlay is None:
                    self._paint_cached(p, self._layer, dpr)
                else:  # the layers go between the regions and their labels: text always stays readable
                    self._paint_cached(p, self._layer, dpr, label_opacity=0.0)
                    p.drawImage(0, 0, overlay)
                    for sprite in self._layer.label_sprites(self.metrics, dpr):
                        sprite.draw(p)
            else:
                self._paint_placeholder(p)
            self._paint_chrome(p)
        finally:
            p.end()
        return img

    # -- live layers' painting ------------------------------------------------------------------
    def _overlay_key(self, overlays: list[Overlay]) -> tuple:
        v = self.view()
        return (v.key if v else None, tuple((ov.name, ov.version) for ov in overlays))

    def _overlay_image(self, dpr: float, overlays: list[Overlay]) -> QImage:
        """The static pixels of the visible layers (markers, curves, points, legend), transparent elsewhere."""
        key = (self._overlay_key(overlays), dpr)
        if self._overlay_img is None or self._overlay_img[0] != key:
            img = self._from_ready(("overlay", self._versions(overlays)), dpr)
            if img is not None:
                self._overlay_img = (key, img)
                return img
            v = self.view()
            img = QImage(max(1, round(self.width() * dpr)), max(1, round(self.height() * dpr)),
                         QImage.Format.Format_ARGB32_Premultiplied)
            img.setDevicePixelRatio(dpr)
            img.fill(0)
            p = QPainter(img)
            try:
                p.setRenderHint(QPainter.RenderHint.Antialiasing)
                p.setRenderHint(QPainter.RenderHint.TextAntialiasing)
                for ov in overlays:
                    ov.ensure_layout(v)
                    ov.paint_static(p, v)
                paint_legend(p, v, overlays, self.legend_rect())
            finally:
                p.end()
            self._overlay_img = (key, img)
            self.overlay_stats["overlay"] += 1
        return self._overlay_img[1]

    def _composite_image(self, dpr: float, overlays: list[Overlay]) -> QImage:
        """The static picture with the layers' static pixels under its labels: one opaque blit per frame."""
        key = (self._version, self.width(), self.height(), dpr, self.metrics, self._overlay_key(overlays))
        if self._composite is None or self._composite[0] != key:
            img = self._from_ready(("composite", self._versions(overlays)), dpr)
            if img is None:
                img = self._render_static(dpr, self._overlay_image(dpr, overlays))
                self.overlay_stats["composite"] += 1
            self._composite = (key, img)
        return self._composite[1]

    def _paint_live(self, p: QPainter, dpr: float, overlays: list[Overlay]) -> None:
        self._shown_image = self._composite_image(dpr, overlays)
        p.drawImage(0, 0, self._shown_image)
        self._paint_highlight(p, dpr, self._overlay_image(dpr, overlays))
        v, now = self.view(), self.clock()
        for ov in overlays:
            ov.ensure_layout(v)
            ov.paint_frame(p, v, now)
        self.overlay_stats["frames"] += 1

    def _paint_highlight(self, p: QPainter, dpr: float, overlay: QImage | None = None) -> None:
        """Hover and selection over the static picture: one blit of their own rectangle's picture, made
        when they (or the picture under them) change, not on every frame (see `_highlight_image`)."""
        lit = self._highlight_image(dpr, overlay)
        if lit is not None:
            p.drawImage(lit[0], lit[1])

    def _highlight_image(self, dpr: float, overlay: QImage | None) -> tuple[QPointF, QImage] | None:
        """The highlight's rectangle as a full repaint draws it (background, base, highlight, layers,
        labels, chrome), opaque, at its place on the widget; None without a highlight. A wall keeps
        the region last drilled from selected (and a touch leaves its region hovered) all day: painting
        them afresh every frame made the settled map ≈ 1.5 ms dearer at 4K after a tour (issue 19)."""
        area = self._highlight_area()
        if area.isEmpty():
            return None
        st, m = self.state, self.metrics
        # The rectangle in whole device pixels: the picture lands on the same pixel grid as the frame.
        x0, y0 = max(0, math.floor(area.left() * dpr)), max(0, math.floor(area.top() * dpr))
        x1 = min(round(self.width() * dpr), math.ceil(area.right() * dpr))
        y1 = min(round(self.height() * dpr), math.ceil(area.bottom() * dpr))
        if x1 <= x0 or y1 <= y0:
            return None
        key = (self._version, self.width(), self.height(), dpr, m, st.hovered_code, st.selected_code,
               overlay.cacheKey() if overlay is not None else None, x0, y0, x1, y1)
        if self._lit_image is not None and self._lit_image[0] == key:
            return self._lit_image[1], self._lit_image[2]
        layer = self._layer
        img = QImage(x1 - x0, y1 - y0, QImage.Format.Format_RGB32)
        img.setDevicePixelRatio(dpr)
        q = QPainter(img)
        try:
            q.translate(-x0 / dpr, -y0 / dpr)
            q.setRenderHint(QPainter.RenderHint.Antialiasing)
            q.setRenderHint(QPainter.RenderHint.TextAntialiasing)
            q.drawImage(0, 0, self._background(dpr))
            layer.base(m, dpr).draw(q)
            paint_highlight(q, layer, m, st.hovered_code, st.selected_code)
            if overlay is not None:
                q.drawImage(0, 0, overlay)
            shown = QRectF(x0 / dpr, y0 / dpr, (x1 - x0) / dpr, (y1 - y0) / dpr)
            for sprite in layer.label_sprites(m, dpr):
                if sprite.rect().intersects(shown):
                    sprite.draw(q)
            self._paint_chrome(q)
        finally:
            q.end()
        self.cache_stats["highlight"] += 1
        self._lit_image = (key, QPointF(x0 / dpr, y0 / dpr), img)
        return self._lit_image[1], img

    def _background(self, dpr: float) -> QImage:
        key = (self.width(), self.height(), dpr)
        img = self._bgs.get(key)
        if img is None:
            img = QImage(max(1, round(self.width() * dpr)), max(1, round(self.height() * dpr)),
                         QImage.Format.Format_RGB32)
            img.setDevicePixelRatio(dpr)
            p = QPainter(img)
            r = QRectF(0, 0, self.width(), self.height())
            g = QRadialGradient(r.center(), max(r.width(), r.height()) * 0.6)
            g.setColorAt(0.0, QColor("#0e2748"))
            g.setColorAt(1.0, QColor(Colors.background))
            p.fillRect(r, g)
            p.end()
            self.cache_stats["background"] += 1
        self._bgs[key] = img
        self._bgs.move_to_end(key)
        while len(self._bgs) > READY_KEPT:
            self._bgs.popitem(last=False)
        return img

    def _paint_placeholder(self, p: QPainter) -> None:
        p.setPen(QColor(Colors.text_muted))
        p.setFont(ui_font(self.metrics.title_px))
        p.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap, self.placeholder)

    def _show_busy(self) -> None:
        self._busy_shown = bool(self._busy_text)
        self.update()

    def _paint_pills(self, p: QPainter) -> None:
        """Top-centre messages: the transient note (amber) above the loading pill (cyan)."""
        m = self.metrics
        y = m.px(16)
        for text, colour in ((self._note, Colors.demo),
                             (self._busy_text if self._busy_shown else None, Colors.accent)):
            if not text:
                continue
            font = ui_font(m.body_px, bold=True)
            fm = QFontMetricsF(font)
            w, h = fm.horizontalAdvance(text) + 2 * m.px(24), fm.height() + 2 * m.px(10)
            rect = QRectF((self.width() - w) / 2.0, y, w, h)
            fill = QColor("#081a30")
            fill.setAlpha(235)
            p.setBrush(fill)
            p.setPen(QPen(QColor(colour), m.px(2)))
            p.drawRoundedRect(rect, h / 2.0, h / 2.0)
            p.setPen(QColor(colour))
            p.setFont(font)
            p.drawText(rect, Qt.AlignmentFlag.AlignCenter, text)
            y += h + m.px(8)

    def _paint_demo_mark(self, p: QPainter) -> None:
        rect = self.demo_mark_rect()
        if rect is None:
            return
        m = self.metrics
        fill = QColor(Colors.demo)
        fill.setAlpha(40)
        p.setBrush(fill)
        p.setPen(QPen(QColor(Colors.demo), m.px(2)))
        p.drawRoundedRect(rect, m.px(6), m.px(6))
        p.setPen(QColor(Colors.demo))
        p.setFont(ui_font(m.body_px, bold=True))
        p.drawText(rect, Qt.AlignmentFlag.AlignCenter, self._demo_text())

    def _paint_north_arrow(self, p: QPainter) -> None:
        m = self.metrics
        x, y, h = m.px(44), m.px(22), m.px(40)
        arrow = QPolygonF([QPointF(x, y), QPointF(x + h * 0.32, y + h), QPointF(x, y + h * 0.75),
                           QPointF(x - h * 0.32, y + h)])
        p.setPen(QPen(QColor(Colors.accent), m.px(1.5)))
        p.setBrush(QColor(Colors.accent_dim))
        p.drawPolygon(arrow)
        p.setPen(QColor(Colors.text))
        p.setFont(ui_font(m.small_px, bold=True))
        p.drawText(QRectF(x + h * 0.4, y, m.px(40), h * 0.7), Qt.AlignmentFlag.AlignVCenter, "北")

    def _scale_bar_length(self, fit=None) -> tuple[float, float] | None:
        """The scale bar's kilometres and its length on screen, for the level on screen or `fit`'s (None
        without a fitted map)."""
        fit = fit or self._fit
        if fit is None:
            return None
        km = _nice_length(fit.km_per_pixel() * self.metrics.px(160))
        return km, km / fit.km_per_pixel()

    def _paint_scale_bar(self, p: QPainter, scale: tuple[float, float] | None = None) -> None:
        scale = scale or self._scale_bar_length()
        if scale is None:
            return
        m = self.metrics
        r = self._scale_bar_rect()
        km, length = scale
        x0, y0 = r.x + m.px(4), r.y + r.h - m.px(10)
        p.setPen(QPen(QColor(Colors.text), m.px(2)))
        p.drawLine(QPointF(x0, y0), QPointF(x0 + length, y0))
        for x in (x0, x0 + length):
            p.drawLine(QPointF(x, y0), QPointF(x, y0 - m.px(8)))
        p.setFont(ui_font(m.small_px))
        text = f"{km:g} 公里"
        p.drawText(QRectF(x0, r.y, max(length, m.px(120)), r.h - m.px(16)),
                   Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignBottom, text)




def _nice_length(km: float) -> float:
    """Largest 1-2-5 × 10ⁿ length not above km."""
    if km <= 0:
        return 1.0
    e = 10 ** math.floor(math.log10(km))
    return max(n * e for n in (1, 2, 5) if n * e <= km)
