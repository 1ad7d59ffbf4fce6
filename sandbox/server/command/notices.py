"""Routes: 通知公告 and 办事指南. The centre posts (admin token); a cadre lists theirs unread first and opening
one writes the read receipt; leaders and walls see the read rate per town."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import func, or_, select

from sandbox.domain.enums import Role
from sandbox.domain.masking import person_view, scrub_fields
from sandbox.server.bodylimit import read_json_model
from sandbox.server.command.either_auth import allow_any
from sandbox.server.command.instruction_views import iso, region_names
from sandbox.server.deps import Caller, RecordId, SessionDep
from sandbox.store.command.notices import (
    KINDS,
    BadNotice,
    Notice,
    mark_read,
    notices_for_cadre,
    post_notice,
    reaches,
    read_rates,
)
from sandbox.store.models import Cadre

router = APIRouter(prefix="/notices", tags=["notices"])
Poster = Annotated[Caller, Depends(allow_any(Role.admin))]
Reader = Annotated[Caller, Depends(allow_any(Role.admin, Role.leader, Role.display, Role.delegation, Role.cadre))]


class NoticeIn(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"example": {
        "kind": "notice", "region": "522726", "title": "关于做好本月遍访工作的通知", "content": "请各帮扶干部…"}})

    kind: str = Field("notice", max_length=16, description="notice 通知公告 / guide 办事指南")
    region: str = Field(max_length=16, description="范围: 县、乡镇或村的区划代码")
    title: str = Field(min_length=1, max_length=64, description="标题")
    content: str = Field(min_length=1, max_length=20_000, description="正文")
    author: str | None = Field(None, max_length=64, description="发布单位, 缺省为 县脱贫攻坚指挥部")


def _view(n: Notice, caller: Caller, names: dict, read_at=None, full: bool = False) -> dict:
    out = {"id": n.id, "kind": n.kind, "kind_zh": KINDS.get(n.kind, n.kind), "region_code": n.region_code,
           "region": names.get(n.region_code), "title": n.title, "author": n.author, "created_at": iso(n.created_at)}
    if caller.role is Role.cadre:
        out["read"], out["read_at"] = read_at is not None, iso(read_at)
    if full and caller.role is not Role.delegation:
        out["content"] = n.content
    return scrub_fields(out, person_view(caller.role))


def _check(kind: str | None) -> None:
    if kind is not None and kind not in KINDS:
        raise HTTPException(422, f"类型 kind 应为 {' / '.join(KINDS)} 之一")


@router.post("", status_code=201, summary="发布通知公告或办事指南 (县指挥部, 管理员令牌)",
             openapi_extra={"requestBody": {"required": True, "content": {
                 "application/json": {"schema": NoticeIn.model_json_schema()}}}})
async def post(request: Request, caller: Poster) -> JSONResponse:
    body = await read_json_model(request, NoticeIn)

    def run() -> dict:
        with request.app.state.sessions() as session:
            try:
                n = post_notice(session, body.kind, body.region, body.title, body.content, body.author)
                session.commit()
            except BadNotice as exc:
                session.rollback()
                raise HTTPException(422, str(exc)) from None
            return _view(n, caller, region_names(session, [n.region_code]), full=True)

    return JSONResponse(await run_in_threadpool(run), status_code=201)


@router.get("", summary="通知公告列表 (干部: 本人收到的, 未读在前; 其他: 辖区内发布的, 分页)")
def list_notices(session: SessionDep, caller: Reader,
                 limit: Annotated[int, Query(ge=1, le=200, description="每页条数")] = 50,
                 offset: Annotated[int, Query(ge=0, le=1_000_000, description="跳过条数")] = 0,
                 kind: Annotated[str | None, Query(description="notice 通知公告 / guide 办事指南")] = None) -> dict:
    _check(kind)
    if caller.role is Role.cadre:
        cadre = session.get(Cadre, caller.cadre_id)
        if cadre is None:
            raise HTTPException(403, f"令牌所属的帮扶干部 {caller.cadre_id} 不存在")
        total, unread, page = notices_for_cadre(session, cadre, kind, limit, offset)
        names = region_names(session, [c.notice.region_code for c in page])
        return {"total": total, "unread": unread, "limit": limit, "offset": offset,
                "items": [_view(c.notice, caller, names, c.read_at) for c in page]}
    q = select(Notice)
    if caller.region is not None:  # posted within the token's region, or to a scope holding it
        p = caller.region.prefix
        holders = [p[:k].ljust(12, "0") for k in (6, 9, 12) if k <= len(p)]
        q = q.where(or_(Notice.region_code.like(p + "%"), Notice.region_code.in_(holders)))
    if kind is not None:
        q = q.where(Notice.kind == kind)
    total = session.scalar(select(func.count()).select_from(q.subquery())) or 0
    rows = list(session.scalars(q.order_by(Notice.created_at.desc(), Notice.id.desc()).limit(limit).offset(offset)))
    names = region_names(session, [n.region_code for n in rows])
    return {"total": total, "limit": limit, "offset": offset, "items": [_view(n, caller, names) for n in rows]}


def _visible(session, caller: Caller, notice_id: int) -> Notice:
    n = session.get(Notice, notice_id)
    ok = n is not None
    if ok and caller.role is Role.cadre:
        cadre = session.get(Cadre, caller.cadre_id)
        ok = cadre is not None and reaches(n.region_code, cadre.region_code)
    elif ok and caller.region is not None:
        ok = n.region_code.startswith(caller.region.prefix) or caller.region.value.startswith(
            n.region_code[:6] if n.region_code[6:] == "000000" else n.region_code[:9] if n.region_code[9:] == "000"
            else n.region_code)
    if not ok:
        raise HTTPException(404, f"没有编号为 {notice_id} 的通知 (或不在您的范围)")
    return n


@router.get("/{notice_id}", summary="通知正文 (干部打开即记为已读)")
def get_notice(session: SessionDep, caller: Reader, notice_id: RecordId) -> dict:
    n = _visible(session, caller, notice_id)
    read_at = None
    if caller.role is Role.cadre:
        read_at = mark_read(session, n, session.get(Cadre, caller.cadre_id))
        session.commit()
    return _view(n, caller, region_names(session, [n.region_code]), read_at, full=True)


@router.get("/{notice_id}/reads", summary="阅读率 (按乡镇): 应读干部、已读、阅读率")
def reads(session: SessionDep, caller: Annotated[Caller, Depends(allow_any(Role.admin, Role.leader, Role.display,
                                                                          Role.delegation))],
          notice_id: RecordId) -> dict:
    n = _visible(session, caller, notice_id)
    towns = read_rates(session, n, caller.region.prefix if caller.region is not None else "")
    cadres, read = sum(t["cadres"] for t in towns), sum(t["read"] for t in towns)
    return {"id": n.id, "title": n.title,
            "as_of": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"), "cadres": cadres, "read": read,
            "read_rate": round(100.0 * read / cadres, 1) if cadres else None, "towns": towns}
