"""What the wall's live layers ask the API for: a project's beneficiaries as aggregates, check-ins in a
window (`until`), and the fund chain of the money on the books by a year (`through`)."""

from __future__ import annotations

from sqlalchemy import func, select

from sandbox.store.models import Checkin, FundAllocation, FundPayment, ProjectBeneficiary
from tests.conftest import auth


def test_project_detail_has_history_and_beneficiaries_as_aggregates_only(api, tokens, demo_engine):
    r = api.get("/api/v1/projects/1", headers=auth(tokens["display"]))
    assert r.status_code == 200, r.text
    p = r.json()
    assert p["name"] == "济生铁皮石斛产业园" and p["history"][-1]["stage"] == "handed_over"
    b = p["beneficiaries"]
    with demo_engine.connect() as conn:
        n = conn.scalar(select(func.count()).select_from(ProjectBeneficiary).where(ProjectBeneficiary.project_id == 1))
    assert b["households"] == n == p["beneficiary_households"]
    assert sum(v["households"] for v in b["villages"]) == n and b["people"] >= n
    assert 0 <= b["exited_households"] <= n
    text = r.text
    assert "id_number" not in text and "head_name" not in text  # no person ever: the card shows reach
    assert api.get("/api/v1/projects/1", headers=auth(tokens["delegation"])).status_code == 200


def test_checkins_until_bounds_the_window(api, tokens, demo_engine):
    params = {"region": "522726", "since": "2020-12-01T00:00:00", "until": "2020-12-15T00:00:00"}
    r = api.get("/api/v1/checkins", params=params, headers=auth(tokens["display"]))
    assert r.status_code == 200, r.text
    items = r.json()
    assert items and all("2020-12-01" <= c["at"] < "2020-12-15" for c in items)
    import datetime as dt

    with demo_engine.connect() as conn:
        n = conn.scalar(select(func.count()).select_from(Checkin).where(
            Checkin.at >= dt.datetime(2020, 12, 1), Checkin.at < dt.datetime(2020, 12, 15)))
    assert len(items) == n
    bad = api.get("/api/v1/checkins", params={**params, "until": "not a time"}, headers=auth(tokens["display"]))
    assert bad.status_code == 422


def test_fund_chain_through_a_year_counts_the_money_on_the_books_by_then(api, tokens, demo_engine):
    r = api.get("/api/v1/funds/chain", params={"region": "522726", "through": 2017}, headers=auth(tokens["display"]))
    assert r.status_code == 200, r.text
    chain = r.json()
    with demo_engine.connect() as conn:
        allocated = conn.scalar(select(func.sum(FundAllocation.allocated)).where(FundAllocation.year <= 2017))
        paid = conn.scalar(select(func.sum(FundPayment.amount)).join(
            FundAllocation, FundAllocation.id == FundPayment.allocation_id).where(FundAllocation.year <= 2017))
    assert chain["through"] == 2017
    assert abs(chain["total"]["amounts"]["allocated"] - allocated) < 0.01
    assert abs(chain["total"]["amounts"]["paid"] - paid) < 0.01
    flows = api.get("/api/v1/funds/flows", params={"region": "522726", "through": 2017},
                    headers=auth(tokens["display"])).json()
    assert abs(flows["totals"]["allocated"] - allocated) < 0.01
    assert api.get("/api/v1/funds/chain", params={"region": "522726", "through": 1800},
                   headers=auth(tokens["display"])).status_code == 422


def test_a_project_s_stage_and_progress_are_as_of_the_year_asked(api, tokens):
    """A 2017 view of 济生 must not say 移交 100 %: the stage and progress stand as they did at the end of 2017."""
    h = auth(tokens["display"])
    full = api.get("/api/v1/projects/1", headers=h).json()
    history = full["history"]
    assert full["stage"] == "handed_over" and full["progress"] == 100
    for year in range(2015, 2021):
        upto = [x for x in history if x["date"] <= f"{year}-12-31"]
        p = api.get("/api/v1/projects/1", params={"year": year}, headers=h).json()
        want = (upto[-1]["stage"], upto[-1]["progress"]) if upto else ("pool", 0)
        assert (p["stage"], p["progress"]) == want, year
        assert p["stage_year"] == year and p["history"] == upto  # no record from after the year
        listed = next(x for x in api.get("/api/v1/projects", params={"region": "522726103000", "year": year},
                                         headers=h).json() if x["id"] == 1) if year >= full["planned_year"] else None
        if listed is not None:
            assert (listed["stage"], listed["progress"]) == want
    p2017 = api.get("/api/v1/projects/1", params={"year": 2017}, headers=h).json()
    assert p2017["stage"] != "handed_over"  # 移交 came later: the story's year shows the stage it had
    # and its households' exits as of that year too (fewer had exited by 2017 than by 2020)
    assert p2017["beneficiaries"]["year"] == 2017
    assert p2017["beneficiaries"]["exited_households"] < full["beneficiaries"]["exited_households"]
