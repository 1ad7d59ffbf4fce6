"""The instructions and notices API: 403 naming who may, the cadre's 待办 and its moves, the issuer's 办结
and 退回, a feedback on /events, paging, what display and delegation tokens see, Chinese 4xx for bad input."""

from __future__ import annotations

import base64
import datetime as dt
import io

import pytest
from sqlalchemy import delete, func, select, text

from sandbox.store.checkins import create_cadre_token
from sandbox.store.command.instructions import Instruction, InstructionItem
from sandbox.store.command.notices import Notice, NoticeRead
from sandbox.store.db import session_factory
from tests.conftest import auth

TOWN = "522726103000"
DEADLINE = (dt.date.today() + dt.timedelta(days=7)).isoformat()
SECRET = "王小明 身份证 522726199001011234, 电话 13885412345"


@pytest.fixture(scope="module", autouse=True)
def _restore(demo_engine):
    """The shared demo keeps its own instructions and notices: what these tests add goes afterwards."""
    with demo_engine.connect() as conn:
        first = conn.scalar(select(func.max(Instruction.id))) or 0
        first_notice = conn.scalar(select(func.max(Notice.id))) or 0
    yield
    with demo_engine.begin() as conn:
        conn.execute(delete(InstructionItem).where(InstructionItem.instruction_id > first))
        conn.execute(delete(Instruction).where(Instruction.id > first))
        conn.execute(delete(NoticeRead).where(NoticeRead.notice_id > first_notice))
        conn.execute(delete(Notice).where(Notice.id > first_notice))


@pytest.fixture(scope="module")
def people(demo_engine) -> dict:
    with demo_engine.connect() as conn:
        here = conn.execute(text("SELECT id, name FROM cadres WHERE region_code LIKE '522726103%' AND role = 'helper' "
                                 "ORDER BY id LIMIT 2")).all()
        there = conn.execute(text("SELECT id, name FROM cadres WHERE region_code NOT LIKE '522726103%' "
                                  "ORDER BY id LIMIT 1")).one()
    with session_factory(demo_engine)() as session:
        cadre_token = create_cadre_token(session, here[0].id)
        other_token = create_cadre_token(session, here[1].id)
        session.commit()
    return {"cadre": here[0], "cadre_token": cadre_token, "other_token": other_token, "there": there}


def _png() -> str:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 30, 30)).save(buf, "PNG")
    return base64.b64encode(buf.getvalue()).decode()


def _issue(api, token, **body):
    body = {"scope_kind": "cadres", "text": "请核实住房安全情况", "deadline": DEADLINE, **body}
    return api.post("/api/v1/instructions", headers=auth(token), json=body)


def _counts(demo_engine) -> tuple[int, int]:
    with demo_engine.connect() as conn:
        return (conn.scalar(select(func.count()).select_from(Instruction)),
                conn.scalar(select(func.count()).select_from(InstructionItem)))


def test_beyond_the_issuers_scope_is_403_naming_who_may(api, tokens, people, demo_engine):
    before = _counts(demo_engine)
    r = _issue(api, tokens["leader_town"], cadre_ids=[people["cadre"].id, people["there"].id])
    assert r.status_code == 403
    assert people["there"].name in r.json()["detail"] and "可以向其下达指令的是" in r.json()["detail"]
    r = _issue(api, tokens["leader_town"], scope_kind="region", scope_ref="522726101000")
    assert r.status_code == 403 and "麻尾镇领导" in r.json()["detail"]
    r = _issue(api, people["cadre_token"], cadre_ids=[people["cadre"].id])  # a helper is no 第一书记
    assert r.status_code == 403 and "第一书记" in r.json()["detail"]
    r = _issue(api, tokens["display"], cadre_ids=[people["cadre"].id])
    assert r.status_code == 403
    assert _counts(demo_engine) == before


@pytest.mark.parametrize("body, words", [
    ({"deadline": "2020-01-01"}, "已经过去"),
    ({"priority": "asap"}, "紧急程度"),
    ({"cadre_ids": []}, "至少一名干部"),
    ({"scope_kind": "household", "scope_ref": "abc"}, "正整数"),
    ({"scope_kind": "project", "scope_ref": "99999999999"}, "正整数"),  # past a 32-bit id: not the driver's error
    ({"scope_kind": "household", "scope_ref": "999999999999999999"}, "不存在"),
    ({"cadre_ids": [2**40]}, ""),
    ({"photos": ["bm90IGFuIGltYWdl"]}, "不是图片"),
    ({"photos": ["x"] * 6}, ""),
    ({"text": ""}, ""),
])
def test_bad_instructions_are_a_chinese_422_and_store_nothing(api, tokens, people, demo_engine, body, words):
    before = _counts(demo_engine)
    body = {"cadre_ids": [people["cadre"].id], **body}
    r = _issue(api, tokens["leader_town"], **body)
    assert r.status_code == 422, r.text
    assert words in r.json()["detail"] and any("\u4e00" <= ch <= "\u9fff" for ch in r.json()["detail"])
    assert _counts(demo_engine) == before


