"""The risk register: runs the rules and keeps their hits (same key → same row), and each rule's precision
from its closed cases."""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sandbox.store.risk.hits import Hit
from sandbox.store.risk.rules import FAMILIES, Rule, Thresholds, all_rules, load_thresholds
from sandbox.store.risk.tables import RiskCase, RiskHit

__all__ = ["RuleRun", "run_rules", "select_rules", "store_hits", "precision", "evidence_json", "UnknownRule"]


class UnknownRule(ValueError):
    """A rule id or family the registry does not hold; the message lists what it does."""


@dataclass
class RuleRun:
    """What one rule's run did to the register."""

    rule: str
    name: str
    found: int = 0
    new: int = 0
    updated: int = 0
    cleared: int = 0
    seconds: float = 0.0
    error: str | None = None  # Chinese: why the rule did not run (its hits are left as they were)


def select_rules(wanted: Iterable[str] | None = None) -> list[Rule]:
    """The rules named (ids, or families for all of theirs); every registered rule when none are."""
    rules = all_rules()
    if not wanted:
        return list(rules.values())
    out: dict[str, Rule] = {}
    for w in wanted:
        w = w.strip()
        if w in rules:
            out[w] = rules[w]
        elif w in FAMILIES:
            out.update({k: r for k, r in rules.items() if r.family == w})
        else:
            raise UnknownRule(f"未知规则 {w!r}, 可用: {'、'.join(list(FAMILIES) + list(rules))}")
    return list(out.values())


def evidence_json(hit: Hit) -> str:
    return json.dumps([asdict(e) for e in hit.evidence], ensure_ascii=False)


def store_hits(session: Session, rule_id: str, hits: Iterable[Hit], now: dt.datetime) -> tuple[int, int, int, int]:
    """Upserts the rule's hits by (rule, subject, subject_id); marks the rule's active hits it did not find
    again as cleared. Returns (found, new, updated, cleared). Does not commit."""
    existing = {(h.subject, h.subject_id): h for h in session.scalars(select(RiskHit).where(RiskHit.rule == rule_id))}
    found: dict[tuple[str, str], Hit] = {}
    for hit in hits:
        if hit.rule != rule_id:
            raise ValueError(f"rule {rule_id} returned a hit of {hit.rule}")
        found[(hit.subject, hit.subject_id)] = hit  # a rule yielding one key twice: the last word counts
    new = updated = cleared = 0
    for key, hit in found.items():
        row = existing.get(key)
        evidence = evidence_json(hit)
        if row is None:
            session.add(RiskHit(rule=rule_id, subject=hit.subject, subject_id=hit.subject_id, region_code=hit.region,
                                reason=hit.reason, evidence=evidence, score=hit.score, active=True,
                                first_seen=now, last_seen=now))
            new += 1
            continue
        if not row.active or row.reason != hit.reason or row.evidence != evidence or row.score != hit.score \
                or row.region_code != hit.region:
            updated += 1
        row.region_code, row.reason, row.evidence, row.score = hit.region, hit.reason, evidence, hit.score
        row.active, row.cleared_at, row.last_seen = True, None, now
    for key, row in existing.items():
        if key not in found and row.active:
            row.active, row.cleared_at = False, now
            cleared += 1
    return len(found), new, updated, cleared


def run_rules(session: Session, wanted: Iterable[str] | None = None,
              thresholds: dict[str, Thresholds] | None = None) -> list[RuleRun]:
    """Runs the rules into the register, one transaction per rule (a rule that fails is rolled back and
    reported; the others run). `thresholds`: a family's operator copy instead of the packaged one."""
    runs = []
    loaded: dict[str, Thresholds] = dict(thresholds or {})
    for r in select_rules(wanted):
        run = RuleRun(r.id, r.name)
        started = time.perf_counter()
        try:
            if r.family not in loaded:
                loaded[r.family] = load_thresholds(r.family)
            t = loaded[r.family]
            now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
            run.found, run.new, run.updated, run.cleared = store_hits(session, r.id, r.run(session, t), now)
            session.commit()
        except Exception as exc:  # one broken rule or threshold must not stop the others
            session.rollback()
            run.error = f"{type(exc).__name__}: {exc}"
        run.seconds = time.perf_counter() - started
        runs.append(run)
    return runs


@dataclass
class Precision:
    rule: str
    confirmed: int = 0  # 核实属实
    excluded: int = 0  # 排除
    open_cases: int = 0  # assigned or decided, not yet closed
    precision: float | None = field(default=None)  # 属实 / (属实 + 排除) of closed cases; None before any


def precision(session: Session, prefix: str = "") -> dict[str, Precision]:
    """Each rule's precision from its closed cases (in the region `prefix`, "" for all)."""
    q = select(RiskCase.rule, RiskCase.state, RiskCase.outcome, func.count()).group_by(
        RiskCase.rule, RiskCase.state, RiskCase.outcome)
    if prefix:
        q = q.where(RiskCase.region_code.startswith(prefix))
    out: dict[str, Precision] = {}
    for rule_id, state, outcome, n in session.execute(q):
        p = out.setdefault(rule_id, Precision(rule_id))
        if state != "closed":
            p.open_cases += n
        elif outcome == "confirmed":
            p.confirmed += n
        elif outcome == "excluded":
            p.excluded += n
    for p in out.values():
        decided = p.confirmed + p.excluded
        p.precision = round(p.confirmed / decided, 4) if decided else None
    return out
