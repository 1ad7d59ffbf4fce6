"""What the wall's session needs of its surroundings (a host with timers and frames, the layers, the cameras): no Qt."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

__all__ = ["Host", "Timer", "LayersPort", "CamerasPort"]


class LayersPort(Protocol):
    """The live layers over the map (sandbox.ui.wall_layers.WallLayers)."""

    def names(self) -> list[str]: ...
    def set_visible(self, name: str, on: bool) -> None: ...


class CamerasPort(Protocol):
    """The wall's cameras (sandbox.ui.wall_cameras.WallCameras)."""

    def show_camera(self, camera_id: int) -> None: ...
    def close_full_camera(self) -> bool: ...


class Timer(Protocol):
    """A single-shot timer (QTimer has these)."""

    def start(self, ms: int) -> None: ...
    def stop(self) -> None: ...


def _nothing(*_: Any) -> None:
    return None


@dataclass
class Host:
    """What the session needs of its surroundings: time, frames and whether the screen is busy."""

    timer: Callable[[Callable[[], None]], Timer]  # a new single-shot timer calling the function
    after_frame: Callable[[Callable[[], None]], None] = lambda fn: fn()
    hold_until_frame: Callable[[], None] = _nothing  # the garbage collector waits for the drill's frame
    animating: Callable[[], bool] = lambda: False  # a drill's transition is running on screen
    visible: Callable[[], bool] = lambda: True  # the wall is on a screen (paint-ahead is moot otherwise)
    preload_classes: Callable[[], None] = _nothing  # import mapclassify off the GUI thread
    escapes: list[Callable[[], bool]] = field(default_factory=list)  # go_up closes the first that is open
