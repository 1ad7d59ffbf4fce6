"""Shared by the risk tests: what a rule finds on the demo, and the demo's planted cases and look-alikes."""

from __future__ import annotations

from sqlalchemy.orm import Session

from sandbox.store.demo.risk import planted
from sandbox.store.risk.rules import all_rules, load_thresholds


def found(engine, rule_id: str) -> set[str]:
    r = all_rules()[rule_id]
    with Session(engine) as session:
        return {h.subject_id for h in r.run(session, load_thresholds(r.family))}


def cases(engine) -> dict[str, dict[str, list[str]]]:
    with Session(engine) as session:
        return planted(session)


def assert_finds_planted_not_alike(engine, rule_id: str) -> None:
    marks = cases(engine)
    hits = found(engine, rule_id)
    want = set(marks["planted"][rule_id])
    assert want and want <= hits, (rule_id, want, hits)
    innocent = set(marks["alike"].get(rule_id, ()))
    assert not innocent & hits, (rule_id, innocent & hits)
