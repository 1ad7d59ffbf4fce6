"""Requests started before anyone asks for them: the wall's first level goes out while Qt still imports."""

from __future__ import annotations

import concurrent.futures
import threading
import time
from collections.abc import Callable, Hashable
from typing import Any

from sandbox.client.gather import executor

__all__ = ["Primed", "PRIMED_TTL_S"]

PRIMED_TTL_S = 30.0  # an answer nobody took within this long is dropped (stale, or asked for differently)


class Primed:
    """In-flight or finished answers by request key, each taken once (then asked for afresh)."""

    def __init__(self, ttl: float = PRIMED_TTL_S, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl, self.clock = ttl, clock
        self._items: dict[Hashable, tuple[float, concurrent.futures.Future]] = {}
        self._lock = threading.Lock()

    def start(self, key: Hashable, call: Callable[[], Any]) -> None:
        """Run `call` on the shared I/O threads now; its result waits for `take(key)`."""
        future = executor().submit(call)
        with self._lock:
            self._items[key] = (self.clock(), future)

    def take(self, key: Hashable) -> concurrent.futures.Future | None:
        """The primed answer of `key` (still running, or done), once; None when there is none or it is old."""
        with self._lock:
            if not self._items:
                return None
            hit = self._items.pop(key, None)
        if hit is None or self.clock() - hit[0] > self.ttl:
            return None
        return hit[1]

    def __len__(self) -> int:
        return len(self._items)
