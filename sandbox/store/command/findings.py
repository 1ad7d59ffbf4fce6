"""Findings and their rectifications in the store: record, submit evidence, accept or send back; who is on
which sub-group; the 督办 sources for both."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from sandbox.domain.inspection import FindingCategory, RectificationStatus, Severity
from sandbox.store.command.inspection import Finding, InspectionAssignment, InspectionMember, Rectification
from sandbox.store.models import Cadre, Region

if TYPE_CHECKING:
    from sandbox.store.command.duty import DutyItem

__all__ = ["FindingError", "StateError", "NewFinding", "record_finding", "submit_evidence", "review",
           "is_overdue", "members_of", "responsible_cadre", "beijing_today", "finding_items", "rectification_items"]

CHINA = dt.timezone(dt.timedelta(hours=8))


class FindingError(ValueError):
    """Input that cannot make a finding (Chinese message): 422."""


class StateError(ValueError):
    """An action the item's state does not allow (Chinese message): 409."""


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def beijing_today(now_utc: dt.datetime | None = None) -> dt.date:
    return ((now_utc or utcnow()) + dt.timedelta(hours=8)).date()


def _beijing_date(at_utc: dt.datetime) -> dt.date:
    return (at_utc + dt.timedelta(hours=8)).date()


@dataclass
class NewFinding:
    village_code: str
    category: str
    severity: str
    text: str
    month: str
    subgroup_id: int | None
    member_id: int | None
    responsible_unit: str
    responsible_cadre_id: int | None
    deadline: dt.date
    household_id: int | None = None
    project_id: int | None = None
    photos: list[str] = field(default_factory=list)


def record_finding(session: Session, new: NewFinding, now: dt.datetime | None = None) -> tuple[Finding, Rectification]:
    """The finding and its rectification, in the session's transaction (flushed, not committed)."""
    now = now or utcnow()
    FindingCategory(new.category)
    Severity(new.severity)
    if new.deadline < beijing_today(now):
        raise FindingError(f"整改期限 {new.deadline.isoformat()} 已过, 应不早于今天 ({beijing_today(now).isoformat()})")
    f = Finding(month=new.month, subgroup_id=new.subgroup_id, member_id=new.member_id, village_code=new.village_code,
                household_id=new.household_id, project_id=new.project_id, category=new.category,
                severity=new.severity, text=new.text, photos=json.dumps(new.photos), created_at=now)
    session.add(f)
    session.flush()
    r = Rectification(finding_id=f.id, village_code=new.village_code, responsible_unit=new.responsible_unit,
                      responsible_cadre_id=new.responsible_cadre_id, deadline=new.deadline,
                      status=RectificationStatus.open.value, evidence_photos="[]", rejections=0)
    session.add(r)
    session.flush()
    return f, r


def submit_evidence(session: Session, rect: Rectification, note: str, photos: list[str],
                    now: dt.datetime | None = None) -> Rectification:
    """整改中 → 待验收 with the evidence (note and photos). StateError unless it is 整改中."""
    if rect.status == RectificationStatus.closed.value:
        raise StateError("该整改已验收销号, 不能再提交整改材料")
    if rect.status == RectificationStatus.submitted.value:
        raise StateError("整改材料已提交, 正等待督查组验收; 验收退回后才能重新提交")
    if not note.strip():
        raise FindingError("请填写整改情况说明")
    rect.status = RectificationStatus.submitted.value
    rect.evidence_note = note.strip()
    rect.evidence_photos = json.dumps(photos)
    rect.submitted_at = now or utcnow()
    session.flush()
    return rect


def review(session: Session, rect: Rectification, accept: bool, comment: str | None,
           now: dt.datetime | None = None) -> Rectification:
    """待验收 → 已销号 (accepted), or back to 整改中 with the reason (rejected)."""
    if rect.status != RectificationStatus.submitted.value:
        state = RectificationStatus(rect.status).label_zh
        raise StateError(f"该整改当前为「{state}」, 只有待验收的整改才能验收或退回")
    now = now or utcnow()
    if accept:
        rect.status = RectificationStatus.closed.value
        rect.closed_at = now
        rect.closed_on_time = _beijing_date(rect.submitted_at) <= rect.deadline
        rect.review_comment = (comment or "").strip() or None
    else:
        if not (comment or "").strip():
            raise FindingError("退回整改须说明理由")
        rect.status = RectificationStatus.open.value
        rect.review_comment = comment.strip()
        rect.rejections += 1
    session.flush()
    return rect


