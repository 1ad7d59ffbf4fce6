"""The risk register: running again updates instead of duplicating, a hit no longer found is marked, not deleted;
case moves in order, with who and when; each rule's precision from its closed cases."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sandbox.store.risk.cases import CaseRefused, move_case, moves_of
from sandbox.store.risk.hits import Evidence, Hit
from sandbox.store.risk.register import UnknownRule, precision, run_rules, select_rules, store_hits
from sandbox.store.risk.tables import RiskHit

RULE = "funds.zz_register_test"
NOW = dt.datetime(2026, 1, 1, 8, 0)


def _hit(sid: str, reason: str = "测试线索") -> Hit:
    return Hit(RULE, "payment", sid, "522726103201", reason, (Evidence("资金支付", f"支付 {sid}", {"金额(元)": "1.00"}),))


def test_storing_again_updates_and_a_hit_no_longer_found_is_marked_not_deleted(demo_engine):
    with Session(demo_engine) as s:
        assert store_hits(s, RULE, [_hit("1"), _hit("2")], NOW) == (2, 2, 0, 0)
        assert store_hits(s, RULE, [_hit("1"), _hit("2")], NOW) == (2, 0, 0, 0)
        assert store_hits(s, RULE, [_hit("1", "原因变了")], NOW) == (1, 0, 1, 1)
        rows = {h.subject_id: h for h in s.scalars(select(RiskHit).where(RiskHit.rule == RULE))}
        assert len(rows) == 2 and rows["1"].reason == "原因变了"
        assert not rows["2"].active and rows["2"].cleared_at == NOW
        assert store_hits(s, RULE, [_hit("1", "原因变了"), _hit("2")], NOW) == (2, 0, 1, 0)
        assert rows["2"].active and rows["2"].cleared_at is None
        s.rollback()


def test_running_the_rules_again_on_the_demo_adds_nothing(demo_engine):
    with Session(demo_engine) as s:
        before = s.scalar(select(func.count()).select_from(RiskHit))
        runs = run_rules(s, ["funds", "checkins.exif_time"])
        after = s.scalar(select(func.count()).select_from(RiskHit))
    assert before == after and before > 0
    assert all(r.error is None and r.new == 0 and r.cleared == 0 for r in runs), runs


def test_an_unknown_rule_is_named_in_chinese():
    with pytest.raises(UnknownRule, match="未知规则 'funds.nope'"):
        select_rules(["funds.nope"])
    assert {r.family for r in select_rules(["checkins"])} == {"checkins"}


def test_a_broken_rule_is_reported_and_the_others_run(demo_engine):
    from sandbox.store.risk import rules as registry

    def broken(session, thresholds):
        raise RuntimeError("boom")

    registry.rule("funds.zz_broken", "坏规则")(broken)
    try:
        with Session(demo_engine) as s:
            runs = {r.rule: r for r in run_rules(s, ["funds.zz_broken", "funds.duplicate_voucher"])}
        assert "boom" in runs["funds.zz_broken"].error and runs["funds.duplicate_voucher"].error is None
    finally:
        registry._RULES.pop("funds.zz_broken")


def test_case_moves_in_order_and_precision_counts_closed_cases_only(demo_engine):
    with Session(demo_engine) as s:
        store_hits(s, RULE, [_hit("1"), _hit("2"), _hit("3")], NOW)
        s.flush()
        h1, h2, h3 = s.scalars(select(RiskHit).where(RiskHit.rule == RULE).order_by(RiskHit.subject_id)).all()
        with pytest.raises(CaseRefused, match="尚未交办"):
            move_case(s, h1, "confirm", "leader", note="x")
        with pytest.raises(CaseRefused, match="核查人"):
            move_case(s, h1, "assign", "leader", assignee=" ")
        case = move_case(s, h1, "assign", "leader", assignee="基长镇纪委", now=NOW)
        with pytest.raises(CaseRefused, match="须先作出核查结论"):
            move_case(s, h1, "close", "leader")
        with pytest.raises(CaseRefused, match="须附说明"):
            move_case(s, h1, "confirm", "leader")
        move_case(s, h1, "confirm", "leader", note="凭证复印件显示重复报账")
        with pytest.raises(CaseRefused, match="不能再改"):
            move_case(s, h1, "exclude", "leader", note="改主意")
        move_case(s, h1, "close", "admin")
        assert case.state == "closed" and case.outcome == "confirmed" and case.closed_by == "admin"
        assert [m.action for m in moves_of(s, case.id)] == ["assign", "confirm", "close"]
        move_case(s, h2, "assign", "leader", assignee="张三")
        move_case(s, h2, "exclude", "leader", note="系同一笔款的更正凭证")
        move_case(s, h2, "close", "leader")
        move_case(s, h3, "assign", "leader", assignee="李四")  # open: not counted
        p = precision(s)[RULE]
        assert (p.confirmed, p.excluded, p.open_cases, p.precision) == (1, 1, 1, 0.5)
        assert RULE not in precision(s, "522726101")
        with pytest.raises(CaseRefused, match="未知操作"):
            move_case(s, h3, "delete", "leader")
        s.rollback()
