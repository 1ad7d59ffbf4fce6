"""Import one department's file: the register importer's reading, checks and report, upserted in one transaction."""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

from sqlalchemy import bindparam, select, text
from sqlalchemy.engine import Connection, Engine

from sandbox.store.department.result import DepartmentImport
from sandbox.store.department.sources import SourceMapping, load_source
from sandbox.store.department.tables import DepartmentRecord, DepartmentSource
from sandbox.store.importers.convert import Converted, Spec, convert_table
from sandbox.store.importers.fields import as_date, as_id_number, as_number, as_text, optional
from sandbox.store.importers.households.read import with_rows
from sandbox.store.importers.report import reported
from sandbox.store.importers.tables import SKIP_KINDS, normalise_value, read_table
from sandbox.store.importers.upsert import upsert_changed

__all__ = ["import_department", "VALUE_COLUMNS"]

# Stored columns besides the key, in this order everywhere below.
VALUE_COLUMNS = ("name", "category", "status", "amount", "place", "detail", "start_date", "end_date", "row")
_LENGTHS = {"name": 32, "category": 32, "status": 16, "place": 128, "detail": 128, "record_key": 64}
_IN_CHUNK = 900


def _text(limit: int):
    return optional(lambda v: as_text(v)[:limit] or None)


def _specs(mapping: SourceMapping) -> list[Spec]:
    req = set(mapping.required)
    converters = {"id_number": as_id_number, "amount": optional(as_number), "start_date": optional(as_date),
                  "end_date": optional(as_date), "as_of": optional(as_date)}
    specs = []
    for key in mapping.layout.columns:
        convert = converters.get(key) or _text(_LENGTHS.get(key, 64))
        specs.append(Spec(key, convert, column_required=key in req,
                          cell_required=key in req and key not in ("amount",)))
    return specs


def import_department(target: Engine | Connection, source: str, path: Path | str, *,
                      mapping: Path | str | None = None, as_of: dt.date | None = None, dry_run: bool = False,
                      report_path: Path | str | None = None) -> DepartmentImport:
    """Import `path` as `source` (payroll, vehicles …; see sources.SOURCES). Valid rows are upserted by
    (source, ID number, key), bad ones reported; the same file twice changes nothing. A Connection is
    written in its caller's transaction (the demo builder's), an Engine in a transaction of its own.
    Raises ImportFailed, nothing written, for a file that cannot be read as the source's table."""
    path = Path(path)
    t0 = time.perf_counter()
    src = load_source(source, mapping)
    result = DepartmentImport(file=path.name, source=source, source_name=src.name)
    report = result.report
    with reported(report, path, report_path, result):
        table = with_rows(read_table(path, known_headers=src.layout.known_headers(),
                                     sheet_candidates=src.layout.sheets))
        for kind, rows in table.skipped.items():
            result.rows_skipped += len(rows)
            for row in rows:
                report.note(table.file, table.sheet, row, None, None, f"跳过: {SKIP_KINDS[kind]}, 不是数据行")
        known = src.layout.known_headers()
        for raw, header in zip(table.raw_headers, table.headers):
            if header and header not in known:
                result.unknown_columns.append(raw.strip())
                report.warning(table.file, table.sheet, None, raw.strip(), None,
                               f"未识别的列, 未导入 ({src.path.name} 中没有这个列名)")
        conv = convert_table(table, src.layout, _specs(src), report)
        wanted = _records(conv, src, result)
        result.rows_read = len(conv)
        result.rows_rejected = len(conv.bad)
        stated = [d for d in conv.columns.get("as_of", []) if d is not None]
        result.as_of = as_of or max(stated, default=None) or table.stated_date
        if isinstance(target, Connection):
            _write(target, src, wanted, result, dry_run)
        elif dry_run:
            with target.connect() as conn:
                _write(conn, src, wanted, result, dry_run)
        else:
            with target.begin() as conn:
                _write(conn, src, wanted, result, dry_run)
        report.fold_warnings()
    result.seconds = time.perf_counter() - t0
    return result


