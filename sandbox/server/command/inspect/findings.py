"""Routes: findings (问题) and their rectifications (整改): list, record with photos, submit evidence,
accept or send back; the photos; an inspector's or responsible cadre's own items (the phone app)."""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Literal

from fastapi import APIRouter, HTTPException, Path, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse
from pydantic import BaseModel, Field
from sqlalchemy import func, or_, select

from sandbox.domain.enums import Role
from sandbox.domain.inspection import FindingCategory, RectificationStatus, Severity, default_deadline
from sandbox.server.bodylimit import read_json_model
from sandbox.server.checkins.photos import decode_photos, remove_photos, save_photos
from sandbox.server.checkins.schemas import MAX_BODY_BYTES, MAX_PHOTOS, BadCheckin
from sandbox.server.command.inspect.access import (
    READ_ROLES,
    Actor,
    ActorDep,
    Reader,
    member_in,
    require_region,
    subgroups_of,
)
from sandbox.server.command.inspect.plan import PAGE_SIZE, MonthQuery, PageQuery, month_or_422
from sandbox.server.command.inspect.views import finding_views, iso, rows_by_ids
from sandbox.server.deps import OptionalRegionDep, RecordId, SessionDep, settings_of
from sandbox.store.command.findings import (
    FindingError,
    NewFinding,
    StateError,
    assigned_subgroup,
    beijing_today,
    record_finding,
    responsible_cadre,
    review,
    submit_evidence,
    town_unit,
)
from sandbox.store.command.inspection import Finding, InspectionAssignment, Rectification
from sandbox.store.command.inspection_plan import ensure_month_plan
from sandbox.store.models import Cadre, Household, Project, Region

router = APIRouter(prefix="/inspections", tags=["inspections"])
_PHOTO_NAME = re.compile(r"^[0-9a-f]{32}\.(jpg|png)$")
StatusQuery = Annotated[Literal["open", "submitted", "closed", "overdue"] | None,
                        Query(description="整改状态: open 整改中, submitted 待验收, closed 已销号, overdue 逾期")]


def _photo_dir(app):
    return settings_of(app).data_dir / "inspections"


@router.get("/findings", summary="督查发现的问题及其整改 (新者在前, 分页)")
def list_findings(session: SessionDep, caller: Reader, scope: OptionalRegionDep, month: MonthQuery = None,
                  status: StatusQuery = None, page: PageQuery = 1) -> dict:
    if scope.code is not None:  # an unknown region is a 404, as everywhere
        scope.load(session)
    today = beijing_today()
    q = select(Finding.id).join(Rectification, Rectification.finding_id == Finding.id) \
        .where(Finding.village_code.startswith(scope.prefix))
    if month is not None:
        q = q.where(Finding.month == month_or_422(month))
    if status == "overdue":
        q = q.where(Rectification.status == RectificationStatus.open.value, Rectification.deadline < today)
    elif status is not None:
        q = q.where(Rectification.status == status)
    total = session.scalar(select(func.count()).select_from(q.subquery()))
    ids = list(session.scalars(q.order_by(Finding.created_at.desc(), Finding.id.desc())
                               .offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE)))
    return {"total": total, "page": page, "page_size": PAGE_SIZE, "as_of": today.isoformat(),
            "items": finding_views(session, rows_by_ids(session, ids), caller.role, today)}


def _involved(session, actor: Actor, f: Finding, r: Rectification) -> bool:
    """Whether a phone may see this item: its inspector's sub-group, or the cadre answering for it."""
    return (actor.caller.cadre_id is not None and actor.caller.cadre_id == r.responsible_cadre_id) \
        or member_in(session, actor, f.subgroup_id) is not None


def _load(session, actor: Actor, finding_id: int | None = None, rect_id: int | None = None):
    q = select(Finding, Rectification).join(Rectification, Rectification.finding_id == Finding.id)
    q = q.where(Finding.id == finding_id) if finding_id is not None else q.where(Rectification.id == rect_id)
    row = session.execute(q).first()
    if row is None:
        raise HTTPException(404, f"没有编号为 {finding_id or rect_id} 的{'问题' if finding_id else '整改'}")
    f, r = row
    require_region(actor.caller, f.village_code, f"村 {f.village_code} 的问题")
    return f, r


@router.get("/findings/{finding_id}", summary="一个问题及其整改")
def get_finding(session: SessionDep, actor: ActorDep, finding_id: RecordId) -> dict:
    f, r = _load(session, actor, finding_id=finding_id)
    if actor.caller.role not in READ_ROLES and not _involved(session, actor, f, r):
        raise HTTPException(403, "只有该问题的督查小组成员、整改责任人或领导可以查看")
    return finding_views(session, [(f, r)], actor.caller.role, beijing_today())[0]


