"""督办 layer: each child region filled by its overdue share, with its open/overdue counts; a flash where one arrives live."""

from __future__ import annotations

import time

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QPen

from sandbox.ui.duty import DutyBoard, share_class
from sandbox.ui.layers.base import MapView
from sandbox.ui.layers.counts import CountLayer

__all__ = ["DutyLayer", "SHARE_COLOURS", "FLASH_S"]

# share class → fill (0 nothing open, 1 under 10 %, 2 under 30 %, 3 from 30 % overdue)
SHARE_COLOURS = ("#2a3b4f", "#2f9e5b", "#e0a526", "#d9413a")
FLASH_S = 3.0


class DutyLayer(CountLayer):
    name = "duty"
    title_zh = "督办"
    chip_priority = 2
    board: DutyBoard | None

    def __init__(self, clock=time.monotonic) -> None:
        super().__init__()
        self.clock = clock
        self.flashes: dict[str, float] = {}  # child code → when a live item arrived there

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

    def chip_of(self, code: str) -> tuple[str, str] | None:
        counts = self.board.children[code]
        if not counts.open and not counts.complaints_month:
            return None
        return f"待办 {counts.open} · 超期 {counts.overdue}", "#ff8a80" if counts.overdue else "#cfe8ff"

    def chip_rank(self, code: str) -> float:
        counts = self.board.children[code]
        return counts.overdue * 1000.0 + counts.open  # overdue items first

    # -- overlay (the flashes; the fill and chips are CountLayer's) ------------------------------
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

