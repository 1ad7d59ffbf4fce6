"""Reconnect timing without Qt: the settings, exponential backoff with jitter, a stagger gate shared by
tiles, and the per-tile link supervisor (frame-age watchdog + retry schedule), all on the monotonic clock.

Why not tenacity: it drives a blocking retry loop around a call, while a tile's retries are driven by a
Qt timer tick and a worker's signals. Only its wait formula would fit; that formula is the six lines of
`Backoff.delay` below.
"""

from __future__ import annotations

import random
import threading
import time
from dataclasses import dataclass

__all__ = ["StreamSettings", "Backoff", "StaggerGate", "LinkSupervisor", "default_gate", "LINK_STATES"]

# connecting: first attempt, nothing seen yet; live: frames arrive; stalled: had a picture, lost it (信号中断);
# down: never got a picture (无信号); blocked: the URL is not allowed (地址不允许, never retried)
LINK_STATES = ("connecting", "live", "stalled", "down", "blocked")


@dataclass(frozen=True)
class StreamSettings:
    """Timings of one tile's link. Defaults meet the wall's promise: 信号中断 within 10 s of a stall
    (stall_s + tick_s), back ≤ 15 s after the source returns (backoff_cap_s + stagger for 9 tiles
    + one connect)."""

    stall_s: float = 5.0  # no frame for this long → 信号中断 and reconnect
    connect_timeout_s: float = 5.0  # TCP connect / response headers
    backoff_base_s: float = 1.0
    backoff_factor: float = 2.0
    backoff_cap_s: float = 8.0
    jitter: float = 0.5  # a delay d becomes uniform(d·(1−jitter), d)
    stagger_s: float = 0.25  # at least this long between any two (re)connects in the process
    tick_s: float = 0.5  # watchdog and frame-age label period


class Backoff:
    """Exponential backoff with jitter: attempt n waits uniform((1−j)·d, d), d = min(cap, base·factorⁿ)."""

    def __init__(self, settings: StreamSettings, rng: random.Random | None = None) -> None:
        self.s = settings
        self.rng = rng or random.Random()

    def delay(self, attempt: int) -> float:
        s = self.s
        d = min(s.backoff_cap_s, s.backoff_base_s * s.backoff_factor ** max(0, min(attempt, 30)))
        return self.rng.uniform(d * (1.0 - s.jitter), d)


class StaggerGate:
    """Hands out (re)connect start times at least `spacing_s` apart, so tiles whose network comes back
    together (or a wall starting up) do not all connect at once."""

    def __init__(self, spacing_s: float = 0.25, clock=time.monotonic) -> None:
        self.spacing_s = spacing_s
        self.clock = clock
        self._next = 0.0
        self._lock = threading.Lock()

    def reserve(self, earliest: float | None = None) -> float:
        """A start time ≥ `earliest` (monotonic seconds), ≥ spacing after the last one handed out."""
        earliest = self.clock() if earliest is None else earliest
        with self._lock:
            at = max(earliest, self._next)
            self._next = at + self.spacing_s
            return at


_default_gate: StaggerGate | None = None


def default_gate() -> StaggerGate:
    """The process-wide gate: the camera wall and a project card's tile share it."""
    global _default_gate
    if _default_gate is None:
        _default_gate = StaggerGate(StreamSettings().stagger_s)
    return _default_gate


class LinkSupervisor:
    """One tile's link: when to connect, when a link is dead, which state to show.

    Fed with `connected / frame / failed` events and ticked; `tick` answers "connect", "drop" or None.
    A link is dead when no frame came for `stall_s` (while streaming, or since the attempt began);
    it is then dropped and retried after a backoff delay, through the stagger gate.
    """

    def __init__(self, settings: StreamSettings, gate: StaggerGate, backoff: Backoff | None = None) -> None:
        self.s, self.gate = settings, gate
        self.backoff = backoff or Backoff(settings)
        self.state = "connecting"
        self.attempts = 0  # failed attempts since the last frame
        self.open = False  # an attempt or stream is open
        self.opened_at = 0.0
        self.last_frame: float | None = None
        self.ever_live = False
        self.next_at: float | None = None  # when the next attempt starts (None: not scheduled)
        self.reason = ""  # why the last attempt failed (Chinese)

    def start(self, now: float) -> None:
        self.open = False
        self.next_at = self.gate.reserve(now)

    def stop(self) -> None:
        self.open = False
        self.next_at = None

    def frame_age(self, now: float) -> float | None:
        return None if self.last_frame is None else max(0.0, now - self.last_frame)

    def on_frame(self, now: float) -> None:
        self.last_frame = now
        self.attempts = 0
        self.ever_live = True
        self.reason = ""
        self.state = "live"

    def on_failed(self, now: float, reason: str = "") -> None:
        """The attempt or stream ended (refused, HTTP error, connection closed)."""
        if not self.open:
            return
        self.open = False
        self.reason = reason
        self._schedule(now)

    def _schedule(self, now: float) -> None:
        self.next_at = self.gate.reserve(now + self.backoff.delay(self.attempts))
        self.attempts += 1
        self._update_state(now)

    def _update_state(self, now: float) -> None:
        age = self.frame_age(now)
        if age is not None and age <= self.s.stall_s:
            return  # a dropped link with a fresh picture still reads 直播 (frame age shown) until stall_s
        if self.ever_live:
            self.state = "stalled"
        elif self.attempts > 0:
            self.state = "down"

    def tick(self, now: float) -> str | None:
        if self.open:
            since = self.last_frame if self.last_frame is not None and self.last_frame >= self.opened_at \
                else self.opened_at
            if now - since > self.s.stall_s:
                self.open = False
                self.reason = self.reason or "画面停止更新"
                self._schedule(now)
                return "drop"
            return None
        self._update_state(now)
        if self.next_at is not None and now >= self.next_at:
            self.open, self.opened_at, self.next_at = True, now, None
            return "connect"
        return None

    def retry_in(self, now: float) -> float | None:
        return None if self.next_at is None else max(0.0, self.next_at - now)
