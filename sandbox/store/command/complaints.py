"""Complaints desk (投诉建议): triage (list, assign, reply, escalate, close), tracking, and the 督办 source.

A complaint is open (待处理, 已转办) until the town replies; it is overdue when still open after its
reply deadline (working days, sandbox.domain.complaints) and then counts as escalated to the county:
computed on every read from the deadline and today's date (Beijing), so no periodic pass is needed and
nothing goes stale. A leader may also escalate one by hand before its deadline (escalated_at).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import case, func, or_, select
from sqlalchemy.orm import Session

from sandbox.domain.complaints import OPEN_STATUSES, ComplaintCategory, ComplaintStatus
from sandbox.store.command.duty import DutyItem
from sandbox.store.models import Complaint, Region
from sandbox.store.public import utcnow

__all__ = ["beijing_today", "is_overdue", "list_complaints", "ComplaintPage", "TriageError", "assign", "reply",
           "escalate", "close", "track", "complaint_duty_items", "photo_names", "towns", "REPLY_MIN", "REPLY_MAX"]

_BEIJING = dt.timezone(dt.timedelta(hours=8))
REPLY_MIN, REPLY_MAX = 5, 1000  # characters of a reply (the API's body model says the same)


class TriageError(ValueError):
    """A step the complaint's state does not allow; the message is Chinese, for the caller (409)."""


def beijing_today() -> dt.date:
    return dt.datetime.now(_BEIJING).date()


def is_overdue(c: Complaint, today: dt.date) -> bool:
    return c.status in OPEN_STATUSES and c.deadline is not None and today > c.deadline


def photo_names(c: Complaint) -> list[str]:
    try:
        names = json.loads(c.photos) if c.photos else []
    except ValueError:
        return []
    return [n for n in names if isinstance(n, str)]


def towns(session: Session) -> list[tuple[str, str]]:
    """(code, name) of the county's towns, for the public form's picker."""
    return [(c, n) for c, n in session.execute(
        select(Region.code, Region.name).where(Region.level == "town").order_by(Region.code)).all()]


@dataclass
class ComplaintPage:
    total: int
    items: list[Complaint]


def list_complaints(session: Session, *, prefix: str = "", status: str | None = None, town: str | None = None,
                    overdue: bool | None = None, today: dt.date, limit: int = 50, offset: int = 0,
                    overdue_first: bool = False) -> ComplaintPage:
    """Complaints under `prefix` (a token's region), newest first; with `overdue_first` the overdue ones
    (oldest first: the longest waiting) before the rest."""
    q = select(Complaint)
    if prefix:
        q = q.where(or_(Complaint.town_code.startswith(prefix), Complaint.region_code.startswith(prefix)))
    if status:
        q = q.where(Complaint.status == status)
    if town:
        q = q.where(Complaint.town_code == town)
    late = Complaint.status.in_(OPEN_STATUSES) & Complaint.deadline.is_not(None) & (Complaint.deadline < today)
    if overdue is not None:
        q = q.where(late if overdue else ~late)
    total = session.scalar(select(func.count()).select_from(q.subquery())) or 0
    order = [Complaint.created_at.desc(), Complaint.id.desc()]
    if overdue_first:
        order = [case((late, 0), else_=1), case((late, Complaint.deadline), else_=None), *order]
    items = list(session.scalars(q.order_by(*order).limit(limit).offset(offset)))
    return ComplaintPage(int(total), items)


def _open_or_refuse(c: Complaint, what: str) -> None:
    if c.status == ComplaintStatus.closed.value:
        raise TriageError(f"该投诉已办结, 不能再{what}")


def assign(session: Session, c: Complaint, assignee: str, by: str) -> None:
    _open_or_refuse(c, "转办")
    if c.status == ComplaintStatus.replied.value:
        raise TriageError("该投诉已答复, 不能再转办; 如答复不当, 请办结后重新受理")
    c.assignee, c.status, c.handled_by = assignee, ComplaintStatus.assigned.value, by
    session.commit()


def reply(session: Session, c: Complaint, text: str, by: str) -> None:
    """The answer the complainant reads on the tracking page; a second reply replaces the first."""
    _open_or_refuse(c, "答复")
    text = (text or "").strip()
    if not text:
        raise TriageError("请填写答复内容: 投诉人凭受理编号查询时将看到这段答复")
    if not REPLY_MIN <= len(text) <= REPLY_MAX:
        raise TriageError(f"答复应为 {REPLY_MIN}–{REPLY_MAX} 个字, 现为 {len(text)} 个字")
    c.reply, c.replied_at, c.status, c.handled_by = text, utcnow(), ComplaintStatus.replied.value, by
    session.commit()


def escalate(session: Session, c: Complaint, by: str) -> None:
    _open_or_refuse(c, "上报县级")
    if c.status == ComplaintStatus.replied.value:
        raise TriageError("该投诉已答复, 无需上报县级")
    if c.escalated_at is None:
        c.escalated_at = utcnow()
    c.handled_by = by
    session.commit()


def close(session: Session, c: Complaint, by: str) -> None:
    if c.status == ComplaintStatus.closed.value:
        return  # closing twice (a retry) is the same close
    if c.status != ComplaintStatus.replied.value:
        raise TriageError("该投诉尚未答复: 请先答复投诉人, 再办结")
    c.status, c.closed_at, c.handled_by = ComplaintStatus.closed.value, utcnow(), by
    session.commit()


def track(session: Session, reference: str) -> Complaint | None:
    return session.scalar(select(Complaint).where(Complaint.reference == reference))


def category_zh(value: str | None) -> str:
    try:
        return ComplaintCategory(value).label_zh
    except ValueError:
        return ComplaintCategory.other.label_zh


def complaint_duty_items(session: Session, prefix: str, today: dt.date) -> Iterable[DutyItem]:
    """Complaints under `prefix` that are open (until replied), or that came in this month."""
    month_start = dt.datetime(today.year, today.month, 1) - dt.timedelta(hours=8)  # Beijing → UTC
    rows = session.scalars(select(Complaint).where(
        or_(Complaint.region_code.startswith(prefix), Complaint.town_code.startswith(prefix)),
        or_(Complaint.status.in_(OPEN_STATUSES), Complaint.created_at >= month_start)))
    for c in rows:
        is_open = c.status in OPEN_STATUSES
        title = f"{category_zh(c.category)}: {c.subject_name}" if c.subject_name else category_zh(c.category)
        yield DutyItem("complaint", c.id, c.region_code or c.town_code or prefix, title, c.created_at, c.deadline,
                       is_open, is_overdue(c, today))
