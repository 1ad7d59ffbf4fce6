"""Workbench 满意度回访: a month's call list as xlsx for the call centre, the filled list uploaded back (checked
first, then imported on confirmation), and the month's outcomes and 群众认可度 per town.

The list, the row rules and the 认可度 are the CLI's (`sandbox callbacks list|import`): the same functions, limited
to the account's region. An upload's check lives in `$SANDBOX_DATA_DIR/console_callbacks/<token>/` (the file,
its row report, meta.json) until it is confirmed; only its uploader (or an admin) opens or confirms it.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import secrets
from collections import defaultdict
from pathlib import Path

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse, Response
from sqlalchemy import func, select
from starlette.datastructures import UploadFile

from sandbox.domain.complaints import CallOutcome, Satisfaction
from sandbox.domain.masking import person_view
from sandbox.server.console.desk import loop_access
from sandbox.server.console.desk.loop_access import DESK_ROLES, desk_form, desk_page, town_filter, towns_of
from sandbox.server.console.desk.sections import Section, register
from sandbox.server.console.guard import go
from sandbox.server.console.render import message, page
from sandbox.server.console.session import StaffUser, client_address
from sandbox.server.deps import settings_of
from sandbox.store.command.callbacks import RECENT_MONTHS, Callback, month_bounds, satisfaction_by_year
from sandbox.store.importers.callbacks import export_call_list, import_callbacks
from sandbox.store.importers.report import ImportFailed
from sandbox.store.models import Household, Region
from sandbox.store.office import access_log
from sandbox.store.office.uploads import read_report

__all__ = ["router", "MAX_UPLOAD_BYTES", "outcomes_by_town"]

router = APIRouter()
register(Section("callbacks", "满意度回访", "生成每月回访名单交呼叫中心, 导入回访结果; 各乡镇本月回访情况和群众认可度",
                 roles=DESK_ROLES))
BASE = "/console/command/callbacks"
MAX_UPLOAD_BYTES = 8 * 1024 * 1024  # a county's filled call list is a few hundred KB
REPORT_ROWS_SHOWN = 500
_TOKEN = re.compile(r"^[0-9a-f]{16}$")
_XLSX_MAGIC = b"PK\x03\x04"
STATE_ZH = {"checked": "待确认", "failed": "未导入", "done": "已导入"}


def _this_month() -> str:
    return (dt.datetime.now(dt.UTC) + dt.timedelta(hours=8)).strftime("%Y-%m")


def _month(text: str) -> tuple[str, str | None]:
    """(the month, a Chinese refusal or None)."""
    text = (text or "").strip() or _this_month()
    try:
        month_bounds(text)
    except ValueError as exc:
        return _this_month(), str(exc)
    return text, None


def _rate(approve: int, valid: int) -> float | None:
    return round(100.0 * approve / valid, 2) if valid else None


def outcomes_by_town(session, prefix: str, month: str, towns: list[tuple[str, str]]) -> list[dict]:
    """Per town (then the total): the month's calls by outcome and answer, the month's 认可度, and the year's
    群众认可度 from the call records (satisfaction_by_year)."""
    counts: dict[str, dict] = defaultdict(lambda: defaultdict(int))
    for village, outcome, answer in session.execute(select(Callback.village_code, Callback.outcome,
                                                           Callback.satisfaction)
                                                    .where(Callback.month == month,
                                                           Callback.village_code.startswith(prefix))):
        for key in (village[:9] + "000", "total"):
            counts[key]["calls"] += 1
            counts[key][outcome] += 1
            if outcome == CallOutcome.connected.value and answer:
                counts[key][answer] += 1
    year = int(month[:4])
    conn = session.connection()
    rows = []
    whole = [0, 0]  # the towns' answers added up: one read per town, none again for the total
    for code, name in [*towns, ("total", "合计")]:
        c = counts.get(code, {})
        approve = c.get(Satisfaction.satisfied.value, 0) + c.get(Satisfaction.fairly.value, 0)
        valid = approve + c.get(Satisfaction.dissatisfied.value, 0)
        if code != "total":
            a, n = satisfaction_by_year(conn, code[:9]).get(year, (0, 0))
            whole = [whole[0] + a, whole[1] + n]
        else:  # an account below a town has no towns to add up: its own region's
            a, n = whole if towns else satisfaction_by_year(conn, prefix).get(year, (0, 0))
        rows.append({"code": code, "name": name, **{k: c.get(k, 0) for k in (
            "calls", *(o.value for o in CallOutcome), *(s.value for s in Satisfaction))},
            "month_rate": _rate(approve, valid), "year_rate": _rate(a, n), "year_answers": n})
    return rows


def _unhappy(session, user: StaffUser, prefix: str, month: str) -> list[dict]:
    view = person_view(user.role)
    rows = session.execute(select(Callback, Household.household_number, Region.name)
                           .join(Household, Household.id == Callback.household_id)
                           .outerjoin(Region, Region.code == Callback.village_code)
                           .where(Callback.month == month, Callback.village_code.startswith(prefix),
                                  Callback.satisfaction == Satisfaction.dissatisfied.value)
                           .order_by(Callback.village_code, Callback.id).limit(100)).all()
    return [{"village": name or c.village_code, "number": number, "caller": c.caller or "",
             "reason": c.reason if user.is_admin else view.text(c.reason),
             "called": c.called_at.strftime("%Y-%m-%d %H:%M") if c.called_at else ""} for c, number, name in rows]


def _checks_dir(request: Request) -> Path:
    return Path(settings_of(request.app).data_dir) / "console_callbacks"


def _render(request: Request, user: StaffUser, month: str, town: str, *, status: int = 200,
            error: str | None = None) -> Response:
    with request.app.state.sessions() as session:
        towns = towns_of(session, user)
        prefix, _ = town_filter(user, towns, town)
        shown = [t for t in towns if not town or t[0] == town]
        outcomes = outcomes_by_town(session, prefix, month, shown)
        unhappy = _unhappy(session, user, prefix, month)
        latest = session.scalar(select(func.max(Callback.month)).where(Callback.village_code.startswith(prefix)))
    return page(request, "desk_callbacks.html", user, status=status, title="满意度回访", month=month, town=town,
                towns=towns, outcomes=outcomes, unhappy=unhappy, latest=latest, error=error, recent=RECENT_MONTHS,
                limit_mb=MAX_UPLOAD_BYTES // 1048576, outcome_zh=CallOutcome.labels(), answer_zh=Satisfaction.labels())


def _month_town(request: Request, month: str, town: str, refused_heading: str
                ) -> tuple[StaffUser, str, str] | Response:
    """(user, month, prefix) for a month and town picked, or the refusal page instead."""
    user = desk_page(request)
    if isinstance(user, Response):
        return user
    month, bad = _month(month)
    if bad:
        return message(request, user, "月份无效", bad, status=422, back=BASE)
    with request.app.state.sessions() as session:
        prefix, refused = town_filter(user, towns_of(session, user), town)
    if refused:
        return message(request, user, refused_heading, refused, status=403, back=BASE)
    return user, month, prefix


@router.get("/command/callbacks")
def callbacks(request: Request, month: str = Query("", max_length=16), town: str = Query("", max_length=12)
              ) -> Response:
    got = _month_town(request, month, town, "无权查看")
    return got if isinstance(got, Response) else _render(request, got[0], got[1], town)


@router.get("/command/callbacks/list.xlsx")
def call_list(request: Request, month: str = Query("", max_length=16), town: str = Query("", max_length=12)
              ) -> Response:
    got = _month_town(request, month, town, "无权导出")
    if isinstance(got, Response):
        return got
    user, month, prefix = got
    path = loop_access.xlsx_folder("call-list-") / "calls.xlsx"
    n = export_call_list(request.app.state.engine, path, month, region=prefix)
    with request.app.state.sessions() as session:  # names and phones leave the server: logged
        access_log.append(session, actor=user.actor, role=user.role.value, action=access_log.READ, what="call_list",
                          subject=f"{month} 回访名单 {n} 户", region_code=prefix.ljust(12, "0") if prefix else None,
                          address=client_address(request), channel="console")
        session.commit()
    return loop_access.xlsx_download(path, f"回访名单_{month}{'_' + town if town else ''}.xlsx")


def _check_file(filename: str, head: bytes, size: int) -> str | None:
    """Why the file is not taken (Chinese), or None: an .xlsx or .csv whose bytes are what its name says."""
    ext = Path(filename).suffix.lower()
    if ext not in (".xlsx", ".csv"):
        return f"回访名单只接受 .xlsx 或 .csv 文件, 不是 {filename}"
    if size == 0:
        return f"文件 {filename} 是空的"
    if size > MAX_UPLOAD_BYTES:
        return f"文件 {filename} 有 {size / 1048576:.1f} MB, 超过上限 {MAX_UPLOAD_BYTES // 1048576} MB; 请按乡镇拆分后分别上传"
    fake = f"文件 {filename} 的内容不是 {ext} 格式 (可能改过扩展名); 请用 Excel/WPS 另存为正确格式后再上传"
    if ext == ".xlsx" and not head.startswith(_XLSX_MAGIC):
        return fake
    if ext == ".csv" and (b"\x00" in head or head.startswith((_XLSX_MAGIC, b"\xd0\xcf\x11\xe0", b"%PDF"))):
        return fake
    return None


def _summary(r) -> dict:
    return {"imported": r.imported, "unchanged": r.unchanged, "rejected": r.rejected, "not_called": r.not_called,
            "villages": len(r.villages), "errors": len(r.report.errors), "warnings": len(r.report.warnings)}


def _run(request: Request, folder: Path, meta: dict, dry_run: bool) -> dict:
    """The importer on the stored file (a check, or the import); the meta with its outcome."""
    upload = folder / meta["stored"]
    try:
        r = import_callbacks(request.app.state.engine, upload, dry_run=dry_run, region=meta["region"],
                             report_path=folder / "report.csv")
    except ImportFailed as exc:
        meta.update(state="failed", error=str(exc).split("; 详见报告 ")[0][:1000])  # never the server path
    else:
        meta.update(state="checked" if dry_run else "done", error=None)
        meta["check" if dry_run else "result"] = _summary(r)
    (folder / "meta.json").write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
    return meta


# The route reads up to twice the file's limit, so a file a little over it gets this page with the reason (FastAPI's
# own refusal at the route's limit is a bare "Content Too Large"); a body over the largest any route takes
# (BodyLimitMiddleware's) is refused before routing, as everywhere.
@router.post("/command/callbacks/upload", max_body_size=2 * MAX_UPLOAD_BYTES)
async def upload(request: Request) -> Response:
    try:
        got = await desk_form(request)
    except HTTPException as exc:  # the body over the route's limit
        if exc.status_code != 413:
            raise
        user = await run_in_threadpool(desk_page, request)
        if isinstance(user, Response):
            return user
        return await run_in_threadpool(_render, request, user, _this_month(), "", status=413,
                                       error=f"文件超过上限 {MAX_UPLOAD_BYTES // 1048576} MB, 未上传; 请按乡镇拆分后分别上传")
    if isinstance(got, Response):
        return got
    user, form = got
    month, _ = _month(str(form.get("month") or ""))
    file = form.get("file")
    if not isinstance(file, UploadFile) or not file.filename:
        return await run_in_threadpool(_render, request, user, month, "", status=422, error="请选择要上传的回访名单文件")
    file.file.seek(0, 2)
    size = file.file.tell()
    file.file.seek(0)
    refused = _check_file(file.filename, file.file.read(65536), size)
    if refused:
        return await run_in_threadpool(_render, request, user, month, "", error=refused,
                                       status=413 if size > MAX_UPLOAD_BYTES else 422)
    token = secrets.token_hex(8)
    folder = _checks_dir(request) / token
    folder.mkdir(parents=True)
    ext = Path(file.filename).suffix.lower()
    file.file.seek(0)
    (folder / f"upload{ext}").write_bytes(file.file.read())  # the stored name is ours, never the client's
    meta = {"by": user.username, "region": user.region.prefix if user.region else "", "filename": file.filename[:200],
            "stored": f"upload{ext}", "size": size, "at": dt.datetime.now(dt.UTC).replace(tzinfo=None).isoformat(),
            "month": month}
    await run_in_threadpool(_run, request, folder, meta, True)
    return go(f"{BASE}/checks/{token}")


def _open_check(request: Request, user: StaffUser | Response, token: str) -> tuple[StaffUser, Path, dict] | Response:
    """(user, folder, meta) of an upload's check its uploader (or an admin) opens, or the refusal page instead."""
    if isinstance(user, Response):
        return user
    folder = _checks_dir(request) / token if _TOKEN.match(token) else None
    meta_path = folder / "meta.json" if folder is not None else None
    if meta_path is None or not meta_path.is_file():
        return message(request, user, "没有这次导入", "没有这次上传的回访名单 (或已过期), 请重新上传。", status=404, back=BASE)
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    if meta.get("by") != user.username and not user.is_admin:
        return message(request, user, "无权查看", "这份回访名单由其他账号上传, 只有上传人或管理员可以查看和确认。", status=403,
                       back=BASE)
    return user, folder, meta