class FindingIn(BaseModel):
    village_code: str = Field(pattern=r"^\d{12}$", description="问题所在村的 12 位区划代码")
    category: FindingCategory = Field(description="问题类别: " + "、".join(FindingCategory.labels().values()))
    severity: Severity = Field(Severity.minor, description="严重程度: minor 一般, major 较重, serious 严重")
    text: str = Field(min_length=1, max_length=2000, description="问题描述")
    household_id: int | None = Field(None, ge=1, lt=2**62, description="涉及的贫困户 (须在该村)")
    project_id: int | None = Field(None, ge=1, lt=2**31, description="涉及的产业项目")
    responsible_unit: str | None = Field(None, max_length=64, description="整改责任单位, 缺省为所在乡镇人民政府")
    responsible_cadre_id: int | None = Field(None, ge=1, lt=2**31,
                                             description="整改责任人 (干部编号), 缺省为该村第一书记或驻村干部")
    deadline: dt.date | None = Field(None, description="整改期限, 缺省按严重程度 (一般 30 天, 较重 15 天, 严重 7 天)")
    photos: list[str] = Field(default_factory=list, max_length=MAX_PHOTOS, description="照片 (base64 JPEG/PNG, 去除 EXIF)")


class EvidenceIn(BaseModel):
    note: str = Field(min_length=1, max_length=2000, description="整改情况说明")
    photos: list[str] = Field(default_factory=list, max_length=MAX_PHOTOS, description="整改照片")


class ReviewIn(BaseModel):
    accept: bool = Field(description="true 验收通过 (销号); false 退回重新整改")
    comment: str | None = Field(None, max_length=500, description="验收意见; 退回时必填")


def _body(model) -> dict:
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": model.model_json_schema()}}}}


def _decode(photos: list[str]):
    try:
        return decode_photos(photos)
    except BadCheckin as exc:
        raise HTTPException(422, str(exc)) from None


@router.post("/findings", status_code=201, summary="记录督查发现的问题 (同时生成整改任务)", max_body_size=MAX_BODY_BYTES,
             openapi_extra=_body(FindingIn),
             responses={403: {"description": "不是本月负责该村的督查小组成员"}, 422: {"description": "问题无效"}})
async def post_finding(request: Request, actor: ActorDep) -> dict:
    body = await read_json_model(request, FindingIn)
    photos = _decode(body.photos)
    view, event = await run_in_threadpool(_record, request.app, actor, body, photos)
    await run_in_threadpool(request.app.state.events.publish, "duty", event)  # a DB write with several workers
    return view


def _record(app, actor: Actor, body: FindingIn, photos) -> tuple[dict, dict]:
    caller = actor.caller
    require_region(caller, body.village_code, f"村 {body.village_code}")
    today = beijing_today()
    month = f"{today.year:04d}-{today.month:02d}"
    ensure_month_plan(app.state.sessions, month)  # as it would have been generated on the month's first day
    with app.state.sessions() as session:
        village = session.get(Region, body.village_code)
        if village is None or village.level != "village":
            raise HTTPException(422, f"区划代码 {body.village_code} 不是本县的村")
        subgroup = assigned_subgroup(session, month, village.code)
        member = member_in(session, actor, subgroup)
        if member is None and not actor.admin:
            if subgroup is None:
                raise HTTPException(403, f"{village.name}不在 {month} 的督查计划中 (督查计划只安排贫困村)")
            raise HTTPException(403, f"您不是 {month} 负责{village.name}的督查小组成员, 不能在此村记录问题")
        _check_subjects(session, body, village)
        cadre_id = body.responsible_cadre_id
        if cadre_id is not None:
            cadre = session.get(Cadre, cadre_id)
            if cadre is None or cadre.end_year is not None:
                raise HTTPException(422, f"整改责任人 {cadre_id} 不在册")
        else:
            default = responsible_cadre(session, village.code)
            cadre_id = default.id if default else None
        new = NewFinding(village_code=village.code, category=body.category.value, severity=body.severity.value,
                         text=body.text.strip(), month=month, subgroup_id=subgroup,
                         member_id=member.id if member else None,
                         responsible_unit=(body.responsible_unit or "").strip() or town_unit(session, village.code),
                         responsible_cadre_id=cadre_id, deadline=body.deadline or default_deadline(body.severity, today),
                         household_id=body.household_id, project_id=body.project_id)
        if not new.text:
            raise HTTPException(422, "请填写问题描述")
        directory = _photo_dir(app)
        new.photos = save_photos(directory, photos)
        try:
            f, r = record_finding(session, new)
            session.commit()
        except FindingError as exc:
            session.rollback()
            remove_photos(directory, new.photos)
            raise HTTPException(422, str(exc)) from None
        except BaseException:
            session.rollback()
            remove_photos(directory, new.photos)
            raise
        view = finding_views(session, [(f, r)], caller.role, today)[0]
    event = {"kind": "finding", "id": f.id, "region_code": f.village_code,
             "title": f"{village.name} {body.category.label_zh}问题", "at": iso(f.created_at)}
    return view, event


