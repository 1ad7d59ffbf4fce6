"""The public views of a household and a project, read from the store and masked for the `public` role."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from sandbox.domain.enums import (
    ExitBatch,
    FundLevel,
    HouseholdAttribute,
    HouseholdStatus,
    HousingGrade,
    Industry,
    ProjectStage,
    Role,
)
from sandbox.domain.masking import person_view
from sandbox.domain.public import (
    FundRow,
    HouseholdPublic,
    Link,
    LinkMode,
    Measure,
    ProjectPublic,
    SlugKind,
    VillageCount,
)
from sandbox.store import queries
from sandbox.store.models import (
    Assignment,
    Cadre,
    Checkin,
    FundAllocation,
    FundPayment,
    FundSource,
    Household,
    HouseholdYear,
    Project,
    ProjectBeneficiary,
    ProjectProgress,
    PublicSlug,
    Region,
)
from sandbox.store.public import ensure_slugs, resolve_slug

__all__ = ["PUBLIC", "page_subject", "household_view", "project_view", "village_cards", "Site", "site_of"]

PUBLIC = person_view(Role.public)


def _label(enum, value) -> str | None:
    if value is None:
        return None
    try:
        return enum(value).label_zh
    except ValueError:
        return str(value)


class Site:
    """What every page's frame says: whose notice this is and as of when."""

    def __init__(self, county: str, as_of: str | None, demo: bool) -> None:
        self.county, self.as_of, self.demo = county, as_of, demo


def site_of(session: Session) -> Site:
    meta = queries.meta(session)
    as_of = meta.get("data_as_of")
    if as_of:
        try:
            as_of = dt.datetime.fromisoformat(as_of).strftime("%Y年%-m月%-d日")
        except ValueError:
            as_of = None
    return Site(meta.get("county_name") or "", as_of, meta.get("demo") == "true")


def _place(session: Session, code: str) -> str:
    """"百泉镇 新民村": the town and the village, never closer than that."""
    region = session.get(Region, code)
    if region is None:
        return code
    parent = session.get(Region, region.parent_code) if region.parent_code and region.level == "village" else None
    return f"{parent.name} {region.name}" if parent is not None and parent.level == "town" else region.name


def page_subject(session: Session, slug: str) -> HouseholdPublic | ProjectPublic | None:
    """The page an active slug opens; None for an unknown or revoked slug, or one whose record is gone."""
    found = resolve_slug(session, slug)
    if found is None:
        return None
    kind, subject_id = found
    if kind is SlugKind.household:
        return household_view(session, subject_id, slug)
    return project_view(session, subject_id, slug)


# -- household ---------------------------------------------------------------------------------------

def household_view(session: Session, household_id: int, slug: str) -> HouseholdPublic | None:
    h = session.get(Household, household_id)
    if h is None:
        return None
    hy = session.scalars(select(HouseholdYear).where(HouseholdYear.household_id == h.id)
                         .order_by(HouseholdYear.year.desc()).limit(1)).first()
    year = hy.year if hy is not None else None
    cadre = _helper(session, h.id, year)
    links = _links(session, h.id)
    visits, last_visit = _visits(session, h.id, year)
    view = HouseholdPublic(
        slug=slug, head_masked=PUBLIC.name(h.head_name) or "", village=_place(session, h.village_code),
        region_code=h.village_code, members=hy.members if hy else None,
        status_zh=_label(HouseholdStatus, hy.status) if hy else None, year=year,
        exit_path_zh=_label(ExitBatch, h.exit_batch),
        cadre_name=cadre.name if cadre else None, cadre_unit=cadre.unit if cadre else None,
        cadre_phone=cadre.phone if cadre else None, links=links, visits_this_year=visits, last_visit=last_visit)
    view.measures = _measures(h, hy, view)
    return view


def _visits(session: Session, household_id: int, year: int | None) -> tuple[int, str | None]:
    """Effective visits in `year`, and the month of the last one ever ("2017年11月"): a date, never a place."""
    in_year = (Checkin.at >= dt.datetime(year, 1, 1)) & (Checkin.at < dt.datetime(year + 1, 1, 1)) \
        if year is not None else Checkin.id.is_(None)
    count, last = session.execute(
        select(func.sum(case((in_year, 1), else_=0)), func.max(Checkin.at))
        .where(Checkin.household_id == household_id, Checkin.effective.is_(True))).one()
    return int(count or 0), (f"{last.year}年{last.month}月" if last is not None else None)


