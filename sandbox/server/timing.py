"""Where a request's time goes, phase by phase, sent back as a `Server-Timing` header (the check-in's, for the load test's breakdown)."""

from __future__ import annotations

import contextvars
import time

__all__ = ["Phases", "mark_auth_start"]

# When this request's authentication began (set by the caller's lookup, read by the handler's Phases): the
# request's own task, so never another request's mark.
_auth_start: contextvars.ContextVar[float | None] = contextvars.ContextVar("auth_start", default=None)


def mark_auth_start() -> None:
    """Called where a request's caller is looked up: the check-in's `auth` phase begins here."""
    _auth_start.set(time.perf_counter())


class Phases:
    """Milliseconds per named phase, in the order they ran; `lap(name)` closes the phase running since the last lap.
    `auth` (the caller looked up, before the handler ran) comes first when this request marked its start."""

    def __init__(self) -> None:
        self.start = self._last = time.perf_counter()
        self.ms: dict[str, float] = {}
        began = _auth_start.get()
        if began is not None and began <= self.start:
            self.start = self._last = began
            self.lap("auth")

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.ms[name] = self.ms.get(name, 0.0) + (now - self._last) * 1000
        self._last = now

    def header(self) -> str:
        """The `Server-Timing` value: each phase, then `total` (since the phases began)."""
        total = (time.perf_counter() - self.start) * 1000
        return ", ".join(f"{k};dur={v:.1f}" for k, v in [*self.ms.items(), ("total", total)])
