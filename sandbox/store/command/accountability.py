"""Accountability figures per town (问责): rectifications open, overdue, closed on time and closed late."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session

from sandbox.domain.inspection import RectificationStatus
from sandbox.store.command.inspection import Finding, Rectification
from sandbox.store.models import Region

__all__ = ["town_accountability", "FIGURES"]

FIGURES = ("findings", "open", "overdue", "awaiting_acceptance", "closed_on_time", "closed_late")


def town_accountability(session: Session, prefix: str, today: dt.date, year: int | None = None) -> list[dict]:
    """One row per town under `prefix` (every town, with zeros where nothing was found), in code order.

    open: not yet accepted (整改中 or 待验收); overdue: 整改中 past its deadline (see findings.is_overdue);
    closed on time: accepted, the accepted evidence submitted by the deadline; on_time_rate: closed on
    time ÷ closed × 100 (None before anything closed). `year`: findings recorded in that year (Beijing)."""
    town = func.substr(Rectification.village_code, 1, 9)
    status = Rectification.status
    q = (select(town,
                func.count(),
                func.sum(case((status != RectificationStatus.closed.value, 1), else_=0)),
                func.sum(case((and_(status == RectificationStatus.open.value, Rectification.deadline < today), 1),
                              else_=0)),
                func.sum(case((status == RectificationStatus.submitted.value, 1), else_=0)),
                func.sum(case((and_(status == RectificationStatus.closed.value,
                                    Rectification.closed_on_time.is_(True)), 1), else_=0)),
                func.sum(case((and_(status == RectificationStatus.closed.value,
                                    Rectification.closed_on_time.is_(False)), 1), else_=0)))
         .where(Rectification.village_code.startswith(prefix)).group_by(town))
    if year is not None:
        lo = dt.datetime(year, 1, 1) - dt.timedelta(hours=8)
        hi = dt.datetime(year + 1, 1, 1) - dt.timedelta(hours=8)
        q = q.join(Finding, Finding.id == Rectification.finding_id).where(Finding.created_at >= lo,
                                                                           Finding.created_at < hi)
    counts = {t: dict(zip(FIGURES, map(int, rest))) for t, *rest in session.execute(q)}
    towns = session.execute(select(Region.code, Region.name).where(Region.level == "town",
                                                                    Region.code.startswith(prefix[:9]))
                            .order_by(Region.code)).all()
    out = []
    for code, name in towns:
        row = counts.get(code[:9], dict.fromkeys(FIGURES, 0))
        closed = row["closed_on_time"] + row["closed_late"]
        out.append({"code": code, "name": name, **row,
                    "on_time_rate": round(row["closed_on_time"] / closed * 100, 1) if closed else None})
    return out
