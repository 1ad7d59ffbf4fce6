"""Routes: the access log for admins: filtered, paged, exported as CSV or xlsx (the export itself is logged)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import tempfile
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from starlette.background import BackgroundTask
from starlette.responses import FileResponse

from sandbox.server.console.guard import staff_page
from sandbox.server.console.render import message, page
from sandbox.server.console.session import client_address
from sandbox.store.importers.xlsx import write_xlsx
from sandbox.store.office import access_log
from sandbox.store.office.access_log import WHAT_ZH, LogFilter
from sandbox.store.office.accounts import beijing

__all__ = ["router"]

router = APIRouter()
PAGE_SIZE = 100
EXPORT_MAX = 200_000
_ACTION_ZH = {"read": "查看", "change": "变更"}
_HEADER = ("时间 (北京时间)", "操作人", "角色", "操作", "对象类型", "对象", "区划", "来源地址", "渠道", "说明")


def _filter(actor: str, action: str, what: str, since: str, until: str) -> LogFilter | str:
    def day(text: str, end: bool) -> dt.datetime | None:
        if not text:
            return None
        d = dt.date.fromisoformat(text)
        return dt.datetime.combine(d + dt.timedelta(days=1 if end else 0), dt.time()) - dt.timedelta(hours=8)

    try:
        return LogFilter(actor.strip() or None, action if action in _ACTION_ZH else None,
                         what if what in WHAT_ZH else None, day(since, False), day(until, True))
    except ValueError:
        return "日期应写成 2026-12-06 的形式"


def _row(e) -> tuple:
    return (beijing(e.at) if e.at else "", e.actor, e.role, _ACTION_ZH.get(e.action, e.action),
            WHAT_ZH.get(e.what, e.what), e.subject or "", e.region_code or "", e.address or "", e.channel, e.detail or "")


Text = Annotated[str, Query(max_length=64)]


@router.get("/access-log")
def view(request: Request, actor: Text = "", action: Text = "", what: Text = "", since: Text = "", until: Text = "",
         page_no: int = Query(1, alias="page", ge=1, le=100_000)) -> Response:
    user = staff_page(request, admin=True)
    if isinstance(user, Response):
        return user
    flt = _filter(actor, action, what, since, until)
    if isinstance(flt, str):
        return message(request, user, "筛选条件无效", flt, status=422, back="/console/access-log")
    with request.app.state.sessions() as session:
        total = access_log.count_entries(session, flt)
        rows = [_row(e) for e in access_log.entries(session, flt, limit=PAGE_SIZE, offset=(page_no - 1) * PAGE_SIZE)]
    query = request.url.query.split("&page=")[0] if request.url.query else ""
    return page(request, "access_log.html", user, title="访问日志", rows=rows, total=total, page_no=page_no,
                pages=max(1, -(-total // PAGE_SIZE)), f={"actor": actor, "action": action, "what": what, "since": since,
                                                          "until": until},
                actions=_ACTION_ZH, whats=WHAT_ZH, query=query, header=_HEADER)


@router.get("/access-log.{fmt}")
def export(request: Request, fmt: str, actor: Text = "", action: Text = "", what: Text = "", since: Text = "",
           until: Text = "") -> Response:
    user = staff_page(request, admin=True)
    if isinstance(user, Response):
        return user
    if fmt not in ("csv", "xlsx"):
        return message(request, user, "格式不支持", "访问日志可导出为 CSV 或 xlsx。", status=404, back="/console/access-log")
    flt = _filter(actor, action, what, since, until)
    if isinstance(flt, str):
        return message(request, user, "筛选条件无效", flt, status=422, back="/console/access-log")
    with request.app.state.sessions() as session:
        rows = [_row(e) for e in access_log.entries(session, flt, limit=EXPORT_MAX)]
        access_log.append(session, actor=user.actor, role=user.role.value, action=access_log.READ, what="access_log",
                          subject=f"导出 {len(rows)} 条 ({fmt})", address=client_address(request), channel="console")
        session.commit()
    name = f"访问日志_{(dt.datetime.now(dt.UTC) + dt.timedelta(hours=8)):%Y%m%d_%H%M}.{fmt}"
    if fmt == "csv":
        buf = io.StringIO()
        writer = csv.writer(buf)
        writer.writerow(_HEADER)
        writer.writerows(rows)
        return Response(("\ufeff" + buf.getvalue()).encode("utf-8"), media_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": _attachment(name), "Cache-Control": "no-store"})
    folder = Path(tempfile.mkdtemp(prefix="access-log-"))
    path = folder / "access_log.xlsx"
    write_xlsx(path, [("访问日志", _HEADER, rows)])
    return FileResponse(path, filename=name, headers={"Cache-Control": "no-store"},
                        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                        background=BackgroundTask(_remove, folder))


def _attachment(name: str) -> str:
    from urllib.parse import quote

    return f"attachment; filename=\"access_log.csv\"; filename*=UTF-8''{quote(name)}"


def _remove(folder: Path) -> None:
    for p in folder.iterdir():
        p.unlink(missing_ok=True)
    folder.rmdir()
