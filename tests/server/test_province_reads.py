"""Reads above the county in a province's database: a county's records read by the code index (a small
part of the rows there), a one-county database's county still from the table; a province's or a
prefecture's map has its children's outlines simplified for that map's scale, its answer the same
bytes on repeat. A small synthetic province (regions and outlines, a few households), built in a second."""

from __future__ import annotations

import json
import math

import pytest
import shapely
from fastapi.testclient import TestClient
from sqlalchemy import insert, select, text
from sqlalchemy.orm import Session

from sandbox.domain.regions import RegionCode
from sandbox.geo.simplify import TOLERANCE_DEG
from sandbox.server.app import create_app
from sandbox.server.runtime import new_token
from sandbox.store import queries
from sandbox.store.db import make_engine
from sandbox.store.migrate import upgrade
from sandbox.store.models import Household, Region
from tests.conftest import PG_URL, auth
from tests.query_plans import captured_plans, plan_lines

pytestmark = pytest.mark.skipif(bool(PG_URL), reason="SQLite's query plans; PostgreSQL always reads the range")


def _circle(lon: float, lat: float, r: float, n: int = 4000) -> str:
    """A round outline of `n` points: every point a real one at a county's scale, most of them noise at a
    province's."""
    ring = [[round(lon + r * math.cos(2 * math.pi * i / n), 6), round(lat + r * math.sin(2 * math.pi * i / n), 6)]
            for i in range(n)]
    return json.dumps({"type": "Polygon", "coordinates": [ring + [ring[0]]]})


def _regions(counties: dict[str, tuple[str, float, float]], towns_each: int, villages_each: int) -> list[dict]:
    rows = [{"code": "520000000000", "name": "贵州省", "level": "province", "parent_code": None,
             "boundary": _circle(106.7, 26.8, 2.5)},
            {"code": "522700000000", "name": "黔南布依族苗族自治州", "level": "prefecture",
             "parent_code": "520000000000", "boundary": _circle(107.5, 26.0, 1.2)},
            {"code": "520100000000", "name": "贵阳市", "level": "prefecture", "parent_code": "520000000000",
             "boundary": _circle(106.6, 26.6, 0.8)}]
    for county, (name, lon, lat) in counties.items():
        rows.append({"code": county + "000000", "name": name, "level": "county",
                     "parent_code": county[:4] + "00000000", "boundary": _circle(lon, lat, 0.4)})
        for t in range(towns_each):
            town = f"{county}{100 + t:03d}"
            rows.append({"code": town + "000", "name": f"镇{t}", "level": "town", "parent_code": county + "000000",
                         "boundary": None})
            rows += [{"code": f"{town}{200 + v:03d}", "name": f"村{v}", "level": "village", "parent_code": town + "000",
                      "boundary": None}
                     for v in range(villages_each)]
    return rows


def _database(path, counties: dict[str, tuple[str, float, float]], root: str):
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    regions = _regions(counties, towns_each=4, villages_each=10)
    if root != "52":  # a county's database holds its county and below only
        regions = [r for r in regions if r["code"].startswith(root)]
    villages = [r["code"] for r in regions if r["level"] == "village"]
    with engine.begin() as conn:
        conn.execute(insert(Region), regions)
        conn.execute(insert(Household), [
            {"household_number": f"H{i:06d}", "village_code": villages[i % len(villages)], "head_name": "户主",
             "id_number": "522726199001011234", "attribute": "一般贫困户", "identified_year": 2014, "main_cause": "01",
             "lon": 107.5, "lat": 25.8} for i in range(2000)])
        conn.exec_driver_sql("INSERT INTO meta (key, value) VALUES ('demo', 'true'), ('built_at', 'x'), "
                             f"('root_region', '{root.ljust(12, '0')}')")
    return engine


_PROVINCE = {"522726": ("独山县", 107.5, 25.8), "522701": ("都匀市", 107.5, 26.3), "520102": ("南明区", 106.7, 26.6),
             "520103": ("云岩区", 106.7, 26.6), "520111": ("花溪区", 106.6, 26.4)}


@pytest.fixture(scope="module")
def province(tmp_path_factory):
    engine = _database(tmp_path_factory.mktemp("prov") / "p.db", _PROVINCE, "52")
    yield engine
    engine.dispose()


@pytest.fixture(scope="module")
def one_county(tmp_path_factory):
    engine = _database(tmp_path_factory.mktemp("county") / "c.db", {"522726": _PROVINCE["522726"]}, "522726")
    yield engine
    engine.dispose()


def _plan(engine, code: str) -> str:
    with Session(engine) as session:
        query = select(Household.id).where(queries.within(Household.village_code, RegionCode.parse(code), db=session))
        compiled = query.compile(engine, compile_kwargs={"literal_binds": True})
        return " ".join(r[-1] for r in session.execute(text(f"EXPLAIN QUERY PLAN {compiled}")))


def test_a_county_in_a_provinces_database_reads_by_the_code_index(province):
    plan = _plan(province, "522726")
    assert plan.startswith("SEARCH households USING") and "INDEX ix_households_village_code" in plan, plan


def test_a_county_in_its_own_database_still_reads_the_table(one_county):
    plan = _plan(one_county, "522726")
    assert plan.startswith("SCAN households") and "SEARCH" not in plan, plan  # every row: no range


