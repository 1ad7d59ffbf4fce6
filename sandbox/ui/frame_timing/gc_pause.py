"""Python's cyclic garbage collector held off while a drill's first frame is made, so its pauses land after it.

A collection that starts mid-drill also runs the finalizers of whatever it frees (Qt wrappers, large
images): measured at up to ~25 ms on a 4K wall, a third of the whole click → frame budget. Nothing is
lost by waiting one frame: the collector runs as usual once the frame is painted (see after_frame).
"""

from __future__ import annotations

import gc

from sandbox.ui.frame_timing.after_frame import after_frame

__all__ = ["hold_until_frame", "held"]

_held = False


def hold_until_frame() -> None:
    """Disable automatic collection until the next painted frame (or after_frame's fallback)."""
    global _held
    if _held or not gc.isenabled():
        return  # already held, or someone else (a test, a profiler) turned it off: theirs to turn on
    gc.disable()
    _held = True
    after_frame(_release)


def held() -> bool:
    return _held


def _release() -> None:
    global _held
    if _held:
        _held = False
        gc.enable()
