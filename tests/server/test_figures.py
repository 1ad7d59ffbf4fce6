"""The seed article's figures, computed by the API from the demo records (DOMAIN.md §4)."""

from __future__ import annotations

from tests.conftest import auth

COUNTY = "522726"


def region(api, tokens, code=COUNTY, year=None, role="display"):
    r = api.get(f"/api/v1/regions/{code}", params={"year": year} if year else None, headers=auth(tokens[role]))
    assert r.status_code == 200, r.text
    return r.json()


def test_end_2016_poor_population_and_incidence(api, tokens):
    body = region(api, tokens, year=2016)
    assert body["code"] == "522726000000"
    assert body["name"] == "独山县"
    assert body["indicators"]["poor_population"] == 46_572
    assert round(body["indicators"]["poverty_incidence"], 1) == 15.1
    assert body["demo"] is True and body["data_label"] == "演示数据"


def test_towns_villages_and_poor_villages(api, tokens):
    body = region(api, tokens, year=2017)
    assert len(body["children"]) == 8
    names = {c["name"] for c in body["children"]}
    assert {"百泉镇", "麻尾镇", "影山镇", "基长镇", "玉水镇", "上司镇", "下司镇", "麻万镇"} == names
    ind = body["indicators"]
    assert ind["villages"] == 133
    assert ind["poor_villages"] == 74
    assert round(100 * ind["poor_villages"] / ind["villages"], 1) == 55.6


def test_2017_households_cadres_and_first_secretaries(api, tokens):
    ind = region(api, tokens, year=2017)["indicators"]
    assert ind["registered_households"] == 24_006
    assert ind["cadres"] == 6_791
    assert ind["helpers"] == 6_746
    assert ind["first_secretary_villages"] == 61


def test_incidence_falls_every_year_and_is_under_3_percent_by_2019(api, tokens):
    r = api.get(f"/api/v1/regions/{COUNTY}/trend", params={"indicator": "poverty_incidence"},
                headers=auth(tokens["display"]))
    assert r.status_code == 200
    points = r.json()["points"]
    assert [p["year"] for p in points] == list(range(2014, 2021))
    values = [p["value"] for p in points]
    assert all(a > b for a, b in zip(values, values[1:])), values
    assert dict(zip(range(2014, 2021), values))[2019] < 3.0


def test_towns_sum_to_the_county(api, tokens):
    county = region(api, tokens, year=2016)
    total = sum(region(api, tokens, c["code"], 2016)["indicators"]["poor_population"] for c in county["children"])
    assert total == 46_572


def test_every_registry_indicator_is_present(api, tokens):
    keys = {i["key"] for i in api.get("/api/v1/indicators", headers=auth(tokens["display"])).json()}
    for k in ("poverty_incidence", "poor_population", "poor_households", "exited_population", "exits_in_year",
              "relapse_rate", "income_ok_rate", "housing_safe_rate", "water_safe_rate", "education_ok_rate",
              "medical_ok_rate", "help_coverage", "visit_rate", "fund_arrival_rate", "fund_spend_rate",
              "project_start_rate", "satisfaction_rate"):
        assert k in keys
    ind = region(api, tokens, year=2017)["indicators"]
    for k in keys | {"registered_households", "cadres", "helpers", "villages", "poor_villages",
                     "first_secretary_villages"}:
        assert k in ind
    # 2017 has check-ins (May-November) and surveys: real values, not no-data
    assert 80 < ind["visit_rate"] <= 100
    assert 90 < ind["satisfaction_rate"] <= 100
    assert ind["help_coverage"] == 100.0


def test_children_geojson_carries_poor_village_flags(api, tokens):
    town = region(api, tokens, year=2017)["children"][3]["code"]
    r = api.get(f"/api/v1/regions/{town}/children.geojson", params={"year": 2017}, headers=auth(tokens["display"]))
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/geo+json")
    fc = r.json()
    assert fc["type"] == "FeatureCollection" and fc["demo"] is True
    assert fc["features"]
    for f in fc["features"]:
        p = f["properties"]
        assert f["geometry"]["type"] in ("Polygon", "MultiPolygon")
        assert isinstance(p["is_poor_village"], bool)
        assert p["level"] == "village" and "poverty_incidence" in p
    county_fc = api.get(f"/api/v1/regions/{COUNTY}/children.geojson", headers=auth(tokens["display"])).json()
    assert len(county_fc["features"]) == 8
    assert sum(f["properties"]["poor_villages"] for f in county_fc["features"]) == 74


