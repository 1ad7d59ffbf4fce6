"""Plain-Python events (psygnal-like, no Qt): the wall's models announce changes through them."""

from __future__ import annotations

import weakref
from collections.abc import Callable
from typing import Any

__all__ = ["Event", "Events"]


class Event:
    """A list of callbacks; bound methods are held weakly so a dead widget never gets called."""

    def __init__(self, name: str):
        self.name = name
        self._refs: list[Callable[[], Callable | None]] = []

    def connect(self, callback: Callable) -> Callable:
        if hasattr(callback, "__self__") and hasattr(callback, "__func__"):
            self._refs.append(weakref.WeakMethod(callback))
        else:
            self._refs.append(lambda cb=callback: cb)
        return callback

    def disconnect(self, callback: Callable) -> None:
        self._refs = [r for r in self._refs if r() not in (None, callback)]

    def emit(self, *args: Any) -> None:
        alive = []
        for ref in list(self._refs):
            cb = ref()
            if cb is None:
                continue
            alive.append(ref)
            try:
                cb(*args)
            except RuntimeError as exc:
                # A Qt widget whose C++ side is gone: drop it rather than break the other listeners.
                if "already deleted" not in str(exc):
                    raise
                alive.remove(ref)
        self._refs = alive


class Events:
    """A namespace of named Events (`obj.events.data.connect(...)`)."""

    def __init__(self, *names: str):
        for n in names:
            setattr(self, n, Event(n))
