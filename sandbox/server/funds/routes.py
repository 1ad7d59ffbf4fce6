"""Routes: GET /funds/flows?region=&year= — links down the region tree and per-stage totals."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query
from sqlalchemy import func, select

from sandbox.domain.enums import FundStage
from sandbox.domain.regions import RegionCode
from sandbox.server.deps import AGGREGATE_ROLES, Caller, SessionDep, YearQuery, allow, region_or_404
from sandbox.store.models import FundAllocation, FundPayment

router = APIRouter(prefix="/funds", tags=["funds"])
Reader = Annotated[Caller, Depends(allow(*AGGREGATE_ROLES))]


@router.get("/flows", summary="资金流向与各环节合计")
def flows(session: SessionDep, caller: Reader, region: Annotated[str, Query(description="区划代码")],
          year: YearQuery = None) -> dict:
    rc, _ = region_or_404(session, region, caller)
    paid = select(FundPayment.allocation_id, func.sum(FundPayment.amount).label("paid")) \
        .group_by(FundPayment.allocation_id).subquery()
    q = select(FundAllocation.region_code, FundAllocation.project_id, func.sum(FundAllocation.allocated),
               func.sum(FundAllocation.arrived), func.sum(FundAllocation.filed), func.sum(FundAllocation.reimbursed),
               func.sum(func.coalesce(paid.c.paid, 0))) \
        .outerjoin(paid, paid.c.allocation_id == FundAllocation.id) \
        .where(FundAllocation.region_code.like(rc.prefix + "%"))
    if year is not None:
        q = q.where(FundAllocation.year == year)
    rows = session.execute(q.group_by(FundAllocation.region_code, FundAllocation.project_id)).all()
    stages = [s.value for s in FundStage]
    totals = dict.fromkeys(stages, 0.0)
    links: dict[tuple[str, str, str], float] = {}
    for region_code, project_id, *amounts in rows:
        code = RegionCode(region_code)
        path = [c for c in _ancestors(code) if rc.contains(c)]
        for stage, amount in zip(stages, amounts):
            amount = float(amount or 0)
            totals[stage] += amount
            for a, b in zip(path, path[1:]):
                links[(a.value, b.value, stage)] = links.get((a.value, b.value, stage), 0.0) + amount
            links[(path[-1].value, f"project:{project_id}", stage)] = \
                links.get((path[-1].value, f"project:{project_id}", stage), 0.0) + amount
    return {
        "region": rc.value, "year": year,
        "links": [{"from_code": a, "to_code": b, "stage": s, "stage_zh": FundStage(s).label_zh, "amount": round(v, 2)}
                  for (a, b, s), v in sorted(links.items())],
        "totals": {s: round(v, 2) for s, v in totals.items()},
        "stages": [{"key": s.value, "label_zh": s.label_zh} for s in FundStage],
    }


def _ancestors(code: RegionCode) -> list[RegionCode]:
    chain = [code]
    while chain[-1].parent is not None and chain[-1].level.value not in ("county",):
        chain.append(chain[-1].parent)
    return list(reversed(chain))