def _helper(session: Session, household_id: int, year: int | None) -> Cadre | None:
    """The household's 帮扶责任人 in `year` (the assignment running then), else its latest one."""
    q = (select(Cadre).join(Assignment, Assignment.cadre_id == Cadre.id)
         .where(Assignment.household_id == household_id))
    if year is not None:
        running = q.where(Assignment.start_year <= year,
                          (Assignment.end_year.is_(None)) | (Assignment.end_year > year))
        found = session.scalars(running.order_by(Assignment.start_year.desc(), Assignment.id.desc()).limit(1)).first()
        if found is not None:
            return found
    return session.scalars(q.order_by(Assignment.start_year.desc(), Assignment.id.desc()).limit(1)).first()


def _links(session: Session, household_id: int) -> list[Link]:
    """Its projects with the terms, and each project's own page (one query)."""
    rows = session.execute(
        select(Project.id, Project.name, Project.industry, ProjectBeneficiary.link_mode,
               ProjectBeneficiary.yearly_income, PublicSlug.slug)
        .join(ProjectBeneficiary, ProjectBeneficiary.project_id == Project.id)
        .outerjoin(PublicSlug, (PublicSlug.kind == SlugKind.project.value) & (PublicSlug.subject_id == Project.id)
                   & PublicSlug.revoked_at.is_(None))
        .where(ProjectBeneficiary.household_id == household_id).order_by(Project.id, PublicSlug.created_at)).all()
    out, seen = [], set()
    for pid, name, industry, mode, income, slug in rows:
        if pid in seen:  # two active slugs for one project (made at once by two prints): the first one
            continue
        seen.add(pid)
        out.append(Link(project_name=PUBLIC.text(name) or "", industry_zh=_label(Industry, industry) or "",
                        mode_zh=_label(LinkMode, mode), yearly_income=income, project_slug=slug))
    return out


def _measures(h: Household, hy: HouseholdYear | None, v: HouseholdPublic) -> list[Measure]:
    """This year's help and safeguards, read off the household's own record (no free text)."""
    out: list[Measure] = []
    if v.links:
        earned = v.yearly_from_projects
        out.append(Measure("产业帮扶", f"联结 {len(v.links)} 个产业项目"
                           + (f", 年收益约\u00a0{earned:,.0f}\u00a0元" if earned else "")))  # NBSP: never 约 | 11,000
    if v.cadre_name:
        seen = f"今年走访 {v.visits_this_year} 次" if v.visits_this_year else \
            (f"最近一次走访 {v.last_visit}" if v.last_visit else "")
        out.append(Measure("结对帮扶", f"帮扶责任人 {v.cadre_name}" + (f", {seen}" if seen else "")))
    if hy is not None and hy.status == HouseholdStatus.closed.value:
        return out  # 销户 (deceased, misidentified): no safeguards to list
    if h.attribute in (HouseholdAttribute.dibao.value, HouseholdAttribute.tekun.value):
        out.append(Measure("兜底保障", "纳入" + ("低保" if h.attribute == HouseholdAttribute.dibao.value else "特困供养")))
    if hy is None:
        return out
    if hy.school_age_children:
        out.append(Measure("教育保障", "义务教育阶段子女落实教育资助" + (", 控辍保学跟踪" if hy.dropout else "")))
    out.append(Measure("医疗保障", "家庭成员全部参加基本医疗保险" if hy.all_insured else "督促家庭成员参保"))
    if hy.relocated:
        out.append(Measure("住房保障", "易地扶贫搬迁, 已搬迁入住"))
    else:
        try:
            grade = HousingGrade(hy.housing_grade)
        except ValueError:
            grade = None
        if grade is not None:
            out.append(Measure("住房保障", f"住房{grade.label_zh}, 安全" if grade.safe else f"住房为{grade.label_zh}, 纳入危房改造"))
    out.append(Measure("饮水安全", "已保障" if hy.water_safe else "纳入饮水安全工程"))
    return out


# -- project -----------------------------------------------------------------------------------------

