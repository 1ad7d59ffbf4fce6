"""GET /regions/{code}/duty: 督办 counts per child region from every registered source, role masking (delegation
and display: counts only), region-limited tokens, paging; and no `duty` event text for a delegation stream."""

from __future__ import annotations

import datetime as dt
import importlib
import json

import pytest

from sandbox.domain.enums import Role
from sandbox.server.core.cache import ResponseCache
from sandbox.server.deps import Caller
from sandbox.server.events.routes import render_for
from sandbox.store.command import duty
from sandbox.store.command.duty import DutyItem
from tests.conftest import auth

COUNTY = "522726000000"
TOWN_A, TOWN_B = "522726100000", "522726103000"  # leader_town's token is limited to TOWN_B
ID_NUMBER = "522726199001011234"


def _today() -> dt.date:
    return dt.datetime.now(dt.timezone(dt.timedelta(hours=8))).date()


def _village(session, town: str) -> str:
    from sqlalchemy import select

    from sandbox.store.models import Region

    return session.scalar(select(Region.code).where(Region.parent_code == town).order_by(Region.code))


@pytest.fixture
def sources(monkeypatch, api, demo_engine):
    """Test sources beside the real ones: an instruction overdue 20 days in a village of town A (its text
    carries an ID number), one overdue 5 days at town A itself, an open finding and an open rectification
    in town B, a complaint opened today in town B; closed items that must not count."""
    from sqlalchemy.orm import Session

    with Session(demo_engine) as s:
        va, vb = _village(s, TOWN_A), _village(s, TOWN_B)
    today = _today()
    now = dt.datetime.utcnow().replace(microsecond=0)
    old = now - dt.timedelta(days=40)
    items = {
        "instruction": [
            DutyItem("instruction", 1, va, f"核实户主 {ID_NUMBER} 的住房", old, today - dt.timedelta(days=20), True, True),
            DutyItem("instruction", 2, TOWN_A, "全镇走访", now - dt.timedelta(days=10), today - dt.timedelta(days=5),
                     True, True),
            DutyItem("instruction", 3, va, "已办结", old, today - dt.timedelta(days=30), False, False),
        ],
        "finding": [DutyItem("finding", 7, vb, "帮扶不实", now - dt.timedelta(days=3), None, True, False)],
        "rectification": [DutyItem("rectification", 8, vb, "整改帮扶台账", now - dt.timedelta(days=3),
                                   today + dt.timedelta(days=20), True, False)],
        "complaint": [DutyItem("complaint", 9, vb, "王*明 家", now, None, True, False)],
    }
    # Only these: the demo history of the real sources (once merged) must not move the counts asserted here.
    monkeypatch.setattr(duty, "SOURCES", {kind: (lambda session, prefix, today, rows=rows:
                                                 [i for i in rows if i.region_code.startswith(prefix)])
                                          for kind, rows in items.items()})
    # the API's day is the one these items were dated by, even if Beijing's midnight (16:00 UTC) falls in between
    route = importlib.import_module("sandbox.server.command.duty")  # the module: its package exports the router
    monkeypatch.setattr(route, "beijing_today", lambda: today)
    api.app.state.responses = ResponseCache()  # no board counted before these sources
    yield {"village_a": va, "village_b": vb}
    api.app.state.responses = ResponseCache()


def _get(api, token, code=COUNTY, **params):
    return api.get(f"/api/v1/regions/{code}/duty", headers=auth(token), params=params)


def test_counts_per_child_region_from_every_source(api, tokens, sources):
    r = _get(api, tokens["admin"])
    assert r.status_code == 200, r.text
    body = r.json()
    kids = {c["code"]: c for c in body["children"]}
    a, b = kids[TOWN_A], kids[TOWN_B]
    assert (a["open_instructions"], a["overdue_instructions"], a["open"], a["overdue"]) == (2, 2, 2, 2)
    assert a["overdue_share"] == 100.0
    assert (b["open_findings"], b["open_rectifications"], b["complaints_month"], b["open_complaints"]) == (1, 1, 1, 1)
    assert (b["open"], b["overdue"], b["overdue_share"]) == (3, 0, 0.0)
    assert body["total"]["open"] == 5 and body["total"]["overdue"] == 2
    assert body["total"]["overdue_share"] == 40.0
    quiet = [c for c in body["children"] if c["code"] not in (TOWN_A, TOWN_B)]
    assert quiet and all(c["open"] == 0 and c["overdue_share"] is None for c in quiet)


