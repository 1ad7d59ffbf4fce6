"""What the structure charts share: fonts shrunk to fit a narrow column, line heights, the centred message."""

from __future__ import annotations

import math

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QFont

from sandbox.ui.paint_cache import font_metrics
from sandbox.ui.panels.paint import Composition, PanelColors, TextItem

__all__ = ["ALIGN_CENTER", "ALIGN_LEFT", "ALIGN_RIGHT", "NO_POOR_TEXT", "line_height", "message", "shrunk_font"]

NO_POOR_TEXT = "当年无未脱贫户"
ALIGN_LEFT = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
ALIGN_RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
ALIGN_CENTER = Qt.AlignmentFlag.AlignCenter


def shrunk_font(font: QFont, factor: float) -> QFont:
    """`font` at `factor` of its size: a narrow column gets everything a little smaller rather than cut."""
    f = QFont(font)
    f.setPixelSize(max(1, math.floor(font.pixelSize() * factor)))
    return f


def line_height(font: QFont) -> float:
    return math.ceil(font_metrics(font).height())


def message(comp: Composition, text: str, font: QFont, w: float, h: float) -> Composition:
    comp.texts.append(TextItem.fitted(text, font, QRectF(0, 0, w, h), PanelColors.muted, ALIGN_CENTER, "message"))
    return comp
