"""GET /regions/{code}/level: a map level in one answer, the same as its three parts, ready to send."""

from __future__ import annotations

import gzip

import pytest

from sandbox.server.regions.schemas import LevelOut
from tests.conftest import auth

COUNTY = "522726000000"
TOWN = "522726101000"


def _get(api, path, token, **kw):
    return api.get(f"/api/v1/regions/{path}", headers={**auth(token), **kw.pop("headers", {})}, **kw)


@pytest.mark.parametrize("code", [COUNTY, "522726", TOWN])
@pytest.mark.parametrize("year", [None, 2016])
def test_a_level_is_its_three_parts_in_one(api, tokens, code, year):
    t = tokens["display"]
    params = {} if year is None else {"year": year}
    level = _get(api, f"{code}/level", t, params=params)
    assert level.status_code == 200, level.text
    body = level.json()
    LevelOut.model_validate(body)
    assert body["region"] == _get(api, code, t, params=params).json()
    assert body["children"] == _get(api, f"{code}/children.geojson", t, params=params).json()
    assert body["children_series"] == _get(api, f"{code}/children/series", t).json()
    assert body["children"]["features"] and set(body["children_series"]["children"]) == {
        f["properties"]["code"] for f in body["children"]["features"]}


def test_a_village_level_has_no_children(api, tokens):
    t = tokens["display"]
    village = _get(api, TOWN, t).json()["children"][0]["code"]
    body = _get(api, f"{village}/level", t).json()
    assert body["region"]["level"] == "village" and body["region"]["code"] == village
    assert body["children"]["features"] == [] and body["children_series"]["children"] == {}


def test_the_answer_is_gzip_and_etag_ready(api, tokens):
    t = tokens["display"]
    plain = _get(api, f"{TOWN}/level", t, headers={"Accept-Encoding": "identity"})
    assert plain.headers.get("content-encoding") is None and plain.headers["etag"]
    zipped = api.get(f"/api/v1/regions/{TOWN}/level", headers={**auth(t), "Accept-Encoding": "gzip"})
    assert zipped.headers["content-encoding"] == "gzip" and zipped.json() == plain.json()
    assert zipped.headers["etag"] == plain.headers["etag"]
    assert len(gzip.compress(plain.content)) < len(plain.content) / 3  # worth it over a real network
    again = _get(api, f"{TOWN}/level", t, headers={"If-None-Match": plain.headers["etag"]})
    assert again.status_code == 304 and again.content == b"" and again.headers["etag"] == plain.headers["etag"]
    other_year = _get(api, f"{TOWN}/level", t, params={"year": 2015}, headers={"If-None-Match": plain.headers["etag"]})
    assert other_year.status_code == 200 and other_year.headers["etag"] != plain.headers["etag"]


def test_bad_input_is_a_clear_chinese_error(api, tokens):
    t = tokens["display"]
    for path, params, status in (("522799000000/level", {}, 404), ("12x/level", {}, 422),
                                 (f"{TOWN}/level", {"year": "abc"}, 422), (f"{TOWN}/level", {"year": 3000}, 422)):
        r = _get(api, path, t, params=params)
        assert r.status_code == status, (path, params, r.text)
        assert isinstance(r.json()["detail"], (str, list))
    assert api.get(f"/api/v1/regions/{TOWN}/level").status_code == 401
    assert _get(api, f"{TOWN}/level", tokens["delegation"]).status_code == 200  # aggregates only: allowed


def test_a_level_follows_the_facts_version(api, tokens, demo_engine):
    from tests.server.test_cache import _shift_population

    t = tokens["display"]
    before = _get(api, f"{TOWN}/level", t, params={"year": 2016})
    village = before.json()["children"]["features"][0]["properties"]["code"]
    _shift_population(demo_engine, village, 100_000)
    try:
        after = _get(api, f"{TOWN}/level", t, params={"year": 2016}, headers={"If-None-Match": before.headers["etag"]})
        assert after.status_code == 200 and after.headers["etag"] != before.headers["etag"]
        pop = {f["properties"]["code"]: f["properties"]["rural_population"] for f in after.json()["children"]["features"]}
        old = {f["properties"]["code"]: f["properties"]["rural_population"] for f in before.json()["children"]["features"]}
        assert pop[village] == old[village] + 100_000
        assert after.json()["children_series"]["children"][village]["2016"]["rural_population"] == pop[village]
    finally:
        _shift_population(demo_engine, village, -100_000)


def test_a_region_is_served_ready_too(api, tokens):
    t = tokens["display"]
    first = _get(api, TOWN, t, params={"year": 2017})
    assert first.status_code == 200 and first.headers["etag"]
    assert set(first.json()) >= {"code", "indicators", "series", "as_of"} and "build" not in first.json()  # as RegionOut
    assert _get(api, TOWN, t, params={"year": 2017}, headers={"If-None-Match": first.headers["etag"]}).status_code == 304
    assert _get(api, TOWN, t, params={"year": 2018}, headers={"If-None-Match": first.headers["etag"]}).status_code == 200
