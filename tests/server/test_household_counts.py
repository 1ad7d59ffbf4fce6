"""One definition, one number: a village's household list counts what its 建档立卡户数 tile counts; 销户 apart."""

from __future__ import annotations

from sqlalchemy import func, select

from sandbox.store.models import Household, HouseholdYear
from tests.conftest import auth


def _village_with_closed(demo_engine, year: int) -> tuple[str, int]:
    with demo_engine.connect() as conn:
        row = conn.execute(select(Household.village_code, func.count())
                           .join(HouseholdYear, HouseholdYear.household_id == Household.id)
                           .where(HouseholdYear.year == year, HouseholdYear.status == "closed")
                           .group_by(Household.village_code).order_by(func.count().desc())).first()
    assert row is not None, "the demo has closed households"
    return row[0], int(row[1])


def test_the_household_list_counts_what_the_tile_counts_and_closed_ones_apart(api, tokens, demo_engine):
    year = 2017
    village, closed = _village_with_closed(demo_engine, year)
    h = auth(tokens["leader"])
    region = api.get(f"/api/v1/regions/{village}", params={"year": year}, headers=h).json()
    tile = region["indicators"]["registered_households"]
    listed = api.get("/api/v1/households", params={"region": village, "year": year}, headers=h).json()
    assert listed["total"] == tile  # was registered + closed (189 against 185)
    assert listed["closed"] == closed
    pages = [listed] + [api.get("/api/v1/households", params={"region": village, "year": year, "page": p},
                                headers=h).json() for p in range(2, -(-listed["total"] // listed["page_size"]) + 1)]
    statuses = [i["status"] for pg in pages for i in pg["items"]]
    assert len(statuses) == tile and "closed" not in statuses
    only = api.get("/api/v1/households", params={"region": village, "year": year, "status": "closed"}, headers=h).json()
    assert only["total"] == closed and all(i["status"] == "closed" for i in only["items"])
