"""Routes: GET /risk/hits (the hit list, paged, evidence masked by role), GET /risk/hits/{id} (one hit, its case
and the case's moves) and POST /risk/hits/{id}/case (assign, 核实属实, 排除, close: leaders and admins)."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import func, select

from sandbox.server.bodylimit import read_json_model
from sandbox.server.core.access import note_read
from sandbox.server.deps import Caller, OptionalRegionDep, SessionDep, allow
from sandbox.server.risk.evidence import HIT_ROLES, hit_out
from sandbox.store import queries
from sandbox.store.models import Region
from sandbox.store.risk.cases import CaseAction, CaseRefused, move_case, moves_of
from sandbox.store.risk.rules import FAMILIES, all_rules
from sandbox.store.risk.tables import RiskCase, RiskHit

__all__ = ["router", "CaseIn"]

router = APIRouter(prefix="/risk", tags=["risk"])
Investigator = Annotated[Caller, Depends(allow(*HIT_ROLES))]
HitId = Annotated[int, Path(ge=1, lt=2**62, description="线索编号")]


class CaseFilter(StrEnum):
    none = "none"  # no case yet
    open = "open"  # assigned or decided, not closed
    assigned = "assigned"
    decided = "decided"
    closed = "closed"


class CaseIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    action: CaseAction = Field(description="assign 交办核查, confirm 核实属实, exclude 排除, close 办结")
    assignee: str | None = Field(None, max_length=64, description="核查人或核查单位 (交办时必填)")
    note: str | None = Field(None, max_length=2000, description="核查说明 (核实属实或排除时必填)")


def _who(caller: Caller) -> str:
    return f"{caller.role.value}" + (f"@{caller.region.value}" if caller.region is not None else "") + \
        (f" 令牌#{caller.token_id}" if caller.token_id is not None else "")


@router.get("/hits", summary="风险线索清单 (分页; 证据按角色脱敏; 仅管理员与领导)")
def list_hits(request: Request, session: SessionDep, caller: Investigator, scope: OptionalRegionDep,
              rule: Annotated[str | None, Query(max_length=64, description="规则编号, 如 funds.duplicate_voucher")] = None,
              family: Annotated[str | None, Query(max_length=16, description="规则类别: persons、funds、checkins")] = None,
              case: Annotated[CaseFilter | None, Query(description="核查状态")] = None,
              active: Annotated[bool, Query(description="仅在案 (规则最近一次运行仍命中) 的线索")] = True,
              limit: Annotated[int, Query(ge=1, le=200)] = 50,
              offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0) -> dict:
    rules = all_rules()
    if rule is not None and rule not in rules:
        raise HTTPException(422, f"未知规则 {rule[:64]!r}")
    if family is not None and family not in FAMILIES:
        raise HTTPException(422, f"未知规则类别 {family[:16]!r}, 可用: {'、'.join(FAMILIES)}")
    where = []
    if scope.code is not None:
        rc, _ = scope.load(session)
        where.append(queries.within(RiskHit.region_code, rc, db=session))
    if active:
        where.append(RiskHit.active.is_(True))
    if rule is not None:
        where.append(RiskHit.rule == rule)
    if family is not None:
        where.append(RiskHit.rule.startswith(family + "."))
    q = select(RiskHit, RiskCase).outerjoin(RiskCase, RiskCase.hit_id == RiskHit.id).where(*where)
    if case is CaseFilter.none:
        q = q.where(RiskCase.id.is_(None))
    elif case is CaseFilter.open:
        q = q.where(RiskCase.state.in_(("assigned", "decided")))
    elif case is not None:
        q = q.where(RiskCase.state == case.value)
    total = session.scalar(select(func.count()).select_from(q.subquery())) or 0
    rows = session.execute(q.order_by(RiskHit.score.desc(), RiskHit.id).offset(offset).limit(limit)).all()
    names = dict(session.execute(select(Region.code, Region.name).where(
        Region.code.in_({h.region_code for h, _ in rows}))).all())
    if rows:  # evidence names people: a read of person-level data
        note_read(session, request, caller, "risk_hits", f"{offset + 1}-{offset + len(rows)} 条线索",
                  scope.code.value if scope.code is not None else None)
    return {"total": total, "limit": limit, "offset": offset, "role": caller.role.value,
            "items": [hit_out(h, rules.get(h.rule), caller.role, names.get(h.region_code), c) for h, c in rows]}


def _hit(session, caller: Caller, hit_id: int) -> RiskHit:
    hit = session.get(RiskHit, hit_id)
    if hit is None:
        raise HTTPException(404, f"未找到编号为 {hit_id} 的风险线索")
    caller.check_region(hit.region_code, f"线索 {hit_id}")
    return hit


def _detail(session, caller: Caller, hit: RiskHit) -> dict:
    case = session.scalar(select(RiskCase).where(RiskCase.hit_id == hit.id))
    name = session.scalar(select(Region.name).where(Region.code == hit.region_code))
    return hit_out(hit, all_rules().get(hit.rule), caller.role, name, case,
                   moves_of(session, case.id) if case is not None else None)


@router.get("/hits/{hit_id}", summary="一条风险线索: 证据、核查及其经过")
def get_hit(request: Request, session: SessionDep, caller: Investigator, hit_id: HitId) -> dict:
    hit = _hit(session, caller, hit_id)
    out = _detail(session, caller, hit)
    note_read(session, request, caller, "risk_hit", f"线索 {hit.id}", hit.region_code)
    return out


@router.post("/hits/{hit_id}/case", summary="核查: 交办、核实属实、排除、办结",
             openapi_extra={"requestBody": {"required": True, "content": {
                 "application/json": {"schema": CaseIn.model_json_schema()}}}},
             responses={409: {"description": "当前核查状态不允许此操作, detail 说明原因"},
                        413: {"description": "请求体过大"}})
async def move(request: Request, caller: Investigator, hit_id: HitId) -> dict:
    body = await read_json_model(request, CaseIn)  # read only after the token passed

    def run() -> dict:
        with request.app.state.sessions() as session:
            hit = _hit(session, caller, hit_id)
            try:
                move_case(session, hit, body.action.value, _who(caller), assignee=body.assignee, note=body.note)
            except CaseRefused as exc:
                session.rollback()
                raise HTTPException(409, str(exc)) from None
            session.commit()
            return _detail(session, caller, hit)

    return await run_in_threadpool(run)
