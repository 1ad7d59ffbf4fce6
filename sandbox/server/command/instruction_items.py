"""Routes of one recipient's item: the cadre's 待办 (GET /instructions/todo, overdue first), confirm and feed
back; the issuer's 办结 and 退回. A feedback is announced on /events as a `duty` event."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from sqlalchemy import case, func, select

from sandbox.domain.enums import Role
from sandbox.server.bodylimit import read_json_model
from sandbox.server.checkins.photos import decode_photos, remove_photos, save_photos
from sandbox.server.checkins.routes import _inline_schema
from sandbox.server.checkins.schemas import BadCheckin
from sandbox.server.command.either_auth import allow_any
from sandbox.server.command.instruction_schemas import MAX_BODY_BYTES, FeedbackIn, ReturnIn
from sandbox.server.command.instruction_views import item_view, manages, region_names, summary
from sandbox.server.command.instructions import photo_dir
from sandbox.server.deps import Caller, RecordId, SessionDep
from sandbox.store.command.instructions import (
    OPEN_STATUSES,
    STATUSES,
    BadMove,
    Instruction,
    InstructionItem,
    cadre_names,
    close,
    confirm,
    feed_back,
    send_back,
    today_beijing,
)

router = APIRouter(prefix="/instructions", tags=["instructions"])
Recipient = Annotated[Caller, Depends(allow_any(Role.cadre))]
Manager = Annotated[Caller, Depends(allow_any(Role.admin, Role.leader, Role.cadre))]
_BODY = {"max_body_size": MAX_BODY_BYTES}


@router.get("/todo", summary="我的待办 (帮扶干部): 未办结的在前, 逾期的最前")
def todo(session: SessionDep, caller: Recipient,
         limit: Annotated[int, Query(ge=1, le=200, description="每页条数")] = 50,
         offset: Annotated[int, Query(ge=0, le=1_000_000, description="跳过条数")] = 0,
         state: Annotated[str | None, Query(description="open 仅未办结; 缺省全部")] = None) -> dict:
    today = today_beijing()
    where = [InstructionItem.cadre_id == caller.cadre_id]
    if state is not None and state != "open":
        raise HTTPException(422, "状态 state 只能为 open (仅未办结) 或不填")
    if state == "open":
        where.append(InstructionItem.status.in_(OPEN_STATUSES))
    is_open = InstructionItem.status.in_(OPEN_STATUSES)
    rank = case((is_open & (Instruction.deadline < today), 0), (is_open, 1), else_=2)
    base = select(InstructionItem, Instruction).join(Instruction, Instruction.id == InstructionItem.instruction_id) \
        .where(*where)
    total = session.scalar(select(func.count()).select_from(InstructionItem).where(*where)) or 0
    open_n = session.scalar(select(func.count()).select_from(InstructionItem)
                            .where(InstructionItem.cadre_id == caller.cadre_id, is_open)) or 0
    overdue_n = session.scalar(select(func.count()).select_from(InstructionItem)
                               .join(Instruction, Instruction.id == InstructionItem.instruction_id)
                               .where(InstructionItem.cadre_id == caller.cadre_id, is_open,
                                      Instruction.deadline < today)) or 0
    rows = session.execute(base.order_by(rank, Instruction.deadline, Instruction.id.desc())
                           .limit(limit).offset(offset)).all()
    me = cadre_names(session, [caller.cadre_id]).get(caller.cadre_id)
    names = region_names(session, [r.region_code for _, r in rows])
    items = []
    for item, row in rows:
        out = summary(row, dict.fromkeys(STATUSES, 0), today, caller, names.get(row.region_code))
        for k in ("recipients", "counts", "open", "overdue_items"):
            out.pop(k, None)
        out["overdue"] = False
        out["item"] = item_view(item, row, me, today, caller)
        items.append(out)
    return {"total": total, "open": open_n, "overdue": overdue_n, "limit": limit, "offset": offset, "items": items}


def _mine(session, caller: Caller, item_id: int) -> tuple[InstructionItem, Instruction]:
    item = session.get(InstructionItem, item_id)
    if item is None or item.cadre_id != caller.cadre_id:
        raise HTTPException(404, f"您没有编号为 {item_id} 的待办事项")
    return item, session.get(Instruction, item.instruction_id)


@router.post("/todo/{item_id}/confirm", summary="确认收到 (待确认 → 已确认)", responses={409: {"description": "已办结"}})
def confirm_item(session: SessionDep, caller: Recipient, item_id: RecordId) -> dict:
    item, row = _mine(session, caller, item_id)
    try:
        confirm(item)
    except BadMove as exc:
        raise HTTPException(409, str(exc)) from None
    session.commit()
    return item_view(item, row, cadre_names(session, [item.cadre_id]).get(item.cadre_id), today_beijing(), caller)


@router.post("/todo/{item_id}/feedback", summary="反馈办理情况 (文字和照片; 已办结的不能反馈)", **_BODY,
             openapi_extra={"requestBody": {"required": True, "content": {
                 "application/json": {"schema": _inline_schema(FeedbackIn)}}}},
             responses={409: {"description": "该事项当前状态不能反馈 (已办结、待审核)"}, 413: {"description": "请求体过大"}})
async def feedback(request: Request, caller: Recipient, item_id: RecordId) -> JSONResponse:
    body = await read_json_model(request, FeedbackIn)
    try:
        photos = await run_in_threadpool(decode_photos, body.photos)
    except BadCheckin as exc:
        raise HTTPException(422, str(exc)) from None
    out, event = await run_in_threadpool(_feedback, request, caller, item_id, body.note.strip(), photos)
    await run_in_threadpool(request.app.state.events.publish, "duty", event)  # a DB write with several workers
    return JSONResponse(out)


def _feedback(request: Request, caller: Caller, item_id: int, note: str, photos) -> tuple[dict, dict]:
    if not note:
        raise HTTPException(422, "反馈内容 note 不能为空")
    directory = photo_dir(request)
    with request.app.state.sessions() as session:
        item, row = _mine(session, caller, item_id)
        names: list[str] = []
        try:
            if item.status in ("closed", "reported"):
                feed_back(item, note, [])  # raises the Chinese reason before any photo is written
            names = save_photos(directory, photos)
            feed_back(item, note, names)
            session.commit()
        except BadMove as exc:
            session.rollback()
            raise HTTPException(409, str(exc)) from None
        except BaseException:
            session.rollback()
            remove_photos(directory, names)
            raise
        cadre = cadre_names(session, [item.cadre_id]).get(item.cadre_id)
        out = item_view(item, row, cadre, today_beijing(), caller)
        # no free text on the wall's stream: the title says what kind of item moved where, not what it says
        place = region_names(session, [item.region_code]).get(item.region_code, "")
        event = {"kind": "feedback", "id": item.id, "instruction_id": row.id, "region_code": item.region_code,
                 "title": f"{place}干部反馈指令办理情况", "priority": row.priority,
                 "at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds")}
        return out, event


def _managed(session, caller: Caller, instruction_id: int, item_id: int) -> tuple[InstructionItem, Instruction]:
    row = session.get(Instruction, instruction_id)
    item = session.get(InstructionItem, item_id)
    if row is None or item is None or item.instruction_id != row.id:
        raise HTTPException(404, f"指令 {instruction_id} 没有编号为 {item_id} 的接收事项")
    if not manages(caller, row):
        raise HTTPException(403, f"只有下达人 ({row.issuer_name}) 或其上级可以办结或退回该指令")
    return item, row


def _answer(session, caller: Caller, item: InstructionItem, row: Instruction) -> dict:
    cadre = cadre_names(session, [item.cadre_id]).get(item.cadre_id)
    return item_view(item, row, cadre, today_beijing(), caller,
                     region_names(session, [item.region_code]).get(item.region_code))


@router.post("/{instruction_id}/items/{item_id}/close", summary="办结 (下达人审核反馈后)",
             responses={409: {"description": "只有已反馈的事项才能办结"}})
def close_item(session: SessionDep, caller: Manager, instruction_id: RecordId, item_id: RecordId) -> dict:
    item, row = _managed(session, caller, instruction_id, item_id)
    try:
        close(item)
    except BadMove as exc:
        raise HTTPException(409, str(exc)) from None
    session.commit()
    return _answer(session, caller, item, row)


@router.post("/{instruction_id}/items/{item_id}/return", summary="退回 (须说明原因; 干部重新反馈)",
             responses={409: {"description": "只有已反馈的事项才能退回"}},
             openapi_extra={"requestBody": {"required": True, "content": {
                 "application/json": {"schema": _inline_schema(ReturnIn)}}}})
async def return_item(request: Request, caller: Manager, instruction_id: RecordId, item_id: RecordId) -> dict:
    body = await read_json_model(request, ReturnIn)
    reason = body.reason.strip()
    if not reason:
        raise HTTPException(422, "退回原因 reason 不能为空")

    def run() -> dict:
        with request.app.state.sessions() as session:
            item, row = _managed(session, caller, instruction_id, item_id)
            try:
                send_back(item, reason)
            except BadMove as exc:
                raise HTTPException(409, str(exc)) from None
            session.commit()
            return _answer(session, caller, item, row)

    return await run_in_threadpool(run)

