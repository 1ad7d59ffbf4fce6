"""The fund chain 下达 → 到位 → 备案 → 报账 → 支付 per project and per region, and where it does
not reconcile.

Anomalies (one entry per project and kind; the allocations behind it are listed). The rules and
their thresholds are in sandbox.domain.rules; this module gathers the amounts and words the findings:
- `overpaid` 支付超到位: an allocation paid more than arrived on it (more than
  FUND_OVERPAID_TOLERANCE_YUAN over, so cent rounding of split payments is not flagged);
- `idle` 资金闲置: an allocation whose money arrived FUND_IDLE_MONTHS or more before the dataset's
  as-of date (meta `data_as_of`, not the wall clock) and has had no payment at all;
- `paid_no_progress` 已支付但零进度: a project at 0 % progress with payments.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sandbox.domain.enums import FundStage, ProjectStage
from sandbox.domain.regions import RegionCode
from sandbox.domain.rules import FUND_IDLE_MONTHS, is_idle, is_overpaid, is_paid_without_progress, months_between
from sandbox.store import queries
from sandbox.store.models import FundAllocation, FundPayment, FundSource, Project, Region

__all__ = ["fund_chain"]

STAGES = [s.value for s in FundStage]
KIND_ZH = {"overpaid": "支付超过到位资金", "idle": f"到位资金闲置超过{FUND_IDLE_MONTHS}个月", "paid_no_progress": "已支付但项目零进度"}


def _yuan(v: float) -> str:
    """An amount as a county's finance office writes it: 万元 from ten thousand up, else 元."""
    return f"{v / 1e4:,.2f} 万元" if abs(v) >= 1e4 else f"{v:,.2f} 元"


@dataclass
class _Chain:
    allocated: float = 0.0
    arrived: float = 0.0
    filed: float = 0.0
    reimbursed: float = 0.0
    paid: float = 0.0
    payments: int = 0
    allocations: int = 0

    def add(self, other: _Chain) -> None:
        for k in ("allocated", "arrived", "filed", "reimbursed", "paid", "payments", "allocations"):
            setattr(self, k, getattr(self, k) + getattr(other, k))

    def out(self) -> dict:
        amounts = {s: round(getattr(self, s), 2) for s in STAGES}
        steps, prev = [], None
        for s in FundStage:
            amount = amounts[s.value]
            steps.append({"stage": s.value, "label_zh": s.label_zh, "amount": amount,
                          "rate_of_previous": _rate(amount, prev) if prev is not None else 100.0,
                          "rate_of_allocated": _rate(amount, amounts["allocated"])})
            prev = amount
        return {"amounts": amounts, "steps": steps,
                "arrival_rate": _rate(amounts["arrived"], amounts["allocated"]),  # 资金到位率
                "spend_rate": _rate(amounts["paid"], amounts["arrived"]),  # 资金支出率
                "allocations": self.allocations, "payments": self.payments}


def _rate(num: float, den: float | None) -> float | None:
    return round(num / den * 100, 2) if den else None


@dataclass
class _Alloc:
    id: int
    project_id: int
    region_code: str
    year: int
    document_number: str | None
    arrived_date: dt.date | None
    chain: _Chain
    last_paid: dt.date | None


@dataclass
class _Project:
    id: int
    name: str
    region_code: str
    stage: str
    progress: float
    chain: _Chain = field(default_factory=_Chain)
    allocs: list[_Alloc] = field(default_factory=list)
    flags: list[str] = field(default_factory=list)


def _as_of(session: Session) -> dt.date:
    text = queries.meta(session).get("data_as_of")
    if text:
        try:
            return dt.datetime.fromisoformat(text).date()
        except ValueError:
            pass
    latest = session.scalar(select(func.max(FundPayment.paid_date)))
    return latest or dt.date.today()


