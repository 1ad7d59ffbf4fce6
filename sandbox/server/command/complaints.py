"""The complaints desk's API (投诉建议办理): list, read, assign, reply, escalate, close; leaders and admins.

A region-limited token (a town's leader) sees the complaints routed to its region only. The
complainant's phone is shown to admins only (not even masked below); the text, the reply and the page
it was made on are scrubbed for roles below admin. Overdue (past the reply deadline in working days,
still unanswered) is computed on each read, and an overdue complaint counts as escalated to the county.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse
from pydantic import BaseModel, ConfigDict, Field

from sandbox.domain.complaints import ComplaintStatus
from sandbox.domain.enums import Role
from sandbox.domain.masking import person_view
from sandbox.server.bodylimit import read_json_model
from sandbox.server.core.access import note_read
from sandbox.server.deps import Caller, OptionalRegionDep, allow, parse_code, region_or_404
from sandbox.server.public.intake import photo_dir
from sandbox.store.command import complaints as desk
from sandbox.store.models import Complaint

__all__ = ["router"]

router = APIRouter(prefix="/complaints", tags=["complaints"])
Desk = Annotated[Caller, Depends(allow(Role.admin, Role.leader))]
ComplaintId = Annotated[int, Path(ge=1, lt=2**62, description="投诉记录编号")]
_STATUS_ZH = ComplaintStatus.labels()


def _iso(v: dt.datetime | None) -> str | None:
    return v.replace(tzinfo=dt.UTC).isoformat() if v is not None else None


def _view(c: Complaint, caller: Caller, today: dt.date) -> dict:
    view = person_view(caller.role)
    admin = caller.role is Role.admin
    overdue = desk.is_overdue(c, today)
    return {
        "id": c.id, "reference": c.reference, "category": c.category or "other",
        "category_zh": desk.category_zh(c.category), "status": c.status, "status_zh": _STATUS_ZH.get(c.status, c.status),
        "town_code": c.town_code, "region_code": c.region_code, "source": c.kind,
        "subject": view.text(c.subject_name), "text": c.text if admin else view.text(c.text),
        "phone": c.phone if admin else None, "photos": len(desk.photo_names(c)),
        "received_at": _iso(c.created_at), "deadline": c.deadline.isoformat() if c.deadline else None,
        "overdue": overdue, "escalated": overdue or c.escalated_at is not None, "escalated_at": _iso(c.escalated_at),
        "assignee": c.assignee, "reply": c.reply if admin else view.text(c.reply), "replied_at": _iso(c.replied_at),
        "closed_at": _iso(c.closed_at),
    }


_LIST_DOC = """投诉建议列表, 按受理时间倒序, 分页 (`limit`, `offset`, 返回 `total`)。