@router.get("/command/callbacks/checks/{token}")
def check(request: Request, token: str, q: str = Query("", max_length=100), level: str = Query("", max_length=4)
          ) -> Response:
    opened = _open_check(request, desk_page(request), token)
    if isinstance(opened, Response):
        return opened
    user, folder, meta = opened
    rows = read_report(str(folder / "report.csv"))
    shown = [r for r in rows if r.matches(q.strip()) and (not level or r.level == level)]
    return page(request, "desk_callbacks_check.html", user, title="回访结果导入", token=token, meta=meta,
                state_zh=STATE_ZH.get(meta["state"], meta["state"]), rows=shown[:REPORT_ROWS_SHOWN],
                total_rows=len(rows), matched=len(shown), q=q, level=level, base=BASE,
                uploaded=dt.datetime.fromisoformat(meta["at"]))


@router.get("/command/callbacks/checks/{token}/report.csv")
def check_report(request: Request, token: str) -> Response:
    opened = _open_check(request, desk_page(request), token)
    if isinstance(opened, Response):
        return opened
    user, folder, meta = opened
    if not (folder / "report.csv").is_file():
        return message(request, user, "没有报告", "这次导入没有问题报告。", status=404, back=f"{BASE}/checks/{token}")
    return FileResponse(folder / "report.csv", media_type="text/csv; charset=utf-8",
                        filename=f"{Path(meta['filename']).stem}.导入报告.csv", headers={"Cache-Control": "no-store"})


