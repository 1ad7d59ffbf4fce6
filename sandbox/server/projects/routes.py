"""Routes: GET /projects?region=&year= and GET /projects/{id}?year= (stage and progress as of that year)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException
from sqlalchemy import case, func, select

from sandbox.domain.enums import ExitBatch, Industry, ProjectStage
from sandbox.domain.masking import person_view
from sandbox.server.deps import (
    AGGREGATE_ROLES,
    Caller,
    RecordId,
    RegionDep,
    SessionDep,
    YearQuery,
    allow,
    region_or_404,
)
from sandbox.store.models import (
    Camera,
    FundAllocation,
    FundPayment,
    Household,
    HouseholdYear,
    Project,
    ProjectBeneficiary,
    ProjectProgress,
    Region,
)
from sandbox.store.queries import within

router = APIRouter(prefix="/projects", tags=["projects"])
Reader = Annotated[Caller, Depends(allow(*AGGREGATE_ROLES))]


def _label(enum, value):
    try:
        return enum(value).label_zh
    except ValueError:
        return value


def _as_of_year(session, ids: list[int], year: int) -> dict[int, tuple[str, float, str]]:
    """Each project's last progress record up to the end of `year`: (stage, progress, date)."""
    end = dt.date(year, 12, 31)
    last = (select(ProjectProgress.project_id, func.max(ProjectProgress.date).label("d"))
            .where(ProjectProgress.project_id.in_(ids), ProjectProgress.date <= end)
            .group_by(ProjectProgress.project_id).subquery())
    out: dict[int, tuple[str, float, str]] = {}
    rows = session.execute(select(ProjectProgress.project_id, ProjectProgress.stage, ProjectProgress.progress,
                                  ProjectProgress.date, ProjectProgress.id)
                           .join(last, (last.c.project_id == ProjectProgress.project_id) & (last.c.d == ProjectProgress.date))
                           .order_by(ProjectProgress.id))
    for pid, stage, progress, date, _ in rows:  # the same day twice: the later record wins
        out[pid] = (stage, progress, date.isoformat())
    return out


def _project_out(p: Project, beneficiaries: int, cameras: list[int], funds: dict, caller: Caller,
                 as_of: tuple[str, float, str] | None = None, year: int | None = None) -> dict:
    """A project; with `year`, its stage and progress as they stood at the end of that year (项目库, 0 %
    before its first record), and `as_of` the date of the record they come from."""
    stage, progress, as_of_date = p.stage, p.progress, None
    if year is not None:
        stage, progress, as_of_date = as_of or (ProjectStage.pool.value, 0.0, None)
    view = person_view(caller.role)
    return {
        "id": p.id, "name": view.text(p.name), "industry": p.industry, "industry_zh": _label(Industry, p.industry),
        "category": p.industry, "batch": p.batch, "batch_zh": _label(ExitBatch, p.batch),
        "region_code": p.region_code, "lon": p.lon, "lat": p.lat, "budget": p.budget,
        "stage": stage, "stage_zh": _label(ProjectStage, stage), "progress": progress,
        "stage_year": year, "stage_as_of": as_of_date,
        "planned_year": p.planned_year, "started_year": p.started_year, "description": view.text(p.description),
        "beneficiary_households": beneficiaries, "camera_ids": cameras, "funds": funds,
    }


@router.get("", summary="产业项目")
def list_projects(session: SessionDep, caller: Reader, scope: RegionDep, year: YearQuery = None) -> list[dict]:
    rc, _ = scope.load(session)
    return _projects(session, caller, rc, year)


def _projects(session, caller: Caller, rc, year: int | None = None) -> list[dict]:
    where = [within(Project.region_code, rc, db=session)]
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
    as_of = _as_of_year(session, ids, year) if year is not None else {}
    alloc = {r[0]: r[1:] for r in session.execute(
        select(FundAllocation.project_id, func.sum(FundAllocation.allocated), func.sum(FundAllocation.arrived))
        .where(FundAllocation.project_id.in_(ids)).group_by(FundAllocation.project_id))}
    return [_project_out(p, benef.get(p.id, 0), cams.get(p.id, []), {
        "allocated": round(alloc.get(p.id, (0, 0))[0] or 0, 2), "arrived": round(alloc.get(p.id, (0, 0))[1] or 0, 2),
        "paid": round(paid.get(p.id, 0) or 0, 2)}, caller, as_of.get(p.id), year) for p in projects]


@router.get("/{project_id}", summary="项目详情: 进度历史 (year: 阶段与进度截至该年底)")
def get_project(project_id: RecordId, session: SessionDep, caller: Reader, year: YearQuery = None) -> dict:
    p = session.get(Project, project_id)
    if p is None:
        raise HTTPException(404, f"未找到编号为 {project_id} 的项目")
    rc, _ = region_or_404(session, p.region_code, caller)
    out = _projects(session, caller, rc)  # every year's projects: this one may be planned later
    item = next(x for x in out if x["id"] == p.id)
    history = select(ProjectProgress).where(ProjectProgress.project_id == p.id)
    if year is not None:  # the card of a past year shows the history up to that year, not what came after
        history = history.where(ProjectProgress.date <= dt.date(year, 12, 31))
        stage, progress, as_of = _as_of_year(session, [p.id], year).get(p.id) or (ProjectStage.pool.value, 0.0, None)
        item.update(stage=stage, stage_zh=_label(ProjectStage, stage), progress=progress, stage_year=year,
                    stage_as_of=as_of)
    item["history"] = [{"date": h.date.isoformat(), "stage": h.stage, "stage_zh": _label(ProjectStage, h.stage),
                        "progress": h.progress}
                       for h in session.scalars(history.order_by(ProjectProgress.date, ProjectProgress.id))]
    item["beneficiaries"] = _beneficiaries(session, p.id, year)
    return item


def _beneficiaries(session, project_id: int, year: int | None = None) -> dict:
    """利益联结 as aggregates only (households and people per village, status at the end of `year`, or
    of the latest year): a wall card needs the reach of a project, never a person."""
    latest = session.scalar(select(func.max(HouseholdYear.year)))
    if year is not None and latest is not None:
        latest = min(int(year), int(latest))
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
