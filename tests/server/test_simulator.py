"""The demo check-in simulator posts through the real endpoint, and its check-ins flow as events."""

from __future__ import annotations

import random
import socket
import time

import numpy as np
import pytest
from sqlalchemy import delete, func, select

from sandbox.server.runtime import EmbeddedServer, new_token
from sandbox.server.simulator import CheckinSimulator
from sandbox.store.db import make_engine
from sandbox.store.migrate import upgrade
from sandbox.store.models import ApiToken, Checkin
from sandbox.store.tokens import hash_token
from tests.server.test_events import SseReader


@pytest.fixture(scope="module")
def server(demo_engine):
    with demo_engine.connect() as conn:
        first = conn.scalar(select(func.max(Checkin.id)))
    srv = EmbeddedServer(demo_engine).start()
    srv.server.config.app.state.sse_heartbeat_s = 1.0
    yield srv
    srv.stop()
    with demo_engine.begin() as conn:
        conn.execute(delete(Checkin).where(Checkin.id > first))


def test_the_simulator_posts_checkins_that_arrive_as_events(server, demo_engine, tokens):
    reader = SseReader(server.url, tokens["display"])
    reader.wait_connected()
    with demo_engine.connect() as conn:
        before = conn.scalar(select(func.count()).select_from(Checkin))
    sim = CheckinSimulator(demo_engine, server.url, rate_per_minute=900, seed=7)
    try:
        sim.start()
        assert sim.running
        deadline = time.monotonic() + 30
        while sim.posted < 5 and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        sim.stop()
        # every posted check-in's event, however long the bus and the stream take on a loaded machine
        reader.wait_for(lambda e: sum(x[1] == "checkin" for x in reader.events) >= sim.posted, timeout=10)
        reader.wait_for(lambda e: False, timeout=0.3)  # and nothing more after that
        reader.close()
    assert not sim.running
    assert sim.posted >= 5, sim.last_error
    assert sim.failed == 0 and sim.rejected == 0, sim.last_error  # plausible: inside the county, assigned
    with demo_engine.connect() as conn:
        rows = conn.execute(select(Checkin.id, Checkin.effective).order_by(Checkin.id.desc()).limit(sim.posted)).all()
        after = conn.scalar(select(func.count()).select_from(Checkin))
    assert after - before == sim.posted
    checkin_events = [e for e in reader.events if e[1] == "checkin"]
    assert len(checkin_events) == sim.posted
    assert {e[2]["id"] for e in checkin_events} == {r.id for r in rows}
    # mostly effective visits, sent in both coordinate systems
    assert sum(bool(r.effective) for r in rows) >= len(rows) // 2
    # its own admin token is revoked when it stops
    with demo_engine.connect() as conn:
        revoked = conn.execute(select(ApiToken.revoked_at).where(ApiToken.label == "内置演示签到模拟器")).scalars().all()
    assert revoked and all(r is not None for r in revoked)


def test_simulated_bodies_are_plausible(server, demo_engine):
    token = new_token(demo_engine, "admin", label="测试")
    sim = CheckinSimulator(demo_engine, server.url, token=token, rate_per_minute=1, seed=3)
    sim.start()
    sim.stop()
    bodies = [sim.make_checkin() for _ in range(200)]
    crs = [b["point"]["crs"] for b in bodies]
    assert 100 < crs.count("GCJ-02") < 200 and crs.count("WGS-84") > 5
    assert all(b["at"].endswith("+08:00") and b["photos"] == [] and b["note"] for b in bodies)
    # every point inside the county, as the server's fence judges it (1 in 20 jumps 0.8–2.5 km away)
    from sandbox.geo.crs import gcj02_to_wgs84_xy
    from sandbox.server.checkins.geofence import county_fence
    from sandbox.store.db import session_factory

    with session_factory(demo_engine)() as session:
        fence = county_fence(session)
    many = [sim.make_checkin()["point"] for _ in range(3000)]
    for pt in many:
        lon, lat = pt["lon"], pt["lat"]
        if pt["crs"] == "GCJ-02":
            x, y = gcj02_to_wgs84_xy(np.array([lon]), np.array([lat]))
            lon, lat = float(x[0]), float(y[0])
        assert fence.contains(lon, lat), pt
    # a given token is not the simulator's to revoke
    with demo_engine.connect() as conn:
        assert conn.scalar(select(ApiToken.revoked_at).where(ApiToken.token_hash == hash_token(token))) is None


