"""Demo check-in simulator: plausible cadre check-ins posted through the real HTTP endpoint, so the
embedded wall shows check-ins arriving (points, pulses, SSE events) as they would in production.

    sim = CheckinSimulator(engine, server.url, rate_per_minute=6).start()
    ...
    sim.stop()

It only runs on a demo dataset (meta `demo` = true): it never writes invented check-ins into
real records. Without a `token` it makes its own admin token, keeps it in memory only, and
revokes it on `stop()`. Each check-in: a random 结对 (cadre, household) still in force, a point
near the household (about 1 in 20 is too far away and comes out not effective), the time now,
sent as GCJ-02 (as WeChat's wx.getLocation gives it) four times in five, else WGS-84, a note,
no photos (a wall running for weeks would fill the disk).
"""

from __future__ import annotations

import datetime as dt
import logging
import random
import threading

import numpy as np
import requests
from sqlalchemy import update
from sqlalchemy.engine import Engine

from sandbox.geo.crs import gcj02_to_wgs84_xy, wgs84_to_gcj02_xy
from sandbox.server.checkins.geofence import county_fence
from sandbox.store import queries
from sandbox.store.checkins import CHINA_TZ, active_pairs
from sandbox.store.db import session_factory
from sandbox.store.models import ApiToken
from sandbox.store.tokens import create_token, hash_token

__all__ = ["CheckinSimulator"]

log = logging.getLogger(__name__)

_NOTES = ("走访了解家庭收入情况", "宣讲防止返贫监测政策", "核实住房安全情况", "协助申报产业扶持项目",
          "落实医疗保险参保缴费", "了解子女就学情况", "帮助联系外出务工岗位", "核对帮扶台账信息",
          "征询对帮扶工作的意见", "指导发展林下养殖", "了解产业分红到户情况")
_LABEL = "内置演示签到模拟器"


_ATTEMPTS, _PER_HOUSE = 32, 8  # draws per check-in, and per house before another is chosen


def _on_the_wire(lon: float, lat: float, crs: str) -> dict:
    """A WGS-84 point as a check-in body carries it: in `crs`, rounded to 6 decimals (~0.1 m)."""
    if crs == "GCJ-02":
        x, y = wgs84_to_gcj02_xy(np.array([lon]), np.array([lat]))
        lon, lat = float(x[0]), float(y[0])
    return {"lon": round(lon, 6), "lat": round(lat, 6), "crs": crs}


def _as_judged(point: dict) -> tuple[float, float]:
    """The WGS-84 point the server's geofence judges (sandbox.server.checkins.routes)."""
    lon, lat = point["lon"], point["lat"]
    if point["crs"] == "GCJ-02":
        x, y = gcj02_to_wgs84_xy(np.array([lon]), np.array([lat]))
        lon, lat = float(x[0]), float(y[0])
    return lon, lat