def test_issue_confirm_feed_back_return_close(api, tokens, people, demo_engine):
    r = _issue(api, tokens["leader_town"], cadre_ids=[people["cadre"].id], text=SECRET, issuer_name="镇长 李四",
               photos=[_png()])
    assert r.status_code == 201, r.text
    iid = r.json()["id"]
    assert r.json()["counts"]["pending"] == 1 and len(r.json()["photos"]) == 1
    assert api.get(r.json()["photos"][0], headers=auth(tokens["leader_town"])).status_code == 200

    todo = api.get("/api/v1/instructions/todo", headers=auth(people["cadre_token"])).json()
    mine = [t for t in todo["items"] if t["id"] == iid]
    assert mine and mine[0]["item"]["status"] == "pending"
    item = mine[0]["item"]["item_id"]
    assert api.get(f"/api/v1/instructions/{iid}", headers=auth(people["other_token"])).status_code == 404
    r = api.post(f"/api/v1/instructions/todo/{item}/confirm", headers=auth(people["other_token"]))
    assert r.status_code == 404  # another cadre's item

    assert api.post(f"/api/v1/instructions/todo/{item}/confirm", headers=auth(people["cadre_token"])).json()["status"] == "confirmed"
    last = api.app.state.events.last_id
    r = api.post(f"/api/v1/instructions/todo/{item}/feedback", headers=auth(people["cadre_token"]),
                 json={"note": "已逐户核实", "photos": [_png()]})
    assert r.status_code == 200 and r.json()["status"] == "reported" and len(r.json()["photos"]) == 1
    duty = [(k, d) for i, k, d in api.app.state.events.recent(10) if i > last and k == "duty"]
    assert duty and duty[-1][1]["kind"] == "feedback" and duty[-1][1]["region_code"].startswith("522726103")
    assert "王小明" not in str(duty[-1][1]) and "5227261990" not in str(duty[-1][1])  # no free text on the stream

    other_town = api.post(f"/api/v1/instructions/{iid}/items/{item}/close", headers=auth(tokens["display"]))
    assert other_town.status_code == 403
    r = api.post(f"/api/v1/instructions/{iid}/items/{item}/return", headers=auth(tokens["leader_town"]),
                 json={"reason": "请补充现场照片"})
    assert r.status_code == 200 and r.json()["status"] == "returned"
    r = api.post(f"/api/v1/instructions/todo/{item}/feedback", headers=auth(people["cadre_token"]),
                 json={"note": "已补充"})
    assert r.json()["rounds"] == 2
    r = api.post(f"/api/v1/instructions/{iid}/items/{item}/close", headers=auth(tokens["leader"]))  # the county: above
    assert r.status_code == 200 and r.json()["status"] == "closed"
    r = api.post(f"/api/v1/instructions/todo/{item}/feedback", headers=auth(people["cadre_token"]), json={"note": "再报"})
    assert r.status_code == 409 and "已办结" in r.json()["detail"]
    r = api.post(f"/api/v1/instructions/{iid}/items/{item}/close", headers=auth(tokens["leader_town"]))
    assert r.status_code == 409

    detail = api.get(f"/api/v1/instructions/{iid}", headers=auth(tokens["leader_town"])).json()
    assert detail["may_manage"] and detail["items"][0]["status"] == "closed"
    assert "13885412345" not in detail["text"] and "522726199001011234" not in detail["text"]


def test_display_is_masked_and_delegation_sees_counts_only(api, tokens, people):
    r = _issue(api, tokens["leader_town"], cadre_ids=[people["cadre"].id], text=SECRET, issuer_name="镇长 李四")
    iid = r.json()["id"]
    shown = api.get(f"/api/v1/instructions/{iid}", headers=auth(tokens["display"])).json()
    assert shown["issuer_name"] == "镇长 李*" and "522726199001011234" not in shown["text"]
    assert shown["items"][0]["cadre"] != people["cadre"].name and shown["items"][0]["photos"] == []
    page = api.get("/api/v1/instructions?limit=5", headers=auth(tokens["delegation"])).json()
    assert page["items"] and all(set(i) >= {"counts", "deadline"} for i in page["items"])
    assert not any(k in i for i in page["items"] for k in ("text", "title", "issuer_name"))
    assert api.get(f"/api/v1/instructions/{iid}", headers=auth(tokens["delegation"])).status_code == 403


