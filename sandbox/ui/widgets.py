"""Small shared widgets of the wall."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QFontMetricsF, QPainter
from PySide6.QtWidgets import QLabel

from sandbox.ui.paint_cache import OUTLINE_PX, WidgetCache, draw_outline_text

__all__ = ["StrongLabel"]


class StrongLabel(QLabel):
    """A one-line QLabel whose bold text stays bold at any size (the stroke does the emboldening)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.pixels = WidgetCache()

    def paintEvent(self, event) -> None:
        font = self.font()
        if not font.bold() or font.pixelSize() < OUTLINE_PX or not self.text():
            super().paintEvent(event)
            return
        colour = self.palette().color(self.foregroundRole())
        key = (self.text(), font.key(), colour.rgba(), int(self.alignment().value), self.contentsRect())
        p = QPainter(self)
        try:
            self.pixels.paint(self, p, self._paint_text, key)
        finally:
            p.end()

    def _paint_text(self, p: QPainter) -> None:
        font = self.font()
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        fm = QFontMetricsF(font)
        r = self.contentsRect()
        text = fm.elidedText(self.text(), Qt.TextElideMode.ElideRight, r.width())
        width = fm.horizontalAdvance(text)
        align = self.alignment()
        if align & Qt.AlignmentFlag.AlignRight:
            x = r.right() - width
        elif align & Qt.AlignmentFlag.AlignHCenter:
            x = r.center().x() - width / 2.0
        else:
            x = r.left()
        y = r.top() + (r.height() - fm.height()) / 2.0 + fm.ascent()
        colour = self.palette().color(self.foregroundRole())
        draw_outline_text(p, x, y, font, text, colour, font.pixelSize() / 32.0)