def project_view(session: Session, project_id: int, slug: str) -> ProjectPublic | None:
    p = session.get(Project, project_id)
    if p is None:
        return None
    history = session.execute(select(ProjectProgress.stage, func.min(ProjectProgress.date), func.max(ProjectProgress.date))
                              .where(ProjectProgress.project_id == p.id).group_by(ProjectProgress.stage)).all()
    reached = {stage: first for stage, first, _ in history}
    last = max((latest for *_, latest in history), default=None)
    stages = [(s.label_zh, reached[s.value].isoformat() if s.value in reached else None) for s in ProjectStage]
    view = ProjectPublic(
        slug=slug, name=PUBLIC.text(p.name) or "", industry_zh=_label(Industry, p.industry) or "",
        batch_zh=_label(ExitBatch, p.batch) or "", place=_place(session, p.region_code), region_code=p.region_code,
        budget=float(p.budget or 0), stage_zh=_label(ProjectStage, p.stage) or "", progress=float(p.progress or 0),
        progress_date=last.isoformat() if last else None, planned_year=p.planned_year, started_year=p.started_year,
        description=PUBLIC.text(p.description), stages=stages, funds=_funds(session, p.id))
    _beneficiaries(session, p.id, view)
    return view


def _beneficiaries(session: Session, project_id: int, view: ProjectPublic) -> None:
    """利益联结 as counts per village (households, people as of the latest year): never a name."""
    latest = session.scalar(select(func.max(HouseholdYear.year)))
    rows = session.execute(
        select(Region.code, Region.name, func.count(), func.sum(HouseholdYear.members),
               func.sum(case((HouseholdYear.status == HouseholdStatus.exited.value, 1), else_=0)))
        .select_from(ProjectBeneficiary)
        .join(Household, Household.id == ProjectBeneficiary.household_id)
        .join(Region, Region.code == Household.village_code)
        .outerjoin(HouseholdYear, (HouseholdYear.household_id == Household.id) & (HouseholdYear.year == latest))
        .where(ProjectBeneficiary.project_id == project_id)
        .group_by(Region.code, Region.name).order_by(func.count().desc(), Region.code)).all()
    view.villages = [VillageCount(name, int(n), int(people or 0)) for _, name, n, people, _ in rows]
    view.households = sum(v.households for v in view.villages)
    view.people = sum(v.people for v in view.villages)
    view.exited_households = sum(int(e or 0) for *_, e in rows)


def _funds(session: Session, project_id: int) -> list[FundRow]:
    paid = (select(FundPayment.allocation_id, func.sum(FundPayment.amount).label("paid"))
            .group_by(FundPayment.allocation_id).subquery())
    rows = session.execute(
        select(FundAllocation.year, FundSource.level, FundSource.fund_type, FundSource.document_number,
               FundAllocation.allocated, FundAllocation.arrived, FundAllocation.reimbursed,
               func.coalesce(paid.c.paid, 0.0))
        .outerjoin(FundSource, FundSource.id == FundAllocation.source_id)
        .outerjoin(paid, paid.c.allocation_id == FundAllocation.id)
        .where(FundAllocation.project_id == project_id).order_by(FundAllocation.year, FundAllocation.id)).all()
    out = []
    for year, level, ftype, doc, allocated, arrived, reimbursed, spent in rows:
        # the fund's own name says its level (中央财政专项扶贫资金); the level alone where it has none
        source = PUBLIC.text(ftype) or _label(FundLevel, level) or "扶贫资金"
        out.append(FundRow(int(year), source, PUBLIC.text(doc), float(allocated or 0), float(arrived or 0),
                           float(reimbursed or 0), float(spent or 0)))
    return out


# -- cards -------------------------------------------------------------------------------------------

def village_cards(session: Session, village_code: str) -> list[HouseholdPublic]:
    """The 利益联结明白卡 of a village: every household there linked to a project and not closed, with
    its slug (made now for a household that has none), in household-number order."""
    ids = [i for (i,) in session.execute(
        select(Household.id).join(ProjectBeneficiary, ProjectBeneficiary.household_id == Household.id)
        .where(Household.village_code == village_code).distinct()
        .order_by(Household.id)).all()]
    if not ids:
        return []
    project_ids = [i for (i,) in session.execute(
        select(ProjectBeneficiary.project_id).where(ProjectBeneficiary.household_id.in_(ids)).distinct()).all()]
    ensure_slugs(session, SlugKind.project, project_ids)  # so each card can name its project's page
    slugs = ensure_slugs(session, SlugKind.household, ids)
    numbers = dict(session.execute(select(Household.id, Household.household_number).where(Household.id.in_(ids))).all())
    cards = [household_view(session, i, slugs[i]) for i in sorted(ids, key=lambda i: numbers[i])]
    # a closed household (销户: deceased, misidentified) keeps its page, but gets no card on a door
    return [c for c in cards if c is not None and c.status_zh != HouseholdStatus.closed.label_zh]
