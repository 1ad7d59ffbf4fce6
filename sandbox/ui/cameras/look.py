"""Colours and words of the camera tiles (dark wall theme), in one place."""

from __future__ import annotations

from PySide6.QtGui import QColor

from sandbox.ui.palette import Colors

__all__ = ["STATE_TEXT", "STATE_COLOR", "TILE_BG", "VIDEO_BG", "BORDER", "MUTED", "TEXT", "VEIL"]

STATE_TEXT = {"connecting": "连接中", "live": "直播", "stalled": "信号中断", "down": "无信号", "blocked": "地址不允许"}
STATE_COLOR = {
    "connecting": QColor(Colors.accent),
    "live": QColor("#3ddc84"),
    "stalled": QColor("#ff5a5a"),
    "down": QColor("#9aa7b8"),
    "blocked": QColor(Colors.demo),
}
TILE_BG = QColor(Colors.panel)
VIDEO_BG = QColor("#02060d")
BORDER = QColor(Colors.panel_border)
MUTED = QColor(Colors.text_muted)
TEXT = QColor(Colors.text)
VEIL = QColor(6, 16, 31, 185)  # over a frozen picture: dim it so the state word reads
