"""A frameless full-screen window with no way out but the exit key combination and the PIN."""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QGuiApplication, QKeyEvent
from PySide6.QtWidgets import QApplication, QWidget

from sandbox.ui.kiosk.cursor import CursorHider
from sandbox.ui.kiosk.pin_pad import PinPad

__all__ = ["KioskFrame", "ExitCombo", "ScreenPlacement", "place", "kiosk_application"]

log = logging.getLogger(__name__)

_MODIFIER_FLAGS = {
    "ctrl": Qt.KeyboardModifier.ControlModifier, "alt": Qt.KeyboardModifier.AltModifier,
    "shift": Qt.KeyboardModifier.ShiftModifier, "meta": Qt.KeyboardModifier.MetaModifier,
}
_ALL_MODS = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.AltModifier | \
    Qt.KeyboardModifier.ShiftModifier | Qt.KeyboardModifier.MetaModifier


def kiosk_application() -> QApplication:
    """The application with the wall's theme; a window the shell hides on close never quits it."""
    from sandbox.ui.collector import collect_on_gui_thread
    from sandbox.ui.theme import apply_theme

    app = QApplication.instance() or QApplication([sys.argv[0] if sys.argv else "sandbox-kiosk"])
    app.setQuitOnLastWindowClosed(False)  # only the operator's PIN ends the kiosk (app.exit)
    apply_theme(app)
    collect_on_gui_thread(app)
    return app


@dataclass(frozen=True)
class ExitCombo:
    """e.g. modifiers {"ctrl", "alt", "shift"} and key "Q" (as sandbox.kiosk.config.parse_combo returns)."""

    modifiers: frozenset[str] = frozenset({"ctrl", "alt", "shift"})
    key: str = "Q"

    @property
    def qt_key(self) -> int:
        if len(self.key) == 1:
            return ord(self.key.upper())  # Qt's key codes for A-Z and 0-9 are their ASCII codes
        return int(getattr(Qt.Key, f"Key_{self.key}"))

    @property
    def qt_modifiers(self) -> Qt.KeyboardModifier:
        flags = Qt.KeyboardModifier.NoModifier
        for m in self.modifiers:
            flags |= _MODIFIER_FLAGS[m]
        return flags

    def matches(self, event: QKeyEvent) -> bool:
        return event.key() == self.qt_key and (event.modifiers() & _ALL_MODS) == self.qt_modifiers


@dataclass(frozen=True)
class ScreenPlacement:
    monitor: int | str = 0  # index or name
    geometry: tuple[int, int, int, int] | None = None  # spans a video wall
    windowed: bool = False


def place(widget: QWidget, where: ScreenPlacement) -> None:
    """Show `widget` frameless on the configured monitor (full screen) or over the configured geometry."""
    if where.windowed:
        widget.resize(1920, 1080)
        widget.show()
        return
    widget.setWindowFlag(Qt.WindowType.FramelessWindowHint, True)
    if where.geometry is not None:
        x, y, w, h = where.geometry
        # Not showFullScreen: a full-screen window belongs to one monitor; a wall spans several.
        widget.setGeometry(x, y, w, h)
        widget.show()
        return
    screens = QGuiApplication.screens()
    screen = None
    if isinstance(where.monitor, int):
        screen = screens[where.monitor] if where.monitor < len(screens) else None
    else:
        screen = next((s for s in screens if s.name() == where.monitor), None)
    if screen is None:
        # A missing monitor is a cable, not a reason for a blank wall: use the primary and say so.
        log.warning("kiosk: monitor %r not found (have %s); using the primary screen", where.monitor,
                    ", ".join(s.name() for s in screens))
        screen = QGuiApplication.primaryScreen()
    widget.setGeometry(screen.geometry())
    widget.show()  # creates the native window, so that it can be moved to the screen
    if widget.windowHandle() is not None:
        widget.windowHandle().setScreen(screen)
    widget.showFullScreen()


class KioskFrame(QWidget):
    """Ignores close requests (Alt+F4, the window manager) and swallows the usual quit keys; the exit
    combination opens the PIN pad and only the right PIN emits `exitRequested`."""

    exitRequested = Signal()
    pinPadOpened = Signal()

    def __init__(self, *, verify_pin: Callable[[str], bool], combo: ExitCombo = ExitCombo(),
                 hide_cursor_after: float = 3.0, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("kioskFrame")
        self.setWindowTitle("扶贫电子沙盘")
        self.setAttribute(Qt.WidgetAttribute.WA_AcceptTouchEvents, True)
        self.combo = combo
        self._exiting = False
        self.pin_pad = PinPad(verify_pin, self)
        self.pin_pad.accepted.connect(self._on_pin_accepted)
        self.cursor = CursorHider(hide_cursor_after, self)
        QApplication.instance().installEventFilter(self)

    @property
    def exiting(self) -> bool:
        return self._exiting

    def request_exit(self) -> None:
        """The exit combination: ask for the PIN."""
        if not self.pin_pad.isVisible():
            self.pin_pad.open()
            self.pinPadOpened.emit()

    def _on_pin_accepted(self) -> None:
        log.info("kiosk: exit by operator (PIN accepted)")
        self._exiting = True
        self.exitRequested.emit()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.KeyPress:
            if self.combo.matches(event):
                self.request_exit()
                return True
            mods = event.modifiers()
            if (event.key() == Qt.Key.Key_F4 and mods & Qt.KeyboardModifier.AltModifier) or (
                    event.key() in (Qt.Key.Key_Q, Qt.Key.Key_W) and mods & Qt.KeyboardModifier.ControlModifier):
                return True  # the usual ways out are no way out here
        return self.filter_event(watched, event)

    def filter_event(self, watched: QObject, event: QEvent) -> bool:
        """For subclasses: the rest of the application-wide event filter."""
        return False

    def closeEvent(self, event) -> None:
        if not self._exiting:
            event.ignore()
            return
        self.shutdown()
        super().closeEvent(event)

    def shutdown(self) -> None:
        QApplication.instance().removeEventFilter(self)
        self.cursor.shutdown()

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        if self.pin_pad.isVisible():
            self.pin_pad.setGeometry(self.rect())
