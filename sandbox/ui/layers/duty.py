"""督办 layer: each child region filled by its overdue share, with its open/overdue counts; a flash where one arrives live."""

from __future__ import annotations

import time

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QFontMetricsF, QPainter, QPainterPath, QPen

from sandbox.ui.duty import DutyBoard, share_class
from sandbox.ui.layers.base import MapView, Overlay
from sandbox.ui.theme import ui_font

__all__ = ["DutyLayer", "SHARE_COLOURS", "FLASH_S"]

# share class → fill (0 nothing open, 1 under 10 %, 2 under 30 %, 3 from 30 % overdue)
SHARE_COLOURS = ("#2a3b4f", "#2f9e5b", "#e0a526", "#d9413a")
FLASH_S = 3.0


class DutyLayer(Overlay):
    name = "duty"
    title_zh = "督办"

    def __init__(self, clock=time.monotonic) -> None:
        super().__init__()
        self.visible = False  # off until asked for: it covers the choropleth
        self.clock = clock
        self.board: DutyBoard | None = None
        self.flashes: dict[str, float] = {}  # child code → when a live item arrived there
        self._chips: list[tuple[QRectF, str, str]] = []
        self._paths: dict[str, QPainterPath] = {}

    def set_board(self, board: DutyBoard | None) -> None:
        self.board = board
        self.region = board.code if board is not None else None
        self.changed()

    def child_of(self, code: str) -> str | None:
        """The child region on screen that `code` (a village or town) lies in."""
        if self.board is None:
            return None
        for child in self.board.children:
            prefix = child[:9] if child.endswith("000") else child
            if code.startswith(prefix):
                return child
        return None

    def flash(self, code: str) -> bool:
        child = self.child_of(code)
        if child is None:
            return False
        self.flashes[child] = self.clock()
        if self.on_change is not None:
            self.on_change()
        return True

    def colour_of(self, code: str) -> str:
        counts = self.board.children.get(code) if self.board is not None else None
        return SHARE_COLOURS[share_class(counts.overdue_share if counts else None)]

    # -- overlay -------------------------------------------------------------------------------
    def layout(self, view: MapView) -> None:
        self._paths = dict(view.paths)
        m = view.metrics
        fm = QFontMetricsF(ui_font(m.px(14), bold=True))
        taken = [r.adjusted(-1, -1, 1, 1) for r in view.label_rects.values()]
        bounds = QRectF(0, 0, view.width, view.height)
        self._chips = []
        for code, counts in (self.board.children.items() if self.board is not None else ()):
            lr = view.label_rects.get(code)
            if lr is None or not counts.open and not counts.complaints_month:
                continue
            text = f"待办 {counts.open} · 超期 {counts.overdue}"
            w, h = fm.horizontalAdvance(text) + 2 * m.px(6), fm.height() + m.px(2)
            box = QRectF(lr.center().x() - w / 2, lr.top() - h - m.px(1), w, h)  # above: 走访 chips go below
            if not bounds.contains(box) or any(box.intersects(t) for t in taken if t != lr.adjusted(-1, -1, 1, 1)):
                continue
            taken.append(box)
            self._chips.append((box, text, "#ff8a80" if counts.overdue else "#cfe8ff"))

    def chips(self) -> list[tuple[QRectF, str]]:
        return [(QRectF(b), t) for b, t, _ in self._chips]

    def paint_static(self, p: QPainter, view: MapView) -> None:
        if self.board is None:
            return
        m = view.metrics
        p.save()
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.setPen(QPen(QColor(2, 6, 13, 200), max(1.0, m.px(1))))
        for code, path in self._paths.items():
            fill = QColor(self.colour_of(code))
            fill.setAlpha(215)  # the choropleth only shows through: this is the map's colour now
            p.setBrush(fill)
            p.drawPath(path)
        p.setFont(ui_font(m.px(14), bold=True))
        for box, text, colour in self._chips:
            p.setPen(QPen(QColor(colour), max(1.0, m.px(1.2))))
            p.setBrush(QColor(2, 6, 13, 210))
            p.drawRoundedRect(box, box.height() / 2, box.height() / 2)
            p.setPen(QColor(colour))
            p.drawText(box, Qt.AlignmentFlag.AlignCenter, text)
        p.restore()

    def _alive(self, now: float) -> list[tuple[str, float]]:
        return [(c, now - t0) for c, t0 in self.flashes.items() if 0 <= now - t0 < FLASH_S]

    def paint_frame(self, p: QPainter, view: MapView, now: float) -> None:
        alive = self._alive(now)
        if not alive:
            return
        p.save()
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.setBrush(Qt.BrushStyle.NoBrush)
        for code, age in alive:
            path = self._paths.get(code)
            if path is None:
                continue
            colour = QColor("#ffffff")
            colour.setAlphaF(max(0.0, 1.0 - age / FLASH_S))
            p.setPen(QPen(colour, view.metrics.px(4)))
            p.drawPath(path)
        p.restore()

    def animating(self, now: float) -> bool:
        if not self.flashes:
            return False
        if not self._alive(now):
            self.flashes.clear()
            return False
        return True

    def frame_rect(self) -> QRectF:
        out = QRectF()
        for code in self.flashes:
            path = self._paths.get(code)
            if path is not None:
                out = out.united(path.boundingRect().adjusted(-8, -8, 8, 8))
        return out

    def hit(self, pos):
        return None