def _records(conv: Converted, src: SourceMapping, result: DepartmentImport) -> dict[tuple[str, str], tuple]:
    """(ID number, key) → values in VALUE_COLUMNS order; a later row with the same pair is a warning.
    Column by column (spellings and 万元 once per distinct value), then one tuple a row: a 医保 file has
    a county's people in it."""
    n = len(conv)
    blank = [None] * n
    columns = {k: conv.columns.get(k, blank) for k in ("id_number", "record_key", *VALUE_COLUMNS[:-1])}
    for k, spellings in src.layout.values.items():
        if k in conv.columns:
            read = {v: spellings.get(normalise_value(v), v) for v in set(columns[k]) if v is not None}
            columns[k] = [None if v is None else read[v] for v in columns[k]]
    amount_idx = src.layout.locate(conv.table).get("amount")
    if amount_idx is not None and conv.table.headers[amount_idx] in src.wan_headers:
        columns["amount"] = [None if v is None else round(v * 10_000, 2) for v in columns["amount"]]
    keys = [columns[k] for k in src.key_fields]
    values = zip(*(columns[k] for k in VALUE_COLUMNS[:-1]), conv.table.row_numbers)
    out: dict[tuple[str, str], tuple] = {}
    table = conv.table
    for i, (ident, row) in enumerate(zip(columns["id_number"], values)):
        if i in conv.bad:
            continue
        pair = (ident, "|".join(str(c[i] or "") for c in keys)[:64])
        if pair in out:
            first = out[pair][-1]
            result.duplicates += 1
            result.report.warning(table.file, table.sheet, row[-1], conv.headers.get("id_number"), ident,
                                  f"与第 {first} 行是同一人同一记录, 未重复导入 (以第 {first} 行为准)")
            continue
        out[pair] = row
    return out


def _write(conn: Connection, src: SourceMapping, wanted: dict[tuple[str, str], tuple], result: DepartmentImport,
           dry_run: bool) -> None:
    people = {ident for ident, _ in wanted}
    result.people = len(people)
    result.in_register = len(_in_register(conn, people))
    result.not_in_register = result.people - result.in_register
    t = DepartmentRecord.__table__
    existing = {(r[0], r[1]): tuple(r[2:]) for r in conn.execute(
        select(t.c.id_number, t.c.record_key, *(t.c[c] for c in VALUE_COLUMNS)).where(t.c.source == src.source))}
    stored = conn.execute(select(DepartmentSource.as_of).where(DepartmentSource.source == src.source)).first()
    result.as_of_changed = result.as_of is not None and (stored is None or stored[0] != result.as_of)
    if dry_run:
        for pair, values in wanted.items():
            old = existing.get(pair)
            result.new += old is None
            result.updated += old is not None and old != values
            result.unchanged += old == values
        return
    done = upsert_changed(conn, t, ("source", "id_number", "record_key"), VALUE_COLUMNS,
                          (((src.source, *pair), values) for pair, values in wanted.items()),
                          {(src.source, *pair): v for pair, v in existing.items()})
    result.new, result.updated, result.unchanged = len(done.new), len(done.updated), done.unchanged
    if not result.changed:
        return  # nothing new: the source's import record stays as it was, so the same file twice changes nothing
    total = len(existing) + result.new
    row = dict(file=result.file[:255], as_of=result.as_of if result.as_of is not None else (stored[0] if stored else None),
               imported_at=dt.datetime.now(dt.UTC).replace(tzinfo=None), rows=total,
               in_register=result.in_register, not_in_register=result.not_in_register)
    if stored is None:
        conn.execute(DepartmentSource.__table__.insert().values(source=src.source, **row))
    else:
        conn.execute(DepartmentSource.__table__.update().where(DepartmentSource.source == src.source).values(**row))


def _in_register(conn: Connection, people: set[str]) -> set[str]:
    """The ID numbers among `people` that are a member or a head in the register (one statement, compiled
    once, run per chunk: the index on id_number answers each)."""
    found: set[str] = set()
    ids = sorted(people)
    for start in range(0, len(ids), _IN_CHUNK):
        found.update(conn.execute(_IN_REGISTER, {"ids": ids[start:start + _IN_CHUNK]}).scalars())
    return found


_IN_REGISTER = text("SELECT id_number FROM members WHERE id_number IN :ids "
                    "UNION SELECT id_number FROM households WHERE id_number IN :ids"
                    ).bindparams(bindparam("ids", expanding=True))
