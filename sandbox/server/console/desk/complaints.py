"""Workbench 投诉处理: the complaints within the account's region, filtered; one opened to assign, reply, escalate, close.

The steps are the complaints desk's (sandbox.store.command.complaints), as the API takes them; what a role
sees is the API's too: the complainant's phone for admins only (each view of it logged), free text scrubbed
below admin, the photos for both desk roles.
"""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse, Response
from sqlalchemy import select

from sandbox.domain.complaints import ComplaintStatus
from sandbox.domain.masking import person_view
from sandbox.server.console.desk.loop_access import DESK_ROLES, desk_form, desk_page, town_filter, towns_of
from sandbox.server.console.desk.sections import Section, register
from sandbox.server.console.guard import go
from sandbox.server.console.render import message, page
from sandbox.server.console.session import StaffUser, client_address, open_draft
from sandbox.server.public.intake import photo_dir
from sandbox.store.command import complaints as desk
from sandbox.store.models import Complaint, Region
from sandbox.store.office import access_log

__all__ = ["router", "PAGE_SIZE"]

router = APIRouter()
register(Section("complaints", "投诉处理", "群众投诉建议: 转办、答复投诉人、上报县级、办结; 超期的排在前面",
                 roles=DESK_ROLES))
PAGE_SIZE = 30
BASE = "/console/command/complaints"
STATUS_ZH = ComplaintStatus.labels()
STEP_ZH = {"assign": "转办", "reply": "答复", "escalate": "上报县级", "close": "办结"}
_KIND_ZH = {"form": "公开投诉表", "household": "户公示页", "village": "村公示页", "project": "项目公示页"}


def _item(c: Complaint, user: StaffUser, names: dict[str, str], today: dt.date) -> dict:
    view = person_view(user.role)
    overdue = desk.is_overdue(c, today)
    return {"id": c.id, "reference": c.reference, "category": desk.category_zh(c.category),
            "status": c.status, "status_zh": STATUS_ZH.get(c.status, c.status),
            "town": names.get(c.town_code or "", c.town_code or "-"),
            "place": names.get(c.region_code or "", c.region_code or ""),
            "subject": view.text(c.subject_name), "text": c.text if user.is_admin else view.text(c.text),
            "received": (c.created_at + dt.timedelta(hours=8)) if c.created_at else None,
            "deadline": c.deadline, "overdue": overdue,
            "late_days": (today - c.deadline).days if overdue else 0,
            "escalated": overdue or c.escalated_at is not None, "escalated_at": c.escalated_at,
            "assignee": c.assignee, "reply": c.reply if user.is_admin else view.text(c.reply),
            "replied_at": c.replied_at, "closed_at": c.closed_at, "handled_by": c.handled_by,
            "source": _KIND_ZH.get(c.kind, c.kind), "photos": len(desk.photo_names(c))}


def _names(session, codes) -> dict[str, str]:
    codes = {c for c in codes if c}
    return dict(session.execute(select(Region.code, Region.name).where(Region.code.in_(codes))).all()) if codes else {}


