"""Boundaries alone are a county: after `sandbox import boundaries` and before any register, every
endpoint a wall load touches answers (figures null = 无数据, lists empty), none with 503."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from sandbox.server.app import create_app
from sandbox.server.runtime import new_token
from sandbox.store.db import make_engine
from sandbox.store.importers.boundaries import import_boundaries
from sandbox.store.migrate import upgrade
from tests.conftest import auth
from tests.importers.conftest import COUNTY, TOWNS, VILLAGES, county_features, write_geojson

TOWN, VILLAGE = next(iter(TOWNS)), next(iter(VILLAGES))


@pytest.fixture(scope="module")
def boundaries_only(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("boundaries-only")
    engine = make_engine(f"sqlite:///{tmp / 'county.db'}")
    upgrade(engine)
    import_boundaries(engine, write_geojson(tmp / "xzq.geojson", county_features()))
    token = new_token(engine, "display")
    with TestClient(create_app(engine), raise_server_exceptions=False) as client:
        yield client, auth(token)
    engine.dispose()


def test_health_names_the_county(boundaries_only):
    client, _ = boundaries_only
    body = client.get("/api/v1/health").json()
    assert body["status"] == "ok" and body["root_region"] == COUNTY and body["demo"] is False


@pytest.mark.parametrize("code", [COUNTY, COUNTY[:6], TOWN, VILLAGE])
def test_every_region_answers_with_null_figures(boundaries_only, code):
    client, headers = boundaries_only
    r = client.get(f"/api/v1/regions/{code}", headers=headers)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["years"] == [] and body["year"] is None and body["as_of"] is None
    # unknown, not zero: no poor population of 0, no 0 poor villages, no 五个一批 of 0 people
    assert set(body["indicators"].values()) == {None}
    assert body["indicator_notes"] == {} and body["breakdowns"] is None
    assert body["series"] == {}  # no year of data: no year's figures either
    assert body["is_poor_village"] is None  # a boundary file does not say: not "非贫困村"
    assert body["synthetic_boundary"] is False and body["demo"] is False
    assert [c["code"] for c in body["children"]] == (
        list(TOWNS) if code in (COUNTY, COUNTY[:6]) else [v for v, (_, town, _) in VILLAGES.items() if town == code])


@pytest.mark.parametrize("code", [COUNTY, TOWN])
def test_children_map_series_and_trend(boundaries_only, code):
    client, headers = boundaries_only
    fc = client.get(f"/api/v1/regions/{code}/children.geojson", headers=headers)
    assert fc.status_code == 200, fc.text
    features = fc.json()["features"]
    assert len(features) == 2 and all(f["geometry"]["coordinates"] for f in features)
    for f in features:
        props = f["properties"]
        assert props["poverty_incidence"] is None and props["villages"] is None and props["indicator_notes"] == {}
        assert props.get("is_poor_village") is None
    series = client.get(f"/api/v1/regions/{code}/children/series", headers=headers).json()
    assert series["years"] == [] and set(series["children"]) == {f["properties"]["code"] for f in features}
    trend = client.get(f"/api/v1/regions/{code}/trend", headers=headers, params={"indicator": "poor_population"})
    assert trend.status_code == 200 and trend.json()["points"] == []


@pytest.mark.parametrize("path, empty", [
    (f"/api/v1/households?region={VILLAGE}", lambda b: b["items"] == [] and b["total"] == 0),
    (f"/api/v1/households?region={COUNTY}&year=2016", lambda b: b["items"] == []),
    (f"/api/v1/projects?region={COUNTY}", lambda b: b == []),
    (f"/api/v1/cameras?region={COUNTY}", lambda b: b == []),
    (f"/api/v1/checkins?region={COUNTY}", lambda b: b == []),
    (f"/api/v1/checkins/visits?region={COUNTY}", lambda b: b["total"]["visit_rate"] is None),
    (f"/api/v1/funds/flows?region={COUNTY}", lambda b: b["links"] == []),
    (f"/api/v1/funds/chain?region={COUNTY}", lambda b: not b.get("anomalies")),
    (f"/api/v1/regions/{COUNTY}?year=2016", lambda b: set(b["indicators"].values()) == {None}),
    (f"/api/v1/regions/{COUNTY}/duty", lambda b: b["total"]["open"] == 0 and b["total"]["overdue_share"] is None),
])
def test_the_rest_of_a_wall_load_is_empty_not_an_error(boundaries_only, path, empty):
    client, headers = boundaries_only
    r = client.get(path, headers=headers)
    assert r.status_code == 200, r.text
    assert empty(r.json())


def test_a_brief_of_boundaries_alone_says_no_data(boundaries_only):
    import pypdfium2 as pdfium

    client, headers = boundaries_only
    r = client.get(f"/api/v1/regions/{TOWN}/brief.pdf", headers=headers)
    assert r.status_code == 200 and r.content.startswith(b"%PDF")
    pdf = pdfium.PdfDocument(r.content)
    text = "".join(pdf[i].get_textpage().get_text_range() for i in range(len(pdf)))
    assert "无数据" in text and "无历年数据" in text and "尚无建档立卡数据" in text
