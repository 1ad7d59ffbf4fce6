"""The funds rules on the demo: each finds its planted case and not its innocent look-alike; the fund chain's
anomalies in the register are the ones the wall's fund chain shows."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from sandbox.domain.regions import RegionCode
from sandbox.store.risk.rules import Thresholds
from tests.risk.planted import assert_finds_planted_not_alike, cases, found

FUNDS_RULES = ["funds.duplicate_voucher", "funds.duplicate_invoice", "funds.duplicate_payment",
               "funds.unregistered_payee", "funds.cadre_payee", "funds.shared_account", "funds.split_payment"]


@pytest.mark.parametrize("rule_id", FUNDS_RULES)
def test_a_funds_rule_finds_its_planted_case_and_not_its_look_alike(demo_engine, rule_id):
    assert_finds_planted_not_alike(demo_engine, rule_id)


@pytest.mark.parametrize("rule_id", ["funds.chain_overpaid", "funds.chain_idle", "funds.chain_no_progress"])
def test_the_chain_rules_find_the_planted_chain_cases(demo_engine, rule_id):
    want = set(cases(demo_engine)["planted"][rule_id])
    assert want and want <= found(demo_engine, rule_id)


def test_the_chain_rules_flag_what_the_fund_chain_flags(demo_engine):
    from sandbox.server.funds.chain import fund_chain

    with Session(demo_engine) as session:
        chain = fund_chain(session, RegionCode.parse("522726000000"))
    kinds = {"overpaid": "funds.chain_overpaid", "idle": "funds.chain_idle", "paid_no_progress": "funds.chain_no_progress"}
    for kind, rule_id in kinds.items():
        shown = {str(a["project_id"]) for a in chain["anomalies"] if a["kind"] == kind}
        assert shown == found(demo_engine, rule_id), kind


def test_the_split_rule_follows_its_thresholds(demo_engine):
    from sandbox.store.risk.funds import split_payment

    planted = set(cases(demo_engine)["planted"]["funds.split_payment"])
    strict = Thresholds({"split_payment": {"approval_threshold_yuan": 50000, "near_fraction": 0.8, "window_days": 30,
                                           "min_parts": 4, "score": 0.7}})
    with Session(demo_engine) as session:
        assert not planted & {h.subject_id for h in split_payment(session, strict)}  # three parts are not four


def test_a_hit_says_why_in_chinese_with_the_rows(demo_engine):
    from sandbox.store.risk.funds import duplicate_voucher
    from sandbox.store.risk.rules import load_thresholds

    with Session(demo_engine) as session:
        hits = list(duplicate_voucher(session, load_thresholds("funds")))
    assert hits and all("凭证号" in h.reason and len(h.evidence) >= 2 for h in hits)
