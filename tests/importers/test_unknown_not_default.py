"""What a register does not carry is 无数据 in the API, not a default; 数据截至 is the register's own date."""

from __future__ import annotations

import datetime as dt

from fastapi.testclient import TestClient

from sandbox.server.app import create_app
from sandbox.server.runtime import new_token
from sandbox.store.importers import import_households
from tests.conftest import auth
from tests.importers.conftest import COUNTY, H, distinct_register, write_register

ABSENT = ("exit_batch", "food_clothing_ok", "school_age_children", "relocated")


def _register_without(tmp_path, keys=ABSENT, name="reg.xlsx"):
    rows, pops = distinct_register()
    rows = [{h: v for h, v in r.items() if h not in {H[k] for k in keys}} for r in rows]
    return write_register(tmp_path / name, rows, villages=pops)


def test_without_these_columns_the_api_says_unknown_not_a_default(county_engine, tmp_path):
    import_households(county_engine, _register_without(tmp_path), as_of=dt.date(2020, 12, 31))
    with TestClient(create_app(county_engine), raise_server_exceptions=False) as client:
        h = auth(new_token(county_engine, "admin"))
        region = client.get(f"/api/v1/regions/{COUNTY}", params={"year": 2016}, headers=h).json()
        assert region["breakdowns"]["exit_batch"] is None  # not: every household 发展生产
        assert "无数据" in region["breakdown_notes"]["exit_batch"]
        assert region["breakdowns"]["gap"]["food_clothing"] is None  # not: nobody lacks food
        assert region["indicators"]["education_ok_rate"] is None  # not: no school-age child anywhere
        assert region["breakdowns"]["gap"]["education"] is None  # nor 已全部保障 beside a rate of 无数据
        assert region["breakdowns"]["cause"]  # what the register does carry is there
        page = client.get("/api/v1/households", params={"region": COUNTY, "year": 2016}, headers=h)
        assert page.status_code == 200, page.text
        health = client.get("/api/v1/health").json()
    assert health["data_as_of"] == "2020-12-31" and health["imported_at"] > "2026"
    assert region["as_of"] == "2020-12-31" and region["imported_at"] == health["imported_at"]


def test_with_the_columns_the_breakdowns_are_counts(county_engine, tmp_path):
    import_households(county_engine, _register_without(tmp_path, keys=()))
    with TestClient(create_app(county_engine), raise_server_exceptions=False) as client:
        h = auth(new_token(county_engine, "admin"))
        region = client.get(f"/api/v1/regions/{COUNTY}", params={"year": 2016}, headers=h).json()
        health = client.get("/api/v1/health").json()
    assert region["breakdowns"]["exit_batch"]["production"]["households"] == 6
    assert "food_clothing" not in (region["breakdowns"].get("gap") or {})  # a true zero: nobody lacks food
    assert region["breakdown_notes"] == {} and region["indicators"]["education_ok_rate"] == 100.0
    # no date in the register and none given: 数据截至 is the import's time, as before
    assert health["data_as_of"] == health["imported_at"]


def test_as_of_from_a_date_column_and_given_again_for_the_same_records(county_engine, tmp_path):
    from sqlalchemy import select

    from sandbox.store.models import Meta

    rows, pops = distinct_register()
    for k, r in enumerate(rows):
        r["填报日期"] = ["2020.12.30", "2020年12月31日", 20201229][k % 3]
    path = write_register(tmp_path / "reg.xlsx", rows, villages=pops)
    assert import_households(county_engine, path).as_of == dt.date(2020, 12, 31)  # the latest in the column

    def stored():
        with county_engine.connect() as conn:
            return dict(conn.execute(select(Meta.key, Meta.value)).all())["data_as_of"]

    assert stored() == "2020-12-31"
    again = import_households(county_engine, path, as_of=dt.date(2021, 1, 15))  # nothing else changed
    assert not again.changed and stored() == "2021-01-15"
