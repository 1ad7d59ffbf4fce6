"""The risk register's API: counts per region for every aggregate role, the hit list for leaders and admins with
evidence masked by role, region-limited tokens filtered, case moves (409 out of order), rules with precision."""

from __future__ import annotations

import re

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sandbox.store.risk.tables import RiskHit
from tests.conftest import auth

COUNTY = "522726000000"
TOWN = "522726103000"  # tokens["leader_town"]
FULL_ID = re.compile(r"^\d{17}[\dX]$")
MASKED_ID = re.compile(r"^\d{6}\*{8}[\dX]{4}$")


def _active(engine, prefix: str = "") -> int:
    with Session(engine) as s:
        return s.scalar(select(func.count()).select_from(RiskHit).where(
            RiskHit.active.is_(True), RiskHit.region_code.startswith(prefix))) or 0


def test_counts_per_child_region_for_every_aggregate_role_and_no_record(api, tokens, demo_engine):
    for role in ("admin", "leader", "display", "delegation"):
        r = api.get(f"/api/v1/regions/{COUNTY}/risk", headers=auth(tokens[role]))
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["total"]["total"] == _active(demo_engine) > 0
        assert sum(c["total"] for c in body["children"]) + body["own"]["total"] == body["total"]["total"]
        assert set(body["total"]["families"]) >= {"funds", "checkins"}
        assert "evidence" not in r.text and "reason" not in r.text
    town = api.get(f"/api/v1/regions/{TOWN}/risk", headers=auth(tokens["display"])).json()
    assert town["total"]["total"] == _active(demo_engine, TOWN[:9])


def test_the_hit_list_is_for_leaders_and_admins_only(api, tokens):
    for role in ("display", "delegation", "public"):
        assert api.get("/api/v1/risk/hits", headers=auth(tokens[role])).status_code == 403
    assert api.get("/api/v1/risk/hits").status_code == 401


def _cadre_payee(api, token) -> dict:
    r = api.get("/api/v1/risk/hits?rule=funds.cadre_payee&limit=200", headers=auth(token))
    assert r.status_code == 200, r.text
    return r.json()["items"][0]


def test_evidence_is_masked_by_role(api, tokens):
    admin = _cadre_payee(api, tokens["admin"])["evidence"][0]["fields"]
    leader = _cadre_payee(api, tokens["leader"])["evidence"][0]["fields"]
    assert FULL_ID.match(admin["收款人身份证号"]) and MASKED_ID.match(leader["收款人身份证号"])
    assert leader["收款人身份证号"][-4:] == admin["收款人身份证号"][-4:]
    assert admin["收款账号"].isdigit() and leader["收款账号"].startswith("*") and leader["收款账号"][-4:] == admin["收款账号"][-4:]
    assert leader["收款方"] == admin["收款方"]  # a leader reads full names
    assert admin["收款人身份证号"] not in api.get("/api/v1/risk/hits?limit=200", headers=auth(tokens["leader"])).text


def test_a_town_token_sees_its_town_only(api, tokens, demo_engine):
    h = auth(tokens["leader_town"])
    mine = api.get("/api/v1/risk/hits?limit=200", headers=h).json()
    assert mine["total"] == _active(demo_engine, TOWN[:9])
    assert all(i["region_code"].startswith(TOWN[:9]) for i in mine["items"])
    assert api.get("/api/v1/risk/hits?region=522726101000", headers=h).status_code == 403
    with Session(demo_engine) as s:
        outside = s.scalar(select(RiskHit.id).where(~RiskHit.region_code.startswith(TOWN[:9])).limit(1))
    assert api.get(f"/api/v1/risk/hits/{outside}", headers=h).status_code == 403
    r = api.post(f"/api/v1/risk/hits/{outside}/case", json={"action": "assign", "assignee": "某"}, headers=h)
    assert r.status_code == 403


def test_bad_filters_are_422_and_an_unknown_hit_404(api, tokens):
    h = auth(tokens["leader"])
    assert api.get("/api/v1/risk/hits?rule=funds.nope", headers=h).status_code == 422
    assert api.get("/api/v1/risk/hits?family=weather", headers=h).status_code == 422
    assert api.get("/api/v1/risk/hits?case=maybe", headers=h).status_code == 422
    r = api.get("/api/v1/risk/hits/999999999", headers=h)
    assert r.status_code == 404 and "线索" in r.json()["detail"]


def test_a_case_moves_through_the_api_and_the_rule_shows_its_precision(api, tokens):
    h = auth(tokens["leader"])
    hit = api.get("/api/v1/risk/hits?rule=funds.duplicate_voucher", headers=h).json()["items"][0]
    url = f"/api/v1/risk/hits/{hit['id']}/case"
    assert api.post(url, json={"action": "assign", "assignee": "县纪委"}, headers=auth(tokens["display"])).status_code == 403
    r = api.post(url, json={"action": "close"}, headers=h)
    assert r.status_code == 409 and "交办" in r.json()["detail"]
    assert api.post(url, json={"action": "fly"}, headers=h).status_code == 422
    assert api.post(url, content=b"{not json", headers={**h, "content-type": "application/json"}).status_code == 422
    assert api.post(url, json={"action": "assign", "assignee": "县纪委"}, headers=h).status_code == 200
    r = api.post(url, json={"action": "confirm"}, headers=h)
    assert r.status_code == 409 and "说明" in r.json()["detail"]
    assert api.post(url, json={"action": "confirm", "note": "同一凭证两次报账, 已追回"}, headers=h).status_code == 200
    done = api.post(url, json={"action": "close"}, headers=auth(tokens["admin"])).json()
    assert done["case"]["state"] == "closed" and done["case"]["outcome"] == "confirmed"
    assert [m["action"] for m in done["case"]["moves"]] == ["assign", "confirm", "close"]
    assert done["case"]["moves"][1]["by"].startswith("leader")
    rules = {r["id"]: r for r in api.get("/api/v1/risk/rules", headers=auth(tokens["display"])).json()["rules"]}
    assert rules["funds.duplicate_voucher"]["confirmed"] >= 1 and rules["funds.duplicate_voucher"]["precision"] is not None
    assert rules["checkins.exif_time"]["active_hits"] >= 1
    assert api.get("/api/v1/risk/hits?case=closed&rule=funds.duplicate_voucher", headers=h).json()["total"] == 1
