"""Rolls the records up into additive facts per village and year, entirely in SQL.

The API then answers any region by summing at most a few hundred fact rows, whatever the
number of households, so request time does not grow with the county's size.
"""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import bindparam, delete, func, insert, select, text
from sqlalchemy.engine import Connection

from sandbox.domain.indicators import FACTS
from sandbox.store.models import Checkin, Meta, RegionYearBreakdown, RegionYearFacts, RegionYearTotals
from sandbox.store.queries import index_serves, prefix_bounds, within

__all__ = ["refresh_facts", "refresh_totals", "visit_reference_months"]

# (digits that identify the region, condition on an atom's code to count under that level)
_LEVELS = (
    (12, "substr(f.region_code, 10, 3) <> '000'"),  # villages: only village atoms
    (9, "substr(f.region_code, 7, 3) <> '000'"),  # towns: village atoms and the town's own
    (6, "1 = 1"),  # county: everything
    (4, "1 = 1"),  # prefecture (市州): every county's atoms, so its totals are the sum of its counties'
    (2, "1 = 1"),  # province: likewise, the sum of its prefectures'
)
_ABOVE_COUNTY = {4: "prefecture", 2: "province"}


def _digits_to_sum(conn: Connection) -> list[int]:
    """The levels to total: a prefecture or province only where the regions hold one (a county's
    database, the usual one, does not pay for levels nobody can ask for)."""
    present = set(conn.execute(text("SELECT DISTINCT level FROM regions WHERE level IN ('prefecture', 'province')"))
                  .scalars())
    return [d for d, _ in _LEVELS if d not in _ABOVE_COUNTY or _ABOVE_COUNTY[d] in present]

_POOR = "hy.status IN ('poor', 'relapsed')"
_REG = "hy.status <> 'closed'"


def _part(source: str, code: str, year: str, values: dict[str, str], where: str = "") -> str:
    # Each part is grouped on its own, so the outer UNION holds a few thousand rows, not one per
    # household-year (which at province scale would spill gigabytes into temp storage).
    cols = ", ".join(f"SUM({values[f]}) AS {f}" if f in values else f"0 AS {f}" for f in FACTS)
    return (f"SELECT {code} AS code, {year} AS year, {cols} FROM {source} "
            f"{('WHERE ' + where) if where else ''} GROUP BY {code}{'' if year.isdigit() else ', ' + year}")


def _flag(cond: str, then: str = "1") -> str:
    return f"CASE WHEN {cond} THEN {then} ELSE 0 END"


def visit_reference_months(conn: Connection) -> dict[int, tuple[dt.datetime, dt.datetime]]:
    """For each year, the last month with any check-in: 月走访率 is reported for that month."""
    rows = conn.execute(select(Checkin.at).order_by(Checkin.at.desc()).limit(1)).all()
    if not rows:
        return {}
    result: dict[int, tuple[dt.datetime, dt.datetime]] = {}
    years = conn.execute(select(func.min(Checkin.at), func.max(Checkin.at))).one()
    for year in range(years[0].year, years[1].year + 1):
        last = conn.execute(
            select(func.max(Checkin.at)).where(
                Checkin.at >= dt.datetime(year, 1, 1), Checkin.at < dt.datetime(year + 1, 1, 1)
            )
        ).scalar()
        if last is None:
            continue
        start = dt.datetime(last.year, last.month, 1)
        end = dt.datetime(last.year + (last.month == 12), last.month % 12 + 1, 1)
        result[year] = (start, end)
    return result


def _under(column: str, prefix: str, *, indexed: bool) -> str:
    """SQL: `column` is a code starting with `prefix`, as a range on :lo/:hi (queries.within's, in text)
    when `indexed` (queries.index_serves: a small part of the database), else LIKE (a county's own
    database: every row, read from the table)."""
    if not indexed:
        return f"{column} LIKE :like"
    return f"{column} >= :lo" + ("" if prefix_bounds(prefix)[1] is None else f" AND {column} < :hi")