def test_lists_page_with_a_total_and_keep_to_the_tokens_region(api, tokens):
    big = api.get("/api/v1/instructions?state=closed&limit=200", headers=auth(tokens["admin"])).json()["items"]
    widest = max(big, key=lambda i: i["recipients"])
    part = api.get(f"/api/v1/instructions/{widest['id']}?limit=2&offset=1", headers=auth(tokens["admin"])).json()
    assert part["items_total"] == widest["recipients"] > 3 and len(part["items"]) == 2
    first = api.get("/api/v1/instructions?limit=5&offset=0", headers=auth(tokens["admin"])).json()
    second = api.get("/api/v1/instructions?limit=5&offset=5", headers=auth(tokens["admin"])).json()
    assert first["total"] == second["total"] > 10 and len(first["items"]) == 5
    assert not {i["id"] for i in first["items"]} & {i["id"] for i in second["items"]}
    town = api.get("/api/v1/instructions?limit=200", headers=auth(tokens["leader_town"])).json()
    assert 0 < town["total"] < first["total"]
    county = {i["id"]: i for i in api.get("/api/v1/instructions?limit=200&region=522726103000",
                                             headers=auth(tokens["admin"])).json()["items"]}
    whole = {i["id"]: i for i in api.get("/api/v1/instructions?limit=200", headers=auth(tokens["admin"])).json()["items"]}
    # counts are of the recipients under the region asked: a town sees its own cadres' items only
    both = [i for i in county if i in whole]
    assert all(county[i]["recipients"] <= whole[i]["recipients"] for i in both)
    assert any(county[i]["recipients"] < whole[i]["recipients"] for i in both)  # a county leader's, across towns
    assert api.get("/api/v1/instructions?region=522726101000", headers=auth(tokens["leader_town"])).status_code == 403
    overdue = api.get("/api/v1/instructions?state=overdue", headers=auth(tokens["admin"])).json()
    assert overdue["total"] > 0 and all(i["overdue"] for i in overdue["items"])
    for bad in ("limit=0", "limit=201", "offset=-1", "state=late", "region=52272"):
        r = api.get(f"/api/v1/instructions?{bad}", headers=auth(tokens["admin"]))
        assert r.status_code == 422, bad


def test_the_cadres_todo_lists_the_overdue_first(api, people, demo_engine):
    with demo_engine.connect() as conn:
        cadre = conn.execute(text(
            "SELECT i.cadre_id FROM instruction_items i JOIN instructions n ON n.id = i.instruction_id "
            "WHERE i.status <> 'closed' AND n.deadline < :today LIMIT 1"), {"today": dt.date.today()}).scalar()
    with session_factory(demo_engine)() as session:
        token = create_cadre_token(session, cadre)
        session.commit()
    todo = api.get("/api/v1/instructions/todo?limit=200", headers=auth(token)).json()
    assert todo["overdue"] >= 1
    ranks = [0 if t["item"]["overdue"] else 1 if t["item"]["status"] != "closed" else 2 for t in todo["items"]]
    assert ranks == sorted(ranks) and ranks[0] == 0


def test_notices_post_read_and_rate(api, tokens, people):
    r = api.post("/api/v1/notices", headers=auth(tokens["leader"]), json={"region": TOWN, "title": "通知", "content": "正文"})
    assert r.status_code == 403
    r = api.post("/api/v1/notices", headers=auth(tokens["admin"]), json={"region": "5227", "title": "通知", "content": "正文"})
    assert r.status_code == 422 and "区划代码" in r.json()["detail"]
    r = api.post("/api/v1/notices", headers=auth(tokens["admin"]),
                 json={"kind": "guide", "region": TOWN, "title": "低保申请指南", "content": "到镇民政所办理"})
    assert r.status_code == 201
    nid = r.json()["id"]
    mine = api.get("/api/v1/notices?limit=200", headers=auth(people["cadre_token"])).json()
    assert mine["items"][0]["read"] is False and any(i["id"] == nid for i in mine["items"])
    before = api.get(f"/api/v1/notices/{nid}/reads", headers=auth(tokens["leader_town"])).json()
    opened = api.get(f"/api/v1/notices/{nid}", headers=auth(people["cadre_token"])).json()
    assert opened["read"] and opened["content"] == "到镇民政所办理"
    after = api.get(f"/api/v1/notices/{nid}/reads", headers=auth(tokens["leader_town"])).json()
    assert after["read"] == before["read"] + 1 and after["towns"][0]["code"] == TOWN
    assert api.get("/api/v1/notices?limit=200", headers=auth(people["cadre_token"])).json()["unread"] == mine["unread"] - 1
    assert api.get(f"/api/v1/notices/{nid}/reads", headers=auth(tokens["delegation"])).status_code == 200
    elsewhere = api.post("/api/v1/notices", headers=auth(tokens["admin"]),
                         json={"region": "522726101000", "title": "他镇", "content": "正文"}).json()["id"]
    assert api.get(f"/api/v1/notices/{elsewhere}", headers=auth(people["cadre_token"])).status_code == 404
    assert api.get(f"/api/v1/notices/{elsewhere}/reads", headers=auth(tokens["leader_town"])).status_code == 404
