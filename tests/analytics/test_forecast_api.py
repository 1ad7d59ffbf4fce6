"""GET /regions/{code}/forecast and the household detail's 预计脱贫年度: the audit's rules (no 5xx,
region-limited tokens, aggregates for display and delegation), cached per facts version."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from sandbox.store.models import HouseholdYear
from tests.conftest import auth

URL = "/api/v1/regions/{}/forecast"


def ready(api, url: str, headers: dict, params: dict | None = None, field=None):
    """Ask until the fit is done (the API answers 计算中 with Retry-After while it runs)."""
    deadline = time.monotonic() + 300
    while True:
        r = api.get(url, params=params, headers=headers)
        body = r.json() if r.status_code == 200 else {}
        status = (body.get(field) or {}).get("status") if field else body.get("status")
        if r.status_code != 200 or status != "computing":
            return r
        assert r.headers.get("retry-after") or field, "计算中 says when to ask again"
        assert time.monotonic() < deadline
        time.sleep(0.5)


@pytest.fixture(scope="module")
def county_2016(api, tokens):
    r = ready(api, URL.format("522726"), auth(tokens["display"]), {"as_of": 2016})
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "ready"
    return r.json()


def test_forecast_of_the_county_has_years_bands_and_the_3_percent_year(county_2016):
    body = county_2016
    assert body["as_of"] == 2016 and body["years"] == [2017, 2018, 2019, 2020]
    assert body["now"]["poverty_incidence"] == pytest.approx(15.1, abs=0.05)  # the demo's end-2016 figure
    for p in body["points"]:
        for key in ("exits_households", "exits_people", "poor_population", "poverty_incidence"):
            assert p[key]["low"] <= p[key]["high"]
    inc = [p["poverty_incidence"]["mean"] for p in body["points"]]
    assert inc == sorted(inc, reverse=True)  # exits only: the forecast incidence never rises
    below = body["below_line"]
    assert below["already"] is False and (below["year"] is None or 2017 <= below["year"] <= 2020)
    assert "合成数据" in body["note"]
    assert {c["code"][:9] for c in body["children"]} and all(c["level"] == "town" for c in body["children"])
    assert "head_name" not in str(body) and "id_number" not in str(body)  # aggregates only


def test_children_expected_exits_add_up_to_the_region(county_2016):
    total = [p["exits_households"]["mean"] for p in county_2016["points"]]
    by_town = [sum(c["expected_exits"][str(y)] for c in county_2016["children"]) for y in county_2016["years"]]
    assert by_town == pytest.approx(total, rel=1e-3)


def test_forecast_is_cached_per_facts_version(api, tokens):
    h = auth(tokens["admin"])
    first = ready(api, URL.format("522726103000"), h, {"as_of": 2016})
    again = api.get(URL.format("522726103000"), params={"as_of": 2016}, headers={**h, "If-None-Match": first.headers["etag"]})
    assert first.status_code == 200 and again.status_code == 304
    fits = [k for k in api.app.state.forecasts.done if k[1] == 2016]
    assert len(fits) == 1  # one fit for the county and the town alike


@pytest.mark.parametrize("params, status", [
    ({"as_of": 1999}, 422), ({"as_of": 2014}, 422), ({"as_of": "x"}, 422), ({"as_of": 10**12}, 422),
])
def test_bad_as_of_is_a_clear_422(api, tokens, params, status):
    r = api.get(URL.format("522726"), params=params, headers=auth(tokens["display"]))
    assert r.status_code == status
    assert isinstance(r.json()["detail"], (str, list))


def test_unknown_region_404_no_token_401_other_town_refused(api, tokens):
    assert api.get(URL.format("522726999999"), headers=auth(tokens["admin"])).status_code == 404
    assert api.get(URL.format("522726")).status_code == 401
    # a token limited to one town sees that town, not its neighbour
    assert ready(api, URL.format("522726103000"), auth(tokens["leader_town"]), {"as_of": 2016}).status_code == 200
    assert api.get(URL.format("522726101000"), params={"as_of": 2016},
                   headers=auth(tokens["leader_town"])).status_code in (403, 404)
    assert api.get(URL.format("522726"), params={"as_of": 2016}, headers=auth(tokens["delegation"])).status_code in (200, 403)


def _household(demo_engine, status: str, year: int) -> int:
    with Session(demo_engine) as s:
        return s.scalar(select(HouseholdYear.household_id).where(HouseholdYear.year == year,
                                                                 HouseholdYear.status == status).limit(1))


def test_household_detail_has_its_expected_exit_year_masked_as_the_household(api, tokens, demo_engine):
    poor = _household(demo_engine, "poor", 2020)
    r = ready(api, f"/api/v1/households/{poor}", auth(tokens["display"]), field="exit_forecast")
    assert r.status_code == 200 and r.json()["exit_forecast"]["status"] == "ready"
    fc = r.json()["exit_forecast"]
    assert fc["as_of"] == 2020 and set(fc["by_year"]) == {"2021", "2022", "2023", "2024"}
    assert 0 <= fc["probability"] <= 1 and sum(fc["by_year"].values()) <= 1 + 1e-6
    if fc["year"] is not None:
        assert fc["probability"] >= 0.5
    assert "*" in r.json()["head_name"]  # the display role's record stays masked
    exited = _household(demo_engine, "exited", 2020)
    assert api.get(f"/api/v1/households/{exited}", headers=auth(tokens["admin"])).json()["exit_forecast"] is None
    assert api.get(f"/api/v1/households/{poor}", headers=auth(tokens["delegation"])).status_code == 403


def test_a_fit_in_progress_is_a_quick_computing_answer_not_a_long_wait(api, tokens):
    h = auth(tokens["admin"])
    started = time.monotonic()
    r = api.get(URL.format("522726"), params={"as_of": 2017}, headers=h)  # never asked before: no fit yet
    assert r.status_code == 200 and time.monotonic() - started < 30
    if r.json()["status"] == "computing":
        assert int(r.headers["retry-after"]) > 0 and r.json()["points"] == []
    assert ready(api, URL.format("522726"), h, {"as_of": 2017}).json()["status"] == "ready"