class _Scripted(random.Random):
    """A seeded generator whose first draws are given: the rest come from the seed."""

    def __init__(self, seed: int, randoms: list[float], gausses: list[float]) -> None:
        super().__init__(seed)
        self.randoms, self.gausses = list(randoms), list(gausses)

    def random(self) -> float:
        return self.randoms.pop(0) if self.randoms else super().random()

    def gauss(self, mu: float = 0.0, sigma: float = 1.0) -> float:
        return self.gausses.pop(0) if self.gausses else super().gauss(mu, sigma)


def _wgs84(pt: dict) -> tuple[float, float]:
    """A posted point as (lon, lat) in WGS-84, whichever system the phone sent it in."""
    from sandbox.geo.crs import gcj02_to_wgs84_xy

    lon, lat = pt["lon"], pt["lat"]
    if pt["crs"] == "GCJ-02":
        x, y = gcj02_to_wgs84_xy(np.array([lon]), np.array([lat]))
        lon, lat = float(x[0]), float(y[0])
    return lon, lat


def _just_inside_but_rounds_out(fence) -> tuple[float, float]:
    """A point ~1 mm inside the county line whose 6-decimal rounding (~0.1 m) lies outside it."""
    polygons = getattr(fence.geometry, "geoms", [fence.geometry])
    for polygon in polygons:
        ring = np.asarray(polygon.exterior.coords)
        for (x0, y0), (x1, y1) in zip(ring[:-1], ring[1:]):
            length = float(np.hypot(x1 - x0, y1 - y0))
            if length < 1e-5:
                continue
            mx, my, nx, ny = (x0 + x1) / 2, (y0 + y1) / 2, -(y1 - y0) / length, (x1 - x0) / length
            for sign in (1, -1):
                x, y = mx + sign * nx * 1e-8, my + sign * ny * 1e-8
                if fence.contains(x, y) and not fence.contains(round(x, 6), round(y, 6)):
                    return x, y
    raise AssertionError("no such point on the county line")


def test_a_drawn_point_that_rounds_out_of_the_county_is_drawn_again(demo_engine):
    """The flaky "one check-in point fell outside its geofence": the simulator judged the point it drew,
    the server judges the point it is sent (rounded to 6 decimals); a point centimetres inside the
    county line could round out of it. Pinned here: a house on the line, the first draw at the house
    sent as WGS-84."""
    from sandbox.server.checkins.geofence import county_fence
    from sandbox.store.db import session_factory

    with session_factory(demo_engine)() as session:
        fence = county_fence(session)
    house = _just_inside_but_rounds_out(fence)
    for seed in range(20):
        sim = CheckinSimulator(demo_engine, "http://127.0.0.1:9", token="unused", seed=seed)
        sim._pairs, sim._fences = [(1, 1, "522726101001", *house)], {"522726": fence}
        sim._rng = _Scripted(seed, randoms=[0.0, 0.9], gausses=[0.0])  # near, r = 0, then WGS-84
        pt = sim.make_checkin()["point"]
        assert fence.contains(*_wgs84(pt)), (seed, pt)


def test_the_simulator_never_runs_on_real_records(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'real.db'}")
    upgrade(engine)  # an empty, non-demo database
    sim = CheckinSimulator(engine, "http://127.0.0.1:9", rate_per_minute=60).start()
    assert not sim.running and sim.posted == 0
    sim.stop()
    engine.dispose()


def test_the_simulator_survives_a_server_that_is_gone(demo_engine):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # nothing listens here
    sim = CheckinSimulator(demo_engine, f"http://127.0.0.1:{port}", rate_per_minute=600, seed=1, timeout_s=1)
    try:
        sim.start()
        deadline = time.monotonic() + 10
        while sim.failed < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert sim.failed >= 2 and sim.running and sim.posted == 0
    finally:
        sim.stop()
    assert not sim.running


def test_rate_must_be_positive(demo_engine):
    with pytest.raises(ValueError):
        CheckinSimulator(demo_engine, "http://127.0.0.1:1", rate_per_minute=0)
