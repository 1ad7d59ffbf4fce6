"""Beats from the GUI thread's event loop: when the loop hangs, the beats stop and the supervisor acts."""

from __future__ import annotations

import logging
from collections.abc import Callable

from PySide6.QtCore import QObject, QTimer

__all__ = ["HeartbeatEmitter"]

log = logging.getLogger(__name__)


class HeartbeatEmitter(QObject):
    """Calls `beat()` every `seconds` from a QTimer: only a turning event loop keeps it going."""

    def __init__(self, beat: Callable[[], None], seconds: float = 1.0, parent: QObject | None = None):
        super().__init__(parent)
        self._beat = beat
        self.count = 0
        self._timer = QTimer(self, interval=max(50, int(seconds * 1000)))
        self._timer.timeout.connect(self.beat)

    def start(self) -> None:
        self.beat()
        self._timer.start()

    def stop(self) -> None:
        self._timer.stop()

    def beat(self) -> None:
        self.count += 1
        try:
            self._beat()
        except Exception:  # noqa: BLE001 - a heartbeat must never take the wall down
            log.exception("heartbeat failed")
