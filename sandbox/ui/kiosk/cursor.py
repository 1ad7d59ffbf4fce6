"""Hides the mouse cursor after a few still seconds and brings it back on any movement or touch."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt, QTimer
from PySide6.QtGui import QCursor
from PySide6.QtWidgets import QApplication

__all__ = ["CursorHider"]

_WAKE = {QEvent.Type.MouseMove, QEvent.Type.HoverMove, QEvent.Type.MouseButtonPress, QEvent.Type.TouchBegin,
         QEvent.Type.TouchUpdate, QEvent.Type.Wheel, QEvent.Type.TabletMove}


class CursorHider(QObject):
    """One override cursor at most, so showing it again always restores the widget's own cursor."""

    def __init__(self, hide_after_seconds: float, parent: QObject | None = None):
        super().__init__(parent)
        self.hidden = False
        self._timer = QTimer(self, singleShot=True, interval=max(1, int(hide_after_seconds * 1000)))
        self._timer.timeout.connect(self.hide_cursor)
        QApplication.instance().installEventFilter(self)
        self._timer.start()

    def hide_cursor(self) -> None:
        if not self.hidden:
            QApplication.setOverrideCursor(QCursor(Qt.CursorShape.BlankCursor))
            self.hidden = True

    def show_cursor(self) -> None:
        if self.hidden:
            QApplication.restoreOverrideCursor()
            self.hidden = False
        self._timer.start()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() in _WAKE:
            self.show_cursor()
        return False

    def shutdown(self) -> None:
        QApplication.instance().removeEventFilter(self)
        self._timer.stop()
        if self.hidden:
            QApplication.restoreOverrideCursor()
            self.hidden = False