def fund_chain(session: Session, rc: RegionCode, year: int | None = None, project_id: int | None = None,
               through: int | None = None) -> dict:
    """`year`: allocations of that year only; `through`: allocations of that year and before (the
    money on the books by then, what a wall showing that year draws). Either one also sets the chain's
    `as_of` to the end of that year (capped at the data's date, `data_as_of`): money idle "as of 2016"
    is counted to 31 December 2016, not to the data's last day."""
    data_as_of = as_of = _as_of(session)
    view_year = through if through is not None else year
    if view_year is not None:
        as_of = min(as_of, dt.date(int(view_year), 12, 31))
    pay = select(FundPayment.allocation_id, func.sum(FundPayment.amount).label("paid"),
                 func.count().label("n"), func.max(FundPayment.paid_date).label("last")) \
        .group_by(FundPayment.allocation_id).subquery()
    q = (select(FundAllocation, FundSource.document_number, func.coalesce(pay.c.paid, 0.0),
                func.coalesce(pay.c.n, 0), pay.c.last)
         .outerjoin(pay, pay.c.allocation_id == FundAllocation.id)
         .outerjoin(FundSource, FundSource.id == FundAllocation.source_id)
         .where(queries.within(FundAllocation.region_code, rc, db=session)))
    if year is not None:
        q = q.where(FundAllocation.year == year)
    if through is not None:
        q = q.where(FundAllocation.year <= through)
    if project_id is not None:
        q = q.where(FundAllocation.project_id == project_id)
    # Ordered here, not in SQL: an ORDER BY project_id makes SQLite walk that index over every
    # allocation instead of searching the region's code range.
    rows = sorted(session.execute(q).all(), key=lambda r: (r[0].project_id, r[0].id))

    ids = sorted({a.project_id for a, *_ in rows})
    projects = {p.id: _Project(p.id, p.name, p.region_code, p.stage, p.progress)
                for p in session.scalars(select(Project).where(Project.id.in_(ids)))}
    for a, doc, paid, n, last in rows:
        c = _Chain(float(a.allocated or 0), float(a.arrived or 0), float(a.filed or 0), float(a.reimbursed or 0),
                   float(paid or 0), int(n or 0), 1)
        alloc = _Alloc(a.id, a.project_id, a.region_code, a.year, doc, a.arrived_date, c, last)
        p = projects.get(a.project_id)
        if p is None:  # an allocation whose project is gone: keep the money visible
            p = projects[a.project_id] = _Project(a.project_id, f"项目 {a.project_id}", a.region_code, "", 0.0)
        p.chain.add(c)
        p.allocs.append(alloc)

    anomalies = []
    for p in projects.values():
        anomalies += _check(p, as_of)

    total = _Chain()
    children: dict[str, _Chain] = {}
    child_flags: dict[str, int] = {}
    child_level = rc.level.child
    for p in projects.values():
        total.add(p.chain)
        code = _child_of(rc, RegionCode(p.region_code)) if child_level else None
        if code is not None:
            children.setdefault(code, _Chain()).add(p.chain)
            child_flags[code] = child_flags.get(code, 0) + len(p.flags)
    names = dict(session.execute(select(Region.code, Region.name).where(
        Region.code.in_(list(children) + [p.region_code for p in projects.values()]))).all())

    return {
        "region": rc.value, "year": year, "through": through, "as_of": as_of.isoformat(),
        "data_as_of": data_as_of.isoformat(), "idle_months": FUND_IDLE_MONTHS,
        "stages": [{"key": s.value, "label_zh": s.label_zh} for s in FundStage],
        "total": total.out(),
        "regions": [dict(code=code, name=names.get(code), anomalies=child_flags.get(code, 0), **chain.out())
                    for code, chain in sorted(children.items())],
        "projects": [dict(project_id=p.id, name=p.name, region_code=p.region_code,
                          region_name=names.get(p.region_code), stage=p.stage, stage_zh=_stage_zh(p.stage),
                          progress=p.progress, anomalies=p.flags, **p.chain.out())
                     for p in sorted(projects.values(), key=lambda p: p.id)],
        "anomalies": anomalies,
    }


