"""Routes: issue an instruction (POST /instructions), list and read them (paged, by region), what the
caller may instruct (GET /instructions/scope), their photos. The recipients' moves are in instruction_items."""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse, JSONResponse
from sqlalchemy import case, exists, func, or_, select

from sandbox.domain.enums import Role
from sandbox.domain.regions import InvalidRegionCode, RegionCode
from sandbox.server.bodylimit import read_json_model
from sandbox.server.checkins.photos import decode_photos, remove_photos, save_photos
from sandbox.server.checkins.routes import _inline_schema
from sandbox.server.checkins.schemas import BadCheckin
from sandbox.server.command.either_auth import AnyCaller, allow_any, issuer_of
from sandbox.server.command.instruction_schemas import MAX_BODY_BYTES, InstructionIn
from sandbox.server.command.instruction_views import (
    can_see,
    counts_of,
    item_view,
    manages,
    region_names,
    summary,
    visible_instruction,
)
from sandbox.server.deps import Caller, RecordId, SessionDep, settings_of
from sandbox.store.command.instruction_scope import BadInstruction, NewInstruction, OutOfScope, issue, issuer_prefix
from sandbox.store.command.instructions import OPEN_STATUSES, Instruction, InstructionItem, cadre_names, today_beijing
from sandbox.store.models import Region

router = APIRouter(prefix="/instructions", tags=["instructions"])
Issuing = Annotated[Caller, Depends(allow_any(Role.admin, Role.leader, Role.cadre))]
Reading = Annotated[Caller, Depends(allow_any(Role.admin, Role.leader, Role.display, Role.delegation, Role.cadre))]
Limit = Annotated[int, Query(ge=1, le=200, description="每页条数")]
Offset = Annotated[int, Query(ge=0, le=1_000_000, description="跳过条数")]
PHOTO_DIR = "instruction_photos"
_PHOTO_NAME = re.compile(r"^[0-9a-f]{32}\.(jpg|png)$")
_STATES = {"open": "未办结", "overdue": "已逾期", "closed": "已办结"}


def photo_dir(request: Request):
    return settings_of(request.app).data_dir / PHOTO_DIR


@router.post("", status_code=201, summary="下达指令/批示 (县、乡镇领导, 村第一书记; 超出辖区 403 并说明谁可以下达)",
             max_body_size=MAX_BODY_BYTES,
             openapi_extra={"requestBody": {"required": True, "content": {
                 "application/json": {"schema": _inline_schema(InstructionIn)}}}},
             responses={201: {"description": "已下达: 指令及接收人数"}, 403: {"description": "超出辖区, detail 说明谁可以下达"},
                        413: {"description": "请求体过大"}, 422: {"description": "指令无效, detail 说明原因"}})
async def post_instruction(request: Request, caller: Issuing) -> JSONResponse:
    body = await read_json_model(request, InstructionIn)
    try:
        photos = await run_in_threadpool(decode_photos, body.photos)
    except BadCheckin as exc:
        raise HTTPException(422, f"附件: {exc}") from None
    out = await run_in_threadpool(_issue, request, caller, body, photos)
    return JSONResponse(out, status_code=201)


def _issue(request: Request, caller: Caller, body: InstructionIn, photos) -> dict:
    data = NewInstruction(body.scope_kind, body.scope_ref, tuple(body.cadre_ids), body.title or "", body.text,
                          body.priority, body.deadline, body.issuer_name)
    directory = photo_dir(request)
    names: list[str] = []
    with request.app.state.sessions() as session:
        try:
            issuer_prefix(session, issuer_of(caller))  # a cadre who may not issue learns it before photos are kept
            names = save_photos(directory, photos)
            row = issue(session, issuer_of(caller), data, today_beijing(), photos=names)
            session.commit()
        except OutOfScope as exc:
            session.rollback()
            remove_photos(directory, names)
            raise HTTPException(403, str(exc)) from None
        except BadInstruction as exc:
            session.rollback()
            remove_photos(directory, names)
            raise HTTPException(422, str(exc)) from None
        except BaseException:
            session.rollback()
            remove_photos(directory, names)
            raise
        today = today_beijing()
        counts = counts_of(session, [row.id], today)[row.id]
        return summary(row, counts, today, caller, region_names(session, [row.region_code]).get(row.region_code))


@router.get("", summary="指令列表 (按辖区, 分页; 展示屏脱敏, 代表团仅见汇总)")
def list_instructions(session: SessionDep, caller: Reading, limit: Limit = 50, offset: Offset = 0,
                      region: Annotated[str | None, Query(description="区划代码; 缺省为令牌的辖区")] = None,
                      state: Annotated[str | None, Query(description="open 未办结 / overdue 已逾期 / closed 已办结")] = None,
                      ) -> dict:
    today = today_beijing()
    prefix = _prefix(caller, region)
    q = select(Instruction)
    if caller.role is Role.cadre:  # a 第一书记's own instructions (their to-dos: GET /instructions/todo)
        q = q.where(Instruction.issuer_cadre_id == caller.cadre_id)
    if prefix:
        q = q.where(or_(Instruction.issuer_region.like(prefix + "%"), exists().where(
            InstructionItem.instruction_id == Instruction.id, InstructionItem.region_code.like(prefix + "%"))))
    if state is not None:
        if state not in _STATES:
            raise HTTPException(422, f"状态 state 应为 {' / '.join(f'{k} {v}' for k, v in _STATES.items())} 之一")
        open_items = exists().where(InstructionItem.instruction_id == Instruction.id,
                                    InstructionItem.status.in_(OPEN_STATUSES))
        q = q.where(~open_items if state == "closed" else open_items)
        if state == "overdue":
            q = q.where(Instruction.deadline < today)
    total = session.scalar(select(func.count()).select_from(q.subquery())) or 0
    rows = list(session.scalars(q.order_by(Instruction.created_at.desc(), Instruction.id.desc())
                                .limit(limit).offset(offset)))
    counts = counts_of(session, [r.id for r in rows], today, prefix)  # the recipients under the region asked
    names = region_names(session, [r.region_code for r in rows])
    return {"total": total, "limit": limit, "offset": offset, "as_of": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "items": [summary(r, counts[r.id], today, caller, names.get(r.region_code)) for r in rows]}


