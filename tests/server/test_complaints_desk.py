"""The complaints desk's API: paging and filters, who may act, what each role sees, the working-day
deadline and the escalation it drives, the 督办 source; never a 5xx for what a client sends."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import delete, func, select

from sandbox.domain.complaints import reply_deadline
from sandbox.store.command.complaints import beijing_today
from sandbox.store.command.duty import open_items
from sandbox.store.db import session_factory
from sandbox.store.models import Complaint
from sandbox.store.office.tables import AccessLogEntry
from sandbox.store.public import store_complaint
from tests.conftest import auth

TOWN = "522726103000"  # 基长镇: tokens["leader_town"]
OTHER_TOWN = "522726101000"
URL = "/api/v1/complaints"
TEXT = "帮扶干部王小明电话13812345678从没来过, 分红也没发。"


@pytest.fixture()
def fresh(demo_engine):
    """Two new complaints (基长镇 and another town), each with a phone; removed afterwards."""
    sessions = session_factory(demo_engine)
    made = []
    with sessions() as s:
        for n, code in enumerate((TOWN[:9] + "001", OTHER_TOWN[:9] + "001")):
            ref, _ = store_complaint(s, submission_id=f"test-desk-{n}-{dt.datetime.now().timestamp()}", slug="",
                                     kind="form", subject_id=0, subject_name="测试村", region_code=code, text=TEXT,
                                     phone="13900001111", category="help")
            made.append(s.scalar(select(Complaint.id).where(Complaint.reference == ref)))
    yield made
    with sessions() as s:
        s.execute(delete(Complaint).where(Complaint.id.in_(made)))
        s.commit()


def test_the_list_pages_with_a_total(api, tokens):
    first = api.get(f"{URL}?limit=10", headers=auth(tokens["admin"])).json()
    second = api.get(f"{URL}?limit=10&offset=10", headers=auth(tokens["admin"])).json()
    assert first["total"] > 400 and len(first["items"]) == 10 and second["total"] == first["total"]
    assert not {i["id"] for i in first["items"]} & {i["id"] for i in second["items"]}
    newest = [i["received_at"] for i in first["items"] + second["items"]]
    assert newest == sorted(newest, reverse=True)
    for bad in ("limit=0", "limit=201", "offset=-1", "status=open", "overdue=maybe", "town=123"):
        r = api.get(f"{URL}?{bad}", headers=auth(tokens["admin"]))
        assert r.status_code == 422 and r.json()["detail"], bad


def test_only_leaders_and_admins(api, tokens):
    assert api.get(URL).status_code == 401
    for role in ("display", "delegation", "public"):
        r = api.get(URL, headers=auth(tokens[role]))
        assert r.status_code == 403 and "仅限" in r.json()["detail"], role
        assert api.get(f"{URL}/1", headers=auth(tokens[role])).status_code == 403
        assert api.post(f"{URL}/1/reply", json={"reply": "已核实处理完毕"}, headers=auth(tokens[role])).status_code == 403


def test_a_town_leader_sees_and_acts_on_its_town_only(api, tokens, fresh):
    mine, theirs = fresh
    page = api.get(f"{URL}?limit=200", headers=auth(tokens["leader_town"])).json()
    assert page["total"] > 0 and all(i["town_code"] == TOWN for i in page["items"])
    assert api.get(f"{URL}?region={OTHER_TOWN}", headers=auth(tokens["leader_town"])).status_code == 403
    assert api.get(f"{URL}?town={OTHER_TOWN}", headers=auth(tokens["leader_town"])).status_code == 403
    assert api.get(f"{URL}/{mine}", headers=auth(tokens["leader_town"])).status_code == 200
    r = api.get(f"{URL}/{theirs}", headers=auth(tokens["leader_town"]))
    assert r.status_code == 403 and "辖区" in r.json()["detail"]
    r = api.post(f"{URL}/{theirs}/reply", json={"reply": "已核实处理完毕"}, headers=auth(tokens["leader_town"]))
    assert r.status_code == 403
    by_town = api.get(f"{URL}?town={TOWN}&limit=5", headers=auth(tokens["admin"])).json()
    assert by_town["total"] == page["total"]


def test_the_phone_is_for_admins_only_and_text_is_scrubbed_below(api, tokens, fresh):
    mine, _ = fresh
    admin = api.get(f"{URL}/{mine}", headers=auth(tokens["admin"])).json()
    leader = api.get(f"{URL}/{mine}", headers=auth(tokens["leader"])).json()
    assert admin["phone"] == "13900001111" and admin["text"] == TEXT
    assert leader["phone"] is None and "13812345678" not in leader["text"] and "从没来过" in leader["text"]
    listed = api.get(f"{URL}?limit=200", headers=auth(tokens["leader"])).json()["items"]
    assert all(i["phone"] is None for i in listed)
    assert "13900001111" not in api.get(f"{URL}?limit=200", headers=auth(tokens["leader"])).text


def test_an_admins_read_of_a_complainants_phone_is_in_the_access_log(api, tokens, demo_engine, fresh):
    mine, _ = fresh
    sessions = session_factory(demo_engine)

    def rows() -> list[AccessLogEntry]:
        with sessions() as s:
            return list(s.scalars(select(AccessLogEntry).where(AccessLogEntry.what == "complaint_contact")
                                  .order_by(AccessLogEntry.id)))

    before = len(rows())
    assert api.get(f"{URL}/{mine}", headers=auth(tokens["leader"])).status_code == 200  # no phone: nothing to log
    assert len(rows()) == before
    ref = api.get(f"{URL}/{mine}", headers=auth(tokens["admin"])).json()["reference"]
    after = rows()
    assert len(after) == before + 1
    assert (after[-1].action, after[-1].role, after[-1].subject) == ("read", "admin", ref)
    assert "13900001111" not in (after[-1].subject or "")  # the log names the complaint, not the phone


def test_assign_reply_close_in_that_order(api, tokens, fresh):
    mine, _ = fresh
    h = auth(tokens["leader"])
    r = api.post(f"{URL}/{mine}/close", headers=h)
    assert r.status_code == 409 and "尚未答复" in r.json()["detail"]
    r = api.post(f"{URL}/{mine}/assign", json={"assignee": "基长镇扶贫工作站"}, headers=h)
    assert r.status_code == 200 and (r.json()["status"], r.json()["assignee"]) == ("assigned", "基长镇扶贫工作站")
    r = api.post(f"{URL}/{mine}/reply", json={"reply": "经核实, 已安排帮扶责任人本周入户, 分红已补发。"}, headers=h)
    assert r.status_code == 200 and r.json()["status"] == "replied" and r.json()["replied_at"]
    assert r.json()["overdue"] is False
    r = api.post(f"{URL}/{mine}/close", headers=h)
    assert r.status_code == 200 and r.json()["status"] == "closed"
    assert api.post(f"{URL}/{mine}/close", headers=h).status_code == 200  # a retry is the same close
    r = api.post(f"{URL}/{mine}/reply", json={"reply": "再次答复的内容"}, headers=h)
    assert r.status_code == 409 and "已办结" in r.json()["detail"]


@pytest.mark.parametrize("body", [b"", b"{", b"[]", b'{"reply": 5}', b'{"reply": "abc"}', b'{"reply": "    \xe5\xa5\xbd      "}',
                                  b'{"reply": "' + "长".encode() * 1001 + b'"}', b'{"reply": "ok ok ok", "x": 1}',
                                  b"\xff\xfe", b'{"reply": null}'])
def test_bad_bodies_are_a_422_never_a_500(api, tokens, fresh, body):
    r = api.post(f"{URL}/{fresh[0]}/reply", content=body, headers={**auth(tokens["admin"]),
                                                                    "Content-Type": "application/json"})
    assert r.status_code in (409, 422), (body, r.status_code, r.text[:200])
    assert isinstance(r.json()["detail"], str)


def test_unknown_and_hostile_ids(api, tokens):
    h = auth(tokens["admin"])
    assert api.get(f"{URL}/999999999", headers=h).status_code == 404
    for bad in ("0", "-1", "abc", "9" * 25):
        assert api.get(f"{URL}/{bad}", headers=h).status_code == 422
        assert api.post(f"{URL}/{bad}/escalate", headers=h).status_code == 422
    assert api.get(f"{URL}/999999999/photos/1", headers=h).status_code == 404
    assert api.get(f"{URL}/1/photos/4", headers=h).status_code == 422


def test_overdue_is_computed_from_working_days_and_escalates_to_the_county(api, tokens, demo_engine, fresh):
    mine, _ = fresh
    sessions = session_factory(demo_engine)
    # received on Monday 30 September 2019: 国庆 in between, due Saturday 12 October (a working day)
    with sessions() as s:
        c = s.get(Complaint, mine)
        c.created_at, c.deadline = dt.datetime(2019, 9, 30, 2), reply_deadline(dt.date(2019, 9, 30))
        s.commit()
    item = api.get(f"{URL}/{mine}", headers=auth(tokens["leader"])).json()
    assert item["deadline"] == "2019-10-12" and item["overdue"] is True and item["escalated"] is True
    overdue = api.get(f"{URL}?overdue=true&limit=200", headers=auth(tokens["admin"])).json()
    assert mine in {i["id"] for i in overdue["items"]}
    assert all(i["overdue"] and i["status"] in ("new", "assigned") for i in overdue["items"])
    with sessions() as s:  # the demo's backlog of the weeks before the build: most of it late by now
        late = s.scalar(select(func.count()).where(Complaint.submission_id.startswith("demo-"),
                                                   Complaint.status.in_(("new", "assigned")),
                                                   Complaint.deadline < beijing_today()))
    assert late >= 3 and overdue["total"] >= late + 1  # and this one
    with sessions() as s:  # the 督办 layer counts it as open and overdue under its town and the county
        items = {(i.kind, i.id): i for i in open_items(s, TOWN[:9], beijing_today())}
        assert items[("complaint", mine)].overdue and items[("complaint", mine)].open
        assert items[("complaint", mine)].deadline == dt.date(2019, 10, 12)
        assert TEXT not in items[("complaint", mine)].title
    r = api.post(f"{URL}/{mine}/reply", json={"reply": "经核实, 已整改到位。"}, headers=auth(tokens["leader"]))
    assert r.json()["overdue"] is False  # answered: no longer running late
    with sessions() as s:
        assert not any(i.id == mine and i.open for i in open_items(s, TOWN[:9], beijing_today()))


def test_escalating_by_hand_before_the_deadline(api, tokens, fresh):
    mine, _ = fresh
    r = api.post(f"{URL}/{mine}/escalate", headers=auth(tokens["leader"]))
    assert r.status_code == 200 and r.json()["escalated"] is True and r.json()["overdue"] is False
    assert r.json()["escalated_at"]


def test_the_demo_has_complaints_every_month_mostly_answered_in_time(demo_engine):
    with session_factory(demo_engine)() as s:
        rows = s.execute(select(Complaint.created_at, Complaint.replied_at, Complaint.deadline, Complaint.status)
                         .where(Complaint.submission_id.startswith("demo-"))).all()
    months = {((c + dt.timedelta(hours=8)).year, (c + dt.timedelta(hours=8)).month) for c, *_ in rows}
    history = {(y, m) for y in range(2017, 2021) for m in range(1, 13)}
    today = beijing_today()
    assert history <= months and (today.year, today.month) in months
    # besides the history, only the weeks before the build: the backlog still open, this month's complaints
    recent = [(c + dt.timedelta(hours=8)).date() for c, *_ in rows if (c + dt.timedelta(hours=8)).year > 2020]
    assert recent and all(0 <= (today - d).days <= 60 for d in recent)
    answered = [(r, d) for _, r, d, _ in rows if r is not None]
    in_time = sum((r + dt.timedelta(hours=8)).date() <= d for r, d in answered)
    assert in_time / len(rows) > .85
    still_open = [s for *_, s in rows if s in ("new", "assigned")]
    assert 3 <= len(still_open) <= 10
