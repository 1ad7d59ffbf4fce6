"""A lane thread's way back to the GUI thread: what it is done with is dropped there, and it emits only while the worker lives."""

from __future__ import annotations

import atexit
import threading
from collections import deque
from typing import Any

from PySide6.QtCore import QObject, QThread, Signal, Slot

__all__ = ["Gate", "drop_spent", "hand_over", "start_reaper"]

# A call's closure (and its answer) may hold the last reference to a Qt object: a window a test or a
# closed tour let go while its call ran. Dropped on a lane thread, Shiboken deletes that object there —
# "QObject::killTimer: Timers cannot be stopped from another thread", then a segfault (the suite's crash:
# a lane thread idling sandbox.ui.worker.IDLE_KEEP_S after its last call ended and let go of it then). So a lane thread
# hands each call's function and answer to `_spent` in one step (it keeps no reference of its own) and the
# GUI thread drops them, woken by `_Reaper`. The same for the lane's reference to its Worker at the end.
_spent: deque[Any] = deque()


class _Reaper(QObject):
    """Lives on the GUI thread: drops what lane threads handed over (see `_spent`)."""

    wake = Signal()

    def __init__(self) -> None:
        super().__init__()
        self.wake.connect(self.drop)

    @Slot()
    def drop(self) -> None:
        while _spent:
            _spent.popleft()


_reaper: _Reaper | None = None


def start_reaper() -> None:
    """Make the reaper, once, on the GUI thread (where workers are made): it lives as long as the process."""
    global _reaper
    if _reaper is None:
        _reaper = _Reaper()
        atexit.register(drop_spent)  # while the application still exists, not in the module's teardown


def hand_over(box: list[Any]) -> None:
    """Move `box`'s items to the GUI thread's `_spent`: in `append(box.pop())` this thread's own reference
    ends inside the call that stores the item (no thread switch between), so it is never the last one."""
    while box:
        _spent.append(box.pop())
    reaper = _reaper
    if reaper is not None:
        try:
            reaper.wake.emit()
        except RuntimeError:  # the application is going: its teardown drops the rest
            pass


def drop_spent() -> None:
    """Drop what the lane threads handed over so far, when called on the GUI thread (elsewhere: nothing)."""
    if _reaper is not None and QThread.currentThread() == _reaper.thread():
        _reaper.drop()


class Gate:
    """Closed (on the GUI thread) when the Worker is destroyed: a lane thread emits on the relay only
    while holding the lock with the gate open, so an emit never races the relay's C++ destruction."""

    def __init__(self) -> None:  # no __slots__: with them the bound method connected to `destroyed` failed
        self.lock = threading.Lock()
        self.open = True

    def close(self, *_: Any) -> None:
        with self.lock:
            self.open = False