筛选: `status` (new 待处理, assigned 已转办, replied 已答复, closed 已办结), `town` (承办乡镇代码),
`overdue` (true: 超过答复期限仍未答复, 视为已转县级督办)。答复期限按工作日计算 (节假日、调休按国务院安排)。
联系电话仅管理员可见; 问题描述与答复对管理员以外的角色脱敏。"""


@router.get("", summary="投诉建议列表 (分页)", description=_LIST_DOC)
def list_complaints(request: Request, caller: Desk, scope: OptionalRegionDep,
                    status: Annotated[ComplaintStatus | None, Query(description="办理状态")] = None,
                    town: Annotated[str | None, Query(description="承办乡镇的 12 位区划代码")] = None,
                    overdue: Annotated[bool | None, Query(description="true: 仅超期未答复的; false: 仅未超期的")] = None,
                    limit: Annotated[int, Query(ge=1, le=200, description="每页条数")] = 50,
                    offset: Annotated[int, Query(ge=0, le=1_000_000, description="跳过条数")] = 0) -> dict:
    if town is not None:
        rc = parse_code(town)
        caller.check_region(rc, rc.value)
        town = rc.value
    today = desk.beijing_today()
    with request.app.state.sessions() as session:
        if scope.code is not None:
            scope.load(session)  # an unknown region is a 404, as on every endpoint
        if town is not None:
            region_or_404(session, town, caller)
        page = desk.list_complaints(session, prefix=scope.prefix, status=status.value if status else None, town=town,
                                    overdue=overdue, today=today, limit=limit, offset=offset)
        _note_contacts(session, request, caller, page.items)
        return {"total": page.total, "limit": limit, "offset": offset,
                "items": [_view(c, caller, today) for c in page.items]}


def _load(session, caller: Caller, complaint_id: int) -> Complaint:
    c = session.get(Complaint, complaint_id)
    if c is None:
        raise HTTPException(404, f"没有编号为 {complaint_id} 的投诉")
    code = c.town_code or c.region_code
    if caller.region is not None and not (code and caller.may_see(code)):
        raise HTTPException(403, f"令牌仅限 {caller.region.value} 辖区, 该投诉不在辖区内")
    return c


@router.get("/{complaint_id}", summary="一条投诉的办理情况")
def get_complaint(request: Request, caller: Desk, complaint_id: ComplaintId) -> dict:
    with request.app.state.sessions() as session:
        c = _load(session, caller, complaint_id)
        _note_contacts(session, request, caller, [c])
        return _view(c, caller, desk.beijing_today())


def _note_contacts(session, request: Request, caller: Caller, shown: list[Complaint]) -> None:
    """A complainant's phone is person-level data: an admin's read of it goes into the access log
    (one row per answer, naming the complaints whose phone it carried). Below admin no phone is sent."""
    with_phone = [c for c in shown if c.phone]
    if caller.role is not Role.admin or not with_phone:
        return
    refs = ", ".join(c.reference for c in with_phone[:20]) + (f" 等 {len(with_phone)} 条" if len(with_phone) > 20 else "")
    note_read(session, request, caller, "complaint_contact", refs,
              region_code=with_phone[0].town_code or with_phone[0].region_code)


@router.get("/{complaint_id}/photos/{n}", summary="投诉附带的照片 (第 n 张, 从 1 起)",
            response_class=FileResponse, responses={200: {"content": {"image/jpeg": {}, "image/png": {}}}})
def get_photo(request: Request, caller: Desk, complaint_id: ComplaintId,
              n: Annotated[int, Path(ge=1, le=3, description="第几张")]):
    with request.app.state.sessions() as session:
        names = desk.photo_names(_load(session, caller, complaint_id))
    if n > len(names):
        raise HTTPException(404, f"该投诉没有第 {n} 张照片")
    path = photo_dir(request.app) / names[n - 1]
    if not path.is_file():
        raise HTTPException(404, "照片文件已不存在")
    return FileResponse(path, media_type="image/png" if path.suffix == ".png" else "image/jpeg",
                        headers={"Cache-Control": "private, no-store"})


class AssignIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    assignee: str = Field(min_length=1, max_length=64, description="承办单位或责任人, 如 基长镇扶贫工作站")


class ReplyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reply: str = Field(min_length=5, max_length=1000, description="给投诉人的答复 (投诉人凭受理编号查询可见)")


class EmptyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _body(model) -> dict:
    return {"requestBody": {"required": False if model is EmptyIn else True,
                            "content": {"application/json": {"schema": model.model_json_schema()}}}}


_STEP_RESPONSES = {409: {"description": "当前状态不允许此操作 (如已办结), detail 说明原因"},
                   413: {"description": "请求体过大"}}


async def _step(request: Request, caller: Caller, complaint_id: int, model, act) -> dict:
    if model is EmptyIn and not await request.body():
        body = EmptyIn()
    else:
        body = await read_json_model(request, model)
    who = f"{caller.role.value}" + (f"@{caller.region.value}" if caller.region is not None else "")

    def run() -> dict:
        with request.app.state.sessions() as session:
            c = _load(session, caller, complaint_id)
            try:
                act(session, c, body, who)
            except desk.TriageError as exc:
                session.rollback()
                raise HTTPException(409, str(exc)) from None
            session.refresh(c)
            return _view(c, caller, desk.beijing_today())

    return await run_in_threadpool(run)


@router.post("/{complaint_id}/assign", summary="转办 (交承办单位)", openapi_extra=_body(AssignIn),
             responses=_STEP_RESPONSES)
async def assign(request: Request, caller: Desk, complaint_id: ComplaintId) -> dict:
    return await _step(request, caller, complaint_id, AssignIn,
                       lambda s, c, b, who: desk.assign(s, c, b.assignee.strip() or "未指明", who))


@router.post("/{complaint_id}/reply", summary="答复投诉人", openapi_extra=_body(ReplyIn), responses=_STEP_RESPONSES)
async def reply(request: Request, caller: Desk, complaint_id: ComplaintId) -> dict:
    def act(s, c, b, who):
        text = b.reply.strip()
        if len(text) < 5:
            raise desk.TriageError("答复至少 5 个字")
        desk.reply(s, c, text, who)

    return await _step(request, caller, complaint_id, ReplyIn, act)


@router.post("/{complaint_id}/escalate", summary="上报县级督办", openapi_extra=_body(EmptyIn), responses=_STEP_RESPONSES)
async def escalate(request: Request, caller: Desk, complaint_id: ComplaintId) -> dict:
    return await _step(request, caller, complaint_id, EmptyIn, lambda s, c, b, who: desk.escalate(s, c, who))


@router.post("/{complaint_id}/close", summary="办结 (须已答复)", openapi_extra=_body(EmptyIn), responses=_STEP_RESPONSES)
async def close(request: Request, caller: Desk, complaint_id: ComplaintId) -> dict:
    return await _step(request, caller, complaint_id, EmptyIn, lambda s, c, b, who: desk.close(s, c, who))


