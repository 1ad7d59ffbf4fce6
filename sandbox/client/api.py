"""Requests-based client of the central API v1: timeouts, retries on idempotent GETs, clear errors."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

__all__ = ["ApiClient", "ApiError", "ApiUnavailable"]

log = logging.getLogger(__name__)


class ApiError(Exception):
    """The API answered with an error status; `message` is its Chinese detail."""

    def __init__(self, status: int, message: str, path: str = ""):
        super().__init__(f"{status} {message}")
        self.status, self.message, self.path = status, message, path


class ApiUnavailable(ApiError):
    """The API could not be reached (down, refused, timed out)."""

    def __init__(self, message: str, path: str = ""):
        super().__init__(0, message, path)


@dataclass(frozen=True)
class ClientConfig:
    base_url: str
    token: str | None
    connect_timeout: float = 3.0
    read_timeout: float = 10.0  # the kiosk's deadline: never wait longer for one answer
    retries: int = 2


class ApiClient:
    """Thread-safe enough for one worker thread per client; build one per thread if needed."""

    def __init__(self, base_url: str, token: str | None = None, *, timeout: float = 10.0, retries: int = 2):
        self.config = ClientConfig(base_url.rstrip("/"), token, read_timeout=timeout, retries=retries)
        self.session = requests.Session()
        retry = Retry(
            total=retries, connect=retries, read=0, status=retries, backoff_factor=0.2,
            status_forcelist=(502, 503, 504), allowed_methods=frozenset({"GET"}), raise_on_status=False,
        )
        adapter = HTTPAdapter(max_retries=retry, pool_maxsize=8)
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)
        if token:
            self.session.headers["Authorization"] = f"Bearer {token}"

    # -- low level -------------------------------------------------------------------------
    def _url(self, path: str) -> str:
        return f"{self.config.base_url}/api/v1{path}"

    def get_json(self, path: str, **params: Any) -> Any:
        params = {k: v for k, v in params.items() if v is not None}
        try:
            r = self.session.get(
                self._url(path), params=params,
                timeout=(self.config.connect_timeout, self.config.read_timeout),
            )
        except requests.RequestException as exc:
            # Never log the headers: they carry the token.
            log.warning("API unreachable: GET %s (%s)", path, type(exc).__name__)
            raise ApiUnavailable(f"无法连接中心数据接口: {type(exc).__name__}", path) from None
        if r.status_code >= 400:
            try:
                detail = r.json().get("detail", r.text)
            except ValueError:
                detail = r.text[:200]
            if not isinstance(detail, str):
                detail = str(detail)
            raise ApiError(r.status_code, detail, path)
        try:
            return r.json()
        except ValueError:
            raise ApiError(r.status_code, "接口返回的不是 JSON", path) from None

    def get_json_status(self, path: str) -> int:
        """The status code of a GET (0 when unreachable): a cheap probe, e.g. for a stale token."""
        try:
            return self.session.get(self._url(path), timeout=(self.config.connect_timeout, self.config.read_timeout)).status_code
        except requests.RequestException:
            return 0

    # -- API v1 ----------------------------------------------------------------------------
    def health(self) -> dict:
        return self.get_json("/health")

    def indicators(self) -> list[dict]:
        return self.get_json("/indicators")

    def region(self, code: str, year: int | None = None) -> dict:
        return self.get_json(f"/regions/{code}", year=year)

    def children_geojson(self, code: str, year: int | None = None) -> dict:
        return self.get_json(f"/regions/{code}/children.geojson", year=year)

    def children_series(self, code: str) -> dict:
        """{code, years, as_of, children: {child: {year: {indicator: value}}}} in one request."""
        return self.get_json(f"/regions/{code}/children/series")

    def trend(self, code: str, indicator: str, from_year: int | None = None, to_year: int | None = None) -> dict:
        return self.get_json(f"/regions/{code}/trend", indicator=indicator, **{"from": from_year, "to": to_year})

    def households(self, region: str, status: str | None = None, page: int = 1, year: int | None = None) -> dict:
        return self.get_json("/households", region=region, status=status, page=page, year=year)

    def household(self, household_id: int) -> dict:
        return self.get_json(f"/households/{household_id}")

    def projects(self, region: str, year: int | None = None) -> list[dict]:
        return self.get_json("/projects", region=region, year=year)

    def fund_flows(self, region: str, year: int | None = None) -> dict:
        return self.get_json("/funds/flows", region=region, year=year)

    def cameras(self, region: str | None = None) -> list[dict]:
        return self.get_json("/cameras", region=region)

    def checkins(self, region: str, since: str | None = None) -> list[dict]:
        return self.get_json("/checkins", region=region, since=since)

    def close(self) -> None:
        self.session.close()