def refresh_facts(conn: Connection, prefix: str = "") -> None:
    """Recompute facts and breakdowns for every region whose code starts with `prefix`."""
    indexed = index_serves(prefix, conn)  # a county in a province's database: by the index
    conn.execute(delete(RegionYearFacts).where(within(RegionYearFacts.region_code, prefix, use_index=indexed)))
    conn.execute(delete(RegionYearBreakdown).where(within(RegionYearBreakdown.region_code, prefix,
                                                          use_index=indexed)))
    lo, hi = prefix_bounds(prefix)

    def under(column: str) -> str:
        return _under(column, prefix, indexed=indexed)

    bounds = {"lo": lo, "like": prefix + "%"} if hi is None else {"lo": lo, "hi": hi, "like": prefix + "%"}

    hh = "household_years hy JOIN households h ON h.id = hy.household_id JOIN poverty_lines pl ON pl.year = hy.year"
    parts = [
        _part(hh, "h.village_code", "hy.year", {
            "registered_households": _flag(_REG),
            "registered_population": _flag(_REG, "hy.members"),
            "poor_households": _flag(_POOR),
            "poor_population": _flag(_POOR, "hy.members"),
            "exited_population": _flag("hy.status = 'exited'", "hy.members"),
            "exits_in_year": _flag("hy.exited_this_year", "hy.members"),
            "relapsed_population": _flag("hy.status = 'relapsed'", "hy.members"),
            "ever_exited_population": _flag("hy.status IN ('exited', 'relapsed')", "hy.members"),
            "income_ok_households": _flag(f"{_POOR} AND hy.per_capita_net_income >= pl.line_yuan"),
            "housing_safe_households": _flag(f"{_REG} AND (hy.housing_grade IN ('A', 'B') OR hy.relocated)"),
            "water_safe_households": _flag(f"{_REG} AND hy.water_safe"),
            "school_age_households": _flag(f"{_REG} AND hy.school_age_children"),
            "education_ok_households": _flag(f"{_REG} AND hy.school_age_children AND NOT hy.dropout"),
            "medical_ok_households": _flag(f"{_REG} AND hy.all_insured"),
            "survey_answers": _flag(f"{_REG} AND hy.survey_satisfied IS NOT NULL"),
            "survey_satisfied": _flag(f"{_REG} AND hy.survey_satisfied"),
        }, under("h.village_code")),
        _part(
            "(SELECT DISTINCT h.village_code AS vc, hy.year AS y, hy.household_id AS hid "
            " FROM household_years hy JOIN households h ON h.id = hy.household_id"
            " JOIN assignments a ON a.household_id = hy.household_id AND a.start_year <= hy.year"
            " AND (a.end_year IS NULL OR a.end_year > hy.year)"
            f" WHERE {_POOR} AND {under('h.village_code')}) helped",
            "vc", "y", {"helped_poor_households": "1"},
        ),
        _part("region_populations rp", "rp.region_code", "rp.year",
              {"rural_population": "rp.rural_population"}, under("rp.region_code")),
        _part("cadres c JOIN poverty_lines pl ON c.start_year <= pl.year AND (c.end_year IS NULL OR c.end_year > pl.year)",
              "c.region_code", "pl.year",
              {"cadres": "1", "first_secretaries": _flag("c.role = 'first_secretary'")}, under("c.region_code")),
        _part(
            "(SELECT DISTINCT c.region_code AS rc, pl.year AS y, c.id AS cid FROM cadres c"
            " JOIN poverty_lines pl ON c.start_year <= pl.year AND (c.end_year IS NULL OR c.end_year > pl.year)"
            " JOIN assignments a ON a.cadre_id = c.id AND a.start_year <= pl.year"
            f" AND (a.end_year IS NULL OR a.end_year > pl.year) WHERE {under('c.region_code')}) helping",
            "rc", "y", {"helpers": "1"},
        ),
        _part(
            "fund_allocations fa LEFT JOIN (SELECT allocation_id, SUM(amount) AS paid FROM fund_payments"
            " GROUP BY allocation_id) fp ON fp.allocation_id = fa.id",
            "fa.region_code", "fa.year",
            {"fund_allocated": "fa.allocated", "fund_arrived": "fa.arrived", "fund_paid": "COALESCE(fp.paid, 0)"},
            under("fa.region_code"),
        ),
        _part("projects p JOIN poverty_lines pl ON p.planned_year <= pl.year", "p.region_code", "pl.year",
              {"projects_planned": "1",
               "projects_started": _flag("p.started_year IS NOT NULL AND p.started_year <= pl.year")},
              under("p.region_code")),
    ]
    params: dict = dict(bounds)
    refs = visit_reference_months(conn)
    for year, (start, end) in refs.items():
        params[f"s{year}"], params[f"e{year}"] = start, end
        parts.append(_part(
            "(SELECT DISTINCT c.village_code AS vc, c.household_id AS hid FROM checkins c"
            " JOIN household_years hy ON hy.household_id = c.household_id AND hy.year = "
            f"{int(year)} WHERE c.effective AND c.at >= :s{year} AND c.at < :e{year} AND {_POOR}"
            f" AND {under('c.village_code')}) visited",
            "vc", str(int(year)), {"visited_poor_households": "1"},
        ))
    union = "\nUNION ALL\n".join(parts)
    cols = ", ".join(FACTS)
    sums = ", ".join(f"SUM({f})" for f in FACTS)
    conn.execute(text(
        f"INSERT INTO region_year_facts (region_code, year, {cols}) "
        f"SELECT code, year, {sums} FROM ({union}) u GROUP BY code, year"
    ), params)
    # Months without check-ins are "no data", not a visit rate of zero.
    if refs:
        conn.execute(text(
            "UPDATE region_year_facts SET visited_poor_households = NULL "
            f"WHERE {under('region_code')} AND year NOT IN :years"
        ).bindparams(bindparam("years", expanding=True)), {**bounds, "years": list(refs)})
    else:
        conn.execute(text(f"UPDATE region_year_facts SET visited_poor_households = NULL WHERE {under('region_code')}"),
                     bounds)
    # A database without any record of a kind (registers imported, the 帮扶 roster, fund ledgers or
    # project lists not) does not know those facts: 无数据, not zero cadres and 0 % coverage, and not
    # "无下达资金" either, which says the ledgers were looked at.
    for records, facts in _KNOWN_ONLY_WITH:
        if conn.execute(text(f"SELECT COUNT(*) FROM (SELECT 1 FROM {records} LIMIT 1) t")).scalar() == 0:
            conn.execute(text(f"UPDATE region_year_facts SET {', '.join(f'{c} = NULL' for c in facts)} "
                              f"WHERE {under('region_code')}"), bounds)
    _refresh_breakdowns(conn, prefix, bounds, indexed)