def test_the_flagship_project_is_there(api, tokens):
    projects = api.get("/api/v1/projects", params={"region": COUNTY}, headers=auth(tokens["display"])).json()
    park = [p for p in projects if p["name"] == "济生铁皮石斛产业园"]
    assert park and park[0]["industry_zh"] == "铁皮石斛" and park[0]["camera_ids"]
    town = region(api, tokens, park[0]["region_code"][:9] + "000")
    assert town["name"] == "基长镇"


def test_children_series_matches_the_per_year_answers(api, tokens):
    series = api.get("/api/v1/regions/522726/children/series", headers=auth(tokens["display"])).json()
    assert series["years"] == list(range(2014, 2021)) and len(series["children"]) == 8
    for year in (2014, 2016, 2020):
        fc = api.get("/api/v1/regions/522726/children.geojson", params={"year": year},
                     headers=auth(tokens["display"])).json()
        for f in fc["features"]:
            p = f["properties"]
            assert series["children"][p["code"]][str(year)]["poverty_incidence"] == p["poverty_incidence"]
    assert api.get("/api/v1/regions/522799/children/series", headers=auth(tokens["display"])).status_code == 404


def test_a_region_carries_its_own_series(api, tokens):
    # GET /regions/{code} answers every year's figures of the region itself: the same as that year's
    # answer and as GET /trend, so a drill needs no separate last-year or trend request.
    h = auth(tokens["display"])
    for code in (COUNTY, region(api, tokens)["children"][0]["code"]):
        body = region(api, tokens, code, 2016)
        assert sorted(body["series"]) == [str(y) for y in body["years"]] == [str(y) for y in range(2014, 2021)]
        for year in (2015, 2016, 2020):
            other = region(api, tokens, code, year)
            for key in ("poor_population", "poverty_incidence", "income_ok_rate", "villages"):
                assert body["series"][str(year)][key] == other["indicators"][key], (code, year, key)
            assert body["series"][str(year)].get("indicator_notes", {}) == other["indicator_notes"]
        trend = api.get(f"/api/v1/regions/{code}/trend", params={"indicator": "poverty_incidence"}, headers=h).json()
        assert [body["series"][str(p["year"])]["poverty_incidence"] for p in trend["points"]] == \
            [p["value"] for p in trend["points"]]
    assert region(api, tokens, year=2016)["series"]["2015"]["poor_population"] != \
        region(api, tokens, year=2016)["series"]["2016"]["poor_population"]


def test_a_rate_over_nothing_says_why_it_has_no_value(api, tokens):
    # By 2020 most villages have no poor households left: their 收入达标率 is not a number and not
    # missing data either. Every answer that carries indicators says so, the same way.
    h = auth(tokens["display"])
    town = region(api, tokens, year=2020)["children"][0]["code"]
    fc = api.get(f"/api/v1/regions/{town}/children.geojson", params={"year": 2020}, headers=h).json()
    series = api.get(f"/api/v1/regions/{town}/children/series", headers=h).json()["children"]
    cleared = [f["properties"] for f in fc["features"] if f["properties"]["poor_households"] == 0]
    still = [f["properties"] for f in fc["features"] if f["properties"]["poor_households"]]
    assert cleared and still
    for p in cleared:
        assert p["income_ok_rate"] is None and p["help_coverage"] is None
        assert p["indicator_notes"]["income_ok_rate"] == p["indicator_notes"]["help_coverage"] == "无贫困户"
        assert series[p["code"]]["2020"]["indicator_notes"]["income_ok_rate"] == "无贫困户"
        village = region(api, tokens, p["code"], 2020)
        assert village["indicator_notes"]["income_ok_rate"] == "无贫困户"
    for p in still:
        assert p["income_ok_rate"] is not None and "income_ok_rate" not in p["indicator_notes"]
    # a note only ever stands for a missing value
    county = region(api, tokens, year=2014)
    assert county["indicator_notes"]["project_start_rate"] == "无计划项目"  # the demo's projects start in 2015
    assert all(county["indicators"][k] is None for k in county["indicator_notes"])
