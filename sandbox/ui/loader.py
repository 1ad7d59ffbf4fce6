"""What the wall fetches for a level or a village, and the loaders that ask for it on a worker (sandbox.ui.worker)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QObject, Signal

from sandbox.client.api import ApiClient, ApiError, ApiUnavailable
from sandbox.client.gather import gather
from sandbox.ratelog import RateLimitedLog
from sandbox.ui import classify
from sandbox.ui.navigation import Crumb, crumb_of
from sandbox.ui.payloads import DataError, IndicatorInfo, RegionMap, RegionSeries
from sandbox.ui.village import DELEGATION_NOTE
from sandbox.ui.worker import BACKGROUND, USER, Worker, describe_error

__all__ = [
    "WallClient", "LoadResult", "VillageResult", "RegionLoader", "VillageLoader",
    "describe_error", "fetch", "fetch_village", "USER", "BACKGROUND",
]

log = logging.getLogger(__name__)
_quiet = RateLimitedLog(log, 600.0)  # a lasting outage fails every retry and refresh the same way
_MAX_DEPTH = 4  # county › town › village, and one spare


# The wall's client is the API client itself (test doubles subclass it); the name stays for importers.
WallClient = ApiClient


@dataclass(frozen=True)
class VillageResult:
    region: dict | None  # None when only a new households page was asked for
    households: dict | None
    note: str | None  # shown instead of the households (delegation token, households unavailable)


@dataclass(frozen=True)
class LoadResult:
    region: dict
    region_map: RegionMap
    indicators: list[IndicatorInfo] | None  # None when not asked for again
    series: RegionSeries | None = None  # the region's children in every year (fixed class breaks)
    ancestors: list[Crumb] | None = None  # root first, when asked for
    village: VillageResult | None = None  # the request named a village: its panel, over its town's map
    missing: tuple[str, ...] = ()  # parts the API could not give, offline and uncached (Chinese names)


def _region(client: WallClient, code: str, year: int | None) -> dict:
    region = client.region(code, year)
    if not isinstance(region, dict) or "code" not in region:
        raise DataError("region payload has no code")
    return region


def _is_leaf(region: dict) -> bool:
    """A village: the bottom level, shown as a panel over its town (a town without villages is not one)."""
    return region.get("level") == "village"


def _fresh(cached: RegionSeries | None, code: str, as_of: str | None, year: int | None) -> bool:
    return cached is not None and cached.code == code and cached.as_of == as_of and cached.has_year(year)


def _data_stamp(region: dict) -> str | None:
    """What changes whenever the data does: the as-of time, and for real registers the import's time too
    (their 数据截至 is the register's own date, the same again when a corrected register comes in)."""
    as_of, imported = region.get("as_of"), region.get("imported_at")
    return f"{as_of} · {imported}" if imported else as_of


def _series(client: ApiClient, code: str, region: dict, cached: RegionSeries | None,
            base: RegionMap | None = None, payload: Any = None) -> RegionSeries:
    """Children of `code` in every year; reused while the data's as-of time is unchanged.

    Two requests at most: the year on screen's children.geojson (geometry; `base` when already
    fetched) and GET /children/series (every year's values, `payload` when already fetched)."""
    year, as_of = region.get("year"), _data_stamp(region)
    if _fresh(cached, code, as_of, year):
        return cached
    if base is None and payload is None:
        base, payload = gather(lambda: RegionMap.from_geojson(client.children_geojson(code, year)),
                               lambda: client.children_series(code))
    elif base is None:
        base = RegionMap.from_geojson(client.children_geojson(code, year))
    elif payload is None:
        payload = client.children_series(code)
    series = RegionSeries.from_api(code, base, payload)
    series.as_of = as_of  # the stamp it is fresh for
    return series


def _ancestors(client: WallClient, region: dict, year: int | None) -> list[Crumb]:
    """Crumbs above `region`, root first; stops at the county or where the token may not look."""
    out: list[Crumb] = []
    current = region
    while current.get("level") != "county" and current.get("parent_code") and len(out) < _MAX_DEPTH:
        try:
            current = _region(client, str(current["parent_code"]), year)
        except (ApiError, DataError) as exc:
            log.info("breadcrumb stops above %s: %s", region.get("code"), exc)
            break
        out.append(crumb_of(current))
    return out[::-1]


def _households(client: ApiClient, code: str, year: int | None, page: int) -> tuple[dict | None, str | None]:
    try:
        hh = client.households(code, page=page, year=year)
    except ApiError as exc:
        if exc.status == 403:
            return None, DELEGATION_NOTE
        if isinstance(exc, ApiUnavailable) or exc.status >= 500:
            return None, f"户级信息暂时无法获取（{describe_error(exc)}）"
        raise
    if not isinstance(hh, dict) or not isinstance(hh.get("items"), list):
        raise DataError("households payload has no items list")
    return hh, None


def fetch_village(client: ApiClient, code: str, year: int | None, page: int = 1, *,
                  with_region: bool = True) -> VillageResult:
    """A village's own figures and one page of its households (masked by the server), asked for at
    the same time: the households on this thread, first (the list is what a click waits for; the
    region's figures are on screen from the town's map already), the region on the client's pool."""
    if not with_region:
        return VillageResult(None, *_households(client, code, year, page))
    (hh, note), region = gather(lambda: _households(client, code, year, page),
                                lambda: _region(client, code, year))
    return VillageResult(region, hh, note)


def _parts(client: ApiClient, code: str, year: int | None) -> dict[str, Callable[[], Any]]:
    """A level as three requests (an API without GET /level)."""
    return {"region": lambda: _region(client, code, year), "map": lambda: client.children_geojson(code, year),
            "series": _soft(lambda: client.children_series(code), "children series")}


@dataclass(frozen=True)
class _Level:
    parts: dict[str, Any] | None  # region, map, series; None: GET /level answered 404


def _level(client: ApiClient, code: str, year: int | None) -> _Level:
    """GET /regions/{code}/level split into the three answers it carries (offline: from the cache,
    where the series may be missing: the level is shown without the other years)."""
    try:
        level = client.level(code, year)
    except ApiUnavailable:
        raise  # offline, and the region or its map is not in the cache either
    except ApiError as exc:
        if exc.status != 404:
            raise
        return _Level(None)  # an unknown region, or an API older than GET /level
    if not isinstance(level, dict) or not isinstance(level.get("region"), dict):
        raise DataError("level payload has no region object")
    region = level["region"]
    if "code" not in region:
        raise DataError("region payload has no code")
    series = level.get("children_series")
    if series is None:
        series = _Missing(ApiUnavailable("历年数据不在缓存中"))
    return _Level({"region": region, "map": level.get("children"), "series": series})


class _Missing:
    """A part of a level the API could not give (offline, nothing cached): the rest is still shown."""

    def __init__(self, exc: ApiUnavailable):
        self.exc = exc


def _soft(call: Callable[[], Any], what: str) -> Callable[[], Any]:
    def run() -> Any:
        try:
            return call()
        except ApiUnavailable as exc:
            _quiet.info(f"soft {what}", "%s unavailable offline: the level is shown without it (%s)", what,
                        exc.message)
            return _Missing(exc)
    return run


def fetch(client: ApiClient, code: str, year: int | None, with_indicators: bool,
          series: RegionSeries | None = None, with_ancestors: bool = False, *,
          has_children: bool | None = None, preload_classes: bool = False,
          checkpoint: Callable[[], None] | None = None) -> LoadResult:
    """The blocking part of showing a region: runs on the worker thread, validates everything.

    Requests go out together (one round trip): the region, the indicators when asked for, and
    unless `has_children` is False (a village) the year's children.geojson and the all-years series,
    all three in one answer (GET /level). A level whose series is cached (same as-of time) costs the
    region alone: its map for any year is built from the series.
    `preload_classes`: import mapclassify here first (≈3 s), so the GUI thread never does.
    `checkpoint`: called once the answers are in, before they are decoded (a prefetch waits there
    while a user's request runs, or ends if it is no longer wanted: sandbox.ui.worker)."""
    if preload_classes:
        classify.preload()
    infos = base = payload = None
    missing: list[str] = []
    calls: dict[str, Callable[[], Any]] = {"region": lambda: _region(client, code, year)}
    # Offline, a part that is neither live nor cached (a corrupt entry discarded) must not blank the
    # level: the indicators' texts have built-in twins, the other years can wait for the API.
    if with_indicators:
        calls["indicators"] = _soft(client.indicators, "indicators")
    # The map and the series along with the region, unless the region is known to be a village or
    # its series is cached (a level shown before: the region alone then): one request for the three
    # (GET /level), or three at once where the API has no /level.
    whole = has_children is not False and not _fresh(series, code, series.as_of if series else None, year)
    if whole and client.level_endpoint:
        calls["region"] = lambda: _level(client, code, year)
    elif whole:
        calls.update(_parts(client, code, year))
    got = dict(zip(calls, gather(*calls.values())))
    if isinstance(got["region"], _Level):
        level = got.pop("region")
        if level.parts is not None:
            got.update(level.parts)
        else:
            got.update(zip(("region", "map", "series"), gather(*_parts(client, code, year).values())))
            client.level_endpoint = False  # the region is there, so the API has no GET /level: ask it no more
    if checkpoint is not None:
        checkpoint()
    region = got["region"]
    if isinstance(got.get("indicators"), _Missing):
        with_indicators = False  # asked again with the next level
    if isinstance(got.get("series"), _Missing):
        missing.append("历年数据")
    if with_indicators:
        raw = got["indicators"]
        if not isinstance(raw, list):
            raise DataError("indicators is not a list")
        try:
            infos = [IndicatorInfo.from_api(d) for d in raw]
        except (KeyError, TypeError) as exc:
            raise DataError(f"bad indicator entry: {exc}") from None
    if "map" in got:
        base = RegionMap.from_geojson(got["map"])
        payload = got.get("series")
    village = None
    if _is_leaf(region) and region.get("parent_code"):
        # A village has no map of its own: show its town's villages with its panel open.
        village = VillageResult(region, *_households(client, region["code"], region.get("year", year), 1))
        region = _region(client, str(region["parent_code"]), region.get("year", year))
        code = str(region["code"])
        base = payload = None
    region.setdefault("year", year)
    if base is not None and base.year is not None and base.year != region["year"]:
        base = payload = None  # the API's year moved on between the calls: fetch the map again
    ancestors = _ancestors(client, region, region.get("year")) if with_ancestors else None
    if missing and base is not None:  # this year's map only; the series is asked for again next time
        return LoadResult(region, base, infos, None, ancestors, village, tuple(missing))
    s = _series(client, code, region, series, base, payload)
    return LoadResult(region, s.map_for(region["year"]), infos, s, ancestors, village)


class _ChannelLoader(QObject):
    loaded = Signal(object)
    failed = Signal(str)  # Chinese message
    channel = ""

    def __init__(self, client: WallClient, parent: QObject | None = None, worker: Worker | None = None):
        super().__init__(parent)
        self.client = client
        self.worker = worker or Worker(self)
        self.worker.done.connect(self._on_done)
        self.worker.failed.connect(self._on_failed)

    @property
    def busy(self) -> bool:
        return self.worker.busy(self.channel)

    def shutdown(self, timeout_ms: int = 15000) -> None:
        self.worker.shutdown(timeout_ms)

    def _on_done(self, channel: str, result: Any) -> None:
        if channel == self.channel:
            self.loaded.emit(result)

    def _on_failed(self, channel: str, message: str) -> None:
        if channel == self.channel:
            self.failed.emit(message)


class RegionLoader(_ChannelLoader):
    """A region's map (all years) and details; newest request wins."""

    channel = "region"

    def request(self, code: str, year: int | None = None, *, with_indicators: bool = False,
                series: RegionSeries | None = None, with_ancestors: bool = False,
                has_children: bool | None = None, preload_classes: bool = False) -> int:
        client = self.client
        return self.worker.submit(
            self.channel, lambda: fetch(client, code, year, with_indicators, series, with_ancestors,
                                        has_children=has_children, preload_classes=preload_classes),
            f"region {code}")

    def cancel(self) -> None:
        self.worker.cancel(self.channel)


class VillageLoader(_ChannelLoader):
    """A village's panel: its figures and a page of households; newest request wins."""

    channel = "village"

    def request(self, code: str, year: int | None = None, page: int = 1, *, with_region: bool = True) -> int:
        client = self.client
        return self.worker.submit(
            self.channel, lambda: fetch_village(client, code, year, page, with_region=with_region),
            f"village {code}")
