"""Background prefetch of the regions one click away, so a drill usually needs no network at all."""

from __future__ import annotations

import logging
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import replace

from PySide6.QtCore import QObject, Signal

from sandbox.ratelog import RateLimitedLog
from sandbox.ui.loader import LoadResult, VillageResult, WallClient, fetch, fetch_village
from sandbox.ui.payloads import RegionSeries
from sandbox.ui.worker import BACKGROUND, Worker

__all__ = ["Prefetcher", "VillagePrefetcher", "PREFETCH_TTL"]

log = logging.getLogger(__name__)
_quiet = RateLimitedLog(log, 600.0)  # an outage fails every prefetch of every refresh alike
PREFETCH_TTL = 120.0  # seconds a prefetched level may stand in for a fresh request
# Levels kept at most: a level's children (a prefecture has ≤ 20 counties, a county ≤ 30 towns) plus the
# few just left; a province wall visiting level after level must not keep them all (memory stays flat).
PREFETCH_LEVELS = 48
_PREFIX = "prefetch:"


class Prefetcher(QObject):
    """Fetches whole levels (all years) on the wall's worker's background lane and keeps them for
    PREFETCH_TTL seconds; a user's request never waits for them (see Worker: its own lane, and a
    prefetch waits before decoding while a user's request runs).
    `ready(code)` says a level has arrived (the wall then lays it out and renders it while idle)."""

    ready = Signal(str)

    def __init__(self, client: WallClient, worker: Worker, series_of: Callable[[str], RegionSeries | None],
                 parent: QObject | None = None, *, ttl: float = PREFETCH_TTL, clock=time.monotonic,
                 limit: int = PREFETCH_LEVELS):
        super().__init__(parent)
        self.client, self.worker, self.series_of = client, worker, series_of
        self.ttl, self.clock, self.limit = ttl, clock, limit
        self.enabled = True
        # least recently used first; expired entries are dropped on read and on every store
        self._cache: OrderedDict[str, tuple[float, LoadResult]] = OrderedDict()
        self._asked: set[tuple[str, int | None]] = set()
        worker.done.connect(self._on_done)
        worker.failed.connect(self._on_failed)

    def __len__(self) -> int:
        return len(self._cache)

    def _fresh(self, code: str) -> tuple[float, LoadResult] | None:
        """The cached entry of `code` if still fresh (an expired one is dropped here), marked recently used."""
        hit = self._cache.get(code)
        if hit is None:
            return None
        if self.clock() - hit[0] > self.ttl:
            del self._cache[code]
            return None
        self._cache.move_to_end(code)
        return hit

    def _store(self, code: str, at: float, result: LoadResult) -> None:
        """Keep a level; drop the expired ones, then the least recently used beyond `limit`."""
        self._cache[code] = (at, result)
        self._cache.move_to_end(code)
        now = self.clock()
        for old in [c for c, (t, _) in self._cache.items() if now - t > self.ttl]:
            del self._cache[old]
        while len(self._cache) > self.limit:
            self._cache.popitem(last=False)

    def get(self, code: str, year: int | None) -> LoadResult | None:
        """A fresh prefetched level of `code` in `year`, or None."""
        hit = self._fresh(code)
        if hit is None:
            return None
        result = hit[1]
        if year is not None and result.region.get("year") != year:
            return None
        return result

    def schedule(self, codes: list[str], year: int | None) -> None:
        """Prefetch these levels (those not already cached or on their way)."""
        if not self.enabled:
            return
        client, checkpoint = self.client, self.worker.checkpoint
        for code in codes:
            if self.get(code, year) is not None or (code, year) in self._asked:
                continue
            self._asked.add((code, year))
            series = self.series_of(code)
            self.worker.submit(f"{_PREFIX}{code}",
                               lambda c=code, s=series: fetch(client, c, year, False, s, checkpoint=checkpoint),
                               f"prefetch {code}", priority=BACKGROUND)

    def arrived_at(self, code: str, result: LoadResult) -> float:
        """When `result` was fetched: its time here if it came from this cache, else now."""
        hit = self._cache.get(code)
        return hit[0] if hit is not None and hit[1] is result else self.clock()

    def keep(self, code: str, result: LoadResult, at: float) -> None:
        """Keep a level the wall fetched itself (the one it just left: Esc most likely goes back there),
        fresh from `at` (when it arrived), unless a fresher copy is here already."""
        if not self.enabled or result.village is not None or not result.region_map.features:
            return
        hit = self._cache.get(code)
        if hit is None or hit[0] < at:
            self._store(code, at, replace(result, indicators=None))

    def clear(self) -> None:
        self._cache.clear()
        self._asked.clear()
        for channel in self.worker.channels():
            if channel.startswith(_PREFIX):
                self.worker.cancel(channel)

    def _on_done(self, channel: str, result) -> None:
        if channel.startswith(_PREFIX) and isinstance(result, LoadResult):
            code = channel[len(_PREFIX):]
            self._asked = {a for a in self._asked if a[0] != code}
            self._store(code, self.clock(), result)
            self.ready.emit(code)

    def series(self, code: str) -> RegionSeries | None:
        """The all-years series of a prefetched level (valid for any year while fresh)."""
        hit = self._fresh(code)
        return hit[1].series if hit else None

    def _on_failed(self, channel: str, message: str) -> None:
        if channel.startswith(_PREFIX):
            _quiet.info("failed", "prefetch of %s failed: %s", channel[len(_PREFIX):], message)
            self._asked = {a for a in self._asked if a[0] != channel[len(_PREFIX):]}


