"""A region's records are read through the code index (a range, queries.within), not by scanning
the table with LIKE 'prefix%', which SQLite cannot serve from an index. EXPLAIN QUERY PLAN on the
statements the routes really run; SQLite only (PostgreSQL plans by its statistics)."""

from __future__ import annotations

import pytest

from tests.conftest import PG_URL, auth
from tests.query_plans import captured_plans, plan_lines

pytestmark = pytest.mark.skipif(bool(PG_URL), reason="EXPLAIN QUERY PLAN is SQLite's")

TOWN, VILLAGE = "522726100000", "522726100216"


def _range(column: str) -> str:
    return f"({column}>? AND {column}<?)"


@pytest.mark.parametrize("path, table, index, column", [
    (f"/projects?region={TOWN}", "projects", "ix_projects_region_code", "region_code"),
    (f"/cameras?region={TOWN}", "cameras", "ix_cameras_region_code", "region_code"),
    (f"/funds/flows?region={TOWN}", "fund_allocations", "ix_fund_allocations_region_code", "region_code"),
    (f"/funds/chain?region={TOWN}", "fund_allocations", "ix_fund_allocations_region_code", "region_code"),
    (f"/checkins?region={VILLAGE}", "checkins", "ix_checkins_village_code", "village_code"),
])
def test_a_regions_records_are_searched_by_their_code_index(api, tokens, demo_engine, path, table, index, column):
    with captured_plans(demo_engine) as plans:
        r = api.get("/api/v1" + path, headers=auth(tokens["admin"]))
    assert r.status_code == 200, r.text
    lines = plan_lines(plans, table)
    assert lines, f"no statement read {table}"
    assert all(line.startswith(f"SEARCH {table} USING") for line in lines), lines
    assert any(f"INDEX {index} {_range(column)}" in line for line in lines), lines


def test_checkins_in_a_time_window_are_searched_by_time_not_by_the_countys_codes(api, tokens, demo_engine):
    """A window is far narrower than a county's check-ins: the time index drives (the region range
    would read every check-in of the county through its code index, then sort them)."""
    path = "/checkins?region=522726&since=2020-11-15T00:00:00%2B08:00"
    with captured_plans(demo_engine) as plans:
        r = api.get("/api/v1" + path, headers=auth(tokens["admin"]))
    assert r.status_code == 200 and r.json()
    lines = plan_lines(plans, "checkins")
    assert lines and all("ix_checkins_at (at>?" in line for line in lines), lines
    assert all(c["village_code"].startswith("522726") for c in r.json())