def test_a_countys_households_in_a_province_are_searched_by_the_code_index(province, client):
    """The route's own statements (GET /households), not only the filter: the county's range drives."""
    with captured_plans(province) as plans:
        r = client.get("/api/v1/households?region=522726", headers=auth(new_token(province, "admin")))
    assert r.status_code == 200, r.text
    lines = plan_lines(plans, "households")
    assert any("INDEX ix_households_village_code (village_code>? AND village_code<?)" in line for line in lines), lines
    assert not any(line.startswith("SCAN households") for line in lines), lines


def test_the_choice_follows_the_countys_share_of_the_database(province, one_county):
    with Session(province) as session:
        assert queries.index_serves("522726", session)  # 1 county in 5 (of the households): a small part
        assert not queries.index_serves("52", session)  # the whole province: the table
        assert queries.index_serves("522726101", session)  # a town: always the index
    with Session(one_county) as session:
        assert not queries.index_serves("522726", session)
    assert not queries.index_serves("522726")  # no database said: the one-county rule, as before


def test_a_county_refresh_in_a_province_reads_by_the_range(province):
    from sandbox.store import rollup

    seen: list[str] = []
    with province.connect() as conn:
        from sqlalchemy import event

        def spy(conn_, cursor, statement, *args):
            seen.append(statement)

        event.listen(province, "before_cursor_execute", spy)
        try:
            tx = conn.begin()
            rollup.refresh_facts(conn, "522726")
            tx.rollback()
        finally:
            event.remove(province, "before_cursor_execute", spy)
    reads = [s for s in seen if "h.village_code" in s]
    assert reads and all("LIKE" not in s and "h.village_code >= " in s for s in reads), reads[0]


def _points(geometry: dict) -> int:
    return len(shapely.get_coordinates(shapely.geometry.shape(geometry)))


@pytest.fixture(scope="module")
def client(province):
    with TestClient(create_app(province), raise_server_exceptions=False) as c:
        yield c


@pytest.mark.parametrize("code, drawn_children, fewer", [("52", "prefecture", False), ("5227", "county", True)])
def test_a_level_above_the_county_draws_its_children_simplified_for_its_scale(province, client, code, drawn_children,
                                                                             fewer):
    token = new_token(province, "display")
    r = client.get(f"/api/v1/regions/{code}/level", headers=auth(token))
    assert r.status_code == 200, r.text
    features = r.json()["children"]["features"]
    assert features and all(f["properties"]["level"] == drawn_children for f in features)
    for f in features:
        # A county drawn on its prefecture's map needs fewer points than on its own (a 0.4° outline:
        # ~35 at the prefecture's pixel, not ~50); a prefecture's own tolerance already suits the province's.
        with Session(province) as session:
            own = shapely.geometry.shape(json.loads(session.get(Region, f["id"]).boundary))
        at_own_level = len(shapely.get_coordinates(shapely.simplify(own, TOLERANCE_DEG[drawn_children])))
        assert (_points(f["geometry"]) < at_own_level) if fewer else (_points(f["geometry"]) <= at_own_level), \
            (f["id"], _points(f["geometry"]), at_own_level)
        # 4 decimals (≈ 10 m) at these scales, not 5
        assert all(len(repr(x).partition(".")[2]) <= 4 for x in shapely.get_coordinates(
            shapely.geometry.shape(f["geometry"])).ravel().tolist())
    again = client.get(f"/api/v1/regions/{code}/level", headers=auth(token))
    assert again.content == r.content and again.headers["etag"] == r.headers["etag"]


def test_a_new_facts_version_keeps_the_simplified_outlines(province, client):
    """A check-in moves the facts version; the outlines depend on the boundaries only (built_at)."""
    token = new_token(province, "display")
    client.get("/api/v1/regions/5227/level", headers=auth(token))
    geometry = client.app.state.geometry
    kept = dict(geometry._items)
    with province.begin() as conn:
        conn.exec_driver_sql("DELETE FROM meta WHERE key = 'facts_version'")
        conn.exec_driver_sql("INSERT INTO meta (key, value) VALUES ('facts_version', 'after-a-checkin')")
    assert client.get("/api/v1/regions/5227/level", headers=auth(token)).status_code == 200
    assert geometry._items == kept  # nothing simplified again


def test_the_simulator_fences_each_check_in_by_its_households_county(province):
    """A province's demo posts check-ins in every county it holds, each inside its own household's county
    as the server judges it (not the main county's outline): a house on 云岩区's line, the first draw at
    the house rounding out of it, is drawn again."""
    from sandbox.server.checkins.geofence import county_fence
    from sandbox.server.simulator import CheckinSimulator
    from sandbox.store.db import session_factory
    from tests.server.test_simulator import _just_inside_but_rounds_out, _Scripted, _wgs84

    with session_factory(province)() as session:
        fence = county_fence(session, "520103")
    assert fence is not None and fence.code.startswith("520103")
    house = _just_inside_but_rounds_out(fence)
    for seed in range(20):
        sim = CheckinSimulator(province, "http://127.0.0.1:9", token="unused", seed=seed)
        sim._pairs = [(1, 1, "520103100200", *house)]
        sim._rng = _Scripted(seed, randoms=[0.0, 0.9], gausses=[0.0])  # near, r = 0, then WGS-84
        pt = sim.make_checkin()["point"]
        assert fence.contains(*_wgs84(pt)), (seed, pt)
