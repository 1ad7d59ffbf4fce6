"""Satisfaction call-backs as a workbook: the month's call list out to the call centre, its outcomes back in.

The import follows the register's row rules: a bad row is reported (级别, 行号, 列, 值, 原因 in the CSV
next to the file) and not imported, the others are (with `strict`, none); one transaction; importing the
same sheet again changes nothing (one record per household and month). 群众认可度 of the villages it
touches is recomputed in the same transaction.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.engine import Engine

from sandbox.domain.complaints import CallOutcome, Satisfaction
from sandbox.domain.enums import HouseholdStatus
from sandbox.store.command.callbacks import Callback, apply_answers, call_list, month_bounds
from sandbox.store.importers.report import ImportFailed, ImportReport, reported
from sandbox.store.importers.tables import normalise_header, read_table
from sandbox.store.importers.xlsx import write_xlsx
from sandbox.store.models import Household
from sandbox.store.rollup import refresh_facts, refresh_totals

__all__ = ["HEADER", "export_call_list", "import_callbacks", "CallbackImport"]

HEADER = ("月份", "乡镇", "村", "户编号", "户主", "联系电话", "分层", "通话结果", "满意度", "不满意原因", "回访员", "回访时间")
_REQUIRED = ("月份", "户编号", "通话结果")
_OUTCOMES = {o.label_zh: o for o in CallOutcome}
_ANSWERS = {s.label_zh: s for s in Satisfaction}
_SHEET = "回访名单"


def export_call_list(engine: Engine, path: Path | str, month: str, *, region: str = "") -> int:
    """Write the month's call list (sandbox.store.command.callbacks.call_list); returns the rows written."""
    month_bounds(month)
    with engine.connect() as conn:
        rows = call_list(conn, month, prefix=region)
    status = HouseholdStatus.labels()
    counts = write_xlsx(Path(path), [(_SHEET, HEADER, (
        (month, r.town, r.village, r.household_number, r.head_name, r.phone, status.get(r.stratum, r.stratum),
         None, None, None, None, None) for r in rows))],
        widths={_SHEET: (9, 10, 12, 20, 8, 14, 8, 10, 10, 24, 8, 17)})
    return counts[_SHEET]


@dataclass
class CallbackImport:
    file: str
    imported: int = 0  # rows written (new or changed)
    unchanged: int = 0  # rows already on record as they are
    rejected: int = 0
    not_called: int = 0  # list rows without an outcome: not called yet
    villages: set[str] = field(default_factory=set)
    report: ImportReport = field(default_factory=ImportReport)
    report_path: Path | None = None


def _text(v) -> str:
    if v is None:
        return ""
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    return str(v).strip()


def _when(v) -> dt.datetime | None | str:
    """The call's time as entered (Beijing), or why it cannot be read."""
    if v in (None, ""):
        return None
    if isinstance(v, dt.datetime):
        return v.replace(tzinfo=None)
    if isinstance(v, dt.date):
        return dt.datetime.combine(v, dt.time())
    text = _text(v).replace("/", "-")
    for fmt in ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d"):
        try:
            return dt.datetime.strptime(text, fmt)
        except ValueError:
            pass
    return "回访时间无法识别: 应为 2019-06-12 或 2019-06-12 14:30"