def _check_subjects(session, body: FindingIn, village: Region) -> None:
    if body.household_id is not None:
        hv = session.scalar(select(Household.village_code).where(Household.id == body.household_id))
        if hv != village.code:
            raise HTTPException(422, f"贫困户 {body.household_id} 不在{village.name}")
    if body.project_id is not None:
        pr = session.scalar(select(Project.region_code).where(Project.id == body.project_id))
        if pr is None or not (pr == village.code or pr == village.parent_code):
            raise HTTPException(422, f"产业项目 {body.project_id} 不在{village.name}或其所在乡镇")


@router.post("/rectifications/{rectification_id}/evidence", summary="整改责任人提交整改材料 (说明与照片), 待督查组验收",
             max_body_size=MAX_BODY_BYTES, openapi_extra=_body(EvidenceIn),
             responses={403: {"description": "不是整改责任人"}, 404: {"description": "没有该整改"},
                        409: {"description": "已提交待验收, 或已销号"}})
async def post_evidence(request: Request, actor: ActorDep, rectification_id: RecordId) -> dict:
    body = await read_json_model(request, EvidenceIn)
    photos = _decode(body.photos)
    view, event = await run_in_threadpool(_evidence, request.app, actor, rectification_id, body, photos)
    await run_in_threadpool(request.app.state.events.publish, "duty", event)  # a DB write with several workers
    return view


def _evidence(app, actor: Actor, rect_id: int, body: EvidenceIn, photos) -> tuple[dict, dict]:
    with app.state.sessions() as session:
        f, r = _load(session, actor, rect_id=rect_id)
        if not actor.admin and (actor.caller.cadre_id is None or actor.caller.cadre_id != r.responsible_cadre_id):
            raise HTTPException(403, f"只有整改责任人 ({r.responsible_unit}) 可以提交整改材料")
        directory = _photo_dir(app)
        names = save_photos(directory, photos)
        try:
            submit_evidence(session, r, body.note, names)
            session.commit()
        except (StateError, FindingError) as exc:
            session.rollback()
            remove_photos(directory, names)
            raise HTTPException(409 if isinstance(exc, StateError) else 422, str(exc)) from None
        except BaseException:
            session.rollback()
            remove_photos(directory, names)
            raise
        return finding_views(session, [(f, r)], actor.caller.role, beijing_today())[0], _event(session, f, r)


def _event(session, f: Finding, r: Rectification) -> dict:
    name = session.scalar(select(Region.name).where(Region.code == f.village_code)) or f.village_code
    return {"kind": "rectification", "id": r.id, "region_code": f.village_code,
            "title": f"{name} 整改{RectificationStatus(r.status).label_zh}", "at": iso(dt.datetime.now(dt.UTC)
                                                                                   .replace(tzinfo=None))}


@router.post("/rectifications/{rectification_id}/review", summary="督查组验收整改: 通过则销号, 否则退回 (须说明理由)",
             openapi_extra=_body(ReviewIn),
             responses={403: {"description": "不是该问题督查小组的成员"}, 409: {"description": "不在待验收状态"}})
async def post_review(request: Request, actor: ActorDep, rectification_id: RecordId) -> dict:
    body = await read_json_model(request, ReviewIn)
    view, event = await run_in_threadpool(_review, request.app, actor, rectification_id, body)
    await run_in_threadpool(request.app.state.events.publish, "duty", event)  # a DB write with several workers
    return view


def _review(app, actor: Actor, rect_id: int, body: ReviewIn) -> tuple[dict, dict]:
    with app.state.sessions() as session:
        f, r = _load(session, actor, rect_id=rect_id)
        if not actor.admin and member_in(session, actor, f.subgroup_id) is None:
            raise HTTPException(403, "只有发现该问题的督查小组成员可以验收")
        try:
            review(session, r, body.accept, body.comment)
            session.commit()
        except (StateError, FindingError) as exc:
            session.rollback()
            raise HTTPException(409 if isinstance(exc, StateError) else 422, str(exc)) from None
        return finding_views(session, [(f, r)], actor.caller.role, beijing_today())[0], _event(session, f, r)


