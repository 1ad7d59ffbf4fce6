"""Cached region answers follow the records: a refreshed rollup is visible at once."""

from __future__ import annotations

from sqlalchemy import update

from sandbox.store.models import RegionPopulation
from sandbox.store.rollup import refresh_facts, refresh_totals
from tests.conftest import auth


def _incidence(api, tokens):
    r = api.get("/api/v1/regions/522726", params={"year": 2016}, headers=auth(tokens["display"]))
    geo = api.get("/api/v1/regions/522726/children.geojson", params={"year": 2016}, headers=auth(tokens["display"]))
    return r.json()["indicators"]["poverty_incidence"], geo.json()["features"][0]["properties"]["rural_population"]


def _shift_population(engine, village: str, delta: int) -> None:
    with engine.begin() as conn:
        conn.execute(update(RegionPopulation)
                     .where(RegionPopulation.region_code == village, RegionPopulation.year == 2016)
                     .values(rural_population=RegionPopulation.rural_population + delta))
        refresh_facts(conn)
        refresh_totals(conn)


def test_answers_change_when_the_facts_change(api, tokens, demo_engine):
    before, town_pop = _incidence(api, tokens)
    assert _incidence(api, tokens) == (before, town_pop)  # served again (from cache), same answer
    first_town = api.get("/api/v1/regions/522726", headers=auth(tokens["display"])).json()["children"][0]["code"]
    village = api.get(f"/api/v1/regions/{first_town}", headers=auth(tokens["display"])).json()["children"][0]["code"]
    _shift_population(demo_engine, village, 100_000)
    try:
        after, town_pop_after = _incidence(api, tokens)
        assert after < before
        assert town_pop_after == town_pop + 100_000
    finally:
        _shift_population(demo_engine, village, -100_000)
    assert _incidence(api, tokens) == (before, town_pop)
