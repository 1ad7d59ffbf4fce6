"""Routes: GET /projects?region=&year= and GET /projects/{id}."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query
from sqlalchemy import case, func, select

from sandbox.domain.enums import ExitBatch, Industry, ProjectStage
from sandbox.domain.masking import person_view
from sandbox.server.deps import AGGREGATE_ROLES, Caller, RecordId, RegionDep, SessionDep, YearQuery, allow, region_or_404
from sandbox.store.models import (
    Camera, FundAllocation, FundPayment, Household, HouseholdYear, Project, ProjectBeneficiary, ProjectProgress, Region,
)

router = APIRouter(prefix="/projects", tags=["projects"])
Reader = Annotated[Caller, Depends(allow(*AGGREGATE_ROLES))]


def _label(enum, value):
    try:
        return enum(value).label_zh
    except ValueError:
        return value


def _project_out(p: Project, beneficiaries: int, cameras: list[int], funds: dict, caller: Caller) -> dict:
    view = person_view(caller.role)
    return {
        "id": p.id, "name": view.text(p.name), "industry": p.industry, "industry_zh": _label(Industry, p.industry),
        "category": p.industry, "batch": p.batch, "batch_zh": _label(ExitBatch, p.batch),
        "region_code": p.region_code, "lon": p.lon, "lat": p.lat, "budget": p.budget,
        "stage": p.stage, "stage_zh": _label(ProjectStage, p.stage), "progress": p.progress,
        "planned_year": p.planned_year, "started_year": p.started_year, "description": view.text(p.description),
        "beneficiary_households": beneficiaries, "camera_ids": cameras, "funds": funds,
    }


@router.get("", summary="产业项目")
def list_projects(session: SessionDep, caller: Reader, scope: RegionDep, year: YearQuery = None) -> list[dict]:
    rc, _ = scope.load(session)
    return _projects(session, caller, rc, year)


def _projects(session, caller: Caller, rc, year: int | None = None) -> list[dict]:
    where = [Project.region_code.like(rc.prefix + "%")]
    if year is not None:
        where.append(Project.planned_year <= year)
    projects = list(session.scalars(select(Project).where(*where).order_by(Project.id)))
    ids = [p.id for p in projects]
    benef = dict(session.execute(select(ProjectBeneficiary.project_id, func.count())
                                 .where(ProjectBeneficiary.project_id.in_(ids)).group_by(ProjectBeneficiary.project_id)).all())
    cams: dict[int, list[int]] = {}
    for pid, cid in session.execute(select(Camera.project_id, Camera.id).where(Camera.project_id.in_(ids))):
        cams.setdefault(pid, []).append(cid)
    paid = dict(session.execute(select(FundAllocation.project_id, func.sum(FundPayment.amount))
                                .join(FundPayment, FundPayment.allocation_id == FundAllocation.id)
                                .where(FundAllocation.project_id.in_(ids)).group_by(FundAllocation.project_id)).all())
    alloc = {r[0]: r[1:] for r in session.execute(
        select(FundAllocation.project_id, func.sum(FundAllocation.allocated), func.sum(FundAllocation.arrived))
        .where(FundAllocation.project_id.in_(ids)).group_by(FundAllocation.project_id))}
    return [_project_out(p, benef.get(p.id, 0), cams.get(p.id, []), {
        "allocated": round(alloc.get(p.id, (0, 0))[0] or 0, 2), "arrived": round(alloc.get(p.id, (0, 0))[1] or 0, 2),
        "paid": round(paid.get(p.id, 0) or 0, 2)}, caller) for p in projects]


@router.get("/{project_id}", summary="项目详情: 进度历史")
def get_project(project_id: RecordId, session: SessionDep, caller: Reader) -> dict:
    p = session.get(Project, project_id)
    if p is None:
        raise HTTPException(404, f"未找到编号为 {project_id} 的项目")
    rc, _ = region_or_404(session, p.region_code, caller)
    out = _projects(session, caller, rc)
    item = next(x for x in out if x["id"] == p.id)
    item["history"] = [{"date": h.date.isoformat(), "stage": h.stage, "stage_zh": _label(ProjectStage, h.stage),
                        "progress": h.progress}
                       for h in session.scalars(select(ProjectProgress).where(ProjectProgress.project_id == p.id)
                                                .order_by(ProjectProgress.date, ProjectProgress.id))]
    item["beneficiaries"] = _beneficiaries(session, p.id)
    return item


def _beneficiaries(session, project_id: int) -> dict:
    """利益联结 as aggregates only (households and people per village, status in the latest year):
    a wall card needs the reach of a project, never a person."""
    latest = session.scalar(select(func.max(HouseholdYear.year)))
    rows = session.execute(
        select(Household.village_code, Region.name, func.count(), func.sum(HouseholdYear.members),
               func.sum(case((HouseholdYear.status.in_(("exited",)), 1), else_=0)))
        .join(ProjectBeneficiary, ProjectBeneficiary.household_id == Household.id)
        .join(Region, Region.code == Household.village_code)
        .outerjoin(HouseholdYear, (HouseholdYear.household_id == Household.id) & (HouseholdYear.year == latest))
        .where(ProjectBeneficiary.project_id == project_id)
        .group_by(Household.village_code, Region.name).order_by(func.count().desc(), Household.village_code)).all()
    villages = [{"code": c, "name": n, "households": int(h), "people": int(m or 0), "exited_households": int(e or 0)}
                for c, n, h, m, e in rows]
    return {"households": sum(v["households"] for v in villages), "people": sum(v["people"] for v in villages),
            "exited_households": sum(v["exited_households"] for v in villages), "year": latest, "villages": villages}
