"""After a register is written: indicators recomputed, poor villages' exits derived, the import stamped."""

from __future__ import annotations

import datetime as dt
from collections import Counter

from sqlalchemy import delete, insert, select
from sqlalchemy.engine import Connection

from sandbox.domain import rules
from sandbox.store import models as m
from sandbox.store.importers.convert import RegionIndex
from sandbox.store.importers.households.plan import Plan
from sandbox.store.importers.households.result import RegisterImport
from sandbox.store.importers.mapping import Mapping
from sandbox.store.importers.upsert import bulk_update
from sandbox.store.rollup import refresh_facts, refresh_totals

__all__ = ["rollup", "restamp_as_of"]


def rollup(conn: Connection, plan: Plan, affected_villages: set[str], regions: RegionIndex, mapping: Mapping,
           result: RegisterImport, source: str, as_of: dt.date | None) -> None:
    """Recompute the indicators of the counties touched, in the import's transaction."""
    counties = sorted({c[:6] for c in affected_villages}) or [""]
    for county in counties:
        refresh_facts(conn, county)
    explicit = set(plan.poor_flags) if plan.exit_years_given else set()
    result.derived_village_exits = derive_poor_village_exits(conn, mapping.village_exit_incidence, explicit)
    refresh_totals(conn)
    stamp_meta(conn, source, regions, as_of)


def derive_poor_village_exits(conn: Connection, threshold_pct: float, explicit: set[str]) -> int:
    """A poor village with no recorded 出列年度 exits in the first year its incidence is below the
    threshold (as the demo does); villages whose exit year the file gave are left as given."""
    R, F = m.Region, m.RegionYearFacts
    pending = set(conn.execute(select(R.code).where(R.is_poor_village.is_(True), R.poor_village_exit_year.is_(None)))
                  .scalars()) - explicit
    if not pending:
        return 0
    rows = conn.execute(select(F.region_code, F.year, F.poor_population, F.rural_population))
    found = rules.village_exit_years(rows, pending, threshold_pct)
    bulk_update(conn, "regions", ("code",), ("poor_village_exit_year",), [(y, c) for c, y in found.items()])
    return len(found)


def stamp_meta(conn: Connection, source: str, regions: RegionIndex, as_of: dt.date | None) -> None:
    """data_as_of is the register's own date (数据截至) when it has one, imported_at the import's time:
    a register of 2020-12-31 imported in March is not "as of March"."""
    meta = dict(conn.execute(select(m.Meta.key, m.Meta.value)).all())
    now = dt.datetime.now(dt.UTC).astimezone().isoformat(timespec="seconds")
    values = {"demo": "false", "data_as_of": as_of.isoformat() if as_of else now, "imported_at": now,
              "built_at": now, "households_source": source}
    if not meta.get("county_code"):
        counties = Counter(c[:6] for c in conn.execute(select(m.Household.village_code)).scalars())
        if counties:
            code = counties.most_common(1)[0][0]
            values["county_code"] = code
            county = regions.by_code.get(code + "000000")
            if county is not None:
                values["county_name"] = county.name
    conn.execute(delete(m.Meta).where(m.Meta.key.in_(list(values))))
    conn.execute(insert(m.Meta), [{"key": k, "value": v} for k, v in values.items()])


def restamp_as_of(conn: Connection, as_of: dt.date) -> None:
    """Only the register's date changes: 数据截至 (and the build stamp, so no answer is served from before)."""
    stored = conn.execute(select(m.Meta.value).where(m.Meta.key == "data_as_of")).scalar()
    if stored == as_of.isoformat():
        return
    now = dt.datetime.now(dt.UTC).astimezone().isoformat(timespec="seconds")
    values = {"data_as_of": as_of.isoformat(), "built_at": now}
    conn.execute(delete(m.Meta).where(m.Meta.key.in_(list(values))))
    conn.execute(insert(m.Meta), [{"key": k, "value": v} for k, v in values.items()])