# (records without which these facts are unknown: a small table, or for survey answers, which sit
# in the household-years, the facts themselves; a village's refresh keeps the others' facts, so "no
# fact row counts an answer" is "no answer on record", and costs a scan of thousands of rows, not
# of every household-year at province scale)
_KNOWN_ONLY_WITH = (
    ("cadres", ("cadres", "helpers", "first_secretaries", "helped_poor_households")),
    ("fund_allocations", ("fund_allocated", "fund_arrived", "fund_paid")),
    ("projects", ("projects_planned", "projects_started")),
    ("region_year_facts WHERE survey_answers > 0", ("survey_answers", "survey_satisfied")),
    # registers without 有义务教育阶段子女: which households have school-age children is unknown
    ("household_years WHERE school_age_children IS NOT NULL", ("school_age_households", "education_ok_households")),
)


def refresh_totals(conn: Connection) -> None:
    """Sum the atoms for every village, town and county, and the prefectures and the province where the
    regions hold them (run after facts and village exits change)."""
    conn.execute(delete(RegionYearTotals))
    # Readers cache answers per facts version; a new version makes every cached answer stale.
    conn.execute(delete(Meta).where(Meta.key == "facts_version"))
    conn.execute(insert(Meta).values(key="facts_version", value=uuid.uuid4().hex))
    cols = ", ".join(FACTS)
    sums = ", ".join(f"SUM(f.{f})" for f in FACTS)
    is_village = "substr(f.region_code, 10, 3) <> '000'"
    wanted = _digits_to_sum(conn)
    for digits, cond in _LEVELS:
        if digits not in wanted:
            continue
        code = f"substr(f.region_code, 1, {digits})" + (f" || '{'0' * (12 - digits)}'" if digits < 12 else "")
        conn.execute(text(
            f"INSERT INTO region_year_totals (region_code, year, {cols}, first_secretary_villages, villages, "
            "poor_villages, exited_poor_villages) "
            f"SELECT {code}, f.year, {sums}, "
            f"SUM(CASE WHEN {is_village} AND f.first_secretaries > 0 THEN 1 ELSE 0 END), "
            f"SUM(CASE WHEN {is_village} THEN 1 ELSE 0 END), "
            f"SUM(CASE WHEN {is_village} AND r.is_poor_village THEN 1 ELSE 0 END), "
            f"SUM(CASE WHEN {is_village} AND r.is_poor_village AND r.poor_village_exit_year <= f.year THEN 1 ELSE 0 END) "
            f"FROM region_year_facts f LEFT JOIN regions r ON r.code = f.region_code WHERE {cond} "
            f"GROUP BY {code}, f.year"
        ))


