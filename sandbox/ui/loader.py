"""Fetches a region's data through the API client on a worker thread; results arrive as Qt signals."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Protocol

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal, Slot

from sandbox.client.api import ApiError, ApiUnavailable
from sandbox.ui import classify
from sandbox.ui.state import DataError, IndicatorInfo, RegionMap

__all__ = ["WallClient", "LoadResult", "RegionLoader", "describe_error"]

log = logging.getLogger(__name__)


class WallClient(Protocol):
    """The part of ApiClient the wall uses; tests pass a fake with the same methods."""

    def indicators(self) -> list[dict]: ...
    def region(self, code: str, year: int | None = None) -> dict: ...
    def children_geojson(self, code: str, year: int | None = None) -> dict: ...


@dataclass(frozen=True)
class LoadResult:
    region: dict
    region_map: RegionMap
    indicators: list[IndicatorInfo] | None  # None when not asked for again


def describe_error(exc: BaseException) -> str:
    """A short Chinese sentence for the banner; never a traceback."""
    if isinstance(exc, ApiUnavailable):
        return "无法连接中心数据接口"
    if isinstance(exc, ApiError):
        msg = (exc.message or "").strip()
        if exc.status == 401:
            return "数据接口拒绝访问：令牌无效或已过期"
        if exc.status == 403:
            return "数据接口拒绝访问：当前账号无权查看该区域"
        if exc.status == 404:
            return f"未找到该区域：{msg}" if msg else "未找到该区域"
        if exc.status == 422:
            return f"请求参数有误：{msg}" if msg else "请求参数有误"
        if exc.status >= 500:
            return f"中心数据接口内部错误（{exc.status}）"
        return f"数据接口错误（{exc.status}）：{msg}"
    if isinstance(exc, DataError):
        return "中心数据接口返回的数据不完整，无法绘制"
    return "数据加载失败（内部错误，详见日志）"


def fetch(client: WallClient, code: str, year: int | None, with_indicators: bool) -> LoadResult:
    """The blocking part: three API calls and validation; runs on a worker thread."""
    infos = None
    classify.preload()  # keep its slow first import off the GUI thread
    if with_indicators:
        raw = client.indicators()
        if not isinstance(raw, list):
            raise DataError("indicators is not a list")
        try:
            infos = [IndicatorInfo.from_api(d) for d in raw]
        except (KeyError, TypeError) as exc:
            raise DataError(f"bad indicator entry: {exc}") from None
    region = client.region(code, year)
    if not isinstance(region, dict) or "code" not in region:
        raise DataError("region payload has no code")
    geo = client.children_geojson(code, region.get("year", year))
    return LoadResult(region, RegionMap.from_geojson(geo), infos)


class _Relay(QObject):
    done = Signal(int, object)
    error = Signal(int, str)


class _FetchTask(QRunnable):
    def __init__(self, relay: _Relay, ticket: int, client: WallClient, code: str, year: int | None, with_ind: bool):
        super().__init__()
        self.relay, self.ticket, self.args = relay, ticket, (client, code, year, with_ind)

    def run(self) -> None:
        try:
            result = fetch(*self.args)
        except Exception as exc:  # noqa: BLE001 - every failure becomes a banner, never a crash
            if not isinstance(exc, (ApiError, DataError)):
                log.exception("loading region %s failed", self.args[1])
            else:
                log.warning("loading region %s failed: %s", self.args[1], exc)
            self.relay.error.emit(self.ticket, describe_error(exc))
            return
        self.relay.done.emit(self.ticket, result)


class RegionLoader(QObject):
    """One worker thread per client (ApiClient is not shared across threads); newest request wins."""

    loaded = Signal(object)  # LoadResult
    failed = Signal(str)  # Chinese message

    def __init__(self, client: WallClient, parent: QObject | None = None):
        super().__init__(parent)
        self.client = client
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(1)
        self._relay = _Relay(self)
        self._relay.done.connect(self._on_done)
        self._relay.error.connect(self._on_error)
        self._ticket = 0
        self._pending = 0

    @property
    def busy(self) -> bool:
        return self._pending > 0

    def request(self, code: str, year: int | None = None, *, with_indicators: bool = False) -> int:
        self._ticket += 1
        self._pending += 1
        self._pool.start(_FetchTask(self._relay, self._ticket, self.client, code, year, with_indicators))
        return self._ticket

    def shutdown(self, timeout_ms: int = 15000) -> None:
        self._pool.clear()
        self._pool.waitForDone(timeout_ms)

    @Slot(int, object)
    def _on_done(self, ticket: int, result: Any) -> None:
        self._pending -= 1
        if ticket == self._ticket:
            self.loaded.emit(result)

    @Slot(int, str)
    def _on_error(self, ticket: int, message: str) -> None:
        self._pending -= 1
        if ticket == self._ticket:
            self.failed.emit(message)
