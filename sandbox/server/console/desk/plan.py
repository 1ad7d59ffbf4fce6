"""Workbench 督查计划: the month's plan (generated when absent, as `sandbox inspect plan`), a village's sub-group
changed by the plan's rules (sandbox/store/command/inspection_plan.py), and the towns' accountability figures."""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from sqlalchemy import select

from sandbox.domain.enums import Role
from sandbox.domain.inspection import parse_month
from sandbox.server.console.desk.sections import Section, register
from sandbox.server.console.guard import go, staff_form, staff_page
from sandbox.server.console.render import message, page
from sandbox.server.console.session import StaffUser, client_address
from sandbox.store.checkins import CHINA_TZ
from sandbox.store.command.accountability import town_accountability
from sandbox.store.command.inspection import InspectionGroup, InspectionPlan, InspectionSubgroup
from sandbox.store.command.inspection_plan import PlanRuleError, assign, ensure_month_plan, plan_rows
from sandbox.store.models import Region
from sandbox.store.office import access_log

__all__ = ["router", "may_plan"]

router = APIRouter()
BASE = "/console/command/plan"
register(Section("plan", "督查计划", "查看和调整每月督查计划 (每季度末月交叉巡查), 各乡镇整改问责统计"))


def may_plan(user: StaffUser) -> bool:
    """The plan is the county's (the API's rule): an admin or a county-wide leader changes it; others read."""
    return user.role is Role.admin or (user.role is Role.leader and (user.region is None
                                                                     or user.region.level.value == "county"))


def _this_month() -> str:
    return dt.datetime.now(CHINA_TZ).strftime("%Y-%m")


def _month(text: str | None) -> str:
    """'2019-3' is not a month; '2019-03' is (ValueError in Chinese otherwise)."""
    y, m = parse_month(text or "")
    return f"{y:04d}-{m:02d}"


def _step(month: str, by: int) -> str:
    y, m = parse_month(month)
    k = y * 12 + m - 1 + by
    return f"{k // 12:04d}-{k % 12 + 1:02d}"


def _subgroups(session) -> list[dict]:
    town = {c: n for c, n in session.execute(select(Region.code, Region.name).where(Region.level == "town"))}
    q = (select(InspectionSubgroup.id, InspectionSubgroup.name, InspectionSubgroup.town_code, InspectionGroup.name)
         .join(InspectionGroup, InspectionGroup.id == InspectionSubgroup.group_id).order_by(InspectionSubgroup.id))
    return [{"id": i, "name": n, "group": g, "town": town.get(t or "", "县直")} for i, n, t, g in session.execute(q)]


def _plan_page(request: Request, user: StaffUser, month: str, *, error: str | None = None, done: str = "",
               failed: str = "", status: int = 200) -> Response:
    try:
        ensure_month_plan(request.app.state.sessions, month)  # as the CLI: generated when first needed
    except ValueError as exc:
        return message(request, user, "无法生成督查计划", str(exc), status=422, back="/console/command")
    prefix = user.region.prefix if user.region is not None else ""
    with request.app.state.sessions() as session:
        plan = session.get(InspectionPlan, month)
        rows = plan_rows(session, month, prefix)
        subgroups = _subgroups(session) if may_plan(user) else []
        year = parse_month(month)[0]
        figures = town_accountability(session, prefix, dt.datetime.now(CHINA_TZ).date(), year=year)
        info = {"cross": plan.cross_inspection, "generated_at": plan.generated_at, "edited_at": plan.edited_at}
    return page(request, "desk_plan.html", user, status=status, title=f"{month} 督查计划", month=month, rows=rows,
                plan=info, subgroups=subgroups, may_plan=may_plan(user), figures=figures, year=year, error=error,
                done=done, done_row=next((r for r in rows if r.village_code == done), None), failed=failed,
                failed_name=next((r.village_name for r in rows if r.village_code == failed), ""),
                prev=_step(month, -1), next=_step(month, 1), this_month=_this_month(),
                subgroups_used=len({r.subgroup_id for r in rows}))


@router.get("/command/plan")
def plan(request: Request, month: str = Query("", max_length=16), done: str = Query("", max_length=12)) -> Response:
    user = staff_page(request)
    if isinstance(user, Response):
        return user
    try:
        month = _month(month) if month else _this_month()
    except ValueError as exc:
        return message(request, user, "月份无效", str(exc), status=422, back=BASE)
    return _plan_page(request, user, month, done=done if done.isdigit() else "")


def _assign(request: Request, user: StaffUser, month: str, village: str, subgroup: str) -> tuple[int, str] | None:
    """None when the village now goes to the sub-group; else (status, why) with nothing changed."""
    if not (subgroup.isascii() and subgroup.isdigit() and 0 < int(subgroup) < 2**31):
        return 422, f"督查小组编号无效: {subgroup!r}"
    if not (len(village) == 12 and village.isascii() and village.isdigit()):
        return 422, f"村代码无效: {village!r} (应为 12 位区划代码)"
    with request.app.state.sessions() as session:
        try:
            row = assign(session, month, village, int(subgroup))
        except PlanRuleError as exc:
            session.rollback()
            return 409, str(exc)
        except LookupError as exc:
            session.rollback()
            return 404, str(exc)
        name = session.scalar(select(Region.name).where(Region.code == village)) or village
        access_log.append(session, actor=user.actor, role=user.role.value, action=access_log.CHANGE,
                          what="inspection_plan", subject=f"{month} {name} 改派督查小组 {row.subgroup_id}",
                          region_code=village, address=client_address(request), channel="console")
        session.commit()
    return None


@router.post("/command/plan/assign")
async def change(request: Request) -> Response:
    got = await staff_form(request)
    if isinstance(got, Response):
        return got
    user, form = got
    if not may_plan(user):
        return message(request, user, "无权调整", "督查计划由县级统一安排: 仅限管理员或县级领导账号调整, "
                       f"您的账号{'仅限 ' + user.region_zh + ' 辖区' if user.region else '为' + user.role.label_zh}。",
                       status=403, back=BASE)
    fields = {k: (form.get(k) if isinstance(form.get(k), str) else "").strip() for k in ("month", "village", "subgroup")}
    try:
        month = _month(fields["month"])
    except ValueError as exc:
        return message(request, user, "月份无效", str(exc), status=422, back=BASE)
    refused = await run_in_threadpool(_assign, request, user, month, fields["village"], fields["subgroup"])
    if refused is not None:
        return await run_in_threadpool(lambda: _plan_page(request, user, month, error=refused[1],
                                                                      failed=fields["village"], status=refused[0]))
    return go(f"{BASE}?month={month}&done={fields['village']}#v{fields['village']}")

