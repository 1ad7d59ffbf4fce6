"""风险 layer: each child region filled by its number of open risk hits, with the number on a chip above its name."""

from __future__ import annotations

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QFontMetricsF, QPainter, QPainterPath, QPen

from sandbox.ui.layers.base import MapView, Overlay
from sandbox.ui.risk import COUNT_BREAKS, RiskBoard, count_class
from sandbox.ui.theme import ui_font

__all__ = ["RiskLayer", "RISK_COLOURS", "RISK_KEY"]

# count class → fill (0 no open hit, 1 a few, 2 several, 3 many)
RISK_COLOURS = ("#2a3b4f", "#d8c34a", "#ee8a2a", "#d9413a")
# the key the panel shows (the indicator legend is hidden while this layer colours the map)
RISK_KEY = ((1, f"1–{COUNT_BREAKS[0] - 1} 条"), (2, f"{COUNT_BREAKS[0]}–{COUNT_BREAKS[1] - 1} 条"),
            (3, f"≥{COUNT_BREAKS[1]} 条"), (0, "无"))


class RiskLayer(Overlay):
    name = "risk"
    title_zh = "风险"

    def __init__(self) -> None:
        super().__init__()
        self.visible = False  # off until asked for: it covers the choropleth
        self.board: RiskBoard | None = None
        self._chips: list[tuple[QRectF, str, str]] = []
        self._paths: dict[str, QPainterPath] = {}

    def set_board(self, board: RiskBoard | None) -> None:
        self.board = board
        self.region = board.code if board is not None else None
        self.changed()

    def count_of(self, code: str) -> int:
        counts = self.board.children.get(code) if self.board is not None else None
        return counts.total if counts is not None else 0

    def colour_of(self, code: str) -> str:
        return RISK_COLOURS[count_class(self.count_of(code))]

    # -- overlay -------------------------------------------------------------------------------
    def layout(self, view: MapView) -> None:
        self._paths = dict(view.paths)
        m = view.metrics
        fm = QFontMetricsF(ui_font(m.px(14), bold=True))
        taken = [r.adjusted(-1, -1, 1, 1) for r in view.label_rects.values()]
        bounds = QRectF(0, 0, view.width, view.height)
        self._chips = []
        for code in (self.board.children if self.board is not None else ()):
            n = self.count_of(code)
            lr = view.label_rects.get(code)
            if lr is None or not n:
                continue
            text = f"线索 {n}"
            w, h = fm.horizontalAdvance(text) + 2 * m.px(6), fm.height() + m.px(2)
            box = QRectF(lr.center().x() - w / 2, lr.top() - h - m.px(1), w, h)
            if not bounds.contains(box) or any(box.intersects(t) for t in taken if t != lr.adjusted(-1, -1, 1, 1)):
                continue
            taken.append(box)
            self._chips.append((box, text, "#ffb199" if count_class(n) == 3 else "#ffe08a"))

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
