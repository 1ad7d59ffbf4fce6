"""Round trip: the demo's boundaries (GeoPackage) and registers (xlsx) exported, imported into an empty
database, and the API answers with the same household indicators, with no demo in sight."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from sandbox.server.app import create_app
from sandbox.server.runtime import new_token
from sandbox.store.db import make_engine
from sandbox.store.importers import export_boundaries, export_households, import_boundaries, import_households
from sandbox.store.migrate import upgrade
from sandbox.store.models import Household, Member
from tests.conftest import auth
from tests.importers.conftest import fingerprint

COUNTY, TOWN, VILLAGE = "522726000000", "522726103000", "522726103201"
YEARS = (2016, 2019)
HOUSEHOLD_INDICATORS = (
    "poverty_incidence", "poor_population", "poor_households", "exited_population", "exits_in_year",
    "relapse_rate", "income_ok_rate", "housing_safe_rate", "water_safe_rate", "education_ok_rate",
    "medical_ok_rate", "satisfaction_rate", "registered_households", "rural_population", "villages",
    "poor_villages", "exited_poor_villages",
)


@pytest.fixture(scope="module")
def imported(demo_engine, tmp_path_factory):
    folder = tmp_path_factory.mktemp("round_trip")
    export_boundaries(demo_engine, folder / "regions.gpkg")
    export_households(demo_engine, folder / "registers.xlsx", years=YEARS, members=False)
    engine = make_engine(f"sqlite:///{folder / 'imported.db'}")
    upgrade(engine)
    boundaries = import_boundaries(engine, folder / "regions.gpkg")
    registers = import_households(engine, folder / "registers.xlsx")
    with TestClient(create_app(engine), raise_server_exceptions=False) as client:
        yield {"engine": engine, "folder": folder, "boundaries": boundaries, "registers": registers,
               "client": client, "token": new_token(engine, "admin")}
    engine.dispose()


def test_everything_imported_cleanly(imported, demo_engine):
    b, r = imported["boundaries"], imported["registers"]
    assert (b.new, b.repaired, b.coverage_issues) == (142, 0, 0), b.report.summary(3)
    assert r.rows_rejected == 0, r.report.summary(3)
    with demo_engine.connect() as conn:
        assert r.households.new == conn.execute(select(func.count()).select_from(Household)).scalar()


NOT_IN_REGISTERS = ("cadres", "helpers", "help_coverage", "first_secretary_villages", "fund_arrival_rate",
                    "fund_spend_rate", "project_start_rate", "visit_rate")


@pytest.mark.parametrize("code", [COUNTY, TOWN, VILLAGE])
@pytest.mark.parametrize("year", YEARS)
def test_same_indicators_as_the_demo(imported, api, tokens, code, year):
    demo = api.get(f"/api/v1/regions/{code}", params={"year": year}, headers=auth(tokens["admin"])).json()
    got = imported["client"].get(f"/api/v1/regions/{code}", params={"year": year},
                                 headers=auth(imported["token"]))
    assert got.status_code == 200, got.text
    got = got.json()
    assert {k: got["indicators"][k] for k in HOUSEHOLD_INDICATORS} == {k: demo["indicators"][k]
                                                                       for k in HOUSEHOLD_INDICATORS}
    assert got["breakdowns"] == demo["breakdowns"]
    assert (got["name"], got["level"], got["parent_code"]) == (demo["name"], demo["level"], demo["parent_code"])
    assert [c["code"] for c in got["children"]] == [c["code"] for c in demo["children"]]
    assert got["demo"] is False and got["data_label"] is None and got["synthetic_boundary"] is False
    # What registers do not carry (the cadre roster, funds, projects, visits) is unknown, not zero.
    assert {k: got["indicators"][k] for k in NOT_IN_REGISTERS} == dict.fromkeys(NOT_IN_REGISTERS)
    # ... and not "无下达资金" or "无计划项目" either, which would say the ledgers were looked at
    assert not set(got["indicator_notes"]) & {"fund_arrival_rate", "fund_spend_rate", "project_start_rate",
                                              "satisfaction_rate"}


def test_the_api_works_on_imported_data_unchanged(imported):
    client, h = imported["client"], auth(imported["token"])
    health = client.get("/api/v1/health").json()
    assert health["root_region"] == COUNTY and health["demo"] is False and health["data_as_of"]
    geo = client.get(f"/api/v1/regions/{COUNTY}/children.geojson", params={"year": 2019}, headers=h)
    assert geo.status_code == 200
    features = geo.json()["features"]
    assert len(features) == 8 and all(f["geometry"]["type"] in ("Polygon", "MultiPolygon") for f in features)
    trend = client.get(f"/api/v1/regions/{TOWN}/trend", params={"indicator": "poverty_incidence"}, headers=h).json()
    assert [p["year"] for p in trend["points"]] == list(YEARS) and all(p["value"] for p in trend["points"])
    page = client.get("/api/v1/households", params={"region": VILLAGE, "year": 2019}, headers=h)
    assert page.status_code == 200 and page.json()
    one = client.get(f"/api/v1/households/{1}", headers=h)
    assert one.status_code == 200, one.text
    display = new_token(imported["engine"], "display")
    masked = client.get("/api/v1/households", params={"region": VILLAGE}, headers=auth(display)).text
    assert "********" in masked
    for path in ("/api/v1/projects", "/api/v1/cameras", "/api/v1/funds/flows", "/api/v1/checkins"):
        r = client.get(path, params={"region": COUNTY}, headers=h)
        assert r.status_code == 200, (path, r.text)


def test_importing_the_same_files_again_changes_nothing(imported):
    engine, folder = imported["engine"], imported["folder"]
    before = fingerprint(engine)  # big tables by count; meta (facts version, build time) by content
    assert not import_boundaries(engine, folder / "regions.gpkg").changed
    again = import_households(engine, folder / "registers.xlsx")
    assert not again.changed and again.years.unchanged == imported["registers"].years.new
    assert fingerprint(engine) == before


def test_members_round_trip_for_one_village(imported, demo_engine):
    engine, folder = imported["engine"], imported["folder"]
    path = folder / "village.xlsx"
    counts = export_households(demo_engine, path, region=VILLAGE, years=(2019,))
    result = import_households(engine, path)
    assert result.members.new == counts["households"] and result.member_rows == counts["members"]
    assert result.households.changed == 0 and result.years.changed == 0

    def members(e):
        with e.connect() as conn:
            return conn.execute(select(Household.household_number, Member.name, Member.id_number, Member.relation,
                                       Member.sex, Member.ethnicity, Member.migrant_work)
                                .join(Household, Household.id == Member.household_id)
                                .where(Household.village_code == VILLAGE)
                                .order_by(Household.household_number, Member.id)).all()

    assert members(engine) == members(demo_engine)