def is_overdue(rect: Rectification, today: dt.date) -> bool:
    """Overdue: still the responsible unit's to do (整改中) after its deadline day. Evidence awaiting the
    inspector is not overdue for the unit; a rejection puts it back and the clock counts again."""
    return rect.status == RectificationStatus.open.value and today > rect.deadline


def members_of(session: Session, cadre_id: int | None, device_id: int | None) -> list[InspectionMember]:
    """The sub-group memberships of a cadre or of a leader's phone."""
    conds = []
    if cadre_id is not None:
        conds.append(InspectionMember.cadre_id == cadre_id)
    if device_id is not None:
        conds.append(InspectionMember.device_id == device_id)
    if not conds:
        return []
    return list(session.scalars(select(InspectionMember).where(or_(*conds)).order_by(InspectionMember.id)))


def assigned_subgroup(session: Session, month: str, village_code: str) -> int | None:
    return session.scalar(select(InspectionAssignment.subgroup_id).where(
        InspectionAssignment.month == month, InspectionAssignment.village_code == village_code))


def responsible_cadre(session: Session, village_code: str) -> Cadre | None:
    """Who answers for a village's rectification by default: its 第一书记, else a 驻村工作队 member,
    else a 镇干部 of its town (in office, lowest id first)."""
    town = village_code[:9] + "000"
    for role, code in (("first_secretary", village_code), ("village_team", village_code), ("town_cadre", town)):
        c = session.scalar(select(Cadre).where(Cadre.role == role, Cadre.region_code == code,
                                               Cadre.end_year.is_(None)).order_by(Cadre.id).limit(1))
        if c is not None:
            return c
    return None


def town_unit(session: Session, village_code: str) -> str:
    name = session.scalar(select(Region.name).where(Region.code == village_code[:9] + "000"))
    return f"{name}人民政府" if name else "乡镇人民政府"


def _month_start_utc(today: dt.date) -> dt.datetime:
    return dt.datetime(today.year, today.month, 1) - dt.timedelta(hours=8)


def _labels(session: Session, prefix: str) -> dict[str, str]:
    return dict(session.execute(select(Region.code, Region.name).where(Region.level == "village",
                                                                        Region.code.startswith(prefix))).all())


def finding_items(session: Session, prefix: str, today: dt.date) -> Iterable[DutyItem]:
    """Findings: open while their evidence awaits the inspector's acceptance (待验收: the inspector must
    act); the month's new findings are listed too (closed or not)."""
    from sandbox.store.command.duty import DutyItem  # here: duty.py lists this function among its sources

    since = _month_start_utc(today)
    names = _labels(session, prefix)
    cols = select(Finding.id, Finding.village_code, Finding.category, Finding.created_at, Rectification.status,
                  Rectification.deadline).join(Rectification, Rectification.finding_id == Finding.id) \
        .where(Finding.village_code.startswith(prefix))
    # two indexed reads (awaiting acceptance; recorded this month) rather than one OR that reads every finding
    rows = {r[0]: r for q in (cols.where(Rectification.status == RectificationStatus.submitted.value),
                              cols.where(Finding.created_at >= since)) for r in session.execute(q)}.values()
    for fid, village, category, created, status, deadline in rows:
        title = f"{names.get(village, village)} {FindingCategory(category).label_zh}问题"
        yield DutyItem("finding", fid, village, title, created, deadline,
                       status == RectificationStatus.submitted.value, False)


def rectification_items(session: Session, prefix: str, today: dt.date) -> Iterable[DutyItem]:
    """Rectifications: open while the responsible unit must act (整改中), overdue past the deadline;
    those closed this month are listed too."""
    from sandbox.store.command.duty import DutyItem

    since = _month_start_utc(today)
    names = _labels(session, prefix)
    base = select(Rectification, Finding.created_at).join(Finding, Finding.id == Rectification.finding_id) \
        .where(Rectification.village_code.startswith(prefix))
    rows = {r.id: (r, c) for q in (base.where(Rectification.status.in_((RectificationStatus.open.value,
                                                                        RectificationStatus.submitted.value))),
                                   base.where(Rectification.closed_at >= since)) for r, c in session.execute(q)}.values()
    for r, created in rows:
        title = f"{names.get(r.village_code, r.village_code)} 整改: {r.responsible_unit}"
        yield DutyItem("rectification", r.id, r.village_code, title, created, r.deadline,
                       r.status == RectificationStatus.open.value, is_overdue(r, today))