class CheckinSimulator:
    def __init__(self, engine: Engine, base_url: str, token: str | None = None, rate_per_minute: float = 6.0,
                 seed: int | None = None, timeout_s: float = 10.0, pool: int = 2000) -> None:
        if rate_per_minute <= 0:
            raise ValueError("rate_per_minute must be positive")
        self.engine, self.base_url = engine, base_url.rstrip("/")
        self.rate_per_minute, self.timeout_s, self.pool = rate_per_minute, timeout_s, pool
        self._token, self._own_token = token, False
        self._rng = random.Random(seed)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._pairs: list[tuple[int, int, str, float, float]] = []
        # each county's outline (a province's database holds many): a plausible check-in lies inside
        # its household's county, the fence the server judges it by
        self._fences: dict[str, object] = {}
        self.posted = 0  # 201s
        self.rejected = 0  # 4xx: logged, the simulator goes on
        self.failed = 0  # network errors, 5xx
        self.last_error: str | None = None

    # -- lifecycle ------------------------------------------------------------------------------
    def start(self) -> CheckinSimulator:
        """Start posting in a background thread (no-op, with a log line, on a non-demo dataset)."""
        if self._thread is not None:
            return self
        sessions = session_factory(self.engine)
        with sessions() as session:
            if queries.meta(session).get("demo") != "true":
                log.warning("check-in simulator not started: the database is not a demo dataset")
                return self
            self._pairs = active_pairs(session, self.pool)
            for county in sorted({village[:6] for _, _, village, _, _ in self._pairs}):  # before the first post
                self._fences[county] = county_fence(session, county)
            if self._token is None:
                self._token = create_token(session, "admin", None, _LABEL)
                self._own_token = True
                session.commit()
        if not self._pairs:
            log.warning("check-in simulator not started: no active cadre-household pairs")
            return self
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="checkin-simulator", daemon=True)
        self._thread.start()
        log.info("check-in simulator: %.1f per minute to %s", self.rate_per_minute, self.base_url)
        return self

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None
        if self._own_token and self._token:
            try:
                with session_factory(self.engine)() as session:
                    session.execute(update(ApiToken).where(ApiToken.token_hash == hash_token(self._token))
                                    .values(revoked_at=dt.datetime.now(dt.UTC).replace(tzinfo=None)))
                    session.commit()
            except Exception:  # the database may already be gone at shutdown
                log.warning("check-in simulator: could not revoke its token", exc_info=True)
            self._token, self._own_token = None, False

    def __enter__(self) -> CheckinSimulator:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # -- work -----------------------------------------------------------------------------------
    def _run(self) -> None:
        http = requests.Session()
        http.headers["Authorization"] = f"Bearer {self._token}"
        try:
            while not self._stop.is_set():
                self.post_one(http)
                # Poisson arrivals: exponential gaps with the given mean rate
                self._stop.wait(self._rng.expovariate(self.rate_per_minute / 60.0))
        finally:
            http.close()

    def make_checkin(self) -> dict:
        """One plausible check-in body for a random assigned household (of any county the database
        holds: a province's demo posts all over it), its point inside the household's county as the
        server judges it: what is sent (rounded to 6 decimals, in GCJ-02 mostly) converted back, not
        the point drawn; a drawn point centimetres inside the county line can round out of it."""
        point = None
        for attempt in range(_ATTEMPTS):
            if attempt % _PER_HOUSE == 0:  # a house whose surroundings keep failing: another house
                cadre_id, household_id, village, lon, lat = self._rng.choice(self._pairs)
                fence = self._fence_of(village)
            if self._rng.random() < 0.95:
                r = abs(self._rng.gauss(0, 60))  # metres from the house
            else:
                r = self._rng.uniform(800, 2500)  # checked in from elsewhere: not effective
            angle = self._rng.uniform(0, 2 * np.pi)
            x = lon + r * np.cos(angle) / (111_320 * np.cos(np.radians(lat)))
            y = lat + r * np.sin(angle) / 110_540
            point = _on_the_wire(x, y, "GCJ-02" if self._rng.random() < 0.8 else "WGS-84")
            if fence is None or fence.contains(*_as_judged(point)):
                break
        at = dt.datetime.now(CHINA_TZ) - dt.timedelta(seconds=self._rng.uniform(0, 20))
        return {"point": point, "accuracy_m": round(self._rng.uniform(5, 40), 1), "at": at.isoformat(timespec="seconds"),
                "household_id": household_id, "cadre_id": cadre_id, "note": self._rng.choice(_NOTES), "photos": []}

    def _fence_of(self, village: str):
        """The outline of the village's county (looked up once per county)."""
        county = village[:6]
        if county not in self._fences:
            with session_factory(self.engine)() as session:
                self._fences[county] = county_fence(session, county)
        return self._fences[county]

    def post_one(self, http: requests.Session | None = None) -> int | None:
        """Post one check-in now; returns the HTTP status (None on a network error)."""
        own = http is None
        if own:
            http = requests.Session()
            http.headers["Authorization"] = f"Bearer {self._token}"
        try:
            r = http.post(f"{self.base_url}/api/v1/checkins", json=self.make_checkin(), timeout=self.timeout_s)
        except requests.RequestException as exc:
            self.failed += 1
            self.last_error = type(exc).__name__
            log.warning("check-in simulator: %s", type(exc).__name__)
            return None
        finally:
            if own:
                http.close()
        if r.status_code == 201:
            self.posted += 1
        elif r.status_code < 500:
            self.rejected += 1
            self.last_error = f"{r.status_code}: {r.text[:200]}"
            log.info("check-in simulator: rejected %s", self.last_error)
        else:
            self.failed += 1
            self.last_error = f"{r.status_code}"
            log.warning("check-in simulator: server error %s", r.status_code)
        return r.status_code
