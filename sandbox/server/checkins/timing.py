"""Where a check-in's time goes, phase by phase, sent back as a `Server-Timing` header (the load test's breakdown)."""

from __future__ import annotations

import time

__all__ = ["Phases"]


class Phases:
    """Milliseconds per named phase, in the order they ran; `lap(name)` closes the phase running since the last lap."""

    def __init__(self) -> None:
        self.start = self._last = time.perf_counter()
        self.ms: dict[str, float] = {}

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.ms[name] = self.ms.get(name, 0.0) + (now - self._last) * 1000
        self._last = now

    def header(self) -> str:
        """The `Server-Timing` value: each phase, then `total` (since the phases began)."""
        total = (time.perf_counter() - self.start) * 1000
        return ", ".join(f"{k};dur={v:.1f}" for k, v in [*self.ms.items(), ("total", total)])
