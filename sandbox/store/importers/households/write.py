"""Writing a register's plan in the import's transaction: each table upserted where it changed."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.engine import Connection

from sandbox.store import models as m
from sandbox.store.bulk import bulk_insert
from sandbox.store.importers.convert import RegionIndex
from sandbox.store.importers.households.plan import HOUSEHOLD_COLS, KEEP, MEMBER_COLS, YEAR_COLS, YEAR_DEFAULTS, Plan
from sandbox.store.importers.households.result import Counts, RegisterImport
from sandbox.store.importers.mapping import Mapping
from sandbox.store.importers.upsert import Upserted, delete_where_in, reset_sequence, upsert_changed

__all__ = ["write_plan"]


def write_plan(conn: Connection, plan: Plan, regions: RegionIndex, mapping: Mapping, result: RegisterImport
               ) -> set[str]:
    """Upsert the plan; returns the villages whose records changed."""
    affected: set[str] = set()
    if plan.households:
        _write_households(conn, plan, regions, mapping, result, affected)
    result.households.unchanged += len(plan.older)
    ids, village_of = {}, {}
    if plan.years or plan.members:
        H = m.Household.__table__
        for num, hid, code in conn.execute(select(H.c.household_number, H.c.id, H.c.village_code)):
            ids[num], village_of[num] = hid, code  # after the update above: a moved household's new village
    if plan.years:
        _write_years(conn, plan, ids, village_of, result, affected)
    if plan.members:
        _write_members(conn, plan, ids, result)
    if plan.populations:
        _write_populations(conn, plan, result, affected)
    _write_poor_flags(conn, plan, regions, result, affected)
    # Poverty lines for the years used, where the database has none.
    have = set(conn.execute(select(m.PovertyLine.year)).scalars())
    add = sorted(y for y in plan.years_used if y not in have)
    bulk_insert(conn, m.PovertyLine.__table__, ("year", "line_yuan"), [(y, mapping.poverty_lines[y]) for y in add])
    result.poverty_lines_added = add
    return affected


def _count(counts: Counts, done: Upserted) -> None:
    counts.new, counts.updated = len(done.new), len(done.updated)
    counts.unchanged += done.unchanged


def _write_households(conn: Connection, plan: Plan, regions: RegionIndex, mapping: Mapping,
                      result: RegisterImport, affected: set[str]) -> None:
    """Households by 户编号; a new one gets what the file leaves out (no phone, the village's point)."""
    H = m.Household.__table__
    stored = {r[1]: r for r in conn.execute(select(*[H.c[k] for k in ("id",) + HOUSEHOLD_COLS])).all()}

    def new_row(num, values):
        full = dict(zip(HOUSEHOLD_COLS, values))
        for k in ("phone", "bank_account"):
            if full[k] is KEEP:
                full[k] = None
        if full["exit_batch"] is KEEP:  # 无数据 unless the mapping file names a default on purpose
            full["exit_batch"] = mapping.households.defaults.get("exit_batch")
        if full["lon"] is KEEP:
            point = regions.label_point(full["village_code"]) or (0.0, 0.0)
            full["lon"], full["lat"] = round(point[0], 6), round(point[1], 6)
        return tuple(full[k] for k in HOUSEHOLD_COLS)

    done = upsert_changed(conn, H, ("id",), HOUSEHOLD_COLS,
                          ((num, tuple(rec[k] for k in HOUSEHOLD_COLS)) for num, rec in plan.households.items()),
                          {num: r[1:] for num, r in stored.items()}, key_of=lambda num: (stored[num].id,),
                          insert_cols=HOUSEHOLD_COLS, new_row=new_row, reset_ids=True)
    affected.update(plan.households[num]["village_code"] for num in done.new)
    for num in done.updated:  # a household moved: both villages change
        affected.update((stored[num].village_code, plan.households[num]["village_code"]))
    _count(result.households, done)


def _write_years(conn: Connection, plan: Plan, ids: dict, village_of: dict, result: RegisterImport,
                 affected: set[str]) -> None:
    """Household years by (household, year); a new one gets unknown for what the file does not say."""
    Y = m.HouseholdYear.__table__
    years = sorted({y for _, y, _ in plan.years})
    stored = {(r[0], r[1]): r[2:] for r in conn.execute(
        select(*[Y.c[k] for k in ("household_id", "year") + YEAR_COLS]).where(Y.c.year.in_(years))).all()}
    number_of = {}
    wanted = []
    for num, y, rec in plan.years:
        number_of[(ids[num], y)] = num
        wanted.append(((ids[num], y), tuple(rec[k] for k in YEAR_COLS)))

    def new_row(key, values):
        return key + tuple(YEAR_DEFAULTS.get(k) if v is KEEP else v for k, v in zip(YEAR_COLS, values))

    done = upsert_changed(conn, Y, ("household_id", "year"), YEAR_COLS, wanted, stored, new_row=new_row)
    affected.update(village_of[number_of[key]] for key in done.new + done.updated)
    _count(result.years, done)


def _write_members(conn: Connection, plan: Plan, ids: dict, result: RegisterImport) -> None:
    """A household's member list is replaced whole when it differs from the file's, unless the file is
    of an older year than the database holds for the household (its stored list is the newer one)."""
    M = m.Member.__table__
    wanted = {ids[num]: rows for num, rows in plan.members.items()}
    older = {ids[num] for num in plan.older}
    stored: dict[int, list[tuple]] = {}
    for r in conn.execute(select(M.c.household_id, *[M.c[k] for k in MEMBER_COLS])
                          .order_by(M.c.household_id, M.c.id)).all():
        if r[0] in wanted:
            stored.setdefault(r[0], []).append(tuple(r[1:]))
    replace, inserts = [], []
    for hid, rows in wanted.items():
        old = stored.get(hid)
        if old == rows or (old is not None and hid in older):
            result.members.unchanged += 1
            continue
        if old is None:
            result.members.new += 1
        else:
            result.members.updated += 1
            replace.append(hid)
        inserts += [(hid, *row) for row in rows]
    if replace:
        delete_where_in(conn, "members", "household_id", replace)
    if inserts:
        reset_sequence(conn, "members")
        bulk_insert(conn, M, ("household_id",) + MEMBER_COLS, inserts)
    result.member_rows = len(inserts)


def _write_populations(conn: Connection, plan: Plan, result: RegisterImport, affected: set[str]) -> None:
    """Rural population per village and year (the denominator of the poverty incidence)."""
    P = m.RegionPopulation.__table__
    stored = {(r[0], r[1]): (r[2],) for r in conn.execute(
        select(P.c.region_code, P.c.year, P.c.rural_population)).all()}
    done = upsert_changed(conn, P, ("region_code", "year"), ("rural_population",),
                          (((code, y), (pop,)) for (code, y), pop in plan.populations.items()), stored)
    affected.update(code for code, _ in done.new + done.updated)
    _count(result.populations, done)


def _write_poor_flags(conn: Connection, plan: Plan, regions: RegionIndex, result: RegisterImport,
                      affected: set[str]) -> None:
    """Poor-village flags and exit years, where the file gives them; a village that is not poor has none."""
    wanted, stored = [], {}
    for code, (is_poor, exit_year) in plan.poor_flags.items():
        r = regions.by_code[code]
        new_poor = r.is_poor_village if is_poor is KEEP else bool(is_poor)
        new_exit = r.poor_village_exit_year if exit_year is KEEP else exit_year
        wanted.append((code, (new_poor, new_exit if new_poor else None)))
        stored[code] = (bool(r.is_poor_village), r.poor_village_exit_year)
    done = upsert_changed(conn, m.Region.__table__, ("code",), ("is_poor_village", "poor_village_exit_year"),
                          wanted, stored, whole_row=True)
    affected.update(done.updated)
    result.poor_villages_updated = len(done.updated)