@router.get("/command/complaints")
def complaints(request: Request, status: str = Query("", max_length=16), town: str = Query("", max_length=12),
               order: str = Query("late", max_length=8), page_no: int = Query(1, alias="page", ge=1, le=100_000)
               ) -> Response:
    user = desk_page(request)
    if isinstance(user, Response):
        return user
    if status and status not in STATUS_ZH and status != "overdue":
        return message(request, user, "筛选条件无效", f"没有「{status}」这种办理状态。", status=422, back=BASE)
    today = desk.beijing_today()
    with request.app.state.sessions() as session:
        towns = towns_of(session, user)
        prefix, refused = town_filter(user, towns, town)
        if refused:
            return message(request, user, "无权查看", refused, status=403, back=BASE)
        found = desk.list_complaints(session, prefix=prefix, status=status if status in STATUS_ZH else None,
                                     overdue=True if status == "overdue" else None, today=today, limit=PAGE_SIZE,
                                     offset=(page_no - 1) * PAGE_SIZE, overdue_first=order != "new")
        names = _names(session, {c.town_code for c in found.items} | {c.region_code for c in found.items})
        items = [_item(c, user, names, today) for c in found.items]
        late = desk.list_complaints(session, prefix=prefix, overdue=True, today=today, limit=1).total
    query = "&".join(f"{k}={v}" for k, v in (("status", status), ("town", town), ("order", order)) if v)
    return page(request, "desk_complaints.html", user, title="投诉处理", items=items, total=found.total, late=late,
                page_no=page_no, pages=max(1, -(-found.total // PAGE_SIZE)), towns=towns,
                f={"status": status, "town": town, "order": order}, statuses=STATUS_ZH, query=query)


def _load(session, user: StaffUser, complaint_id: int) -> Complaint | str:
    """The complaint, or why it is not shown (Chinese)."""
    c = session.get(Complaint, complaint_id) if 1 <= complaint_id < 2**62 else None
    if c is None:
        return f"没有编号为 {complaint_id} 的投诉。"
    code = c.town_code or c.region_code
    if user.region is not None and not (code and user.may_see(code)):
        return f"您的账号仅限 {user.region_zh} 辖区, 这条投诉不在其中。"
    return c


def _detail(request: Request, user: StaffUser, complaint_id: int, *, status: int = 200, error: str | None = None,
            done: str | None = None, typed: dict | None = None, restored: str | None = None) -> Response:
    with request.app.state.sessions() as session:
        c = _load(session, user, complaint_id)
        if isinstance(c, str):
            return message(request, user, "无法查看", c, status=404 if c.startswith("没有") else 403, back=BASE)
        names = _names(session, (c.town_code, c.region_code))
        item = _item(c, user, names, desk.beijing_today())
        phone = None
        if user.is_admin and c.phone:  # the contact: admins only, and each view of it logged
            phone = c.phone
            access_log.append(session, actor=user.actor, role=user.role.value, action=access_log.READ,
                              what="complaint_contact", subject=c.reference, region_code=c.town_code or c.region_code,
                              address=client_address(request), channel="console")
            session.commit()
    return page(request, "desk_complaint.html", user, status=status, title=f"投诉 {item['reference']}", c=item,
                phone=phone, has_phone=bool(c.phone), error=error, done=STEP_ZH.get(done or ""),
                typed=typed or {}, base=BASE, restored=restored)


@router.get("/command/complaints/{complaint_id}")
def complaint(request: Request, complaint_id: int, done: str = Query("", max_length=16),
              draft: str | None = Query(None, max_length=20_000)) -> Response:
    user = desk_page(request)
    if isinstance(user, Response):
        return user
    # a form sent after the session expired comes back filled after the sign-in (guard.staff_form kept it)
    opened = open_draft(request, draft, f"{BASE}/{complaint_id}")
    typed = {k: v for k, v in opened[1].items() if k in ("reply", "assignee") and isinstance(v, str)} if opened else {}
    return _detail(request, user, complaint_id, done=done, typed=typed,
                   restored="登录已恢复, 您填写的内容已保留在下面的表单中, 请确认后再提交。" if typed else None)


@router.get("/command/complaints/{complaint_id}/photos/{n}")
def photo(request: Request, complaint_id: int, n: int) -> Response:
    user = desk_page(request)
    if isinstance(user, Response):
        return user
    with request.app.state.sessions() as session:
        c = _load(session, user, complaint_id)
        if isinstance(c, str):
            return message(request, user, "无法查看", c, status=404 if c.startswith("没有") else 403, back=BASE)
        names = desk.photo_names(c)
    path = photo_dir(request.app) / names[n - 1] if 1 <= n <= len(names) else None
    if path is None or not path.is_file():
        return message(request, user, "没有这张照片", f"这条投诉没有第 {n} 张照片。", status=404, back=BASE)
    return FileResponse(path, media_type="image/png" if path.suffix == ".png" else "image/jpeg",
                        headers={"Cache-Control": "private, no-store", "X-Content-Type-Options": "nosniff"})


def _step(request: Request, user: StaffUser, complaint_id: int, step: str, value: str) -> str | None:
    """Run one step; None when done, else the Chinese reason nothing changed."""
    by = f"console:{user.username}"[:64]
    with request.app.state.sessions() as session:
        c = _load(session, user, complaint_id)
        if isinstance(c, str):
            return c
        detail = STEP_ZH[step] + (f": {value}" if step == "assign" else "")
        # logged in the same transaction as the change (the store's step commits both)
        access_log.append(session, actor=user.actor, role=user.role.value, action=access_log.CHANGE, what="complaint",
                          subject=c.reference, region_code=c.town_code or c.region_code,
                          address=client_address(request), channel="console", detail=detail)
        try:
            if step == "assign":
                if not value:
                    raise desk.TriageError("请填写承办单位或责任人 (如 基长镇扶贫工作站)")
                if len(value) > 64:
                    raise desk.TriageError(f"承办单位或责任人最多 64 个字, 现为 {len(value)} 个字")
                desk.assign(session, c, value, by)
            elif step == "reply":
                desk.reply(session, c, value, by)
            elif step == "escalate":
                desk.escalate(session, c, by)
            else:
                desk.close(session, c, by)
        except desk.TriageError as exc:
            session.rollback()
            return str(exc)
    return None


@router.post("/command/complaints/{complaint_id}/{step}")
async def act(request: Request, complaint_id: int, step: str) -> Response:
    got = await desk_form(request)
    if isinstance(got, Response):
        return got
    user, form = got
    if step not in STEP_ZH:
        return message(request, user, "没有这个操作", "请从投诉页面操作。", status=404, back=BASE)
    field = {"assign": "assignee", "reply": "reply"}.get(step)
    raw = form.get(field) if field else None
    value = raw.strip() if isinstance(raw, str) else ""
    error = await run_in_threadpool(_step, request, user, complaint_id, step, value)
    if error is None:
        return go(f"{BASE}/{complaint_id}?done={step}")
    if error.startswith(("没有编号", "您的账号")):
        return message(request, user, "无法办理", error, status=404 if error.startswith("没有") else 403, back=BASE)
    return await run_in_threadpool(_detail, request, user, complaint_id, status=422, error=f"未能{STEP_ZH[step]}: {error}",
                                   typed={field: raw if isinstance(raw, str) else ""} if field else {})