def test_a_towns_own_item_is_counted_apart_from_its_villages(api, tokens, sources):
    body = _get(api, tokens["admin"], TOWN_A).json()
    assert body["own"]["open_instructions"] == 1  # "全镇走访" is the town's, in none of its villages
    assert {c["code"]: c["open"] for c in body["children"]}[sources["village_a"]] == 1
    assert body["total"]["open"] == 2


def test_leader_lists_overdue_items_oldest_first_with_ages(api, tokens, sources):
    body = _get(api, tokens["leader"]).json()
    assert body["items_shown"] is True
    items = body["overdue"]["items"]
    assert [i["id"] for i in items] == [1, 2] and body["overdue"]["total"] == 2
    assert items[0]["age_days"] >= 39 and items[0]["overdue_days"] == 20
    assert items[1]["overdue_days"] == 5
    assert items[0]["kind_zh"] == "指令" and items[0]["region_name"]
    assert ID_NUMBER not in json.dumps(body)  # free text scrubbed for a leader
    page = _get(api, tokens["leader"], limit=1, offset=1).json()["overdue"]
    assert [i["id"] for i in page["items"]] == [2] and page["total"] == 2


@pytest.mark.parametrize("role", ["delegation", "display"])
def test_delegation_and_display_get_counts_only(api, tokens, sources, role):
    body = _get(api, tokens[role]).json()
    assert body["items_shown"] is False and body["overdue"]["items"] is None
    assert body["overdue"]["total"] == 2 and body["total"]["open"] == 5
    text = json.dumps(body, ensure_ascii=False)
    for title in ("核实户主", "全镇走访", "帮扶不实", "整改帮扶台账", "王*明"):
        assert title not in text


def test_a_region_limited_token_sees_its_region_only(api, tokens, sources):
    assert _get(api, tokens["leader_town"]).status_code == 403
    body = _get(api, tokens["leader_town"], TOWN_B).json()
    assert body["total"]["open"] == 3 and body["overdue"]["total"] == 0


@pytest.mark.parametrize("params, code", [({"limit": 0}, COUNTY), ({"offset": -1}, COUNTY), ({}, "52272610000x"),
                                          ({"limit": "x"}, COUNTY)])
def test_bad_input_is_a_chinese_422(api, tokens, params, code):
    r = _get(api, tokens["leader"], code, **params)
    assert r.status_code == 422 and r.json()["detail"]


def test_unknown_region_and_public_token(api, tokens):
    assert _get(api, tokens["leader"], "522726999000").status_code == 404
    assert _get(api, tokens["public"]).status_code == 403


def test_a_new_event_is_a_new_board(api, tokens, sources, monkeypatch):
    before = _get(api, tokens["admin"]).json()["total"]["open"]
    extra = DutyItem("complaint", 10, sources["village_b"], "新投诉", dt.datetime.utcnow(), None, True, False)
    rows = [extra]
    monkeypatch.setitem(duty.SOURCES, "complaint2", lambda session, prefix, today: rows)  # the fixture's own dict
    assert _get(api, tokens["admin"]).json()["total"]["open"] == before  # cached until something happens
    api.app.state.events.publish("duty", {"kind": "complaint", "id": 10, "region_code": sources["village_b"],
                                          "title": "新投诉", "at": dt.datetime.utcnow().isoformat()})
    assert _get(api, tokens["admin"]).json()["total"]["open"] == before + 1


def test_a_delegation_stream_never_gets_a_duty_events_text():
    event = {"kind": "complaint", "id": 3, "region_code": "522726100201", "title": "村干部优亲厚友, 电话 13812345678",
             "at": "2026-12-06T10:00:00"}
    for role, shown in ((Role.delegation, False), (Role.display, True), (Role.leader, True)):
        message = render_for(Caller(role, None))(5, "duty", dict(event))
        assert ("优亲厚友" in message) is shown
        assert "13812345678" not in message
        assert "522726100201" in message and '"complaint"' in message
