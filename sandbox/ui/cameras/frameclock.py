"""One timer for all tiles: each tick takes every streaming tile's newest frame and repaints those that
got one, so N tiles at 25 fps cost ~40 repaint passes a second, not 25·N, and no per-frame signals
cross threads (workers only leave their latest frame for the next tick)."""

from __future__ import annotations

from PySide6.QtCore import QObject, Qt, QTimer

__all__ = ["FrameClock", "default_frame_clock"]


class FrameClock(QObject):
    def __init__(self, interval_ms: int = 25, parent=None) -> None:
        super().__init__(parent)
        self._tiles: list = []
        self._timer = QTimer(self)
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self._tick)

    def add(self, tile) -> None:
        if tile not in self._tiles:
            self._tiles.append(tile)
        if not self._timer.isActive():
            self._timer.start()

    def remove(self, tile) -> None:
        if tile in self._tiles:
            self._tiles.remove(tile)
        if not self._tiles:
            self._timer.stop()

    def _tick(self) -> None:
        for tile in tuple(self._tiles):
            try:
                tile.poll_frame()
            except RuntimeError:  # its C++ side was deleted without stopping: forget it
                self.remove(tile)


_default: FrameClock | None = None


def default_frame_clock() -> FrameClock:
    global _default
    if _default is None:
        _default = FrameClock()
    return _default
