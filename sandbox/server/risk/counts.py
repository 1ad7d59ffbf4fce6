"""Routes: GET /regions/{code}/risk (active hits per child region by rule family and rule, the wall's 风险 layer)
and GET /risk/rules (the rules, their hits and their precision from closed cases)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Annotated

from fastapi import APIRouter, Depends
from sqlalchemy import func, select

from sandbox.domain.regions import RegionCode
from sandbox.server.core.dataset import dataset_info
from sandbox.server.deps import AGGREGATE_ROLES, Caller, OptionalRegionDep, PathRegionDep, SessionDep, allow
from sandbox.store import queries
from sandbox.store.risk.register import precision
from sandbox.store.risk.rules import FAMILIES, all_rules
from sandbox.store.risk.tables import RiskHit

__all__ = ["router", "counts_by_region"]

router = APIRouter(tags=["risk"])
Reader = Annotated[Caller, Depends(allow(*AGGREGATE_ROLES))]


def _empty() -> dict:
    return {"total": 0, "families": {f: 0 for f in FAMILIES}, "rules": {}}


def _add(into: dict, rule: str, n: int) -> None:
    into["total"] += n
    family = rule.split(".", 1)[0]
    into["families"][family] = into["families"].get(family, 0) + n
    into["rules"][rule] = into["rules"].get(rule, 0) + n


def counts_by_region(session, rc: RegionCode) -> tuple[dict, dict, dict[str, dict], dt.datetime | None]:
    """(total, own, child code → counts, the register's last run) of the active hits under `rc`."""
    q = (select(RiskHit.region_code, RiskHit.rule, func.count(), func.max(RiskHit.last_seen))
         .where(RiskHit.active.is_(True), queries.within(RiskHit.region_code, rc, db=session))
         .group_by(RiskHit.region_code, RiskHit.rule))
    total, own = _empty(), _empty()
    children: dict[str, dict] = defaultdict(_empty)
    child_digits = {"county": 9, "town": 12}.get(rc.level.value)
    last = None
    for code, rule, n, seen in session.execute(q):
        _add(total, rule, n)
        last = max(last, seen) if last and seen else (seen or last)
        if child_digits and code != rc.value and len(code) == 12:
            _add(children[code[:child_digits].ljust(12, "0")], rule, n)
        else:
            _add(own, rule, n)
    return total, own, children, last


@router.get("/regions/{code}/risk", summary="风险线索: 下级各地区的在案线索数 (按规则类别与规则; 仅计数)")
def get_region_risk(session: SessionDep, caller: Reader, scope: PathRegionDep) -> dict:
    rc, region = scope.load(session)
    total, own, children, last = counts_by_region(session, rc)
    rules = all_rules()
    return {
        "code": rc.value, "name": region.name, "level": region.level,
        "families": [{"key": k, "label_zh": v} for k, v in FAMILIES.items()],
        "rules": [{"id": r.id, "name": r.name, "family": r.family} for r in rules.values()],
        "total": total, "own": own,
        "children": [{"code": c.code, "name": c.name, "level": c.level, **children.get(c.code, _empty())}
                     for c in queries.child_regions(session, rc)],
        "last_run": last.isoformat(timespec="seconds") + "Z" if last else None,
        "data_label": dataset_info(session)["data_label"],
    }


@router.get("/risk/rules", summary="规则清单: 各规则在案线索数与依据已办结核查计算的准确率")
def get_rules(session: SessionDep, caller: Reader, scope: OptionalRegionDep) -> dict:
    if scope.code is not None:
        rc, _ = scope.load(session)
        prefix = rc.prefix
    else:
        prefix = ""
    q = select(RiskHit.rule, RiskHit.active, func.count()).group_by(RiskHit.rule, RiskHit.active)
    if prefix:
        q = q.where(RiskHit.region_code.startswith(prefix))
    hits: dict[str, dict[bool, int]] = defaultdict(dict)
    for rule, active, n in session.execute(q):
        hits[rule][bool(active)] = n
    prec = precision(session, prefix)
    out = []
    for r in all_rules().values():
        p = prec.get(r.id)
        out.append({
            "id": r.id, "name": r.name, "family": r.family, "family_zh": FAMILIES[r.family],
            "active_hits": hits[r.id].get(True, 0), "cleared_hits": hits[r.id].get(False, 0),
            "confirmed": p.confirmed if p else 0, "excluded": p.excluded if p else 0,
            "open_cases": p.open_cases if p else 0, "precision": p.precision if p else None,
        })
    return {"region": scope.code.value if scope.code is not None else None, "rules": out,
            "note_zh": "准确率 = 核实属实 ÷ (核实属实 + 排除), 仅计已办结的核查; 尚无办结核查的规则为 null。"}