def _refresh_breakdowns(conn: Connection, prefix: str, bounds: dict, indexed: bool) -> None:
    base = ("FROM household_years hy JOIN households h ON h.id = hy.household_id "
            f"WHERE {_under('h.village_code', prefix, indexed=indexed)} AND ")
    groups = [
        ("'exit_batch'", "COALESCE(h.exit_batch, 'unknown')", _POOR),  # unknown: the register had no 脱贫路径
        ("'cause'", "h.main_cause", _POOR),
        ("'attribute'", "h.attribute", _POOR),
        ("'status'", "hy.status", _REG),
    ]
    gaps = [
        ("housing", "NOT (hy.housing_grade IN ('A', 'B') OR COALESCE(hy.relocated, 0 = 1))"),
        ("water", "NOT hy.water_safe"),
        ("education", "COALESCE(hy.school_age_children, hy.dropout) AND hy.dropout"),
        ("medical", "NOT hy.all_insured"),
        ("food_clothing", "NOT hy.food_clothing_ok"),
    ]
    selects = [
        f"SELECT h.village_code, hy.year, {dim}, {cat}, COUNT(*), SUM(hy.members) {base}{cond} "
        f"GROUP BY h.village_code, hy.year, {cat}"
        for dim, cat, cond in groups
    ] + [
        f"SELECT h.village_code, hy.year, 'gap', '{name}', COUNT(*), SUM(hy.members) {base}{_REG} AND {cond} "
        "GROUP BY h.village_code, hy.year"
        for name, cond in gaps
    ] + [
        # A register without 吃穿不愁 (or 义务教育阶段子女): the gap is unknown, not nobody (queries.breakdowns
        # says null).
        f"SELECT h.village_code, hy.year, 'gap_unknown', '{name}', COUNT(*), SUM(hy.members) {base}{_REG} "
        f"AND {cond} GROUP BY h.village_code, hy.year"
        for name, cond in (("food_clothing", "hy.food_clothing_ok IS NULL"),
                           ("education", "hy.school_age_children IS NULL"))
    ]
    insert = "INSERT INTO region_year_breakdowns (region_code, year, dimension, category, households, population) "
    for sql in selects:
        conn.execute(text(insert + sql), bounds)
    # Towns, counties, prefectures and the province get their own summed rows, so a request reads one
    # region's rows.
    conn.execute(text("DELETE FROM region_year_breakdowns WHERE substr(region_code, 10, 3) = '000'"))
    for digits in (d for d in _digits_to_sum(conn) if d < 12):
        code = f"substr(region_code, 1, {digits}) || '{'0' * (12 - digits)}'"
        conn.execute(text(
            insert + f"SELECT {code}, year, dimension, category, SUM(households), SUM(population) "
            "FROM region_year_breakdowns WHERE substr(region_code, 10, 3) <> '000' "
            f"GROUP BY {code}, year, dimension, category"))


