"""A map layer coloured by a board's per-region counts: each child region filled by its class, its counts on a chip
above its name (the base of the 风险 and 督办 layers)."""

from __future__ import annotations

from PySide6.QtCore import QRectF
from PySide6.QtGui import QColor, QPainter, QPainterPath, QPen

from sandbox.ui.layers.base import MapView, Overlay
from sandbox.ui.layers.chips import Chip, ChipPlacer, chip_size, paint_chips

__all__ = ["CountLayer"]


class CountLayer(Overlay):
    """A board (its `code` and `children`: child code → counts) on the map; a subclass says each child's fill
    (`colour_of`) and chip (`chip_of`). Its chips are placed with the other layers' (`placer`: the wall's
    shares one, so no chip covers another or a marker)."""

    chip_priority = 2

    def __init__(self) -> None:
        super().__init__()
        self.visible = False  # off until asked for: it covers the choropleth
        self.board = None
        self._candidates: list[Chip] = []
        self._view: MapView | None = None
        self._paths: dict[str, QPainterPath] = {}
        ChipPlacer().add_chips(self)  # alone until the wall shares its placer

    def set_board(self, board) -> None:
        self.board = board
        self.region = board.code if board is not None else None
        self.changed()

    def colour_of(self, code: str) -> str:
        raise NotImplementedError

    def chip_of(self, code: str) -> tuple[str, str] | None:
        """(text, colour) of the chip above the child's name, or None for no chip."""
        raise NotImplementedError

    def chip_rank(self, code: str) -> float:
        """Which of its chips go first when they compete for room (higher first)."""
        return 0.0

    # -- overlay -------------------------------------------------------------------------------
    def layout(self, view: MapView) -> None:
        self._paths = dict(view.paths)
        self._view = view
        m = view.metrics
        px = m.px(14)
        self._candidates = []
        for code in (self.board.children if self.board is not None else ()):
            chip = self.chip_of(code) if code in view.label_rects else None
            if chip is not None:
                text, colour = chip  # above the name: 走访 chips go below
                self._candidates.append(Chip(code, text, colour, chip_size(text, px, m.px(6), m.px(2)), px,
                                             below=False, rank=self.chip_rank(code)))

    def chip_candidates(self) -> list[Chip]:
        return list(self._candidates)

    def chips(self) -> list[tuple[QRectF, str]]:
        """The chips on screen (text and place), "+N" badges included."""
        if self._view is None or not self.active(self._view):
            return []
        return [(QRectF(c.box), c.text) for c in self.placer.placed(self, self._view)]

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
        p.restore()
        if not self.placer.on_canvas:  # else the wall's placer paints every layer's chips, on top
            paint_chips(p, self.placer.placed(self, view), view, 210)

    def hit(self, pos):
        return None
