"""The supervisor's memory guard: a UI whose RSS stays above a bound is restarted at a quiet moment."""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["MemoryGuard", "GuardPolicy", "limit_for_pixels", "process_tree_rss_mb", "Activity", "parse_activity"]

log = logging.getLogger(__name__)

# The auto bound: 700 MB for a 1920×1080 wall, growing with the pixels it paints (frame-sized images,
# map levels) to ≈ 1 GB at 3840×2160. Measured ceilings at 1080p: 471–495 MB over 1.6–2.2
# hour-equivalents of a far busier day than a real one (README, the soak rounds).
_BASE_MB, _BASE_PX = 700.0, 1920 * 1080
_MB_PER_MPX = (1024.0 - _BASE_MB) / ((3840 * 2160 - _BASE_PX) / 1e6)


def limit_for_pixels(pixels: int | None) -> float:
    """The auto bound in MB for a window of `pixels` (None or smaller than 1080p: the 1080p bound)."""
    extra = max(0, (pixels or 0) - _BASE_PX) / 1e6
    return _BASE_MB + extra * _MB_PER_MPX


@dataclass(frozen=True)
class Activity:
    """What the UI says of itself in each heartbeat: seconds since the last touch or key (a presenter's
    keys included), whether a tour is playing, its window's size in pixels. None: it did not say."""

    idle_seconds: float | None = None
    touring: bool = False
    pixels: int | None = None


def parse_activity(fields: list[str]) -> Activity:
    """`idle=42 tour=0 px=2073600` (the heartbeat's words after `pid seq phase`); unknown words are ignored."""
    idle, touring, pixels = None, False, None
    for word in fields:
        key, _, value = word.partition("=")
        try:
            if key == "idle":
                idle = float(value)
            elif key == "tour":
                touring = value == "1"
            elif key == "px":  # the window's pixels, width × height
                pixels = int(value)
        except ValueError:
            continue
    return Activity(idle, touring, pixels)


def process_tree_rss_mb(pid: int) -> float | None:
    """Resident memory of a process and everything it started, in MB (None: it is gone)."""
    import psutil

    try:
        proc = psutil.Process(pid)
        total = proc.memory_info().rss
        for child in proc.children(recursive=True):
            try:
                total += child.memory_info().rss
            except psutil.Error:
                continue
    except psutil.Error:
        return None
    return total / 2**20


@dataclass(frozen=True)
class GuardPolicy:
    limit_mb: float | None = None  # None: by the UI's window size (limit_for_pixels); 0 or less: no guard
    over_seconds: float = 600.0  # RSS above the bound this long at a stretch: a passing peak is no reason
    quiet_seconds: float = 300.0  # nobody touched the wall (or steered a tour) for this long
    min_interval_seconds: float = 6 * 3600.0  # at most one memory restart in this long
    check_seconds: float = 5.0  # RSS is read this often

    @property
    def enabled(self) -> bool:
        return self.limit_mb is None or self.limit_mb > 0


class MemoryGuard:
    """Decides, from the UI's RSS and its heartbeat's activity, when a restart is due. No processes of
    its own: `check` returns a reason (English, for the log) and the supervisor restarts the UI.

    A restart needs all of: RSS above the bound at every read for `over_seconds`; the UI quiet (no
    touch for `quiet_seconds` and no tour a person is steering, said by its heartbeat; a UI that
    says nothing is taken as quiet only after `quiet_seconds` above the bound as well); and no
    memory restart within `min_interval_seconds`. A UI still over its bound after a restart is not
    restarted again within that interval: the guard bounds a slow growth, never loops on a big wall."""

    def __init__(self, policy: GuardPolicy, rss_mb: Callable[[int], float | None] = process_tree_rss_mb):
        self.policy = policy
        self.rss_mb = rss_mb
        self.above_since: float | None = None
        self.last_restart = -math.inf
        self.last_check = -math.inf
        self.last_rss: float | None = None
        self.restarts = 0
        self._waiting_said = False

    def limit(self, activity: Activity | None) -> float:
        if self.policy.limit_mb is not None:
            return self.policy.limit_mb
        return limit_for_pixels(activity.pixels if activity else None)

    def reset(self) -> None:
        """A new UI child: its RSS starts over."""
        self.above_since = None
        self._waiting_said = False

    def check(self, now: float, pid: int, activity: Activity | None) -> str | None:
        p = self.policy
        if not p.enabled or now - self.last_check < p.check_seconds:
            return None
        self.last_check = now
        rss = self.rss_mb(pid)
        self.last_rss = rss
        bound = self.limit(activity)
        if rss is None or rss <= bound:
            if self.above_since is not None and self._waiting_said:
                log.info("kiosk memory guard: UI RSS back under the bound (%.0f <= %.0f MB)", rss or 0, bound)
            self.above_since = None
            self._waiting_said = False
            return None
        if self.above_since is None:
            self.above_since = now
        above = now - self.above_since
        if above < p.over_seconds:
            return None
        if now - self.last_restart < p.min_interval_seconds:
            return self._wait(f"the last memory restart was {(now - self.last_restart) / 60:.0f} min ago", rss, bound)
        quiet = activity.idle_seconds if activity and activity.idle_seconds is not None else above
        if quiet < p.quiet_seconds:  # a tour a person steers counts: the presenter's keys are input
            return self._wait(f"the wall was used {quiet:.0f} s ago", rss, bound)
        self.last_restart = now
        self.restarts += 1
        self.above_since = None
        self._waiting_said = False
        touring = ", an unattended tour playing" if activity is not None and activity.touring else ""
        return (f"RSS {rss:.0f} MB above the {bound:.0f} MB bound for {above / 60:.1f} min, "
                f"the wall idle for {quiet / 60:.1f} min{touring}")

    def _wait(self, why: str, rss: float, bound: float) -> None:
        if not self._waiting_said:  # once per episode: the guard reads every few seconds
            log.info("kiosk memory guard: UI RSS %.0f MB above the %.0f MB bound; waiting (%s)", rss, bound, why)
            self._waiting_said = True
        return None
