"""Per-camera health for the map markers: unknown / live / stalled / down / blocked, with a Qt signal."""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal

__all__ = ["CameraHealth", "HEALTH_STATES", "HEALTH_TEXT"]

HEALTH_STATES = ("unknown", "live", "stalled", "down", "blocked")
HEALTH_TEXT = {"unknown": "未观看", "live": "直播", "stalled": "信号中断", "down": "无信号", "blocked": "地址不允许"}
_FROM_LINK = {"connecting": None, "live": "live", "stalled": "stalled", "down": "down", "blocked": "blocked"}


class CameraHealth(QObject):
    """What the tiles last saw of each camera. `changed(camera_id, state)` fires on every change.

    Seeded from GET /cameras (`status: offline` → down); a tile that streams reports what it sees.
    "connecting" is not a health state: the previous one stands until the attempt says more.
    """

    changed = Signal(int, str)

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self._states: dict[int, str] = {}

    def seed(self, cameras: list[dict]) -> None:
        for c in cameras:
            cid = c.get("id")
            if isinstance(cid, int) and cid not in self._states:
                self.set(cid, "down" if c.get("status") == "offline" else "unknown")

    def report(self, camera_id: int, link_state: str) -> None:
        state = _FROM_LINK.get(link_state)
        if state is not None:
            self.set(camera_id, state)

    def set(self, camera_id: int, state: str) -> None:
        if state not in HEALTH_STATES:
            raise ValueError(state)
        if self._states.get(camera_id) != state:
            self._states[camera_id] = state
            self.changed.emit(camera_id, state)

    def state(self, camera_id: int) -> str:
        return self._states.get(camera_id, "unknown")

    def states(self) -> dict[int, str]:
        return dict(self._states)