@router.post("/command/callbacks/checks/{token}/confirm")
async def confirm(request: Request, token: str) -> Response:
    got = await desk_form(request)
    if isinstance(got, Response):
        return got
    opened = await run_in_threadpool(_open_check, request, got[0], token)
    if isinstance(opened, Response):
        return opened
    user, folder, meta = opened
    if meta["state"] != "checked":
        return message(request, user, "未执行", f"这次导入的状态是「{STATE_ZH.get(meta['state'], meta['state'])}」, "
                                                 "不能再确认。", status=409, back=f"{BASE}/checks/{token}")
    meta = await run_in_threadpool(_run, request, folder, meta, False)
    if meta["state"] == "done":
        r = meta["result"]

        def log() -> None:
            with request.app.state.sessions() as session:
                access_log.append(session, actor=user.actor, role=user.role.value, action=access_log.CHANGE,
                                  what="callbacks", subject=f"导入 {meta['filename']}",
                                  region_code=meta["region"].ljust(12, "0") if meta["region"] else None,
                                  address=client_address(request), channel="console",
                                  detail=f"新增或更新 {r['imported']} 条, 相同 {r['unchanged']} 条, 有错误未导入 "
                                         f"{r['rejected']} 行, 未回访 {r['not_called']} 行")
                session.commit()

        await run_in_threadpool(log)
    return go(f"{BASE}/checks/{token}")
