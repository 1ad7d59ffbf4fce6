"""VideoView: a camera tile's picture (the latest frame, letterboxed, repainted alone) and its state veil."""

from __future__ import annotations

from PySide6.QtCore import QRect, QRectF, Qt
from PySide6.QtGui import QFont, QImage, QPainter
from PySide6.QtWidgets import QSizePolicy, QWidget

from sandbox.ui.cameras.look import STATE_COLOR, STATE_TEXT, TEXT, VEIL, VIDEO_BG

__all__ = ["VideoView"]


class VideoView(QWidget):
    """Paints the latest frame (nearest-neighbour scale, letterboxed) and, when not live, a veil with the
    state word: one opaque widget, so a new frame repaints this rectangle only."""

    def __init__(self, tile) -> None:
        super().__init__(tile)
        self.tile = tile
        self.image: QImage | None = None
        self._target = QRect()
        self._image_size = None
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self._big, self._small = QFont(), QFont()
        self._big.setBold(True)
        self.surface = None  # a TileSurface that paints this picture with its wall's others (surface.py)
        self.paints = 0  # times the picture was drawn (benchmarks)

    def resizeEvent(self, e) -> None:  # noqa: N802
        super().resizeEvent(e)
        self._image_size = None
        h = self.height()
        grow = max(1.0, h / 1000)  # full screen on a 4K wall: the state words keep their share of the picture
        self._big.setPixelSize(max(16, min(int(96 * grow), int(h * 0.16))))
        self._small.setPixelSize(max(12, min(int(40 * grow), int(h * 0.065))))
        self.tile._video_resized(*self.device_size())

    def device_size(self) -> tuple[int, int]:
        """The picture box in device pixels (a 4K wall at 200 % scaling shows twice the logical size):
        what the decode scale must cover, so a frame is never decoded smaller than it is shown."""
        dpr = self.devicePixelRatioF()
        return round(self.width() * dpr), round(self.height() * dpr)

    def _fit(self, img: QImage) -> QRect:
        size = (img.width(), img.height())
        if size != self._image_size:
            self._image_size = size
            w, h = self.width(), self.height()
            s = min(w / max(1, size[0]), h / max(1, size[1]))
            tw, th = round(size[0] * s), round(size[1] * s)
            self._target = QRect((w - tw) // 2, (h - th) // 2, tw, th)
        return self._target

    def show_frame(self, img: QImage) -> None:
        """A new frame while live: repaint the picture's rectangle only (the letterbox bars stay)."""
        size = self._image_size
        self.image = img
        target = self._fit(img)
        self.refresh(target if size == self._image_size else None)  # a new size: the bars move too

    def refresh(self, rect: QRect | None = None) -> None:
        """Repaint `rect` (None: all): through the wall's surface if it paints this picture."""
        if self.surface is not None:
            self.surface.mark(self, rect)
        elif rect is None:
            self.update()
        else:
            self.update(rect)

    def paintEvent(self, e) -> None:  # noqa: N802
        p = QPainter(self)
        self.paint(p, e.rect())
        p.end()

    def paint(self, p: QPainter, dirty: QRect) -> None:
        """Draw the picture (and the veil when not live) with `p` at this view's origin; `dirty` is the
        part to draw, in this view's coordinates."""
        self.paints += 1
        img = self.image
        state = self.tile.state
        if img is None or img.isNull():
            p.fillRect(self.rect(), VIDEO_BG)
        else:
            target = self._fit(img)
            if not target.contains(dirty):  # the bars too: a full fill per frame costs as much as the picture
                r = self.rect()
                if target.top() > 0 or target.bottom() < r.bottom():
                    p.fillRect(QRect(0, 0, r.width(), target.top()), VIDEO_BG)
                    p.fillRect(QRect(0, target.bottom() + 1, r.width(), r.height() - target.bottom() - 1), VIDEO_BG)
                if target.left() > 0 or target.right() < r.right():
                    p.fillRect(QRect(0, 0, target.left(), r.height()), VIDEO_BG)
                    p.fillRect(QRect(target.right() + 1, 0, r.width() - target.right() - 1, r.height()), VIDEO_BG)
            if target.size() == img.size():
                p.drawImage(target.topLeft(), img)  # 1:1 (a frame decoded at ½, ¼ …): a plain copy
            else:
                p.drawImage(target, img)
        if state != "live":
            if img is not None:
                p.fillRect(self.rect(), VEIL)
            r = self.rect()
            p.setFont(self._big)
            p.setPen(STATE_COLOR[state])
            big_h = self._big.pixelSize() * 1.4
            p.drawText(QRectF(0, r.height() / 2 - big_h * 0.8, r.width(), big_h),
                       Qt.AlignmentFlag.AlignCenter, STATE_TEXT[state])
            detail = self.tile.detail_text()
            if detail:
                p.setFont(self._small)
                p.setPen(TEXT)
                p.drawText(QRectF(8, r.height() / 2 + big_h * 0.6, r.width() - 16, self._small.pixelSize() * 2.6),
                           Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop | Qt.TextFlag.TextWordWrap,
                           detail)
