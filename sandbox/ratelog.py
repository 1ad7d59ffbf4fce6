"""Log lines that would repeat under a persistent fault (full disk, dead API) at most once per interval."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

__all__ = ["RateLimitedLog"]


class RateLimitedLog:
    """The first line of each `key` goes out at once; repeats within `interval` seconds are counted and
    the next line after the interval says how many were left out. A wall runs for months: a fault that
    lasts a weekend must not fill the journal, but it must not vanish from it either."""

    def __init__(self, logger: logging.Logger, interval: float = 600.0, *, clock: Callable[[], float] = time.monotonic):
        self.logger, self.interval, self.clock = logger, float(interval), clock
        self._lock = threading.Lock()
        self._last: dict[str, float] = {}
        self._skipped: dict[str, int] = {}

    def log(self, level: int, key: str, msg: str, *args) -> bool:
        """Log `msg % args` unless `key` was logged less than `interval` ago; True when logged."""
        now = self.clock()
        with self._lock:
            last = self._last.get(key)
            if last is not None and now - last < self.interval:
                self._skipped[key] = self._skipped.get(key, 0) + 1
                return False
            skipped = self._skipped.pop(key, 0)
            self._last[key] = now
        if skipped:
            msg += " (%d similar lines left out in the last %.0f s)"
            args = (*args, skipped, self.interval)
        self.logger.log(level, msg, *args)
        return True

    def warning(self, key: str, msg: str, *args) -> bool:
        return self.log(logging.WARNING, key, msg, *args)

    def info(self, key: str, msg: str, *args) -> bool:
        return self.log(logging.INFO, key, msg, *args)

    def reset(self, key: str) -> None:
        """The fault ended: its next occurrence is news again."""
        with self._lock:
            self._last.pop(key, None)
            self._skipped.pop(key, None)
