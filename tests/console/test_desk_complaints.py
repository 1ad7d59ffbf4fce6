"""The desk's 投诉处理 workbench: who may open it, the region limit, filters with the overdue first, the steps (assign,
reply, escalate, close) with their refusals, the contact for admins only and logged, CSRF, the API seeing it all."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import delete, func, select

from sandbox.domain.complaints import OPEN_STATUSES
from sandbox.store.command.complaints import beijing_today, list_complaints
from sandbox.store.db import session_factory
from sandbox.store.models import Complaint
from sandbox.store.office.tables import AccessLogEntry
from sandbox.store.public import store_complaint
from tests.conftest import auth
from tests.console.conftest import TOWN, csrf_of

OTHER_TOWN = "522726101000"
URL = "/console/command/complaints"
TEXT = "帮扶干部电话13812345678从没来过, 分红也没发。"
PHONE = "13900002222"


@pytest.fixture()
def fresh(demo_engine):
    """Two new complaints (基长镇 and another town), each with a phone; removed afterwards."""
    sessions = session_factory(demo_engine)
    made = []
    with sessions() as s:
        for n, code in enumerate((TOWN[:9] + "001", OTHER_TOWN[:9] + "001")):
            ref, _ = store_complaint(s, submission_id=f"test-console-{n}-{dt.datetime.now().timestamp()}", slug="",
                                     kind="form", subject_id=0, subject_name="测试村", region_code=code, text=TEXT,
                                     phone=PHONE, category="help")
            made.append(s.scalar(select(Complaint).where(Complaint.reference == ref)))
            s.expunge(made[-1])
    yield made
    with sessions() as s:
        s.execute(delete(Complaint).where(Complaint.id.in_([c.id for c in made])))
        s.commit()


def _get(demo_engine, complaint_id: int) -> Complaint:
    with session_factory(demo_engine)() as s:
        c = s.get(Complaint, complaint_id)
        s.expunge(c)
        return c


def _step(console, c: Complaint, step: str, **data):
    page = console.get(f"{URL}/{c.id}")
    assert page.status_code == 200, page.text
    return console.post(f"{URL}/{c.id}/{step}", data={"csrf": csrf_of(page.text), **data})


def _log(demo_engine, what: str, username: str) -> list[AccessLogEntry]:
    with session_factory(demo_engine)() as s:
        return list(s.scalars(select(AccessLogEntry).where(AccessLogEntry.what == what,
                                                           AccessLogEntry.actor.contains(username))))


def test_a_town_clerk_sees_and_acts_on_its_town_only(console, signed_in, fresh):
    mine, theirs = fresh
    signed_in("leader", TOWN)
    page = console.get(f"{URL}?order=new")
    assert page.status_code == 200
    assert mine.reference in page.text and theirs.reference not in page.text
    towns = re.findall(r'<option value="(\d{12})"', page.text)
    assert towns == [TOWN]
    refused = console.get(f"{URL}?town={OTHER_TOWN}")
    assert refused.status_code == 403 and "仅限 基长镇 辖区" in refused.text
    assert console.get(f"{URL}/{theirs.id}").status_code == 403
    csrf = csrf_of(page.text)
    r = console.post(f"{URL}/{theirs.id}/escalate", data={"csrf": csrf})
    assert r.status_code == 403 and "不在其中" in r.text
    assert console.get(f"{URL}/{mine.id}").status_code == 200


def test_display_accounts_and_strangers_are_kept_out(console, signed_in, fresh):
    mine, _ = fresh
    assert console.get(URL).status_code == 303  # not signed in: to the sign-in page
    signed_in("display")
    for path in (URL, f"{URL}/{mine.id}"):
        r = console.get(path)
        assert r.status_code == 403 and "仅限管理员和领导" in r.text
    desk = console.get("/console/command")
    r = console.post(f"{URL}/{mine.id}/escalate", data={"csrf": csrf_of(desk.text)})
    assert r.status_code == 403


def test_overdue_complaints_come_first_and_are_marked(console, signed_in, demo_engine, fresh):
    mine, _ = fresh
    with session_factory(demo_engine)() as s:  # received long ago, never answered: overdue
        c = s.get(Complaint, mine.id)
        c.created_at, c.deadline = dt.datetime(2019, 9, 30, 2), dt.date(2019, 10, 12)
        s.commit()
        late = list_complaints(s, overdue=True, today=beijing_today(), limit=500).total
        first = list_complaints(s, today=beijing_today(), limit=late + 5, overdue_first=True).items
    assert late >= 2
    assert all(x.status in OPEN_STATUSES and x.deadline < beijing_today() for x in first[:late])
    assert not any(x.status in OPEN_STATUSES and x.deadline and x.deadline < beijing_today() for x in first[late:])
    assert [x.deadline for x in first[:late]] == sorted(x.deadline for x in first[:late])  # the longest waiting first
    signed_in("admin")
    page = console.get(URL)
    rows = re.findall(r'<tr( class="late")?>\s*<td><a href="/console/command/complaints/(\d+)"', page.text)
    assert rows[0] == (' class="late"', str(mine.id))  # the oldest deadline of all
    assert all(cls for cls, _ in rows[:late]) and "超期" in page.text and "县级督办" in page.text
    only = console.get(f"{URL}?status=overdue")
    assert only.text.count('<tr class="late">') == min(late, 30)
    assert console.get(f"{URL}?status=open").status_code == 422


def test_assign_reply_close_and_the_reply_is_on_the_tracking_page(console, signed_in, demo_engine, fresh):
    mine, _ = fresh
    username = signed_in("leader", TOWN)
    r = _step(console, mine, "assign", assignee="基长镇扶贫工作站")
    assert r.status_code == 303 and r.headers["location"].endswith("?done=assign")
    assert _get(demo_engine, mine.id).status == "assigned"
    answer = "经核实, 帮扶干部已上门走访, 分红已于本月发放到户。"
    r = _step(console, mine, "reply", reply=answer)
    assert r.status_code == 303
    after = _get(demo_engine, mine.id)
    assert after.status == "replied" and after.reply == answer and after.handled_by == f"console:{username}"
    track = console.get(f"/q/track?code={mine.reference}")
    assert track.status_code == 200 and answer in track.text
    assert _step(console, mine, "close").status_code == 303
    assert _get(demo_engine, mine.id).status == "closed"
    changes = _log(demo_engine, "complaint", username)
    assert [e.detail for e in changes] == ["转办: 基长镇扶贫工作站", "答复", "办结"]
    assert all(e.action == "change" and e.subject == mine.reference for e in changes)


@pytest.mark.parametrize("reply, reason", [("", "请填写答复内容"), ("   ", "请填写答复内容"), ("已办", "5–1000 个字"),
                                           ("长" * 1001, "5–1000 个字")])
def test_an_empty_or_bad_reply_changes_nothing_and_comes_back_filled(console, signed_in, demo_engine, fresh,
                                                                       reply, reason):
    mine, _ = fresh
    signed_in("leader", TOWN)
    r = _step(console, mine, "reply", reply=reply)
    assert r.status_code == 422 and reason in r.text and "未能答复" in r.text
    if reply.strip():
        assert f">{reply}</textarea>" in r.text  # what was typed is back in the form
    after = _get(demo_engine, mine.id)
    assert after.status == "new" and after.reply is None and after.handled_by is None


def test_a_reply_on_a_closed_complaint_is_refused_and_kept_in_the_form(console, signed_in, demo_engine, fresh):
    mine, _ = fresh
    signed_in("admin")
    assert _step(console, mine, "close").status_code == 422  # not answered yet: cannot close
    assert _step(console, mine, "reply", reply="已经核实处理完毕。").status_code == 303
    assert _step(console, mine, "close").status_code == 303
    closed = _get(demo_engine, mine.id)
    r = console.post(f"{URL}/{mine.id}/reply", data={"csrf": csrf_of(console.get(URL).text), "reply": "再补充一句说明。"})
    assert r.status_code == 422 and "该投诉已办结, 不能再答复" in r.text and ">再补充一句说明。</textarea>" in r.text
    after = _get(demo_engine, mine.id)
    assert (after.status, after.reply, after.replied_at) == ("closed", "已经核实处理完毕。", closed.replied_at)
    for step in ("assign", "escalate"):
        r = console.post(f"{URL}/{mine.id}/{step}", data={"csrf": csrf_of(console.get(URL).text), "assignee": "某单位"})
        assert r.status_code == 422 and "已办结" in r.text
    assert console.post(f"{URL}/{mine.id}/delete", data={"csrf": csrf_of(console.get(URL).text)}).status_code == 404


def test_an_empty_assignee_is_refused(console, signed_in, demo_engine, fresh):
    mine, _ = fresh
    signed_in("leader", TOWN)
    r = _step(console, mine, "assign", assignee="  ")
    assert r.status_code == 422 and "请填写承办单位或责任人" in r.text
    assert _get(demo_engine, mine.id).status == "new"


def test_a_form_without_its_csrf_token_changes_nothing(console, signed_in, demo_engine, fresh):
    mine, _ = fresh
    signed_in("leader", TOWN)
    console.get(f"{URL}/{mine.id}")
    for data in ({"reply": "经核实已处理完毕。"}, {"reply": "经核实已处理完毕。", "csrf": "forged"}):
        r = console.post(f"{URL}/{mine.id}/reply", data=data)
        assert r.status_code == 403 and "表单已失效" in r.text
    r = console.post(f"{URL}/{mine.id}/escalate", data={"csrf": "forged"})
    assert r.status_code == 403
    after = _get(demo_engine, mine.id)
    assert after.reply is None and after.escalated_at is None


def test_the_contact_is_for_admins_only_and_each_view_is_logged(console, signed_in, demo_engine, fresh):
    mine, _ = fresh
    clerk = signed_in("leader", TOWN)
    page = console.get(f"{URL}/{mine.id}")
    assert PHONE not in page.text and "仅管理员可见" in page.text
    assert "13812345678" not in page.text  # free text scrubbed below admin, as the API does
    assert _log(demo_engine, "complaint_contact", clerk) == []
    console.cookies.clear()
    admin = signed_in("admin")
    for n in (1, 2):
        page = console.get(f"{URL}/{mine.id}")
        assert PHONE in page.text and "13812345678" in page.text
        rows = _log(demo_engine, "complaint_contact", admin)
        assert len(rows) == n and rows[-1].subject == mine.reference and rows[-1].channel == "console"
    assert PHONE not in console.get(f"{URL}?order=new").text  # the list never carries it
    assert len(_log(demo_engine, "complaint_contact", admin)) == 2


def test_an_escalation_made_in_the_console_is_what_the_api_reports(console, signed_in, tokens, fresh):
    mine, _ = fresh
    signed_in("leader", TOWN)
    assert _step(console, mine, "escalate").status_code == 303
    page = console.get(f"{URL}/{mine.id}?done=escalate")
    assert "已上报县级。" in page.text
    assert 'id="escalate"' not in page.text  # once is enough
    item = console.get(f"/api/v1/complaints/{mine.id}", headers=auth(tokens["leader_town"])).json()
    assert item["escalated"] is True and item["escalated_at"] and item["overdue"] is False
    listed = console.get(f"/api/v1/complaints?town={TOWN}&limit=200", headers=auth(tokens["admin"])).json()
    assert {i["id"]: i["escalated"] for i in listed["items"]}[mine.id] is True


def test_hostile_ids_and_missing_photos_are_pages_not_errors(console, signed_in, fresh):
    mine, _ = fresh
    signed_in("admin")
    for path in (f"{URL}/0", f"{URL}/99999999999", f"{URL}/{2**63}", f"{URL}/{mine.id}/photos/1",
                 f"{URL}/{mine.id}/photos/0", f"{URL}/{mine.id}/photos/-1"):
        r = console.get(path)
        assert r.status_code in (404, 422) and "Traceback" not in r.text, path
    with session_factory(console.app.state.engine)() as s:
        assert s.scalar(select(func.count()).select_from(Complaint)) > 0


def test_a_reply_sent_after_the_session_expired_comes_back_filled(console, signed_in, demo_engine, fresh):
    from tests.console.conftest import PASSWORD

    mine, _ = fresh
    username = signed_in("leader", TOWN)
    page = console.get(f"{URL}/{mine.id}")
    console.cookies.delete("sbx_console", path="/console")  # the session ends while the clerk types
    typed = "经核实, 已安排镇扶贫站本周上门核查。"
    r = console.post(f"{URL}/{mine.id}/reply", data={"csrf": csrf_of(page.text), "reply": typed},
                     headers={"referer": f"http://testserver{URL}/{mine.id}"})
    assert r.status_code == 401 and "内容已保留" in r.text
    assert _get(demo_engine, mine.id).reply is None
    draft = re.search(r'name="draft" value="([^"]+)"', r.text).group(1)
    back = console.post("/console/login", data={"csrf": csrf_of(r.text), "username": username, "password": PASSWORD,
                                                "draft": draft})
    assert back.status_code == 303 and back.headers["location"].startswith(f"{URL}/{mine.id}?draft=")
    page = console.get(back.headers["location"])
    assert f">{typed}</textarea>" in page.text and "您填写的内容已保留" in page.text
    assert _get(demo_engine, mine.id).reply is None  # nothing sent until the clerk sends it again


def test_photos_are_shown_to_both_desk_roles_within_the_region(console, signed_in, demo_engine, fresh):
    import json

    from sandbox.server.public.intake import photo_dir

    mine, theirs = fresh
    folder = photo_dir(console.app)
    folder.mkdir(parents=True, exist_ok=True)
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
    with session_factory(demo_engine)() as s:
        for c in (mine, theirs):
            (folder / f"test-{c.id}.png").write_bytes(png)
            s.get(Complaint, c.id).photos = json.dumps([f"test-{c.id}.png"])
        s.commit()
    signed_in("leader", TOWN)
    page = console.get(f"{URL}/{mine.id}")
    assert f'<img src="{URL}/{mine.id}/photos/1"' in page.text
    r = console.get(f"{URL}/{mine.id}/photos/1")
    assert r.status_code == 200 and r.headers["content-type"] == "image/png" and r.content == png
    assert "no-store" in r.headers["cache-control"]
    assert console.get(f"{URL}/{mine.id}/photos/2").status_code == 404
    r = console.get(f"{URL}/{theirs.id}/photos/1")  # another town's: refused, as its page is
    assert r.status_code == 403 and "不在其中" in r.text
