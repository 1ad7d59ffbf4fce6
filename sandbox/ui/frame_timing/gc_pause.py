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
_disabled_here = False  # automatic collection was on and turned off by the hold (else: theirs to turn on)


def hold_until_frame() -> None:
    """No collection until the next painted frame (or after_frame's fallback): automatic collection is
    turned off, and the GUI thread's collector (sandbox.ui.collector) skips its turns while `held()`."""
    global _held, _disabled_here
    if _held:
        return
    _disabled_here = gc.isenabled()
    if _disabled_here:
        gc.disable()
    _held = True
    after_frame(_release)


def held() -> bool:
    return _held


def _release() -> None:
    global _held, _disabled_here
    if _held:
        _held = False
        if _disabled_here:
            _disabled_here = False
            gc.enable()
