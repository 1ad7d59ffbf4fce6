"""Requests-based client of the central API v1: a typed method per endpoint, the last good answer of
every GET kept on disk and served while the API is unreachable (the GET itself: sandbox.client.transport)."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

import requests

from sandbox.client.cache import ResponseCache, token_scope
from sandbox.client.errors import ApiError, ApiUnavailable, Unreachable
from sandbox.client.events import EventStream, SseEvent
from sandbox.client.prime import Primed
from sandbox.client.status import ConnectionStatus
from sandbox.client.transport import MAX_DEADLINE_S, ClientConfig, HttpTransport
from sandbox.ratelog import RateLimitedLog

__all__ = ["ApiClient", "ApiError", "ApiUnavailable", "ClientConfig", "MAX_DEADLINE_S", "Unreachable"]

log = logging.getLogger(__name__)
_quiet = RateLimitedLog(log, 600.0)  # an outage fails every request: one line per 10 minutes tells it

_GATEWAY_DOWN = (502, 504)  # a proxy in front of a dead API: as good as unreachable


class ApiClient:
    """The display's one door to the central API: a typed method per endpoint it uses.

    Thread-safe: each thread that calls it gets its own HTTP session (sandbox.client.transport), so one
    client can fetch several things at the same time. `clone()`
    still gives an independent client sharing the cache and status (its own connection pool).
    Test doubles subclass it and override `transport` (path, params → status, body): everything above
    it (decoding, errors, the offline cache, the connection status) is the production code.

    `cache`: a ResponseCache; every 2xx GET answer is stored, and served when the API cannot be
    reached (the wall keeps its last good data). `status`: a ConnectionStatus shared by the wall's
    clients, read by the GUI to show 离线 · 数据截至 HH:MM. Both optional.
    """

    # False once the API answered 404 to GET /level for a region it has (an older API): the wall then
    # asks for a level's parts (sandbox.ui.loader)
    level_endpoint = True

    def __init__(self, base_url: str, token: str | None = None, *, timeout: float = 10.0, retries: int = 2,
                 cache: ResponseCache | None = None, status: ConnectionStatus | None = None,
                 deadline: float = MAX_DEADLINE_S, primed: Primed | None = None):
        self.config = ClientConfig(base_url.rstrip("/"), token, read_timeout=timeout, retries=retries,
                                   deadline=min(float(deadline), MAX_DEADLINE_S))
        self.cache = cache
        self.status = status if status is not None else ConnectionStatus()
        self.primed = primed if primed is not None else Primed()  # shared with clones
        self._scope = token_scope(token)  # cache entries are per token, keyed by its hash only
        self.http = HttpTransport(self.config)

    @property
    def session(self) -> requests.Session:
        """This thread's HTTP session (made on first use)."""
        return self.http.session

    def clone(self) -> ApiClient:
        """A client for another worker thread: its own HTTP session, the same cache and status."""
        cfg = self.config
        return ApiClient(cfg.base_url, cfg.token, timeout=cfg.read_timeout, retries=cfg.retries,
                         cache=self.cache, status=self.status, deadline=cfg.deadline, primed=self.primed)

    # -- low level -------------------------------------------------------------------------
    def get_json(self, path: str, **params: Any) -> Any:
        """GET and decode; on no answer, the last good answer from the cache (else ApiUnavailable)."""
        return self._get(path, params)

    def _get(self, path: str, params: dict, parts: tuple[tuple[str, str, dict], ...] = ()) -> Any:
        """`get_json`; `parts`: an answer made of other endpoints' answers, (its key, their path, their
        params), is kept in the cache as those, and offline put together from them at once (no second
        wait on a hung API); a part missing or corrupt costs itself only (None in its place), unless it
        is the first two (the region and its map: ApiUnavailable)."""
        params = {k: v for k, v in params.items() if v is not None}
        key = ResponseCache.key(self._scope, path, params) if self.cache is not None else None
        primed = self.primed.take(_request_key(path, params))
        try:
            code, body = primed.result() if primed is not None else self.transport(path, params)
        except Unreachable as exc:
            # Never log the headers or the URL's host: only the path and the kind of failure.
            _quiet.info("unreachable", "API unreachable: GET %s (%s)", path, exc.reason)
            self.status.record_failure(exc.reason)
            if parts:
                return self._cached_parts(parts, path, f"无法连接中心数据接口: {exc.reason}")
            return self._cached_or_raise(key, path, f"无法连接中心数据接口: {exc.reason}")
        if code in _GATEWAY_DOWN:
            self.status.record_failure(f"HTTP {code}")
            try:
                cached = self._cached_parts(parts, path, "") if parts else self._cached(key, path)
            except ApiUnavailable:
                cached = None
            if cached is not None:
                return cached
        if code >= 400:
            if code not in _GATEWAY_DOWN:
                self.status.record_answer(data=False)
            raise ApiError(code, _detail(body), path)
        try:
            data = json.loads(body)
        except ValueError:
            self.status.record_answer(data=False)
            raise ApiError(code, "接口返回的不是 JSON", path) from None
        # 数据截至 is the time of the data on screen: a health probe brings none.
        self.status.record_answer(data=path != "/health")
        if self.cache is not None and parts:
            for name, part_path, part_params in parts:
                if isinstance(data, dict) and data.get(name) is not None:
                    self.cache.put(ResponseCache.key(self._scope, part_path, part_params),
                                   json.dumps(data[name], ensure_ascii=False).encode(), what=f"GET {part_path}")
        elif self.cache is not None:
            self.cache.put(key, body, what=f"GET {path}")
        return self.absolute_urls(data)

    def absolute_urls(self, data: Any) -> Any:
        """Relative links in an answer (`stream_url: /api/v1/demo/...`, any key ending in `_url`, at
        the top or in a top-level list's items) made absolute against the API address this client
        calls: the server builds absolute ones only from its configured public address."""
        base = self.config.base_url
        if isinstance(data, dict):
            _resolve(data, base)
        elif isinstance(data, list) and data and isinstance(data[0], dict) and any(k.endswith("_url") for k in data[0]):
            for item in data:
                if isinstance(item, dict):
                    _resolve(item, base)
        return data

    def _cached(self, key: str | None, path: str) -> Any:
        if key is None or self.cache is None:
            return None
        hit = self.cache.get(key)
        if hit is None:
            return None
        self.status.record_cached(hit.saved_at)
        log.debug("serving GET %s from the cache (saved %s)", path, f"{hit.saved_at:%Y-%m-%d %H:%M}")
        return self.absolute_urls(hit.body)

    def _cached_parts(self, parts: tuple[tuple[str, str, dict], ...], path: str, message: str) -> dict:
        out = {name: self._cached(ResponseCache.key(self._scope, p, q) if self.cache is not None else None, p)
               for name, p, q in parts}
        if any(out[name] is None for name, _, _ in parts[:2]):
            raise ApiUnavailable(message, path)
        return out

    def _cached_or_raise(self, key: str | None, path: str, message: str) -> Any:
        cached = self._cached(key, path)
        if cached is None:
            raise ApiUnavailable(message, path)
        return cached

    def transport(self, path: str, params: dict) -> tuple[int, bytes]:
        """GET /api/v1`path`: (status, body) of the last attempt, all attempts within the deadline;
        Unreachable otherwise. The one thing a test double overrides."""
        return self.http.get(path, params, known_down=self.status.online is False)

    def get_json_status(self, path: str) -> int:
        """The status code of a GET (0 when unreachable): a cheap probe, e.g. for a stale token."""
        try:
            code = self.http.status_of(path)
        except requests.RequestException as exc:
            self.status.record_failure(type(exc).__name__)
            return 0
        self.status.record_answer(data=False)
        return code

    def prime_first_level(self, code: str, year: int | None = None) -> None:
        """Send what the wall's first load asks for (the indicators, the level of `code`) now, on
        background threads: the answers are on their way while the caller imports and builds the
        window, and the wall's own requests take them (each once, within PRIMED_TTL_S)."""
        for path, params in (("/indicators", {}), (f"/regions/{code}/level", {"year": year})):
            params = {k: v for k, v in params.items() if v is not None}
            self.primed.start(_request_key(path, params), lambda p=path, q=params: self.transport(p, q))

    # -- API v1: one method per endpoint the display uses ------------------------------------
    def health(self) -> dict:
        return self.get_json("/health")

    def indicators(self) -> list[dict]:
        return self.get_json("/indicators")

    def region(self, code: str, year: int | None = None) -> dict:
        """A region's figures in `year`, its children, and its own figures in every year (`series`)."""
        return self.get_json(f"/regions/{code}", year=year)

    def level(self, code: str, year: int | None = None) -> dict:
        """A map level in one request: {region (as `region()`), children (as `children_geojson()`),
        children_series (as `children_series()`)}. Cached as those three; offline put together from
        them (`children_series` None when that part is not cached)."""
        p = {"year": year} if year is not None else {}
        parts = (("region", f"/regions/{code}", p), ("children", f"/regions/{code}/children.geojson", p),
                 ("children_series", f"/regions/{code}/children/series", {}))
        return self._get(f"/regions/{code}/level", {"year": year}, parts)

    def children_geojson(self, code: str, year: int | None = None) -> dict:
        return self.get_json(f"/regions/{code}/children.geojson", year=year)

    def children_series(self, code: str) -> dict:
        """{code, years, as_of, children: {child: {year: {indicator: value}}}} in one request."""
        return self.get_json(f"/regions/{code}/children/series")

    def trend(self, code: str, indicator: str, from_year: int | None = None, to_year: int | None = None) -> dict:
        return self.get_json(f"/regions/{code}/trend", indicator=indicator, **{"from": from_year, "to": to_year})

    def forecast(self, code: str, as_of: int | None = None) -> dict:
        """The exit-year forecast of a region from `as_of` (default the latest year): expected exits, 3 % year."""
        return self.get_json(f"/regions/{code}/forecast", as_of=as_of)

    def households(self, region: str, status: str | None = None, page: int = 1, year: int | None = None) -> dict:
        return self.get_json("/households", region=region, status=status, page=page, year=year)

    def household(self, household_id: int) -> dict:
        return self.get_json(f"/households/{household_id}")

    def projects(self, region: str, year: int | None = None) -> list[dict]:
        return self.get_json("/projects", region=region, year=year)

    def project(self, project_id: int, year: int | None = None) -> dict:
        """A project's card: stage and progress as of `year`, its history and beneficiaries."""
        return self.get_json(f"/projects/{project_id}", year=year)

    def fund_flows(self, region: str, year: int | None = None) -> dict:
        return self.get_json("/funds/flows", region=region, year=year)

    def funds_chain(self, region: str, through: int | None = None, project: int | None = None) -> dict:
        """下达 → 到位 → 备案 → 报账 → 支付 up to the end of `through`, and the chain's anomalies."""
        return self.get_json("/funds/chain", region=region, through=through, project=project)

    def cameras(self, region: str | None = None) -> list[dict]:
        return self.get_json("/cameras", region=region)

    def checkins(self, region: str, since: str | None = None, until: str | None = None) -> list[dict]:
        return self.get_json("/checkins", region=region, since=since, until=until)

    def checkin_visits(self, region: str, month: str | None = None) -> dict:
        """Each child's 月走访率 in `month` (YYYY-MM)."""
        return self.get_json("/checkins/visits", region=region, month=month)

    def duty(self, code: str, limit: int | None = None, offset: int | None = None) -> dict:
        """The 督办 counts of each child region; leader tokens also get the overdue items, oldest first."""
        return self.get_json(f"/regions/{code}/duty", limit=limit, offset=offset)

    def risk(self, code: str) -> dict:
        """Open risk hits per child region, by rule family and rule: counts only (every wall role)."""
        return self.get_json(f"/regions/{code}/risk")

    def risk_rules(self, region: str | None = None) -> dict:
        """Each rule's open hits, 核实属实, 排除, open cases and precision: counts only."""
        return self.get_json("/risk/rules", region=region)

    def risk_hits(self, region: str, limit: int = 8, offset: int = 0, family: str | None = None) -> dict:
        """The top open hits (leader and admin tokens; others get ApiError 403), masked by the server for the
        token. Never cached on disk and never logged: an admin token reads ID numbers unmasked. Each item's
        evidence is dropped here (the wall shows rule, place, reason and case only)."""
        path = "/risk/hits"
        params = {k: v for k, v in {"region": region, "limit": limit, "offset": offset, "family": family}.items()
                  if v is not None}
        try:
            status, body = self.transport(path, params)
        except Unreachable as exc:
            self.status.record_failure(exc.reason)
            raise ApiUnavailable(f"无法连接中心数据接口: {exc.reason}", path) from None
        if status >= 400:
            raise ApiError(status, _detail(body), path)
        try:
            data = json.loads(body)
        except ValueError:
            raise ApiError(status, "接口返回的不是 JSON", path) from None
        if not isinstance(data, dict):
            raise ApiError(status, "接口返回的格式不对", path)
        self.status.record_answer(data=True)
        items = data.get("items") if isinstance(data.get("items"), list) else []
        data["items"] = [{k: v for k, v in i.items() if k != "evidence"} for i in items if isinstance(i, dict)]
        return data

    def brief_pdf(self, code: str, year: int | None = None) -> bytes:
        """The 村情/镇情 briefing PDF, rendered and masked on the server. Never cached on disk: it lists
        households by name."""
        path = f"/regions/{code}/brief.pdf"
        try:
            status, body = self.transport(path, {k: v for k, v in {"year": year}.items() if v is not None})
        except Unreachable as exc:
            self.status.record_failure(exc.reason)
            raise ApiUnavailable(f"无法连接中心数据接口: {exc.reason}", path) from None
        if status >= 400:
            raise ApiError(status, _detail(body), path)
        if not body.startswith(b"%PDF"):
            raise ApiError(status, "接口返回的不是 PDF", path)
        return body

    def events(self, on_event: Callable[[SseEvent], None], **stream_kw: Any) -> EventStream:
        """GET /events as a stream (its own thread once started, reconnecting with backoff)."""
        return EventStream(self.config.base_url, self.config.token, on_event, **stream_kw)

    def close(self) -> None:
        """Close every thread's HTTP session."""
        self.http.close()


def _request_key(path: str, params: dict) -> tuple:
    return path, tuple(sorted((k, str(v)) for k, v in params.items()))


def _resolve(item: dict, base: str) -> None:
    for k, v in item.items():
        if k.endswith("_url") and isinstance(v, str) and v.startswith("/") and not v.startswith("//"):
            item[k] = base + v


def _detail(body: bytes) -> str:
    try:
        detail = json.loads(body).get("detail", None)
    except (ValueError, AttributeError):
        detail = None
    if detail is None:
        detail = body[:200].decode("utf-8", "replace")
    return detail if isinstance(detail, str) else str(detail)
