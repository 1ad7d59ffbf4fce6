"""A demo province (贵州, its first 3 counties: 独山县 and two others) answers for the province (52) and
its prefectures (5227): totals that are the sum of the counties', the same API shape as a county's,
403 for a county's token, 404 for an unknown code and 422 for a malformed one."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, text

from sandbox.domain.indicators import FACTS
from sandbox.geo.divisions import county_divisions
from sandbox.server.app import create_app
from sandbox.server.runtime import new_token
from sandbox.store.demo.province import province_counties
from sandbox.store.models import Region, RegionYearTotals
from tests.conftest import auth
from tests.databases import province_engine

CHINESE = re.compile(r"[\u4e00-\u9fff]")
_COUNTS = ("villages", "poor_villages", "exited_poor_villages", "first_secretary_villages")


@pytest.fixture(scope="module")
def province(tmp_path_factory):
    engine, report = province_engine(tmp_path_factory.mktemp("province"), 3, pg_schema="province")
    yield engine, report
    engine.dispose()


@pytest.fixture(scope="module")
def client(province):
    engine, _ = province
    with TestClient(create_app(engine), raise_server_exceptions=False) as c:
        yield c


@pytest.fixture(scope="module")
def tokens(province):
    engine, _ = province
    return {"admin": new_token(engine, "admin"), "county": new_token(engine, "leader", "522726"),
            "prefecture": new_token(engine, "leader", "5227")}


def test_the_slice_has_real_county_names_codes_and_prefectures(province):
    engine, report = province
    expected = province_counties("52", 3)
    assert expected[0][0] == "522726" and len(expected) == 3
    with engine.connect() as conn:
        rows = {r.code: r for r in conn.execute(select(Region.code, Region.name, Region.level, Region.parent_code))}
    counties = {c: r.name for c, r in rows.items() if r.level == "county"}
    assert counties == {code + "000000": name for code, name, _, _ in expected}
    assert rows["520000000000"].name == "贵州省" and rows["520000000000"].level == "province"
    assert rows["520000000000"].parent_code is None
    for code, _, _, prefecture in expected:
        pref = rows[code[:4] + "00000000"]
        assert pref.level == "prefecture" and pref.name == prefecture and pref.parent_code == "520000000000"
        assert rows[code + "000000"].parent_code == code[:4] + "00000000"
    assert rows["522700000000"].name == "黔南布依族苗族自治州"
    # a county other than Dushan has its real towns and villages where the divisions list holds them
    other = expected[1][0]
    real_towns = {t.code: t.name for t in county_divisions(other) if t.villages}
    towns = {c: r.name for c, r in rows.items() if r.level == "town" and c.startswith(other)}
    assert real_towns and towns == real_towns
    # Dushan as in its own demo: the seed's 8 towns and 133 villages
    assert sum(1 for c, r in rows.items() if r.level == "town" and c.startswith("522726")) == 8
    assert sum(1 for c, r in rows.items() if r.level == "village" and c.startswith("522726")) == 133
    assert report.counties == 3 and report.name == "贵州省"


def test_prefecture_and_province_totals_are_the_sums_of_their_counties(province):
    engine, _ = province
    T = RegionYearTotals
    cols = FACTS + _COUNTS
    with engine.connect() as conn:
        rows = conn.execute(select(T.__table__)).mappings().all()
    by = {(r["region_code"], r["year"]): r for r in rows}
    years = sorted({y for _, y in by})
    counties = [c for c, _ in by if c.endswith("000000") and not c.endswith("00000000")]
    assert len(set(counties)) == 3 and years
    for upper, members in (("520000000000", set(counties)),
                           ("522700000000", {c for c in counties if c.startswith("5227")})):
        for y in years:
            for col in cols:
                parts = [by[(c, y)][col] for c in members]
                expected = None if all(p is None for p in parts) else sum(p or 0 for p in parts)
                got = by[(upper, y)][col]
                assert got == (expected if expected is None else pytest.approx(expected, rel=1e-12)), (upper, y, col)
    assert by[("520000000000", 2016)]["poor_population"] > by[("522726000000", 2016)]["poor_population"]


def test_dushan_keeps_the_seed_figures_inside_the_province(client, tokens):
    r = client.get("/api/v1/regions/522726?year=2016", headers=auth(tokens["admin"])).json()
    assert r["indicators"]["poor_population"] == 46572 and r["indicators"]["poverty_incidence"] == 15.1
    assert r["parent_code"] == "522700000000"


@pytest.mark.parametrize("code, level, child_level", [("52", "province", "prefecture"),
                                                      ("5227", "prefecture", "county"),
                                                      ("520000000000", "province", "prefecture")])
def test_the_api_answers_for_a_province_and_a_prefecture(client, tokens, code, level, child_level):
    h = auth(tokens["admin"])
    region = client.get(f"/api/v1/regions/{code}?year=2016", headers=h)
    assert region.status_code == 200
    body = region.json()
    assert body["level"] == level and body["children"] and {c["level"] for c in body["children"]} == {child_level}
    assert body["indicators"]["poor_population"] > 0 and str(2016) in body["series"]
    geo = client.get(f"/api/v1/regions/{code}/children.geojson?year=2016", headers=h)
    assert geo.status_code == 200
    features = geo.json()["features"]
    assert {f["properties"]["code"] for f in features} == {c["code"] for c in body["children"]}
    assert all(f["geometry"]["coordinates"] for f in features)
    level_answer = client.get(f"/api/v1/regions/{code}/level?year=2016", headers=h).json()
    assert set(level_answer) == {"region", "children", "children_series"}
    assert level_answer["region"]["code"] == body["code"]
    assert set(level_answer["children_series"]["children"]) == {c["code"] for c in body["children"]}
    trend = client.get(f"/api/v1/regions/{code}/trend?indicator=poor_population", headers=h).json()
    assert [p["year"] for p in trend["points"]] == sorted(int(y) for y in body["series"])


def test_a_province_and_a_prefecture_say_how_many_counties_they_hold(province, client, tokens):
    """The header's 下辖 N 个县（市、区）: the province's children are 市州, so the count is the API's."""
    engine, _ = province
    with engine.connect() as conn:
        counties = [r.code for r in conn.execute(select(Region.code).where(Region.level == "county"))]
    h = auth(tokens["admin"])
    assert len(counties) == 3
    province_body = client.get("/api/v1/regions/52?year=2016", headers=h).json()
    assert province_body["counties"] == 3 and len(province_body["children"]) < 3  # fewer 市州 than counties
    for pref in {c[:4] for c in counties}:
        body = client.get(f"/api/v1/regions/{pref}?year=2016", headers=h).json()
        assert body["counties"] == sum(c.startswith(pref) for c in counties) == len(body["children"])
    level = client.get("/api/v1/regions/52/level?year=2016", headers=h).json()
    assert level["region"]["counties"] == 3
    # at the county and below it is no count of anything: null
    assert client.get("/api/v1/regions/522726?year=2016", headers=h).json()["counties"] is None


