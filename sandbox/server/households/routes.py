"""Routes: GET /households (paged list) and GET /households/{id} (detail with members)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import Response
from sqlalchemy import select

from sandbox.domain.enums import HouseholdStatus
from sandbox.domain.masking import person_view
from sandbox.server.core.access import note_read
from sandbox.server.core.dataset import dataset_info
from sandbox.server.core.forecasts import Pending, forecast_for
from sandbox.server.deps import RECORD_ROLES, Caller, RecordId, RegionDep, SessionDep, YearQuery, allow, resolve_year
from sandbox.server.households.ahead import siblings_of
from sandbox.server.households.pages import Page, household_out, households_page, page_key
from sandbox.store.models import Assignment, Cadre, Household, HouseholdYear, Member, Project, ProjectBeneficiary

router = APIRouter(prefix="/households", tags=["households"])


async def _record_reader(caller: Annotated[Caller, Depends(allow(*RECORD_ROLES))]) -> Caller:
    # Two locks on one door: the role list above, and the role's own masking view, so a role added
    # to RECORD_ROLES by mistake (delegation) still gets no person-level record.
    if not person_view(caller.role).records:
        raise HTTPException(403, f"当前角色({caller.role.label_zh})只能查看汇总数据,不能查看户级信息")
    return caller


Reader = Annotated[Caller, Depends(_record_reader)]


@router.get("", response_model=None, summary="建档立卡户列表(按角色脱敏)")
def list_households(request: Request, session: SessionDep, caller: Reader, scope: RegionDep,
                    status: Annotated[HouseholdStatus | None, Query(description="脱贫状态")] = None,
                    page: Annotated[int, Query(ge=1, le=100_000)] = 1, year: YearQuery = None) -> Response:
    rc, _ = scope.load(session)
    y = resolve_year(session, year)
    # A village panel's page is asked for on every click of a wall (≈ 0.1 s of queries): the page as
    # this role may read it is kept, serialised, per facts version (an import or a new check-in makes
    # a new one, so nothing stale is served). Masked here, by role: a role's page never holds another's.
    build = dataset_info(session)["build"]
    made: list[Page] = []

    def make() -> Page:
        made.append(households_page(session, caller.role, rc, y, status, page))
        return made[0]

    listed = request.app.state.responses.get_or_compute(page_key(build, caller.role, rc.value, y, status, page), make)
    if made and page == 1 and status is None:  # the town's other villages are most likely next
        siblings_of(request.app).after_made(build, caller.role, rc, year)
    if listed.rows:  # PIPL accountability: which names this caller was given (every read, cached or not)
        note_read(session, request, caller, "household_list", f"第 {page} 页 {listed.rows} 户", rc.value)
    return listed.answer.respond(request)


@router.get("/{household_id}", summary="一户的详情(按角色脱敏)")
def get_household(household_id: RecordId, request: Request, session: SessionDep, caller: Reader) -> dict:
    h = session.get(Household, household_id)
    if h is None:
        raise HTTPException(404, f"未找到编号为 {household_id} 的贫困户")
    caller.check_region(h.village_code, "该辖区以外的贫困户")
    view = person_view(caller.role)
    years = list(session.scalars(select(HouseholdYear).where(HouseholdYear.household_id == h.id)
                                 .order_by(HouseholdYear.year)))
    out = household_out(h, years[-1] if years else None, caller.role)
    out["bank_account"] = None if caller.role.value != "admin" else h.bank_account
    out["members_detail"] = [
        {"name": view.name(m.name), "id_number": view.id_number(m.id_number), "relation": m.relation,
         "sex": m.sex, "ethnicity": m.ethnicity, "education": m.education, "health": m.health,
         "labour_capacity": m.labour_capacity, "migrant_work": m.migrant_work}
        for m in session.scalars(select(Member).where(Member.household_id == h.id).order_by(Member.id))
    ]
    out["years"] = [
        {"year": r.year, "status": r.status, "status_zh": HouseholdStatus(r.status).label_zh, "members": r.members,
         "per_capita_net_income": r.per_capita_net_income, "net_income": r.net_income,
         "income": {"wage": r.income_wage, "business": r.income_business, "transfer": r.income_transfer,
                    "property": r.income_property, "production_cost": r.production_cost},
         "checks": {"food_clothing": r.food_clothing_ok, "education": not (r.school_age_children and r.dropout),
                    "medical": r.all_insured, "housing": r.housing_grade in ("A", "B") or r.relocated,
                    "housing_grade": r.housing_grade, "relocated": r.relocated, "water": r.water_safe}}
        for r in years
    ]
    out["helpers"] = [
        {"name": view.name(c.name), "unit": c.unit, "phone": view.phone(c.phone), "since": a.start_year,
         "until": a.end_year}
        for a, c in session.execute(select(Assignment, Cadre).join(Cadre, Cadre.id == Assignment.cadre_id)
                                    .where(Assignment.household_id == h.id))
    ]
    out["projects"] = [{"id": p.id, "name": p.name} for p in session.scalars(
        select(Project).join(ProjectBeneficiary, ProjectBeneficiary.project_id == Project.id)
        .where(ProjectBeneficiary.household_id == h.id))]
    out["exit_forecast"] = _exit_forecast(request, session, h.id)
    note_read(session, request, caller, "household", f"户 {h.id} ({h.household_number})", h.village_code)
    return out


def _exit_forecast(request: Request, session, household_id: int) -> dict | None:
    """预计脱贫年度 as of the latest year; None for a household not poor then (or too little history);
    status "computing" while the model is being fitted (a record never waits for it)."""
    fc = forecast_for(request, session, None, dataset_info(session), wait=0.2)
    if isinstance(fc, Pending):
        return {"status": "computing", "as_of": None, "year": None, "probability": None, "by_year": {}}
    outlook = fc.outlook(household_id) if fc is not None else None
    if outlook is None:
        return None
    return {"status": "ready", "as_of": fc.as_of, "year": outlook.year, "probability": outlook.probability,
            "by_year": {str(y): p for y, p in outlook.by_year.items()}}