def import_callbacks(engine: Engine, path: Path | str, *, strict: bool = False,
                     report_path: Path | str | None = None, dry_run: bool = False,
                     region: str = "") -> CallbackImport:
    """Read, check and (unless `dry_run`: counted, nothing written) import a filled call list; with `region`
    (a code prefix: the console's account scope) a household outside it is a row error."""
    path = Path(path)
    result = CallbackImport(file=path.name)
    report = result.report
    with reported(report, path, report_path, result):
        table = read_table(path, known_headers={normalise_header(h) for h in HEADER}, sheet_candidates=(_SHEET,))
        cols = {h: i for i, h in enumerate(table.headers)}
        missing = [h for h in _REQUIRED if normalise_header(h) not in cols]
        if missing:
            raise ImportFailed(f"文件 {path.name}: 缺少列 {'、'.join(missing)} (回访名单应由 sandbox callbacks list 导出)",
                               report)

        def cell(row, name):
            i = cols.get(normalise_header(name))
            return row[i] if i is not None and i < len(row) else None

        with engine.connect() as conn:
            numbers = set(_text(cell(r, "户编号")) for r in table.rows)
            ids = {}
            listed = sorted(n for n in numbers if n)
            for start in range(0, len(listed), 5000):
                ids.update({n: (i, v) for n, i, v in conn.execute(
                    select(Household.household_number, Household.id, Household.village_code)
                    .where(Household.household_number.in_(listed[start:start + 5000])))})
        planned: dict[tuple[int, str], dict] = {}
        for row, line in zip(table.rows, table.row_numbers):
            def err(column, value, reason):
                report.error(table.file, table.sheet, line, column, value, reason)

            month, number, said = _text(cell(row, "月份")), _text(cell(row, "户编号")), _text(cell(row, "通话结果"))
            answer, why = _text(cell(row, "满意度")), _text(cell(row, "不满意原因"))
            if not said and not answer:
                result.not_called += 1
                continue
            try:
                month_bounds(month)
            except ValueError as exc:
                err("月份", month, str(exc))
                continue
            if number not in ids:
                err("户编号", number, "库中没有这个户编号")
                continue
            outcome = _OUTCOMES.get(said)
            if outcome is None:
                err("通话结果", said, f"应为 {'、'.join(_OUTCOMES)} 之一")
                continue
            sat = None
            if outcome is CallOutcome.connected:
                sat = _ANSWERS.get(answer)
                if sat is None:
                    err("满意度", answer, f"接通的电话应填满意度: {'、'.join(_ANSWERS)} 之一")
                    continue
                if sat is Satisfaction.dissatisfied and not why:
                    err("不满意原因", why, "不满意的应填写原因 (如: 帮扶干部来得少)")
                    continue
            elif answer:
                err("满意度", answer, f"通话结果为{outcome.label_zh}, 不应有满意度")
                continue
            when = _when(cell(row, "回访时间"))
            if isinstance(when, str):
                err("回访时间", _text(cell(row, "回访时间")), when)
                continue
            hid, village = ids[number]
            if region and not village.startswith(region):
                err("户编号", number, f"该户不在您的辖区 ({region.ljust(12, '0')}) 内, 不能导入其回访结果")
                continue
            if (hid, month) in planned:
                err("户编号", number, f"同一户在 {month} 有两行: 每户每月只记一次回访结果, 以第一行为准")
                continue
            planned[(hid, month)] = dict(month=month, village_code=village, household_id=hid, outcome=outcome.value,
                                         satisfaction=sat.value if sat else None,
                                         reason=why[:500] if sat is Satisfaction.dissatisfied else None,
                                         caller=_text(cell(row, "回访员"))[:32] or None, called_at=when)
        result.rejected = report.error_rows()
        if report.errors and strict:
            raise ImportFailed(f"{result.rejected} 行有错误 (--strict: 全部不导入); 第一处: {report.summary()}", report)
        if dry_run:
            with engine.connect() as conn:
                _write(conn, planned, result, dry_run=True)
            return result
        with engine.begin() as conn:
            _write(conn, planned, result)
            if result.imported:
                years = {int(m[:4]) for _, m in planned}
                changed = apply_answers(conn, years)
                for county in sorted({v[:6] for v in changed}):
                    refresh_facts(conn, county)
                if changed:
                    refresh_totals(conn)
                result.villages = changed
    return result


_FIELDS = ("outcome", "satisfaction", "reason", "caller", "called_at")


def _write(conn, planned: dict[tuple[int, str], dict], result: CallbackImport, dry_run: bool = False) -> None:
    """Insert new calls, update changed ones, count the same ones: importing a sheet twice is a no-op
    (`dry_run`: count only; `result.villages` then names the villages the rows would touch)."""
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    ids = sorted({hid for hid, _ in planned})
    have: dict[tuple[int, str], Callback] = {}
    for start in range(0, len(ids), 5000):
        for c in conn.execute(select(Callback).where(Callback.household_id.in_(ids[start:start + 5000]))):
            have[(c.household_id, c.month)] = c
    new = []
    for key, row in planned.items():
        old = have.get(key)
        if old is not None and all(getattr(old, f) == row[f] for f in _FIELDS):
            result.unchanged += 1
            continue
        result.imported += 1
        if dry_run:
            result.villages.add(row["village_code"])
        elif old is None:
            new.append({**row, "recorded_at": now})
        else:
            conn.execute(Callback.__table__.update().where(Callback.id == old.id)
                         .values(**{f: row[f] for f in _FIELDS}, recorded_at=now))
    for start in range(0, len(new), 5000):
        conn.execute(Callback.__table__.insert(), new[start:start + 5000])
