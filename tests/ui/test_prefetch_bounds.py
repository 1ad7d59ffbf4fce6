"""The level prefetcher's cache drops expired levels and keeps at most `limit` (a province wall's walk stays flat)."""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal

from sandbox.ui.loader import LoadResult
from sandbox.ui.payloads import MapFeature, RegionMap
from sandbox.ui.prefetch import PREFETCH_LEVELS, Prefetcher


class _Worker(QObject):
    done = Signal(str, object)
    failed = Signal(str, str)

    def __init__(self):
        super().__init__()
        self.submitted: list[str] = []

    def submit(self, channel, fn, what="", *, priority=0):
        self.submitted.append(channel)

    def checkpoint(self):
        pass

    def channels(self):
        return []

    def cancel(self, channel):
        pass


class _Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def _result(code: str, year: int = 2020) -> LoadResult:
    feature = MapFeature(code=code + "01", name="镇", level="town", polygons=(), label_point=(0.5, 0.5), properties={})
    return LoadResult(region={"code": code, "year": year}, region_map=RegionMap((feature,), (0, 0, 1, 1)),
                      indicators=None)


def _arrive(worker: _Worker, code: str, year: int = 2020) -> None:
    worker.done.emit(f"prefetch:{code}", _result(code, year))


def test_many_levels_visited_keep_at_most_the_limit_and_the_recent_ones(qapp):
    worker, clock = _Worker(), _Clock()
    p = Prefetcher(None, worker, lambda code: None, ttl=120.0, clock=clock)
    codes = [f"52{i:04d}" for i in range(PREFETCH_LEVELS * 4)]  # a long walk over a province's levels
    for code in codes:
        _arrive(worker, code)
        clock.now += 0.1  # all still fresh: only the size bound can drop them
        assert len(p) <= PREFETCH_LEVELS
    assert len(p) == PREFETCH_LEVELS
    assert p.get(codes[-1], 2020) is not None and p.get(codes[0], 2020) is None
    # a level read recently survives newer arrivals: least recently *used* goes first
    oldest_kept = codes[-PREFETCH_LEVELS]
    assert p.get(oldest_kept, 2020) is not None
    _arrive(worker, "529999")
    assert p.get(oldest_kept, 2020) is not None and p.get(codes[-PREFETCH_LEVELS + 1], 2020) is None


def test_expired_levels_are_dropped_on_read_and_on_every_store(qapp):
    worker, clock = _Worker(), _Clock()
    p = Prefetcher(None, worker, lambda code: None, ttl=120.0, clock=clock)
    for i in range(10):
        _arrive(worker, f"5201{i:02d}")
    assert len(p) == 10
    clock.now += 121.0
    assert p.get("520100", 2020) is None and len(p) == 9  # expired on read
    assert p.series("520101") is None and len(p) == 8
    _arrive(worker, "520200")  # a store prunes every expired level
    assert len(p) == 1 and p.get("520200", 2020) is not None


def test_keep_is_bounded_too(qapp):
    worker, clock = _Worker(), _Clock()
    p = Prefetcher(None, worker, lambda code: None, clock=clock, limit=3)
    for i in range(6):
        p.keep(f"5201{i:02d}", _result(f"5201{i:02d}"), clock.now)
    assert len(p) == 3 and p.get("520105", 2020) is not None and p.get("520100", 2020) is None