@router.get("/photos/{name}", summary="问题或整改的照片", response_class=FileResponse)
async def photo(request: Request, actor: ActorDep,
                name: Annotated[str, Path(max_length=40, description="照片文件名")]) -> FileResponse:
    if not _PHOTO_NAME.match(name):
        raise HTTPException(404, "没有这张照片")

    def allowed() -> bool:
        with request.app.state.sessions() as session:
            row = session.execute(select(Finding, Rectification)
                                  .join(Rectification, Rectification.finding_id == Finding.id)
                                  .where(or_(Finding.photos.contains(name), Rectification.evidence_photos.contains(name)))
                                  .limit(1)).first()
            if row is None or not actor.caller.may_see(row[0].village_code):
                return False
            return actor.caller.role in READ_ROLES or _involved(session, actor, *row)

    path = _photo_dir(request.app) / name
    if actor.caller.role is Role.delegation or not await run_in_threadpool(allowed) or not path.is_file():
        raise HTTPException(404, "没有这张照片")
    return FileResponse(path, media_type="image/png" if name.endswith(".png") else "image/jpeg",
                        headers={"Cache-Control": "private, max-age=31536000, immutable"})


@router.get("/mine", summary="手机端: 我本月要督查的村、待我验收的整改、我负责的整改、我所在小组记录的问题")
def mine(request: Request, session: SessionDep, actor: ActorDep, page: PageQuery = 1) -> dict:
    if actor.caller.role not in (Role.cadre, Role.leader, Role.admin):
        raise HTTPException(403, "此功能仅供督查组成员与帮扶干部使用")
    today = beijing_today()
    month = f"{today.year:04d}-{today.month:02d}"
    subs = subgroups_of(session, actor)
    villages = []
    if subs:
        ensure_month_plan(request.app.state.sessions, month)  # as it would have been generated on its first day
        villages = [{"code": c, "name": n} for c, n in session.execute(
            select(InspectionAssignment.village_code, Region.name)
            .join(Region, Region.code == InspectionAssignment.village_code)
            .where(InspectionAssignment.month == month, InspectionAssignment.subgroup_id.in_(subs))
            .order_by(InspectionAssignment.village_code))]
    base = select(Finding.id).join(Rectification, Rectification.finding_id == Finding.id)
    to_accept = list(session.scalars(base.where(Finding.subgroup_id.in_(subs),
                                                Rectification.status == RectificationStatus.submitted.value)
                                     .order_by(Rectification.submitted_at).limit(PAGE_SIZE))) if subs else []
    to_rectify = list(session.scalars(base.where(Rectification.responsible_cadre_id == actor.caller.cadre_id,
                                                 Rectification.status != RectificationStatus.closed.value)
                                      .order_by(Rectification.deadline, Rectification.id).limit(PAGE_SIZE))) \
        if actor.caller.cadre_id is not None else []
    recorded_q = base.where(Finding.subgroup_id.in_(subs)) if subs else None
    recorded, total = [], 0
    if recorded_q is not None:
        total = session.scalar(select(func.count()).select_from(recorded_q.subquery()))
        recorded = list(session.scalars(recorded_q.order_by(Finding.created_at.desc(), Finding.id.desc())
                                        .offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE)))
    role = actor.caller.role

    def views(ids):
        return finding_views(session, rows_by_ids(session, ids), role, today)

    out = {"month": month, "inspector": bool(subs), "subgroups": sorted(subs), "villages": villages,
           "to_accept": views(to_accept), "to_rectify": views(to_rectify),
           "recorded": {"total": total, "page": page, "page_size": PAGE_SIZE, "items": views(recorded)},
           "categories": FindingCategory.labels(), "severities": Severity.labels()}
    if role is Role.leader:  # a leader follows the findings of the area their phone is bound to
        area = area_findings(session, actor.caller, today)
        out["area"] = {**area, "items": views(area["items"])}
    return out


def area_findings(session, caller, today: dt.date) -> dict:
    """A leader's area (a town's villages, the county): counts, and the findings not yet closed, the
    overdue and nearest deadlines first. By the region's code prefix, as every scoped read."""
    prefix = caller.region.prefix if caller.region is not None else ""
    base = select(Finding.id).join(Rectification, Rectification.finding_id == Finding.id) \
        .where(Finding.village_code.startswith(prefix))
    unclosed = base.where(Rectification.status != RectificationStatus.closed.value)

    def count(q) -> int:
        return session.scalar(select(func.count()).select_from(q.subquery()))

    return {"total": count(base), "unclosed": count(unclosed),
            "overdue": count(unclosed.where(Rectification.status == RectificationStatus.open.value,
                                            Rectification.deadline < today)),
            "page_size": PAGE_SIZE,
            "items": list(session.scalars(unclosed.order_by(Rectification.deadline, Finding.id).limit(PAGE_SIZE)))}
