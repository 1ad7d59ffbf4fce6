"""A map layer coloured by a board's per-region counts: each child region filled by its class, its counts on a chip
above its name (the base of the 风险 and 督办 layers)."""

from __future__ import annotations

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QFontMetricsF, QPainter, QPainterPath, QPen

from sandbox.ui.layers.base import MapView, Overlay
from sandbox.ui.theme import ui_font

__all__ = ["CountLayer"]


class CountLayer(Overlay):
    """A board (its `code` and `children`: child code → counts) on the map; a subclass says each child's fill
    (`colour_of`) and chip (`chip_of`)."""

    def __init__(self) -> None:
        super().__init__()
        self.visible = False  # off until asked for: it covers the choropleth
        self.board = None
        self._chips: list[tuple[QRectF, str, str]] = []
        self._paths: dict[str, QPainterPath] = {}

    def set_board(self, board) -> None:
        self.board = board
        self.region = board.code if board is not None else None
        self.changed()

    def colour_of(self, code: str) -> str:
        raise NotImplementedError

    def chip_of(self, code: str) -> tuple[str, str] | None:
        """(text, colour) of the chip above the child's name, or None for no chip."""
        raise NotImplementedError

    # -- overlay -------------------------------------------------------------------------------
    def layout(self, view: MapView) -> None:
        self._paths = dict(view.paths)
        m = view.metrics
        fm = QFontMetricsF(ui_font(m.px(14), bold=True))
        taken = [r.adjusted(-1, -1, 1, 1) for r in view.label_rects.values()]
        bounds = QRectF(0, 0, view.width, view.height)
        self._chips = []
        for code in (self.board.children if self.board is not None else ()):
            lr = view.label_rects.get(code)
            chip = self.chip_of(code) if lr is not None else None
            if chip is None:
                continue
            text, colour = chip
            w, h = fm.horizontalAdvance(text) + 2 * m.px(6), fm.height() + m.px(2)
            box = QRectF(lr.center().x() - w / 2, lr.top() - h - m.px(1), w, h)  # above: 走访 chips go below
            if not bounds.contains(box) or any(box.intersects(t) for t in taken if t != lr.adjusted(-1, -1, 1, 1)):
                continue
            taken.append(box)
            self._chips.append((box, text, colour))

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

    def hit(self, pos):
        return None
