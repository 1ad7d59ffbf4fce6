"""Routes: the cases workbench (/console/command/risk): hits and cases in the account's region, assign, decide
核实属实/排除 with a note, close; each rule's precision beside them."""

from __future__ import annotations

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from sqlalchemy import func, select

from sandbox.server.console.desk.sections import Section, register
from sandbox.server.console.guard import go, staff_form, staff_page
from sandbox.server.console.render import message, page
from sandbox.server.console.session import StaffUser, client_address
from sandbox.server.risk.evidence import HIT_ROLES, hit_out
from sandbox.store import queries
from sandbox.store.models import Region
from sandbox.store.office import access_log
from sandbox.store.risk.cases import ACTION_ZH, CaseRefused, move_case, moves_of
from sandbox.store.risk.register import precision
from sandbox.store.risk.rules import FAMILIES, all_rules
from sandbox.store.risk.tables import RiskCase, RiskHit

__all__ = ["router", "PAGE_SIZE"]

router = APIRouter()
PAGE_SIZE = 30
BASE = "/console/command/risk"
CASE_FILTERS = {"": "全部", "none": "未交办", "assigned": "核查中", "decided": "已核实待办结", "closed": "已办结"}
register(Section("risk", "风险线索核查", "规则发现的资金、走访签到等风险线索: 交办核查, 核实属实或排除, 办结; 各规则准确率。"))


def _where(user: StaffUser) -> list:
    return [queries.within(RiskHit.region_code, user.region)] if user.region is not None else []


def _rules_table(session, user: StaffUser) -> list[dict]:
    prefix = user.region.prefix if user.region is not None else ""
    active = dict(session.execute(select(RiskHit.rule, func.count()).where(RiskHit.active.is_(True), *_where(user))
                                  .group_by(RiskHit.rule)).all())
    prec = precision(session, prefix)
    return [{"id": r.id, "name": r.name, "family": FAMILIES[r.family], "active": active.get(r.id, 0),
             "confirmed": prec[r.id].confirmed if r.id in prec else 0, "excluded": prec[r.id].excluded if r.id in prec else 0,
             "precision": prec[r.id].precision if r.id in prec else None} for r in all_rules().values()]


@router.get("/command/risk")
def risk_desk(request: Request, rule: str = Query("", max_length=64), case: str = Query("", max_length=16),
              page_no: int = Query(1, alias="page", ge=1, le=100_000)) -> Response:
    user = staff_page(request)
    if isinstance(user, Response):
        return user
    rules = all_rules()
    if (rule and rule not in rules) or case not in CASE_FILTERS:
        return message(request, user, "筛选条件无效", "未知的规则或核查状态。", status=422, back=BASE)
    with request.app.state.sessions() as session:
        table = _rules_table(session, user)
        items, total = [], 0
        if user.role in HIT_ROLES:  # a display account reads the counts alone
            q = (select(RiskHit, RiskCase).outerjoin(RiskCase, RiskCase.hit_id == RiskHit.id)
                 .where(RiskHit.active.is_(True), *_where(user)))
            if rule:
                q = q.where(RiskHit.rule == rule)
            if case == "none":
                q = q.where(RiskCase.id.is_(None))
            elif case:
                q = q.where(RiskCase.state == case)
            total = session.scalar(select(func.count()).select_from(q.subquery())) or 0
            rows = session.execute(q.order_by(RiskHit.score.desc(), RiskHit.id)
                                   .offset((page_no - 1) * PAGE_SIZE).limit(PAGE_SIZE)).all()
            names = dict(session.execute(select(Region.code, Region.name)
                                         .where(Region.code.in_({h.region_code for h, _ in rows}))).all())
            items = [hit_out(h, rules.get(h.rule), user.role, names.get(h.region_code), c) for h, c in rows]
            if items:
                access_log.append(session, actor=user.actor, role=user.role.value, action=access_log.READ,
                                  what="risk_hits", subject=f"第 {page_no} 页 {len(items)} 条线索",
                                  region_code=user.region.value if user.region else None,
                                  address=client_address(request), channel="console")
                session.commit()
    pages = max(1, -(-total // PAGE_SIZE))
    return page(request, "risk_desk.html", user, title="风险线索核查", rules=table, items=items, total=total,
                rule=rule, case=case, case_filters=CASE_FILTERS, page_no=page_no, pages=pages,
                may_act=user.role in HIT_ROLES)


def _hit_for(request: Request, session, user: StaffUser, hit_id: int) -> RiskHit | Response:
    hit = session.get(RiskHit, hit_id) if 0 < hit_id < 2**62 else None
    if hit is None or not user.may_see(hit.region_code):
        # another region's hit is as unknown as a missing one: its existence says nothing
        return message(request, user, "未找到线索", f"没有编号为 {hit_id} 的风险线索, 或不在您的辖区。", status=404, back=BASE)
    return hit


@router.get("/command/risk/{hit_id}")
def risk_hit(request: Request, hit_id: int) -> Response:
    user = staff_page(request)
    if isinstance(user, Response):
        return user
    if user.role not in HIT_ROLES:
        return message(request, user, "无权查看", "大屏展示账号只能查看线索数量。", status=403, back=BASE)
    with request.app.state.sessions() as session:
        hit = _hit_for(request, session, user, hit_id)
        if isinstance(hit, Response):
            return hit
        case = session.scalar(select(RiskCase).where(RiskCase.hit_id == hit.id))
        name = session.scalar(select(Region.name).where(Region.code == hit.region_code))
        item = hit_out(hit, all_rules().get(hit.rule), user.role, name, case,
                       moves_of(session, case.id) if case is not None else None)
        access_log.append(session, actor=user.actor, role=user.role.value, action=access_log.READ, what="risk_hit",
                          subject=f"线索 {hit.id}", region_code=hit.region_code, address=client_address(request),
                          channel="console")
        session.commit()
    return page(request, "risk_hit.html", user, title=f"线索 {hit_id}", h=item, actions=ACTION_ZH,
                error=request.query_params.get("error"))


@router.post("/command/risk/{hit_id}/case")
async def risk_move(request: Request, hit_id: int) -> Response:
    got = await staff_form(request)
    if isinstance(got, Response):
        return got
    user, form = got
    if user.role not in HIT_ROLES:
        return message(request, user, "无权操作", "大屏展示账号不能交办或核查线索。", status=403, back=BASE)

    def text(key: str) -> str | None:
        v = form.get(key)
        return v if isinstance(v, str) else None

    from fastapi.concurrency import run_in_threadpool

    def run() -> Response:
        with request.app.state.sessions() as session:
            hit = _hit_for(request, session, user, hit_id)
            if isinstance(hit, Response):
                return hit
            action = text("action") or ""
            try:
                move_case(session, hit, action, user.actor, assignee=(text("assignee") or "")[:64],
                          note=(text("note") or "")[:2000])
            except CaseRefused as exc:
                session.rollback()
                return message(request, user, "未能办理", str(exc), status=409, back=f"{BASE}/{hit_id}")
            access_log.append(session, actor=user.actor, role=user.role.value, action=access_log.CHANGE,
                              what="risk_case", subject=f"线索 {hit.id}: {ACTION_ZH.get(action, action)}",
                              region_code=hit.region_code, address=client_address(request), channel="console")
            session.commit()
        return go(f"{BASE}/{hit_id}")

    return await run_in_threadpool(run)


