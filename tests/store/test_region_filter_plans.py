"""The store reads a region's rows through the code indexes (queries.within's range), where
`LIKE 'prefix%'` made SQLite scan whole tables: a check-in's refresh of its village's facts, the
visit counts. EXPLAIN QUERY PLAN on the statements really run; SQLite only."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy.orm import Session

from sandbox.domain.regions import RegionCode
from sandbox.store.checkins import month_visits
from sandbox.store.models import Checkin
from sandbox.store.queries import index_serves, prefix_bounds, within
from sandbox.store.rollup import refresh_facts
from tests.conftest import PG_URL
from tests.query_plans import captured_plans, plan_lines

VILLAGE = "522726100216"
sqlite_only = pytest.mark.skipif(bool(PG_URL), reason="EXPLAIN QUERY PLAN is SQLite's")


@sqlite_only
def test_a_villages_refresh_searches_every_table_by_its_code_range(demo_engine):
    with captured_plans(demo_engine) as plans:
        with demo_engine.connect() as conn:
            tx = conn.begin()
            refresh_facts(conn, VILLAGE)
            tx.rollback()
    for table, index in [("region_year_facts", "sqlite_autoindex_region_year_facts_1"),
                         ("region_year_breakdowns", "sqlite_autoindex_region_year_breakdowns_1"),
                         ("h", "ix_households_village_code"), ("c", "ix_cadres_region_code"),
                         ("fa", "ix_fund_allocations_region_code"), ("p", "ix_projects_region_code"),
                         ("rp", "sqlite_autoindex_region_populations_1")]:
        lines = plan_lines(plans, table)
        assert lines, table
        assert any(f"{index} (" in line and "code>? AND " in line for line in lines), (table, lines)
    for table in ("h", "fa", "p", "rp"):  # (facts and breakdowns also have unfiltered statements)
        assert not [line for line in plan_lines(plans, table) if line.startswith("SCAN")], table


@sqlite_only
def test_month_visits_are_driven_by_the_month_not_the_countys_codes(demo_engine):
    with captured_plans(demo_engine) as plans, Session(demo_engine) as session:
        counts = month_visits(session, "522726", dt.datetime(2020, 12, 1), dt.datetime(2021, 1, 1), 2020, True)
    assert sum(v["checkins"] for v in counts.values()) > 0
    lines = plan_lines(plans, "checkins")
    assert lines and all("ix_checkins_at (at>? AND at<?)" in line for line in lines), lines


def test_within_and_the_index_free_form_select_the_same_rows(demo_engine):
    """Both forms of the range, and the LIKE they replaced, select the same check-ins (on PostgreSQL too)."""
    with Session(demo_engine) as session:
        for code in ("522726", "522726100000", VILLAGE):
            rc = RegionCode.parse(code)
            like = set(session.scalars(Checkin.__table__.select().with_only_columns(Checkin.id)
                                       .where(Checkin.village_code.like(rc.prefix + "%"))))
            assert like
            for use_index in (True, False):
                got = set(session.scalars(Checkin.__table__.select().with_only_columns(Checkin.id)
                                          .where(within(Checkin.village_code, rc, use_index=use_index))))
                assert got == like, (code, use_index)


@pytest.mark.parametrize("prefix, bounds", [
    ("522726", ("522726", "522727")),
    ("522726109", ("522726109", "522726110")),  # a carry
    ("522726100999", ("522726100999", "522726101000")),
    ("52", ("52", "53")),
    ("", ("", None)),  # everything
    ("99", ("99", None)),  # nothing of its length comes after
])
def test_prefix_bounds(prefix, bounds):
    assert prefix_bounds(prefix) == bounds


def test_the_code_index_drives_below_a_county_only():
    """A county's range in a county's database is every row: read from the table, not by the index."""
    assert not index_serves("") and not index_serves("52") and not index_serves("522726")
    assert index_serves("522726100") and index_serves(VILLAGE)
    from sqlalchemy.dialects import sqlite

    county = str(within(Checkin.village_code, "522726").compile(dialect=sqlite.dialect()))
    town = str(within(Checkin.village_code, "522726100").compile(dialect=sqlite.dialect()))
    assert "LIKE" in county and "LIKE" not in town and ">=" in town
