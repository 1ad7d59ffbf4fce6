"""Routes: inspection groups with their members, the monthly plan (read, generate, edit by rule), and the
accountability figures per town."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from sandbox.domain.enums import Role
from sandbox.domain.inspection import is_cross_month, parse_month
from sandbox.domain.masking import person_view
from sandbox.server.bodylimit import read_json_model
from sandbox.server.command.inspect.access import Planner, Reader
from sandbox.server.command.inspect.views import iso
from sandbox.server.deps import AGGREGATE_ROLES, Caller, OptionalRegionDep, SessionDep, allow
from sandbox.store.command.accountability import town_accountability
from sandbox.store.command.findings import beijing_today
from sandbox.store.command.inspection import InspectionGroup, InspectionMember, InspectionPlan, InspectionSubgroup
from sandbox.store.command.inspection_plan import PlanRuleError, assign, ensure_plan, plan_rows
from sandbox.store.models import Region

router = APIRouter(prefix="/inspections", tags=["inspections"])
PAGE_SIZE = 100
MonthQuery = Annotated[str | None, Query(description="月份 YYYY-MM, 缺省为本月 (北京时间)", max_length=32)]
PageQuery = Annotated[int, Query(ge=1, le=100_000, description="页码, 从 1 开始")]
Aggregates = Annotated[Caller, Depends(allow(*AGGREGATE_ROLES))]


def month_or_422(month: str | None) -> str:
    if month is None:
        today = beijing_today()
        return f"{today.year:04d}-{today.month:02d}"
    try:
        y, m = parse_month(month)
    except ValueError as exc:
        raise HTTPException(422, str(exc)) from None
    return f"{y:04d}-{m:02d}"


@router.get("/groups", summary="督查组、督查小组及成员 (参观接待令牌只得人数)")
def groups(session: SessionDep, caller: Aggregates, page: PageQuery = 1) -> dict:
    total = session.scalar(select(func.count()).select_from(InspectionGroup))
    rows = session.scalars(select(InspectionGroup).order_by(InspectionGroup.id)
                           .offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE)).all()
    ids = [g.id for g in rows]
    subs = session.scalars(select(InspectionSubgroup).where(InspectionSubgroup.group_id.in_(ids))
                           .order_by(InspectionSubgroup.id)).all() if ids else []
    members = session.scalars(select(InspectionMember).where(InspectionMember.subgroup_id.in_([s.id for s in subs]))
                              .order_by(InspectionMember.id)).all() if subs else []
    towns = dict(session.execute(select(Region.code, Region.name).where(Region.level == "town")).all())
    view = person_view(caller.role)
    by_sub: dict[int, list[dict]] = {}
    for m in members:
        by_sub.setdefault(m.subgroup_id, []).append(
            {"id": m.id, "name": view.name(m.name), "unit": m.unit, "cadre_id": m.cadre_id,
             "on_phone": m.cadre_id is not None or m.device_id is not None})
    out = []
    for g in rows:
        g_subs = [s for s in subs if s.group_id == g.id]
        item = {"id": g.id, "name": g.name, "town_code": g.town_code, "town": towns.get(g.town_code),
                "leader": view.name(g.leader_name), "subgroup_count": len(g_subs),
                "member_count": sum(len(by_sub.get(s.id, ())) for s in g_subs), "subgroups": []}
        for s in g_subs:
            sub = {"id": s.id, "name": s.name, "town_code": s.town_code, "member_count": len(by_sub.get(s.id, ()))}
            if caller.role is not Role.delegation:
                sub["members"] = by_sub.get(s.id, [])
            item["subgroups"].append(sub)
        out.append(item)
    people = session.scalar(select(func.count()).select_from(InspectionMember))
    subgroups = session.scalar(select(func.count()).select_from(InspectionSubgroup))
    return {"total": total, "page": page, "page_size": PAGE_SIZE, "subgroups": subgroups, "members": people,
            "items": out}


@router.get("/plan", summary="月度督查计划: 每个贫困村由哪个督查小组检查 (每季度第三个月为交叉巡查)")
def plan(session: SessionDep, caller: Reader, scope: OptionalRegionDep, month: MonthQuery = None,
         page: PageQuery = 1) -> dict:
    if scope.code is not None:  # an unknown region is a 404, as everywhere
        scope.load(session)
    month = month_or_422(month)
    stored = session.get(InspectionPlan, month)
    if stored is None:
        raise HTTPException(404, f"{month} 的督查计划尚未生成: 请运行 sandbox inspect plan --month {month}, "
                                 "或 POST /api/v1/inspections/plan")
    rows = plan_rows(session, month, scope.prefix)
    page_rows = rows[(page - 1) * PAGE_SIZE: page * PAGE_SIZE]
    return {"month": month, "cross": stored.cross_inspection, "kind_zh": "季度交叉巡查" if stored.cross_inspection else "月督查",
            "generated_at": iso(stored.generated_at), "edited_at": iso(stored.edited_at),
            "total": len(rows), "page": page, "page_size": PAGE_SIZE,
            "items": [{"village_code": r.village_code, "village": r.village_name, "town_code": r.town_code,
                       "town": r.town_name, "subgroup_id": r.subgroup_id, "subgroup": r.subgroup_name,
                       "group": r.group_name, "edited": r.edited} for r in page_rows]}


class PlanIn(BaseModel):
    month: str = Field(max_length=32, description="月份 YYYY-MM")
    regenerate: bool = Field(False, description="重新生成 (放弃该月的手工调整)")


class AssignIn(BaseModel):
    month: str = Field(max_length=32, description="月份 YYYY-MM")
    village_code: str = Field(pattern=r"^\d{12}$", description="贫困村的 12 位区划代码")
    subgroup_id: int = Field(ge=1, lt=2**31, description="改派的督查小组编号")


def _body(model) -> dict:
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": model.model_json_schema()}}}}


@router.post("/plan", summary="生成月度督查计划 (已生成则原样返回; regenerate 重新生成)", openapi_extra=_body(PlanIn),
             responses={422: {"description": "月份无效"}})
async def generate(request: Request, caller: Planner) -> dict:
    body = await read_json_model(request, PlanIn)
    month = month_or_422(body.month)
    def work() -> dict:
        with request.app.state.sessions() as session:
            try:
                stored, made = ensure_plan(session, month, regenerate=body.regenerate)
                session.commit()
            except IntegrityError:  # another request generated it at the same moment
                session.rollback()
                stored, made = ensure_plan(session, month)[0], False
            except ValueError as exc:
                session.rollback()
                raise HTTPException(422, str(exc)) from None
            return {"month": month, "cross": stored.cross_inspection, "generated": made,
                    "villages": len(plan_rows(session, month))}

    return await run_in_threadpool(work)


@router.post("/plan/assign", summary="调整计划: 改派某村的督查小组 (交叉巡查月不得派往本镇)", openapi_extra=_body(AssignIn),
             responses={404: {"description": "计划、村或小组不存在"}, 409: {"description": "违反交叉巡查规则"}})
async def edit(request: Request, caller: Planner) -> dict:
    body = await read_json_model(request, AssignIn)
    month = month_or_422(body.month)
    def work() -> dict:
        with request.app.state.sessions() as session:
            try:
                row = assign(session, month, body.village_code, body.subgroup_id)
                session.commit()
            except LookupError as exc:
                session.rollback()
                raise HTTPException(404, str(exc)) from None
            except PlanRuleError as exc:
                session.rollback()
                raise HTTPException(409, str(exc)) from None
            return {"month": month, "cross": is_cross_month(month), "village_code": row.village_code,
                    "subgroup_id": row.subgroup_id, "edited": True}

    return await run_in_threadpool(work)


@router.get("/accountability", summary="问责统计: 各乡镇整改未完成、逾期、按期销号、逾期销号")
def accountability(session: SessionDep, caller: Aggregates, scope: OptionalRegionDep,
                   year: Annotated[int | None, Query(ge=2000, le=2100, description="只计该年发现的问题")] = None,
                   page: PageQuery = 1) -> dict:
    if scope.code is not None:  # an unknown region is a 404, as everywhere
        scope.load(session)
    today = beijing_today()
    rows = town_accountability(session, scope.prefix, today, year)
    return {"as_of": today.isoformat(), "year": year, "region": scope.code.value if scope.code else None,
            "total": len(rows), "page": page, "page_size": PAGE_SIZE,
            "items": rows[(page - 1) * PAGE_SIZE: page * PAGE_SIZE]}
