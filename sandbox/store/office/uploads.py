"""Imports by upload: a file's type checked by its bytes, a dry run, then the import on confirmation; each a job row."""

from __future__ import annotations

import contextlib
import csv
import json
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from sandbox.store.db import session_factory
from sandbox.store.department.importer import import_department
from sandbox.store.department.sources import SOURCES
from sandbox.store.importers import import_boundaries, import_households, import_villages
from sandbox.store.importers.report import ImportFailed
from sandbox.store.office.tables import ConsoleImport
from sandbox.store.tokens import utcnow

__all__ = ["KINDS", "MAX_UPLOAD_BYTES", "UploadRefused", "check_upload", "new_job", "check_job", "run_job",
           "read_report", "ReportRow", "last_imports", "RUNNING", "settle_interrupted", "INTERRUPTED_ZH"]

log = logging.getLogger(__name__)

MAX_UPLOAD_BYTES = 50 * 1024 * 1024  # a county's register as .xlsx is ~10 MB; a town's boundaries far less
# kind → (Chinese name, extensions accepted)
KINDS = {
    "households": ("建档立卡登记表", (".xlsx", ".csv")),
    "villages": ("村级数据表", (".xlsx", ".csv")),
    "boundaries": ("边界文件", (".gpkg", ".geojson", ".json")),
    # department data (issue 17): one kind per source, dept_<source>
    **{f"dept_{source}": (f"部门数据: {name}", (".xlsx", ".csv")) for source, name in SOURCES.items()},
}
RUNNING = ("checking", "importing")
# pg_advisory_lock(class, job id) is held by the process running a job: a job in RUNNING whose lock is free
# was left by a process that is gone (a restart), whichever worker or host looks.
_JOB_LOCK_CLASS = 52272605
INTERRUPTED_ZH = "上次导入因服务重启而中断, 没有写入任何数据 (导入在一个事务中完成, 中断即全部撤销); 可以重新确认导入"
_XLSX, _SQLITE = b"PK\x03\x04", b"SQLite format 3\x00"


class UploadRefused(ValueError):
    """The file is not taken (wrong type, too large, empty); the message is Chinese."""


def check_upload(kind: str, filename: str, head: bytes, size: int) -> str:
    """The file's extension (lower case) when its bytes are what the extension says; UploadRefused otherwise."""
    if kind not in KINDS:
        raise UploadRefused("请选择要导入的数据类型")
    name, allowed = KINDS[kind]
    ext = Path(filename or "").suffix.lower()
    if ext not in allowed:
        raise UploadRefused(f"{name}只接受 {'、'.join(allowed)} 文件, 不是 {filename or '(未命名)'}")
    if size == 0:
        raise UploadRefused(f"文件 {filename} 是空的")
    if size > MAX_UPLOAD_BYTES:
        raise UploadRefused(f"文件 {filename} 有 {size / 1048576:.1f} MB, 超过上限 {MAX_UPLOAD_BYTES // 1048576} MB; "
                            "请按乡镇拆分后分别上传")
    fake = f"文件 {filename} 的内容不是 {ext} 格式 (可能改过扩展名); 请用 Excel/WPS 或 GIS 软件另存为正确格式后再上传"
    if ext == ".xlsx" and not head.startswith(_XLSX):
        raise UploadRefused(fake)
    if ext == ".gpkg" and not head.startswith(_SQLITE):
        raise UploadRefused(fake)
    if ext in (".csv", ".geojson", ".json"):
        if b"\x00" in head or head.startswith((_XLSX, _SQLITE, b"\xd0\xcf\x11\xe0", b"%PDF")):
            raise UploadRefused(fake)
        text = head.removeprefix(b"\xef\xbb\xbf").lstrip()
        if ext != ".csv" and not text.startswith(b"{"):
            raise UploadRefused(fake)
    return ext


def new_job(session: Session, kind: str, filename: str, stored: Path, size: int, by: str) -> ConsoleImport:
    job = ConsoleImport(kind=kind, filename=filename[:255], stored_path=str(stored), size_bytes=size, uploaded_by=by,
                        uploaded_at=utcnow(), state="checking", phase="读取与检查")
    session.add(job)
    session.flush()
    return job


