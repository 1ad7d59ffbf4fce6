"""GET /funds/chain: stage sums reconcile with the records (payments table included), and the
places where the chain does not reconcile are flagged, the demo's planted cases among them."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import delete, func, insert, select

from sandbox.store.models import FundAllocation, FundPayment
from tests.conftest import auth

COUNTY = "522726"


def _chain(api, tokens, role="display", **params):
    r = api.get("/api/v1/funds/chain", params={"region": COUNTY, **params}, headers=auth(tokens[role]))
    assert r.status_code == 200, r.text
    return r.json()


@pytest.fixture(scope="module")
def chain(api, tokens):
    return _chain(api, tokens)


@pytest.fixture(scope="module")
def planted(demo_engine) -> dict:
    """The projects sandbox.store.demo.projects._plant_anomalies picked: of the projects with
    allocations, the last (overpaid) and the second last (its first allocation idle)."""
    with demo_engine.connect() as conn:
        ids = conn.execute(select(FundAllocation.project_id).distinct().order_by(FundAllocation.project_id)).scalars().all()
        idle_alloc = conn.scalar(select(func.min(FundAllocation.id)).where(FundAllocation.project_id == ids[-2]))
        over_project = conn.scalar(select(FundAllocation.project_id).join(FundPayment, FundPayment.allocation_id == FundAllocation.id)
                                   .where(FundPayment.voucher == "PZ-ANOMALY-1"))
    return {"overpaid": ids[-1], "idle": ids[-2], "idle_allocation": idle_alloc, "overpaid_by_voucher": over_project}


def test_paid_per_project_equals_the_payments_table(chain, demo_engine):
    with demo_engine.connect() as conn:
        paid = dict(conn.execute(
            select(FundAllocation.project_id, func.sum(FundPayment.amount))
            .join(FundPayment, FundPayment.allocation_id == FundAllocation.id).group_by(FundAllocation.project_id)).all())
        sums = {r[0]: r[1:] for r in conn.execute(
            select(FundAllocation.project_id, func.sum(FundAllocation.allocated), func.sum(FundAllocation.arrived),
                   func.sum(FundAllocation.filed), func.sum(FundAllocation.reimbursed))
            .group_by(FundAllocation.project_id))}
    projects = {p["project_id"]: p for p in chain["projects"]}
    assert set(projects) == set(sums)
    for pid, p in projects.items():
        a = p["amounts"]
        assert a["paid"] == pytest.approx(float(paid.get(pid, 0.0)), abs=0.01), pid
        for stage, value in zip(("allocated", "arrived", "filed", "reimbursed"), sums[pid]):
            assert a[stage] == pytest.approx(float(value), abs=0.01), (pid, stage)
    # and the whole county's total equals the table sums
    with demo_engine.connect() as conn:
        total_paid = conn.scalar(select(func.sum(FundPayment.amount)))
        total_alloc = conn.scalar(select(func.sum(FundAllocation.allocated)))
    assert chain["total"]["amounts"]["paid"] == pytest.approx(float(total_paid), abs=0.05)
    assert chain["total"]["amounts"]["allocated"] == pytest.approx(float(total_alloc), abs=0.05)


def test_towns_and_projects_add_up_to_the_total(chain):
    for stage in ("allocated", "arrived", "filed", "reimbursed", "paid"):
        total = chain["total"]["amounts"][stage]
        assert sum(r["amounts"][stage] for r in chain["regions"]) == pytest.approx(total, abs=0.05)
        assert sum(p["amounts"][stage] for p in chain["projects"]) == pytest.approx(total, abs=0.05)
    assert all(r["code"].endswith("000") and r["code"] != COUNTY + "000000" for r in chain["regions"])
    assert all(r["name"] for r in chain["regions"])


def test_steps_and_rates(chain):
    t = chain["total"]
    assert [s["stage"] for s in t["steps"]] == ["allocated", "arrived", "filed", "reimbursed", "paid"]
    assert [s["label_zh"] for s in t["steps"]] == ["下达", "到位", "备案", "报账", "支付"]
    a = t["amounts"]
    assert t["arrival_rate"] == pytest.approx(a["arrived"] / a["allocated"] * 100, abs=0.01)
    assert t["spend_rate"] == pytest.approx(a["paid"] / a["arrived"] * 100, abs=0.01)
    steps = {s["stage"]: s for s in t["steps"]}
    assert steps["paid"]["rate_of_previous"] == pytest.approx(a["paid"] / a["reimbursed"] * 100, abs=0.01)
    assert steps["filed"]["rate_of_allocated"] == pytest.approx(a["filed"] / a["allocated"] * 100, abs=0.01)


def test_the_planted_overpayment_is_the_only_one(chain, planted):
    over = [a for a in chain["anomalies"] if a["kind"] == "overpaid"]
    assert [a["project_id"] for a in over] == [planted["overpaid"]] == [planted["overpaid_by_voucher"]]
    a = over[0]
    assert a["amounts"]["paid"] > a["amounts"]["arrived"]
    assert a["amounts"]["excess"] == pytest.approx(a["amounts"]["paid"] - a["amounts"]["arrived"], abs=0.01)
    assert "超出" in a["explanation_zh"] and a["kind_zh"] == "支付超过到位资金"
    assert len(a["allocations"]) == 1 and a["allocations"][0]["excess"] > 0
    # the per-project flags say the same
    flagged = [p["project_id"] for p in chain["projects"] if "overpaid" in p["anomalies"]]
    assert flagged == [planted["overpaid"]]


def test_the_planted_idle_money_is_flagged_relative_to_the_data_date(chain, planted):
    assert chain["as_of"] == "2020-12-31"
    idle = {a["project_id"]: a for a in chain["anomalies"] if a["kind"] == "idle"}
    assert planted["idle"] in idle
    a = idle[planted["idle"]]
    assert planted["idle_allocation"] in [x["allocation_id"] for x in a["allocations"]]
    assert "截至 2020-12-31" in a["explanation_zh"] and "闲置" in a["explanation_zh"]
    # the amount as a finance office writes it: 万元, two decimals
    assert f"共 {a['amounts']['arrived'] / 1e4:,.2f} 万元" in a["explanation_zh"]
    for x in a["allocations"]:
        assert x["paid"] == 0 and x["payments"] == 0 and x["idle_months"] >= 12
    # the project's other allocations were spent: only the idle one is listed
    assert len(a["allocations"]) == 1
    # every idle flag: money arrived ≥ 12 months before the data date, nothing paid on it
    for a in idle.values():
        assert a["amounts"]["idle_months"] >= 12 and a["amounts"]["arrived"] > 0
        assert all(x["arrived_date"] <= "2019-12-31" for x in a["allocations"])


def test_paid_with_zero_progress_is_flagged(chain, demo_engine, api, tokens):
    """Exactly the 0 % projects with payments are flagged. The demo means to plant one
    (_plant_anomalies zeroes a project's progress), but with the default seed the project it picks
    had nothing paid yet; so a payment is also added to a 0 % project here, and taken back."""
    flagged = {a["project_id"]: a for a in chain["anomalies"] if a["kind"] == "paid_no_progress"}
    zero = [p for p in chain["projects"] if p["progress"] == 0]
    assert zero
    assert set(flagged) == {p["project_id"] for p in zero if p["amounts"]["paid"] > 0}
    for a in flagged.values():
        assert a["progress"] == 0 and a["amounts"]["paid"] > 0 and "0%" in a["explanation_zh"]
    target = next((p for p in zero if p["amounts"]["paid"] == 0), zero[0])["project_id"]
    alloc = _first_allocation(demo_engine, target)
    with demo_engine.begin() as conn:
        pay_id = conn.scalar(select(func.max(FundPayment.id))) + 1
        conn.execute(insert(FundPayment).values(id=pay_id, allocation_id=alloc, payee="测试收款方", amount=12345.67,
                                                voucher="PZ-TEST-ZERO", paid_date=dt.date(2019, 6, 1)))
    try:
        after = _chain(api, tokens)
        hit = [a for a in after["anomalies"] if a["kind"] == "paid_no_progress" and a["project_id"] == target]
        assert hit and hit[0]["amounts"]["paid"] >= 12345.67 and hit[0]["allocations"]
        assert all(p["progress"] == 0 for p in after["projects"] if "paid_no_progress" in p["anomalies"])
    finally:
        with demo_engine.begin() as conn:
            conn.execute(delete(FundPayment).where(FundPayment.id == pay_id))
    assert _chain(api, tokens)["anomalies"] == chain["anomalies"]


def _first_allocation(engine, project_id: int) -> int:
    with engine.connect() as conn:
        return conn.scalar(select(func.min(FundAllocation.id)).where(FundAllocation.project_id == project_id))


def test_every_anomaly_explains_itself_in_chinese(chain):
    assert chain["anomalies"]
    for a in chain["anomalies"]:
        assert a["kind"] in ("overpaid", "idle", "paid_no_progress")
        assert re.search(r"[\u4e00-\u9fff]", a["explanation_zh"]) and a["kind_zh"]
        assert a["project_name"] and a["region_code"].startswith(COUNTY) and a["allocations"]
    flagged = sum(len(p["anomalies"]) for p in chain["projects"])
    assert flagged == len(chain["anomalies"]) == sum(r["anomalies"] for r in chain["regions"])


def test_year_town_village_and_project_filters(api, tokens, demo_engine, chain):
    with demo_engine.connect() as conn:
        paid_2019 = conn.scalar(select(func.sum(FundPayment.amount)).join(FundAllocation, FundAllocation.id == FundPayment.allocation_id)
                                .where(FundAllocation.year == 2019))
    y = _chain(api, tokens, year=2019)
    assert y["year"] == 2019 and y["total"]["amounts"]["paid"] == pytest.approx(float(paid_2019 or 0), abs=0.05)
    town = chain["regions"][0]["code"]
    t = _chain(api, tokens, region=town)
    assert t["total"]["amounts"] == chain["regions"][0]["amounts"]
    assert all(p["region_code"].startswith(town[:9]) for p in t["projects"])
    assert all(r["code"].startswith(town[:9]) and not r["code"].endswith("000") for r in t["regions"])
    village = t["projects"][0]["region_code"]
    v = _chain(api, tokens, region=village)
    assert v["regions"] == [] and v["projects"]
    pid = chain["projects"][0]["project_id"]
    one = _chain(api, tokens, project=pid)
    assert [p["project_id"] for p in one["projects"]] == [pid]
    assert one["total"]["amounts"] == chain["projects"][0]["amounts"]


@pytest.mark.parametrize("params,status", [
    ({"region": "522799"}, 404),
    ({"region": "abc"}, 422),
    ({}, 422),
    ({"region": COUNTY, "year": "x"}, 422),
    ({"region": COUNTY, "year": 1800}, 422),
    ({"region": COUNTY, "project": "p"}, 422),
    ({"region": COUNTY, "project": 0}, 422),
    ({"region": COUNTY, "project": 10**30}, 422),
])
def test_bad_parameters_are_client_errors(api, tokens, params, status):
    r = api.get("/api/v1/funds/chain", params=params, headers=auth(tokens["admin"]))
    assert r.status_code == status, r.text
    assert re.search(r"[\u4e00-\u9fff]", r.json()["detail"])


def test_roles(api, tokens):
    assert _chain(api, tokens, role="delegation")["anomalies"]
    assert api.get("/api/v1/funds/chain", params={"region": COUNTY}).status_code == 401
    assert api.get("/api/v1/funds/chain", params={"region": COUNTY}, headers=auth(tokens["public"])).status_code == 403
    # a leader limited to a town cannot read the county's chain
    assert api.get("/api/v1/funds/chain", params={"region": COUNTY},
                   headers=auth(tokens["leader_town"])).status_code == 403


def test_unknown_project_is_not_found(api, tokens):
    """A project id that does not exist is the client's mistake (as an unknown region is), not an empty chain."""
    r = api.get("/api/v1/funds/chain", params={"region": "522726", "project": 99999},
                headers={"Authorization": f"Bearer {tokens['display']}"})
    assert r.status_code == 404 and "99999" in r.json()["detail"]


def test_the_demo_plants_one_case_of_each_kind(api, tokens):
    chain = api.get("/api/v1/funds/chain", params={"region": "522726"},
                    headers={"Authorization": f"Bearer {tokens['display']}"}).json()
    kinds = {a["kind"] for a in chain["anomalies"]}
    assert {"overpaid", "idle", "paid_no_progress"} <= kinds
    assert sum(a["kind"] == "paid_no_progress" for a in chain["anomalies"]) == 1


def test_a_past_year_s_chain_is_as_of_that_year_s_end(api, tokens):
    """A 截至2016年 panel must not explain an anomaly "截至 2020-12-31 已 57 个月"."""
    h = {"Authorization": f"Bearer {tokens['display']}"}
    for through in (2016, 2017, 2018):
        chain = api.get("/api/v1/funds/chain", params={"region": "522726", "through": through}, headers=h).json()
        assert chain["as_of"] == f"{through}-12-31" and chain["data_as_of"] == "2020-12-31"
        for a in chain["anomalies"]:
            assert "2020-12-31" not in a["explanation_zh"], (through, a["explanation_zh"])
            if a["kind"] == "idle":
                assert f"截至 {through}-12-31" in a["explanation_zh"]
                assert a["amounts"]["idle_months"] <= (through - 2014 + 1) * 12
