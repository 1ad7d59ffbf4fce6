"""Parts of a window built on first use or soon after its first frame with data, whichever comes first."""

# The wall's start (issue 19): what its first frame does not show (the village panel, the household card,
# the project card, the 督办 / 风险 panels) costs imports and construction before that frame. A `Later`
# attribute is made the first time anything reads it — a click, a test, a tour — so every caller sees
# the same object it always saw; `build_soon` makes the rest one per event-loop turn once the wall
# is on screen, so the first click on them costs what it cost before.

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

__all__ = ["Later", "built", "build_soon", "stop_building"]

_TIMER_NAME = "sandbox-later-build"  # build_soon's timers, found again by stop_building
_STOPPED = "_later_stopped"  # in the owner's __dict__: stop_building was called


class Later:
    """`part = Later(build)` in a class body: `obj.part` calls `build(obj)` once and keeps the result in
    the instance's __dict__, where every later read finds it without this descriptor (a non-data one)."""

    def __init__(self, build: Callable[[Any], Any]):
        self.build = build
        self.name = ""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, obj: Any, owner: type | None = None) -> Any:
        if obj is None:
            return self
        part = self.build(obj)
        # a builder may have made it already through another part that needs it: keep that one
        return obj.__dict__.setdefault(self.name, part)


def built(obj: Any, name: str) -> bool:
    """`obj.name` (a Later part) has been made."""
    return name in vars(obj)


def build_soon(obj: Any, names: Iterable[str]) -> None:
    """Make `obj`'s Later parts `names`, one per event-loop turn, on a timer `obj` (a QObject) owns: none
    once it is gone."""
    from PySide6.QtCore import QTimer

    if vars(obj).get(_STOPPED):
        return  # asked for after the close (a callback waiting for the next frame)
    left = [n for n in names if not built(obj, n)]
    timer = QTimer(obj, singleShot=True, interval=0, objectName=_TIMER_NAME)

    def step() -> None:
        if vars(obj).get(_STOPPED):
            return
        while left and built(obj, left[0]):
            left.pop(0)
        if left:
            getattr(obj, left.pop(0))
        if left:
            timer.start()
        else:
            timer.deleteLater()

    timer.timeout.connect(step)
    timer.start()


def stop_building(obj: Any) -> None:
    """No more parts from `obj`'s `build_soon` (call at close): a part made after the window's closeEvent
    would start workers that nothing shuts down, their threads running on while the window is deleted."""
    from PySide6.QtCore import QTimer

    vars(obj)[_STOPPED] = True
    for timer in obj.findChildren(QTimer, _TIMER_NAME):
        timer.stop()
        timer.deleteLater()
