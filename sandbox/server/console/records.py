"""Routes: the data at a glance, and households browsed in the console (masked by role, within the account's region)."""

from __future__ import annotations

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from sqlalchemy import func, select

from sandbox.domain.enums import HouseholdStatus, PovertyCause
from sandbox.domain.masking import mask_id_number, person_view
from sandbox.domain.regions import InvalidRegionCode, RegionCode
from sandbox.server.console.guard import staff_page
from sandbox.server.console.render import message, page
from sandbox.server.console.session import client_address
from sandbox.store.models import Household, HouseholdYear, Member, Meta, Region
from sandbox.store.office import access_log
from sandbox.store.office.glance import data_sources
from sandbox.store.queries import within

__all__ = ["router", "PAGE_SIZE"]

router = APIRouter()
PAGE_SIZE = 30


@router.get("/data")
def data(request: Request) -> Response:
    user = staff_page(request)
    if isinstance(user, Response):
        return user
    with request.app.state.sessions() as session:
        sources = data_sources(session)
        demo = session.get(Meta, "demo")
    return page(request, "data.html", user, title="数据概览", sources=sources, demo=demo is not None and demo.value == "true")


def _town_names(session, user) -> list[tuple[str, str]]:
    q = select(Region.code, Region.name).where(Region.level == "town").order_by(Region.code)
    return [(c, n) for c, n in session.execute(q) if user.may_see(c)]


@router.get("/households")
def households(request: Request, region: str | None = Query(None, max_length=12),
               page_no: int = Query(1, alias="page", ge=1, le=100_000)) -> Response:
    user = staff_page(request)
    if isinstance(user, Response):
        return user
    code = user.region
    if region:
        try:
            code = RegionCode.parse(region)
        except InvalidRegionCode as exc:
            return message(request, user, "区划代码无效", str(exc), status=422, back="/console/households")
        if not user.may_see(code.value):
            return message(request, user, "无权查看", f"您的账号仅限 {user.region_zh} 辖区, 不能查看 {code.value} 的贫困户。",
                           status=403, back="/console/households")
    view = person_view(user.role)
    with request.app.state.sessions() as session:
        year = session.scalar(select(func.max(HouseholdYear.year)))
        where = [HouseholdYear.year == year]
        if code is not None:
            where.append(within(Household.village_code, code, db=session))
        base = select(Household, HouseholdYear).join(HouseholdYear, HouseholdYear.household_id == Household.id)
        total = session.scalar(select(func.count()).select_from(base.where(*where).subquery())) or 0
        rows = session.execute(base.where(*where).order_by(Household.id).offset((page_no - 1) * PAGE_SIZE)
                               .limit(PAGE_SIZE)).all()
        villages = dict(session.execute(select(Region.code, Region.name).where(
            Region.code.in_({h.village_code for h, _ in rows}))).all())
        items = [{"id": h.id, "number": h.household_number, "head": view.name(h.head_name),
                  # a list shows 30 people at once: ID numbers masked for every role (the detail page, one
                  # person and logged, shows what the role may see)
                  "id_number": mask_id_number(h.id_number), "village": villages.get(h.village_code, h.village_code),
                  "status": HouseholdStatus(hy.status).label_zh, "members": hy.members} for h, hy in rows]
        if items:
            access_log.append(session, actor=user.actor, role=user.role.value, action=access_log.READ,
                              what="household_list", subject=f"第 {page_no} 页 {len(items)} 户",
                              region_code=code.value if code else None, address=client_address(request),
                              channel="console")
            session.commit()
        towns = _town_names(session, user)
    pages = max(1, -(-total // PAGE_SIZE))
    return page(request, "households.html", user, title="户信息", items=items, total=total, page_no=page_no,
                pages=pages, region=code.value if code else "", towns=towns, year=year)


@router.get("/households/{household_id}")
def household(request: Request, household_id: int) -> Response:
    user = staff_page(request)
    if isinstance(user, Response):
        return user
    if not 1 <= household_id < 2**62:
        return message(request, user, "没有这一户", f"没有编号为 {household_id} 的贫困户。", status=404,
                       back="/console/households")
    view = person_view(user.role)
    with request.app.state.sessions() as session:
        h = session.get(Household, household_id)
        if h is None:
            return message(request, user, "没有这一户", f"没有编号为 {household_id} 的贫困户。", status=404,
                           back="/console/households")
        if not user.may_see(h.village_code):
            return message(request, user, "无权查看", f"您的账号仅限 {user.region_zh} 辖区, 这一户不在其中。",
                           status=403, back="/console/households")
        village = session.get(Region, h.village_code)
        years = list(session.scalars(select(HouseholdYear).where(HouseholdYear.household_id == h.id)
                                     .order_by(HouseholdYear.year)))
        members = [{"name": view.name(m.name), "id_number": view.id_number(m.id_number), "relation": m.relation,
                    "sex": m.sex, "health": m.health}
                   for m in session.scalars(select(Member).where(Member.household_id == h.id).order_by(Member.id))]
        record = {"number": h.household_number, "head": view.name(h.head_name), "id_number": view.id_number(h.id_number),
                  "phone": view.phone(h.phone), "village": village.name if village else h.village_code,
                  "cause": PovertyCause(h.main_cause).label_zh, "identified_year": h.identified_year}
        access_log.append(session, actor=user.actor, role=user.role.value, action=access_log.READ, what="household",
                          subject=f"户 {h.id} ({h.household_number})", region_code=h.village_code,
                          address=client_address(request), channel="console")
        session.commit()
    return page(request, "household.html", user, title=f"户 {record['number']}", h=record, members=members,
                years=[{"year": y.year, "status": HouseholdStatus(y.status).label_zh, "members": y.members,
                        "income": y.per_capita_net_income} for y in years])
