"""Routes: upload a register, village sheet or boundary file; its check (dry run) and row report; confirm; import."""

from __future__ import annotations

import json
import shutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse, Response
from sqlalchemy import select
from starlette.datastructures import UploadFile

from sandbox.server.console.guard import go, staff_form, staff_page
from sandbox.server.console.render import message, page
from sandbox.server.console.session import client_address, open_draft
from sandbox.server.deps import settings_of
from sandbox.store.office import access_log
from sandbox.store.office.tables import ConsoleImport
from sandbox.store.office.uploads import (
    KINDS,
    MAX_UPLOAD_BYTES,
    RUNNING,
    UploadRefused,
    check_job,
    check_upload,
    new_job,
    read_report,
    run_job,
    settle_interrupted,
)

__all__ = ["router", "UPLOAD_ROUTE_LIMIT", "settle_at_start"]

router = APIRouter()
# What the upload route reads at most (the file and the form around it); the file's own limit is
# app.state.console_upload_limit (MAX_UPLOAD_BYTES unless a deployment or a test sets it).
UPLOAD_ROUTE_LIMIT = MAX_UPLOAD_BYTES + 1024 * 1024
STATE_ZH = {"checking": "检查中", "checked": "待确认", "failed": "未导入", "importing": "导入中", "done": "已导入",
            "cancelled": "已取消"}
REPORT_ROWS_SHOWN = 500


def _runner(app) -> ThreadPoolExecutor:
    """One import at a time per API process: they are heavy, and one transaction each."""
    runner = getattr(app.state, "console_imports", None)
    if runner is None:
        runner = app.state.console_imports = ThreadPoolExecutor(max_workers=1, thread_name_prefix="console-import")
    return runner


def settle_at_start(app) -> list[int]:
    """Jobs a restart left 检查中/导入中: checked again, or back to 待确认 (see settle_interrupted)."""
    engine = app.state.engine
    return settle_interrupted(engine, lambda job_id: _runner(app).submit(check_job, engine, job_id))


def _limit(app) -> int:
    return getattr(app.state, "console_upload_limit", None) or MAX_UPLOAD_BYTES


def _jobs(request: Request) -> list[ConsoleImport]:
    with request.app.state.sessions() as session:
        jobs = list(session.scalars(select(ConsoleImport).order_by(ConsoleImport.id.desc()).limit(30)))
        session.expunge_all()
        return jobs