def _summary(kind: str, r, dry_run: bool) -> tuple[dict, str | None]:
    """(what the page shows, what confirming would replace or None)."""
    if kind.startswith("dept_"):
        return {"rows_read": r.rows_read, "rows_rejected": r.rows_rejected, "errors": len(r.report.errors),
                "warnings": len(r.report.warnings), "lines": r.summary_zh(), "new": r.new, "updated": r.updated,
                "unchanged": r.unchanged, "as_of": r.as_of.isoformat() if r.as_of else None}, None
    if kind == "boundaries":
        out = {"features": r.features, "layers": r.layers, "source_crs": r.source_crs, "repaired": r.repaired,
               "coverage_issues": r.coverage_issues, "errors": len(r.report.errors), "warnings": len(r.report.warnings),
               "new": r.new, "updated": r.updated, "unchanged": r.unchanged, "lines": []}
        replaces = []
        if r.demo_in_database:
            replaces.append("数据库中现有的演示数据 (全部户、项目、资金、签到等) 将被清除")
        if r.existing:
            replaces.append(f"已有的 {r.existing} 个区划的边界和名称将按本文件更新")
        return out, ("; ".join(replaces) or None)
    out = {"rows_read": r.rows_read, "rows_rejected": r.rows_rejected, "households_imported": r.households_imported,
           "households_rejected": r.households_rejected, "people_imported": r.people_imported,
           "errors": len(r.report.errors), "warnings": len(r.report.warnings), "lines": r.summary_zh(),
           "new": r.households.new, "updated": r.households.updated, "unchanged": r.households.unchanged,
           "as_of": r.as_of.isoformat() if r.as_of else None}
    replaces = None
    if dry_run and r.existing_households:
        replaces = f"数据库中已有本文件的 {r.existing_households} 户: 其户信息、年度记录和家庭成员将按本文件更新"
    return out, replaces


def _import(engine: Engine, kind: str, path: Path, dry_run: bool):
    if kind == "boundaries":
        return import_boundaries(engine, path, replace_demo=True, dry_run=dry_run)
    if kind == "villages":
        return import_villages(engine, path, dry_run=dry_run)
    if kind.startswith("dept_"):
        return import_department(engine, kind.removeprefix("dept_"), path, dry_run=dry_run)
    return import_households(engine, path, dry_run=dry_run)


def _finish(engine: Engine, job_id: int, **values) -> None:
    with session_factory(engine)() as session:
        job = session.get(ConsoleImport, job_id)
        for k, v in values.items():
            setattr(job, k, v)
        session.commit()


def _step(engine: Engine, job_id: int, dry_run: bool) -> None:
    with session_factory(engine)() as session:
        job = session.get(ConsoleImport, job_id)
        kind, path = job.kind, Path(job.stored_path)
    report_path = None
    try:
        result = _import(engine, kind, path, dry_run)
    except ImportFailed as exc:
        report = getattr(exc, "report", None)
        guess = path.with_name(path.name + ".导入报告.csv")
        report_path = str(guess) if guess.exists() and report is not None else None
        _finish(engine, job_id, state="failed", phase=None, error=str(exc)[:4000], report_path=report_path,
                finished_at=utcnow())
        return
    except Exception as exc:  # noqa: BLE001 — a job thread must leave its row saying what happened
        log.exception("console import %s failed", job_id)
        _finish(engine, job_id, state="failed", phase=None, finished_at=utcnow(),
                error=f"导入时出现内部错误 ({type(exc).__name__}), 数据未改变; 请联系技术支持")
        return
    summary, replaces = _summary(kind, result, dry_run)
    report_path = str(result.report_path) if result.report_path else None
    if dry_run:
        _finish(engine, job_id, state="checked", phase=None, check_summary=json.dumps(summary, ensure_ascii=False),
                replaces=replaces, report_path=report_path)
    else:
        _finish(engine, job_id, state="done", phase=None, result_summary=json.dumps(summary, ensure_ascii=False),
                report_path=report_path, finished_at=utcnow())


