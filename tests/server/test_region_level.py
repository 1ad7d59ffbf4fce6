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


class _Statements:
    """The SQL statements the API runs while in this block."""

    def __init__(self, engine):
        from sqlalchemy import event

        self.engine, self.event, self.seen = engine, event, []

    def _on(self, conn, cursor, statement, *args):
        self.seen.append(" ".join(statement.split()).lower())

    def __enter__(self):
        self.event.listen(self.engine, "before_cursor_execute", self._on)
        return self

    def __exit__(self, *exc):
        self.event.remove(self.engine, "before_cursor_execute", self._on)

    def reads(self, table: str) -> list[str]:
        return [s for s in self.seen if f"from {table}" in s or f'from "{table}"' in s]


@pytest.mark.parametrize("path", [f"{TOWN}/level", TOWN, "522726/level"])
@pytest.mark.parametrize("year", [None, 2017])
def test_a_level_asked_for_again_is_sent_from_its_prepared_form_in_one_read(api, tokens, demo_engine, path, year):
    """Issue 19: a cached drill's answer costs the facts version's read, no lookup of the region, its
    years, children or facts (the GUI's click waits for this)."""
    t = tokens["display"]
    params = {} if year is None else {"year": year}
    first = _get(api, path, t, params=params)
    assert first.status_code == 200
    with _Statements(demo_engine) as sql:
        again = _get(api, path, t, params=params)
    assert again.status_code == 200 and again.content == first.content and again.headers["etag"] == first.headers["etag"]
    assert len(sql.reads("meta")) == 1, sql.seen
    for table in ("regions", "poverty_lines", "region_year_facts", "region_year_totals"):
        assert not sql.reads(table), (table, sql.seen)


def test_a_prepared_level_of_the_latest_year_follows_the_facts_version(api, tokens, demo_engine):
    """The answer kept for 'the latest year' (no year asked) is not sent once the facts changed."""
    from tests.server.test_cache import _shift_population

    t = tokens["display"]
    before = _get(api, f"{TOWN}/level", t)
    assert _get(api, f"{TOWN}/level", t).headers["etag"] == before.headers["etag"]  # kept
    village = before.json()["children"]["features"][0]["properties"]["code"]
    _shift_population(demo_engine, village, 100_000)
    try:
        after = _get(api, f"{TOWN}/level", t, headers={"If-None-Match": before.headers["etag"]})
        assert after.status_code == 200 and after.headers["etag"] != before.headers["etag"]

        def pop(level):
            return level["children_series"]["children"][village]["2016"]["rural_population"]

        assert pop(after.json()) == pop(before.json()) + 100_000
        region_before = before.json()["region"]["series"]["2016"]["rural_population"]
        assert _get(api, TOWN, t).json()["series"]["2016"]["rural_population"] == region_before + 100_000
    finally:
        _shift_population(demo_engine, village, -100_000)


def test_a_prepared_level_is_never_a_way_around_the_token_or_a_missing_region(api, tokens):
    t = tokens["display"]
    assert _get(api, f"{TOWN}/level", t).status_code == 200
    assert _get(api, f"{TOWN}/level", tokens["leader_town"]).status_code == 403  # another town's leader
    assert api.get(f"/api/v1/regions/{TOWN}/level").status_code == 401
    assert _get(api, "522799000000/level", t).status_code == 404
    assert _get(api, f"{TOWN}/level", t, params={"year": 1990}).status_code == 422