@router.get("/imports")
def imports(request: Request, draft: str | None = None) -> Response:
    user = staff_page(request, admin=True)
    if isinstance(user, Response):
        return user
    opened = open_draft(request, draft, "/console/imports")
    return page(request, "imports.html", user, title="数据导入", jobs=_jobs(request), kinds=KINDS, states=STATE_ZH,
                error=None, kind=(opened[1].get("kind") if opened else None) or "households",
                limit_mb=_limit(request.app) // 1048576 or 1)


def _refused(request: Request, user, error: str, kind: str, status: int) -> Response:
    return page(request, "imports.html", user, status=status, title="数据导入", jobs=_jobs(request), kinds=KINDS,
                states=STATE_ZH, error=error, kind=kind, limit_mb=_limit(request.app) // 1048576 or 1)


def _store(request: Request, user, kind: str, upload: UploadFile, ext: str, size: int) -> int:
    folder_root = Path(settings_of(request.app).data_dir) / "console_uploads"
    with request.app.state.sessions() as session:
        job = new_job(session, kind, upload.filename or f"upload{ext}", Path("-"), size, user.username)
        # The stored name is ours (the job's number and the extension): a client's file name never makes a path.
        folder = folder_root / str(job.id)
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / f"upload{ext}"
        upload.file.seek(0)
        with open(target, "wb") as out:
            shutil.copyfileobj(upload.file, out)
        job.stored_path = str(target)
        access_log.append(session, actor=user.actor, role=user.role.value, action=access_log.CHANGE, what="import",
                          subject=f"上传 #{job.id} {upload.filename}", address=client_address(request),
                          channel="console", detail=f"{KINDS[kind][0]}, {size} 字节, 检查中")
        session.commit()
        return job.id


@router.post("/imports")  # its body limit: UPLOAD_ROUTE_LIMIT, set in app.py (BodyLimitMiddleware paths)
async def upload(request: Request) -> Response:
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > _limit(request.app) + 1024 * 1024:  # refused before a byte is read
        user = await run_in_threadpool(staff_page, request, admin=True)
        if isinstance(user, Response):
            return user
        return _refused(request, user, f"文件超过上限 {_limit(request.app) / 1048576:.1f} MB, 未上传; 请按乡镇拆分后分别上传",
                        "households", 413)
    try:
        got = await staff_form(request, admin=True)
    except HTTPException as exc:  # BodyTooLarge, or the framework's own 413 for the route's limit
        if exc.status_code != 413:
            raise
        user = await run_in_threadpool(staff_page, request, admin=True)
        if isinstance(user, Response):
            return user
        return _refused(request, user, f"文件超过上限 {_limit(request.app) / 1048576:.1f} MB, 未上传; 请按乡镇拆分后分别上传",
                        "households", 413)
    if isinstance(got, Response):
        return got
    user, form = got
    kind = str(form.get("kind") or "")
    file = form.get("file")
    if not isinstance(file, UploadFile) or not file.filename:
        return _refused(request, user, "请选择要上传的文件", kind or "households", 422)
    file.file.seek(0, 2)
    size = file.file.tell()
    file.file.seek(0)
    head = file.file.read(65536)
    try:
        ext = check_upload(kind, file.filename, head, size)
        if size > _limit(request.app):
            raise UploadRefused(f"文件 {file.filename} 有 {size / 1048576:.1f} MB, 超过上限 "
                                f"{_limit(request.app) / 1048576:.1f} MB; 请按乡镇拆分后分别上传")
    except UploadRefused as exc:
        return _refused(request, user, str(exc), kind or "households", 422)
    job_id = await run_in_threadpool(_store, request, user, kind, file, ext, size)
    _runner(request.app).submit(check_job, request.app.state.engine, job_id)
    return go(f"/console/imports/{job_id}")


def _job(request: Request, job_id: int) -> ConsoleImport | None:
    with request.app.state.sessions() as session:
        job = session.get(ConsoleImport, job_id)
        if job is not None:
            session.expunge(job)
        return job


@router.get("/imports/{job_id}")
def job_page(request: Request, job_id: int, q: str = Query("", max_length=100),
             level: str = Query("", max_length=4)) -> Response:
    user = staff_page(request, admin=True)
    if isinstance(user, Response):
        return user
    job = _job(request, job_id) if 1 <= job_id < 2**31 else None
    if job is None:
        return message(request, user, "没有这次导入", f"没有编号为 {job_id} 的导入记录。", status=404, back="/console/imports")
    rows = read_report(job.report_path)
    shown = [r for r in rows if r.matches(q.strip()) and (not level or r.level == level)]
    summary = json.loads(job.result_summary or job.check_summary or "{}")
    return page(request, "import_job.html", user, title=f"导入 #{job.id}", job=job, kind_zh=KINDS[job.kind][0],
                state_zh=STATE_ZH.get(job.state, job.state), summary=summary, rows=shown[:REPORT_ROWS_SHOWN],
                total_rows=len(rows), matched=len(shown), q=q, level=level, running=job.state in RUNNING)


@router.get("/imports/{job_id}/report.csv")
def job_report(request: Request, job_id: int) -> Response:
    user = staff_page(request, admin=True)
    if isinstance(user, Response):
        return user
    job = _job(request, job_id) if 1 <= job_id < 2**31 else None
    if job is None or not job.report_path or not Path(job.report_path).exists():
        return message(request, user, "没有报告", "这次导入没有问题报告。", status=404, back="/console/imports")
    return FileResponse(job.report_path, media_type="text/csv; charset=utf-8",
                        filename=f"{Path(job.filename).stem}.导入报告.csv", headers={"Cache-Control": "no-store"})


def _decide(request: Request, user, job_id: int, confirm: bool) -> str | None:
    with request.app.state.sessions() as session:
        job = session.get(ConsoleImport, job_id)
        if job is None:
            return "没有这次导入"
        if job.state != "checked":
            return f"这次导入的状态是「{STATE_ZH.get(job.state, job.state)}」, 不能再{'确认' if confirm else '取消'}"
        job.state = "importing" if confirm else "cancelled"
        job.phase = "写入数据库" if confirm else None
        job.confirmed_by = user.username
        access_log.append(session, actor=user.actor, role=user.role.value, action=access_log.CHANGE, what="import",
                          subject=f"导入 #{job.id} {job.filename}", address=client_address(request), channel="console",
                          detail=("确认导入" + (f"; 将替换: {job.replaces}" if job.replaces else "")) if confirm
                          else "取消导入")
        session.commit()
    return None


@router.post("/imports/{job_id}/{decision}")
async def decide(request: Request, job_id: int, decision: str) -> Response:
    got = await staff_form(request, admin=True)
    if isinstance(got, Response):
        return got
    user, form = got
    if decision not in ("confirm", "cancel") or not 1 <= job_id < 2**31:
        return message(request, user, "没有这个操作", "请从导入页面操作。", status=404, back="/console/imports")
    confirm = decision == "confirm"
    if confirm and not form.get("understood") and (job := _job(request, job_id)) is not None and job.replaces:
        return message(request, user, "请确认替换", "这个文件将替换已有数据, 请勾选「我已了解将替换的数据」后再确认导入。",
                       status=422, back=f"/console/imports/{job_id}")
    error = await run_in_threadpool(_decide, request, user, job_id, confirm)
    if error:
        return message(request, user, "未执行", error, status=409, back=f"/console/imports/{job_id}")
    if confirm:
        _runner(request.app).submit(run_job, request.app.state.engine, job_id)
    return go(f"/console/imports/{job_id}")
