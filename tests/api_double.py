"""A test double of the API client: the real ApiClient with its transport answering from Python.

Subclasses write one handler per endpoint they play (`health`, `indicators`, `region`,
`children_geojson`, `children_series`, `trend`, `households`, …, named after ApiClient's methods and
taking the same arguments); everything above the transport (JSON decoding, error statuses, the offline
cache, the connection status) is the production code. A handler raises ApiError for an error status
and ApiUnavailable (or `Unreachable`) for no answer; the layer endpoints answer empty by default.
"""

from __future__ import annotations

import json
import re
import threading
from typing import Any

from sandbox.client.api import ApiClient, ApiError, ApiUnavailable, Unreachable

__all__ = ["ApiDouble"]

_ROUTES: list[tuple[re.Pattern, str]] = [(re.compile(p), name) for p, name in (
    (r"^/health$", "health"),
    (r"^/indicators$", "indicators"),
    (r"^/regions/(?P<code>[^/]+)$", "region"),
    (r"^/regions/(?P<code>[^/]+)/children\.geojson$", "children_geojson"),
    (r"^/regions/(?P<code>[^/]+)/children/series$", "children_series"),
    (r"^/regions/(?P<code>[^/]+)/level$", "level"),
    (r"^/regions/(?P<code>[^/]+)/trend$", "trend"),
    (r"^/regions/(?P<code>[^/]+)/forecast$", "forecast"),
    (r"^/households$", "households"),
    (r"^/households/(?P<household_id>\d+)$", "household"),
    (r"^/projects$", "projects"),
    (r"^/projects/(?P<project_id>\d+)$", "project"),
    (r"^/funds/chain$", "funds_chain"),
    (r"^/funds/flows$", "fund_flows"),
    (r"^/cameras$", "cameras"),
    (r"^/checkins$", "checkins"),
    (r"^/checkins/visits$", "checkin_visits"),
)]
# query parameter → handler argument, where the names differ
_RENAMED = {"from": "from_year", "to": "to_year"}


class ApiDouble(ApiClient):
    """An ApiClient over no network: `transport` calls `handle_<name>` for the endpoint's path."""

    def __init__(self) -> None:
        super().__init__("http://api.test", "test-token", retries=0)

    def clone(self) -> ApiDouble:
        return self  # one double answers every worker thread (its calls are counted in one place)

    def events(self, on_event, **stream_kw) -> QuietStream:
        return QuietStream()  # no GET /events here: a stream that never connects and never says anything

    def transport(self, path: str, params: dict) -> tuple[int, bytes]:
        for pattern, name in _ROUTES:
            m = pattern.match(path)
            if m is None:
                continue
            handler = getattr(self, f"handle_{name}", None)
            if handler is None:
                return 404, json.dumps({"detail": f"未实现 {path}"}).encode()
            kwargs = {k: (int(v) if k.endswith("_id") else v) for k, v in m.groupdict().items()}
            kwargs.update({_RENAMED.get(k, k): v for k, v in params.items()})
            try:
                data = handler(**kwargs)
            except Unreachable:
                raise
            except ApiUnavailable as exc:
                raise Unreachable(exc.message.removeprefix("无法连接中心数据接口: ")) from None
            except ApiError as exc:
                return exc.status, json.dumps({"detail": exc.message}, ensure_ascii=False).encode()
            return 200, json.dumps(data, ensure_ascii=False).encode()
        return 404, json.dumps({"detail": f"未知路径 {path}"}).encode()

    def handle_level(self, code: str, year: int | None = None) -> dict:
        """GET /level as the real API makes it: the double's own three answers in one (a double
        without them answers 404 here, as an API older than GET /level does)."""
        parts = [getattr(self, f"handle_{n}", None) for n in ("region", "children_geojson", "children_series")]
        if None in parts:
            raise ApiError(404, f"未实现 /regions/{code}/level")
        return {"region": parts[0](code, year), "children": parts[1](code, year), "children_series": parts[2](code)}

    # -- the layer endpoints: nothing there unless a test says so ------------------------------------
    def handle_projects(self, region: str, year: int | None = None) -> list:
        return []

    def handle_funds_chain(self, region: str, through: int | None = None, project: int | None = None) -> dict:
        return {}

    def handle_cameras(self, region: str | None = None) -> list:
        return []

    def handle_checkins(self, region: str, since: str | None = None, until: str | None = None) -> list:
        return []

    def handle_checkin_visits(self, region: str, month: str | None = None) -> dict:
        return {}


class QuietStream:
    """An EventStream that is never connected (what the wall sees of an API without live events)."""

    connected = False
    skipped = 0

    def start(self) -> QuietStream:
        return self

    def stop(self) -> None:
        pass


class Recorder:
    """Mixin state of the hand-made doubles: calls, the threads they ran on, a gate and a failure."""

    def _init_recorder(self) -> None:
        self.fail: Exception | None = None
        self.calls: list[tuple] = []
        self.gate: threading.Event | None = None  # when set, calls block until it is released
        self.threads: set[str] = set()

    def _enter(self, *call: Any) -> None:
        self.calls.append(call)
        self.threads.add(threading.current_thread().name)
        if self.gate is not None:
            self.gate.wait(10)
        if self.fail is not None:
            raise self.fail
