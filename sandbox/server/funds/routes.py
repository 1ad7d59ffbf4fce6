"""Routes: GET /funds/flows?region=&year= — links down the region tree and per-stage totals;
GET /funds/chain?region=&year=&project= — 下达 → 到位 → 备案 → 报账 → 支付 per region and project,
with the places where the chain does not reconcile."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query
from sqlalchemy import func, select

from sandbox.domain.enums import FundStage
from sandbox.domain.masking import person_view, scrub_fields
from sandbox.domain.regions import RegionCode
from sandbox.domain.rules import FUND_IDLE_MONTHS
from sandbox.server.deps import AGGREGATE_ROLES, Caller, RegionDep, SessionDep, YearQuery, allow
from sandbox.server.funds.chain import fund_chain
from sandbox.store.models import FundAllocation, FundPayment, Project
from sandbox.store.queries import within

router = APIRouter(prefix="/funds", tags=["funds"])
# The money on the books by the end of a year (a wall showing that year), as opposed to `year`'s
# allocations of that one year.
ThroughQuery = Annotated[int | None, Query(description="截至年份: 只计该年及以前下达的资金", ge=2000, le=2100)]
Reader = Annotated[Caller, Depends(allow(*AGGREGATE_ROLES))]


@router.get("/flows", summary="资金流向与各环节合计")
def flows(session: SessionDep, caller: Reader, scope: RegionDep,
          year: YearQuery = None, through: ThroughQuery = None) -> dict:
    rc, _ = scope.load(session)
    paid = select(FundPayment.allocation_id, func.sum(FundPayment.amount).label("paid")) \
        .group_by(FundPayment.allocation_id).subquery()
    q = select(FundAllocation.region_code, FundAllocation.project_id, func.sum(FundAllocation.allocated),
               func.sum(FundAllocation.arrived), func.sum(FundAllocation.filed), func.sum(FundAllocation.reimbursed),
               func.sum(func.coalesce(paid.c.paid, 0))) \
        .outerjoin(paid, paid.c.allocation_id == FundAllocation.id) \
        .where(within(FundAllocation.region_code, rc, db=session))
    if year is not None:
        q = q.where(FundAllocation.year == year)
    if through is not None:
        q = q.where(FundAllocation.year <= through)
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
        "region": rc.value, "year": year, "through": through,
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


_CHAIN_DOC = f"""资金链: 每个项目、每个下级地区及合计的 下达 → 到位 → 备案 → 报账 → 支付 金额与比率
(`rate_of_previous`: 占上一环节 %, `rate_of_allocated`: 占下达 %; `arrival_rate` 资金到位率,
`spend_rate` 资金支出率 = 支付 ÷ 到位)。

`anomalies`: 资金链不平之处, 每项含中文说明 `explanation_zh`、金额与涉及的下达批次:
`overpaid` 支付超过到位资金; `idle` 到位资金超过 {FUND_IDLE_MONTHS} 个月无任何支付 (以数据截止日
`as_of` 计, 不以当前时间计); `paid_no_progress` 项目进度为 0% 却已支付。
"""


@router.get("/chain", summary="资金链与异常 (按项目、按地区)", description=_CHAIN_DOC)
def chain(session: SessionDep, caller: Reader, scope: RegionDep,
          year: YearQuery = None,
          project: Annotated[int | None, Query(description="只看一个项目", ge=1, lt=2**62)] = None,
          through: ThroughQuery = None) -> dict:
    rc, _ = scope.load(session)
    if project is not None:  # an unknown project is the client's mistake, not an empty chain
        p = session.get(Project, project)
        if p is None or not p.region_code.startswith(rc.prefix):
            raise HTTPException(404, f"{rc.value} 辖区内未找到编号为 {project} 的项目")
    out = fund_chain(session, rc, year, project, through)
    view = person_view(caller.role)  # a project's name is typed by people: free text
    out["projects"] = [scrub_fields(p, view, keys={"name"}) for p in out["projects"]]
    out["anomalies"] = [scrub_fields(a, view, keys={"project_name", "explanation_zh"}) for a in out["anomalies"]]
    return out