def _prefix(caller: Caller, region: str | None) -> str:
    if region is None:
        return caller.region.prefix if caller.region is not None else ""
    try:
        rc = RegionCode.parse(region)
    except InvalidRegionCode as exc:
        raise HTTPException(422, str(exc)) from None
    caller.check_region(rc, rc.value)
    return rc.prefix


@router.get("/scope", summary="本人可以下达指令的范围 (县、乡镇领导, 村第一书记)")
def scope(session: SessionDep, caller: AnyCaller) -> dict:
    try:
        prefix = issuer_prefix(session, issuer_of(caller))
    except OutOfScope as exc:
        return {"may_issue": False, "why": str(exc), "region_code": None, "region": None, "regions": []}
    if caller.role not in (Role.admin, Role.leader, Role.cadre):
        return {"may_issue": False, "why": "当前角色不能下达指令", "region_code": None, "region": None, "regions": []}
    regions = session.execute(select(Region.code, Region.name, Region.level).where(Region.code.like(prefix + "%"))
                              .where(Region.level.in_(("county", "town", "village"))).order_by(Region.code)).all()
    own = prefix.ljust(12, "0") if prefix else next((r.code for r in regions if r.level == "county"), None)
    return {"may_issue": True, "why": None, "region_code": own,
            "region": next((r.name for r in regions if r.code == own), None),
            "regions": [{"code": r.code, "name": r.name, "level": r.level} for r in regions]}


@router.get("/{instruction_id}", summary="指令详情: 各接收人的办理情况")
def get_instruction(session: SessionDep, caller: Reading, instruction_id: RecordId,
                    limit: Annotated[int, Query(ge=1, le=1000, description="每页接收人数")] = 200,
                    offset: Offset = 0) -> dict:
    if caller.role is Role.delegation:
        raise HTTPException(403, "代表团令牌只能查看汇总, 不能查看指令详情")
    row = visible_instruction(session, caller, instruction_id)
    today = today_beijing()
    q = select(InstructionItem).where(InstructionItem.instruction_id == row.id)
    within = ""  # the items (and counts) shown: all, or those under a limited token's region
    if caller.role is Role.cadre and row.issuer_cadre_id != caller.cadre_id:
        q = q.where(InstructionItem.cadre_id == caller.cadre_id)  # a recipient sees their own part
    elif caller.region is not None and not (row.issuer_region or "").startswith(caller.region.prefix):
        q = q.where(InstructionItem.region_code.like(caller.region.prefix + "%"))
        within = caller.region.prefix
    # what waits for the issuer first (fed back), then sent back, then not yet answered, the closed last
    rank = case((InstructionItem.status == "reported", 0), (InstructionItem.status == "returned", 1),
                (InstructionItem.status == "closed", 3), else_=2)
    items_total = session.scalar(select(func.count()).select_from(q.subquery())) or 0
    items = list(session.scalars(q.order_by(rank, InstructionItem.region_code, InstructionItem.id)
                                 .limit(limit).offset(offset)))
    cadres = cadre_names(session, [i.cadre_id for i in items])
    names = region_names(session, [row.region_code, *(i.region_code for i in items)])
    counts = counts_of(session, [row.id], today, within)[row.id]
    out = summary(row, counts, today, caller, names.get(row.region_code))
    out["may_manage"] = manages(caller, row)
    out.update(items_total=items_total, limit=limit, offset=offset)
    out["items"] = [item_view(i, row, cadres.get(i.cadre_id), today, caller, names.get(i.region_code)) for i in items]
    return out


@router.get("/photos/{name}", summary="指令附件和反馈照片", response_class=FileResponse)
async def photo(request: Request, caller: Reading,
                name: Annotated[str, Path(max_length=40, description="照片文件名")]) -> FileResponse:
    if caller.role in (Role.delegation, Role.display) or not _PHOTO_NAME.match(name):
        raise HTTPException(404, "没有这张照片")

    def visible() -> bool:
        with request.app.state.sessions() as session:
            row = session.scalar(select(Instruction).where(Instruction.photos.contains(name)).limit(1))
            if row is None:
                item = session.scalar(select(InstructionItem).where(InstructionItem.photos.contains(name)).limit(1))
                row = session.get(Instruction, item.instruction_id) if item is not None else None
                if item is not None and caller.role is Role.cadre and item.cadre_id != caller.cadre_id \
                        and row.issuer_cadre_id != caller.cadre_id:
                    return False
            return row is not None and can_see(session, caller, row)

    path = photo_dir(request) / name
    if not await run_in_threadpool(visible) or not path.is_file():
        raise HTTPException(404, "没有这张照片")
    return FileResponse(path, media_type="image/png" if name.endswith(".png") else "image/jpeg",
                        headers={"Cache-Control": "private, max-age=31536000, immutable"})
