"""The register import's pipeline: read the tables, check them into a plan, write it, recompute."""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.engine import Engine

from sandbox.store import models as m
from sandbox.store.importers.convert import RegionIndex, convert_table
from sandbox.store.importers.households.checks import check_households, fail_if_not_importable
from sandbox.store.importers.households.member_checks import check_members
from sandbox.store.importers.households.plan import Heads, Plan
from sandbox.store.importers.households.read import Progress, note_skipped, note_unknown_columns, read_tables
from sandbox.store.importers.households.result import RegisterImport
from sandbox.store.importers.households.rollup import restamp_as_of, rollup
from sandbox.store.importers.households.specs import PLACE, household_specs, member_specs, village_specs
from sandbox.store.importers.households.village_checks import check_villages
from sandbox.store.importers.households.write import write_plan
from sandbox.store.importers.mapping import Mapping, load_mapping
from sandbox.store.importers.realnames import RealNames
from sandbox.store.importers.report import ImportFailed, reported

__all__ = ["import_households", "import_villages"]


def import_households(engine: Engine, path: Path | str, *, mapping: Mapping | Path | str | None = None,
                      members_path: Path | str | None = None, villages_path: Path | str | None = None,
                      sheet: str | None = None, strict: bool = False, report_path: Path | str | None = None,
                      progress: bool = False, households: bool = True,
                      as_of: dt.date | None = None, dry_run: bool = False) -> RegisterImport:
    """Import a register; raises ImportFailed (nothing written) on a file-level problem, or on any
    row error with `strict`. Otherwise valid rows are imported and the rest reported.

    `as_of`: the register's own date (数据截至); without it, the latest date of a 数据截至/填报日期
    column, else the date its title or footer states, else none (the wall then shows the import time)."""
    path = Path(path)
    mapping = mapping if isinstance(mapping, Mapping) else load_mapping(mapping)
    result = RegisterImport(file=path.name)
    report = result.report
    steps = Progress(path.name, progress)
    t0 = time.perf_counter()
    try:
        with reported(report, path, report_path, result):
            with engine.connect() as conn:
                fail_if_not_importable(conn)
                regions = RegionIndex(conn)
                regions.real_names = RealNames(conn)  # 乡镇+村 names checked against the bureau's (realnames.py)
                lines = set(conn.execute(select(m.PovertyLine.year)).scalars())
                heads = Heads(conn) if households else None
            tables = read_tables(path, mapping, members_path, villages_path, sheet, households, steps)
            result.seconds["read"] = time.perf_counter() - t0
            note_skipped(tables, report, result)
            note_unknown_columns(tables, mapping, report)

            t0 = time.perf_counter()
            plan = _check_tables(tables, mapping, regions, lines, heads, result, steps)
            result.seconds["validate"] = time.perf_counter() - t0
            result.households_imported = len(plan.households) + len(plan.older)
            result.households_rejected = len(plan.rejected) + plan.rejected_unnumbered
            result.people_imported, result.people_rejected = plan.people, plan.rejected_people
            stated = [t.stated_date for t in tables.values() if t is not None and t.stated_date]
            result.as_of = as_of or plan.as_of or max(stated, default=None)
            report.fold_warnings()
            if report.errors and strict:
                raise ImportFailed(f"{report.error_rows()} 行有错误 (--strict: 全部不导入); 第一处: {report.summary()}",
                                   report)
            if dry_run:  # the console's check before its confirmation: what would change, nothing written
                result.existing_households = sum(1 for n in plan.households if heads is not None and n in heads.years)
                return result

            t0 = time.perf_counter()
            steps.phase("写入数据库")
            with engine.begin() as conn:
                affected = write_plan(conn, plan, regions, mapping, result)
                result.seconds["write"] = time.perf_counter() - t0
                if result.changed:
                    steps.phase("重算指标")
                    t0 = time.perf_counter()
                    rollup(conn, plan, affected, regions, mapping, result, path.name, result.as_of)
                    result.seconds["rollup"] = time.perf_counter() - t0
                elif as_of is not None:  # the same records with their date given (again, or corrected)
                    restamp_as_of(conn, as_of)
    finally:
        steps.close()
    return result


def import_villages(engine: Engine, path: Path | str, **kwargs) -> RegisterImport:
    """Only the 村级数据 table (rural population, poor villages): a CSV, or a workbook's sheet."""
    return import_households(engine, path, households=False, **kwargs)


def _check_tables(tables: dict, mapping: Mapping, regions: RegionIndex, lines: set[int], heads: Heads | None,
                  result: RegisterImport, steps: Progress) -> Plan:
    """Convert and check each table in turn (households first: members are checked against them)."""
    report = result.report
    steps.phase("检查", total=sum(len(t.rows) for t in tables.values() if t is not None))
    plan = Plan()
    if tables.get("households") is not None:
        conv = convert_table(tables["households"], mapping.households, household_specs(mapping), report, PLACE)
        steps.advance(len(conv) // 2)  # converting and checking take about as long
        check_households(conv, regions, mapping, lines, heads, report, plan)
        steps.advance(len(conv) - len(conv) // 2)
        result.rows_read += len(conv)
        result.rows_rejected += len(conv.bad)
        result.household_rows_rejected = len(conv.bad)
    if tables.get("villages") is not None:
        conv = convert_table(tables["villages"], mapping.villages, village_specs(mapping), report, PLACE)
        check_villages(conv, regions, lines, mapping, report, plan)
        steps.advance(len(conv))
        result.rows_read += len(conv)
        result.rows_rejected += len(conv.bad)
    if tables.get("members") is not None:
        conv = convert_table(tables["members"], mapping.members, member_specs(mapping), report)
        check_members(conv, set(plan.households) | set(heads.numbers), report, plan)
        steps.advance(len(conv))
        result.rows_read += len(conv)
        result.rows_rejected += len(conv.bad) - plan.followers
        result.member_rows_not_imported = plan.followers
    return plan