def _stage_zh(stage: str) -> str | None:
    try:
        return ProjectStage(stage).label_zh
    except ValueError:
        return None


def _child_of(rc: RegionCode, code: RegionCode) -> str | None:
    """The child of `rc` (one level down) that holds `code`; `rc` itself if `code` is rc."""
    if code == rc:
        return None
    digits = {"county": 9, "town": 12}.get(rc.level.value)
    if digits is None:
        return None
    return code.value[:digits].ljust(12, "0")


def _alloc_out(a: _Alloc, **extra) -> dict:
    return {"allocation_id": a.id, "year": a.year, "document_number": a.document_number,
            "arrived_date": a.arrived_date.isoformat() if a.arrived_date else None,
            "allocated": round(a.chain.allocated, 2), "arrived": round(a.chain.arrived, 2),
            "paid": round(a.chain.paid, 2), "payments": a.chain.payments, **extra}


def _anomaly(p: _Project, kind: str, amounts: dict, explanation: str, allocs: list[dict]) -> dict:
    return {"kind": kind, "kind_zh": KIND_ZH[kind], "project_id": p.id, "project_name": p.name,
            "region_code": p.region_code, "stage": p.stage, "progress": p.progress,
            "amounts": {k: round(v, 2) if isinstance(v, float) else v for k, v in amounts.items()},
            "explanation_zh": explanation, "allocations": allocs}


def _check(p: _Project, as_of: dt.date) -> list[dict]:
    found = []
    over = [a for a in p.allocs if is_overpaid(a.chain.arrived, a.chain.paid)]
    if over:
        arrived = sum(a.chain.arrived for a in over)
        paid = sum(a.chain.paid for a in over)
        docs = "、".join(a.document_number or f"下达 {a.id}" for a in over)
        found.append(_anomaly(p, "overpaid", {"arrived": arrived, "paid": paid, "excess": paid - arrived},
                              f"“{p.name}”的资金({docs})到位 {_yuan(arrived)},却已支付 {_yuan(paid)},"
                              f"超出 {_yuan(paid - arrived)}: 资金链不平, 需核实多付款项的收款方与凭证。",
                              [_alloc_out(a, excess=round(a.chain.paid - a.chain.arrived, 2)) for a in over]))
    idle = [a for a in p.allocs if is_idle(a.chain.arrived, a.chain.payments, a.arrived_date, as_of)]
    if idle:
        arrived = sum(a.chain.arrived for a in idle)
        since = min(a.arrived_date for a in idle)
        months = months_between(since, as_of)
        found.append(_anomaly(p, "idle", {"arrived": arrived, "paid": 0.0, "idle_months": months},
                              f"“{p.name}”有 {len(idle)} 笔到位资金共 {_yuan(arrived)},最早于 {since.isoformat()} 到位,"
                              f"截至 {as_of.isoformat()} 已 {months} 个月没有任何支付: 资金闲置超过 {FUND_IDLE_MONTHS} 个月,"
                              "应督促项目实施或按规定收回统筹使用。",
                              [_alloc_out(a, idle_months=months_between(a.arrived_date, as_of)) for a in idle]))
    if is_paid_without_progress(p.progress, p.chain.paid):
        stage = _stage_zh(p.stage) or p.stage
        paying = [a for a in p.allocs if a.chain.paid > 0]
        found.append(_anomaly(p, "paid_no_progress", {"paid": p.chain.paid, "arrived": p.chain.arrived,
                                                       "progress": p.progress},
                              f"“{p.name}”进度为 0%(当前阶段: {stage}),却已支付 {_yuan(p.chain.paid)}:"
                              "需核实付款依据与实际施工情况。",
                              [_alloc_out(a) for a in paying]))
    p.flags = [f["kind"] for f in found]
    return found
