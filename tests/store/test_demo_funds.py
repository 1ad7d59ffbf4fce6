"""The demo's planted fund-chain cases leave the county's own fund chain believable (issue 18)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from sandbox.domain.regions import RegionCode
from sandbox.server.funds.chain import fund_chain
from sandbox.store.demo.projects import OVERPAID_MAX_YUAN


def _county_chain(engine) -> dict:
    with Session(engine) as session:
        return fund_chain(session, RegionCode.parse("522726000000"))


def test_the_county_s_fund_chain_pays_within_what_was_reimbursed_and_arrived(demo_engine):
    chain = _county_chain(demo_engine)
    a = chain["total"]["amounts"]
    steps = {s["stage"]: s for s in chain["total"]["steps"]}
    # a leader reads the bars: 支付 never above 报账 for the whole county (it was 102.7 %), nor above 到位
    assert steps["paid"]["rate_of_previous"] <= 100.0
    assert a["paid"] <= a["arrived"]
    assert 30 < chain["total"]["spend_rate"] < 100


def test_the_planted_overpayment_is_small_against_the_county(demo_engine):
    chain = _county_chain(demo_engine)
    over = [x for x in chain["anomalies"] if x["kind"] == "overpaid"]
    assert len(over) == 1
    excess = over[0]["amounts"]["excess"]
    assert 1000 < excess <= OVERPAID_MAX_YUAN + 1000.01
    assert excess < chain["total"]["amounts"]["paid"] * 1e-3