def test_the_province_is_the_datasets_root(client):
    assert client.get("/api/v1/health").json()["root_region"] == "520000000000"


@pytest.mark.parametrize("code", ["52", "5227", "520000000000", "522700000000"])
def test_a_county_token_may_not_read_its_province_or_prefecture(client, tokens, code):
    for path in ("", "/children.geojson", "/level", "/children/series", "/trend"):
        r = client.get(f"/api/v1/regions/{code}{path}", headers=auth(tokens["county"]))
        assert r.status_code == 403, (path, r.text)
        assert CHINESE.search(r.json()["detail"])
    assert client.get("/api/v1/regions/522726", headers=auth(tokens["county"])).status_code == 200


def test_a_prefecture_token_reads_its_prefecture_and_counties_not_the_province(client, tokens):
    h = auth(tokens["prefecture"])
    assert client.get("/api/v1/regions/5227/level", headers=h).status_code == 200
    assert client.get("/api/v1/regions/522726", headers=h).status_code == 200
    assert client.get("/api/v1/regions/52", headers=h).status_code == 403


@pytest.mark.parametrize("code", ["53", "5299", "529900000000"])
def test_an_unknown_province_or_prefecture_is_a_404(client, tokens, code):
    r = client.get(f"/api/v1/regions/{code}", headers=auth(tokens["admin"]))
    assert r.status_code == 404 and CHINESE.search(r.json()["detail"])


@pytest.mark.parametrize("code", ["5", "522", "52272", "5227261", "５２", "52a"])
def test_a_malformed_code_is_a_422_in_chinese(client, tokens, code):
    r = client.get(f"/api/v1/regions/{code}", headers=auth(tokens["admin"]))
    assert r.status_code == 422 and "区划代码" in r.json()["detail"]


def test_a_checkin_is_fenced_by_its_households_county_not_the_provinces_first(province, client, tokens):
    engine, _ = province
    with engine.connect() as conn:
        rows = conn.execute(text(
            "SELECT a.cadre_id, a.household_id, h.village_code, h.lon, h.lat FROM assignments a "
            "JOIN households h ON h.id = a.household_id JOIN cadres c ON c.id = a.cadre_id "
            "WHERE a.end_year IS NULL AND c.end_year IS NULL ORDER BY a.id")).all()
    first = {}
    for r in rows:
        first.setdefault(r.village_code[:6], r)
    assert {"522726", "520103"} <= set(first)  # 独山县 and 云岩区; 南明区 (520102) comes first by code
    now = dt.datetime.now(dt.timezone(dt.timedelta(hours=8))).replace(microsecond=0).isoformat()
    for county in ("522726", "520103"):
        r = first[county]
        body = {"point": {"lon": r.lon + 0.0002, "lat": r.lat, "crs": "WGS-84"}, "at": now,
                "household_id": r.household_id, "cadre_id": r.cadre_id, "photos": []}
        answer = client.post("/api/v1/checkins", json=body, headers=auth(tokens["admin"]))
        assert answer.status_code == 201, (county, answer.text)
        assert answer.json()["village_code"].startswith(county)
    # a point in another county of the province is still outside the household's
    r = first["522726"]
    body = {"point": {"lon": first["520103"].lon, "lat": first["520103"].lat, "crs": "WGS-84"}, "at": now,
            "household_id": r.household_id, "cadre_id": r.cadre_id, "photos": []}
    answer = client.post("/api/v1/checkins", json=body, headers=auth(tokens["admin"]))
    assert answer.status_code == 422 and "独山县" in answer.json()["detail"]