_VILLAGE_PREFIX = "village-prefetch:"


class VillagePrefetcher(QObject):
    """The village panels of the town on screen (figures and the first page of households, as the
    server masked them for this wall's role), fetched at background priority and kept for
    PREFETCH_TTL seconds, so a click on a village opens its panel without a request. `ready(code,
    result)` says a panel has arrived (the wall then makes its household table ready while idle)."""

    ready = Signal(str, object)

    def __init__(self, client: WallClient, worker: Worker, parent: QObject | None = None, *,
                 ttl: float = PREFETCH_TTL, clock=time.monotonic):
        super().__init__(parent)
        self.client, self.worker, self.ttl, self.clock = client, worker, ttl, clock
        self.enabled = True
        self._cache: dict[tuple[str, int | None], tuple[float, VillageResult]] = {}
        self._asked: set[tuple[str, int | None]] = set()
        worker.done.connect(self._on_done)
        worker.failed.connect(self._on_failed)

    def get(self, code: str, year: int | None) -> VillageResult | None:
        hit = self._cache.get((code, year))
        if hit is None or self.clock() - hit[0] > self.ttl:
            return None
        return hit[1]

    def schedule(self, codes: list[str], year: int | None) -> None:
        """Prefetch these villages' panels for `year` (the town's villages: nearly a click each)."""
        if not self.enabled:
            return
        # Only the town on screen's: a new town's villages replace the last one's (memory stays flat).
        self._cache = {k: v for k, v in self._cache.items() if k[0] in codes and k[1] == year}
        client = self.client
        for code in codes:
            key = (code, year)
            if self.get(code, year) is not None or key in self._asked:
                continue
            self._asked.add(key)
            self.worker.submit(f"{_VILLAGE_PREFIX}{year}:{code}",
                               lambda c=code: fetch_village(client, c, year, 1), f"prefetch village {code}",
                               priority=BACKGROUND)

    def clear(self) -> None:
        self._cache.clear()
        self.cancel_pending()

    def cancel_pending(self) -> None:
        """Drop the requests still queued or running (what arrived stays)."""
        for year, code in ((y, c) for c, y in self._asked):
            self.worker.cancel(f"{_VILLAGE_PREFIX}{year}:{code}")
        self._asked.clear()

    @staticmethod
    def _key(channel: str) -> tuple[str, int | None]:
        year, code = channel[len(_VILLAGE_PREFIX):].split(":", 1)
        return code, (None if year == "None" else int(year))

    def _on_done(self, channel: str, result) -> None:
        if channel.startswith(_VILLAGE_PREFIX) and isinstance(result, VillageResult):
            key = self._key(channel)
            self._asked.discard(key)
            if result.region is not None:
                self._cache[key] = (self.clock(), result)
                self.ready.emit(key[0], result)

    def _on_failed(self, channel: str, message: str) -> None:
        if channel.startswith(_VILLAGE_PREFIX):
            _quiet.info("village failed", "prefetch of village %s failed: %s", channel[len(_VILLAGE_PREFIX):], message)
            self._asked.discard(self._key(channel))