@contextlib.contextmanager
def _running(engine: Engine, job_id: int) -> Iterator[None]:
    """Marks the job as this process's while it runs (PostgreSQL: a session advisory lock on a connection of
    its own, released if the process dies; SQLite serves one process, which knows its own jobs)."""
    if engine.dialect.name != "postgresql":
        yield
        return
    with engine.connect() as conn:
        conn.execute(text("SELECT pg_advisory_lock(:c, :j)"), {"c": _JOB_LOCK_CLASS, "j": job_id})
        conn.commit()
        try:
            yield
        finally:
            conn.execute(text("SELECT pg_advisory_unlock(:c, :j)"), {"c": _JOB_LOCK_CLASS, "j": job_id})
            conn.commit()


def check_job(engine: Engine, job_id: int) -> None:
    """The dry run (in a worker thread): the report and what confirming would change or replace."""
    with _running(engine, job_id):
        _step(engine, job_id, dry_run=True)


def run_job(engine: Engine, job_id: int) -> None:
    """The import itself (in a worker thread), after the confirmation: the importer's one transaction."""
    with _running(engine, job_id):
        _step(engine, job_id, dry_run=False)


def _orphaned(engine: Engine, job_ids: list[int]) -> list[int]:
    """Of jobs marked running, those no live process runs."""
    if engine.dialect.name != "postgresql":
        return job_ids  # one process on SQLite: at its start, nothing of its own runs yet
    free = []
    with engine.connect() as conn:
        for job_id in job_ids:
            if conn.execute(text("SELECT pg_try_advisory_lock(:c, :j)"), {"c": _JOB_LOCK_CLASS, "j": job_id}).scalar():
                conn.execute(text("SELECT pg_advisory_unlock(:c, :j)"), {"c": _JOB_LOCK_CLASS, "j": job_id})
                free.append(job_id)
        conn.commit()
    return free


def settle_interrupted(engine: Engine, recheck: Callable[[int], None]) -> list[int]:
    """At an API process's start: jobs a restart left "running" forever. A check (a dry run, nothing written) is
    run again through `recheck`; an import (one transaction, so rolled back) goes back to 待确认 with why."""
    with session_factory(engine)() as session:
        ids = list(session.scalars(select(ConsoleImport.id).where(ConsoleImport.state.in_(RUNNING))))
    if not ids:
        return []
    orphans = _orphaned(engine, ids)
    with session_factory(engine)() as session:
        for job in session.scalars(select(ConsoleImport).where(ConsoleImport.id.in_(orphans))):
            if job.state == "importing":
                job.state, job.phase, job.error = "checked", None, INTERRUPTED_ZH
            else:
                job.phase = "读取与检查 (服务重启后重新检查)"
        session.commit()
        rechecks = list(session.scalars(select(ConsoleImport.id).where(ConsoleImport.id.in_(orphans),
                                                                         ConsoleImport.state == "checking")))
    for job_id in rechecks:
        recheck(job_id)
    if orphans:
        log.warning("console imports left running by a restart: %s (checks run again, imports back to 待确认)", orphans)
    return orphans


@dataclass(frozen=True)
class ReportRow:
    level: str
    sheet: str
    row: str
    column: str
    value: str
    reason: str

    def matches(self, text: str) -> bool:
        return not text or any(text in f for f in (self.sheet, self.row, self.column, self.value, self.reason))


def read_report(path: str | None) -> list[ReportRow]:
    """The rows of an import's CSV report (UTF-8 with BOM: 级别, 文件, 工作表/图层, 行号, 列, 值, 原因)."""
    if not path or not Path(path).exists():
        return []
    with open(path, encoding="utf-8-sig", newline="") as f:
        rows = list(csv.reader(f))
    return [ReportRow(r[0], r[2], r[3], r[4], r[5], r[6]) for r in rows[1:] if len(r) >= 7]


def last_imports(session: Session) -> dict[str, ConsoleImport]:
    """Per kind, the latest import done from the console."""
    out: dict[str, ConsoleImport] = {}
    for job in session.scalars(select(ConsoleImport).where(ConsoleImport.state == "done")
                               .order_by(ConsoleImport.finished_at)):
        out[job.kind] = job
    return out
