"""The console's pages: CSRF on every form, a form that survives an expired session, role masking and region
scope, admin-only pages, API tokens managed from the browser, the data at a glance."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from sandbox.domain.masking import mask_name
from sandbox.server.checkins.schemas import MAX_BODY_BYTES as CHECKIN_MAX_BODY_BYTES
from sandbox.store.command.notices import Notice
from sandbox.store.db import session_factory
from sandbox.store.models import ApiToken, Household
from sandbox.store.tokens import find_token
from tests.console.conftest import csrf_of, post_form

OTHER_TOWN, TOWN = "522726101000", "522726103000"


def _household_in(engine, prefix: str) -> Household:
    with session_factory(engine)() as s:
        h = s.scalars(select(Household).where(Household.village_code.startswith(prefix[:9]))
                      .order_by(Household.id).limit(1)).one()
        s.expunge(h)
        return h


def test_every_page_needs_a_signed_in_person(console):
    for path in ("/console/data", "/console/households", "/console/imports", "/console/accounts", "/console/tokens",
                 "/console/access-log", "/console/command", "/console/me"):
        r = console.get(path)
        assert r.status_code == 303 and r.headers["location"].startswith("/console/login?next="), path


def test_signing_in_returns_to_the_page_asked_for(console, demo_engine):
    from tests.console.conftest import new_account

    username, password = new_account(demo_engine, "leader")
    r = console.get("/console/access-log")
    login = console.get(r.headers["location"])
    assert 'name="next" value="/console/access-log"' in login.text
    r = console.post("/console/login", data={"csrf": csrf_of(login.text), "username": username, "password": password,
                                             "next": "/console/access-log"})
    assert r.headers["location"] == "/console/access-log"
    r = console.post("/console/login", data={"csrf": csrf_of(login.text), "username": username, "password": password,
                                             "next": "//evil.example/console/"})
    assert r.headers["location"] == "/console/data"  # never off the site


def test_a_form_without_its_csrf_token_changes_nothing(console, demo_engine, signed_in):
    signed_in("admin")
    r = console.post("/console/accounts", data={"username": "forged1", "role": "admin"})
    assert r.status_code == 403 and "表单已失效" in r.text
    r = console.post("/console/accounts", data={"username": "forged1", "role": "admin", "csrf": "guess"})
    assert r.status_code == 403
    assert "forged1" not in console.get("/console/accounts").text


def test_the_sign_in_form_needs_its_csrf_token_too(console, demo_engine):
    r = console.post("/console/login", data={"username": "x", "password": "y"})
    assert r.status_code == 403 and "登录页已失效" in r.text


def test_a_form_sent_after_the_session_expired_comes_back_filled(console, demo_engine, signed_in):
    username = signed_in("admin")
    html = console.get("/console/accounts").text
    console.cookies.delete("sbx_console", path="/console")  # the session ran out while the clerk typed
    r = console.post("/console/accounts", headers={"referer": "http://testserver/console/accounts"},
                     data={"csrf": csrf_of(html), "username": "wangwu", "display_name": "王五", "role": "display",
                           "region": TOWN})
    assert r.status_code == 401 and "您填写的内容已保留" in r.text
    draft = re.search(r'name="draft" value="([^"]+)"', r.text).group(1)
    r = console.post("/console/login", data={"csrf": csrf_of(r.text), "username": username,
                                             "password": "Qingshui-Jiang-2026", "draft": draft})
    assert r.status_code == 303 and r.headers["location"].startswith("/console/accounts?draft=")
    page = console.get(r.headers["location"]).text
    assert 'value="wangwu"' in page and 'value="王五"' in page and f'<option value="{TOWN}" selected>' in page
    assert re.search(r'<option value="display" selected>', page)
    assert "wangwu</td>" not in page  # filled in, not yet created: the clerk submits it again


def test_a_clerk_cannot_see_another_towns_households(console, demo_engine, signed_in):
    signed_in("leader", TOWN)
    mine, theirs = _household_in(demo_engine, TOWN), _household_in(demo_engine, OTHER_TOWN)
    assert console.get(f"/console/households/{mine.id}").status_code == 200
    r = console.get(f"/console/households/{theirs.id}")
    assert r.status_code == 403 and "仅限 基长镇 辖区" in r.text and theirs.head_name not in r.text
    r = console.get("/console/households", params={"region": OTHER_TOWN})
    assert r.status_code == 403
    listed = console.get("/console/households").text  # no region: their own
    assert mine.household_number in listed and theirs.household_number not in listed


def test_pages_are_masked_by_the_signed_in_role(console, demo_engine, signed_in):
    h = _household_in(demo_engine, TOWN)
    signed_in("display")
    page = console.get(f"/console/households/{h.id}").text
    assert mask_name(h.head_name) in page and h.head_name not in page and h.id_number not in page
    console.cookies.clear()
    signed_in("leader")
    page = console.get(f"/console/households/{h.id}").text
    assert h.head_name in page and h.id_number not in page and h.id_number[-4:] in page


def test_only_admins_manage_accounts_tokens_imports_and_the_log(console, demo_engine, signed_in):
    signed_in("leader")
    for path in ("/console/accounts", "/console/tokens", "/console/imports", "/console/access-log"):
        r = console.get(path)
        assert r.status_code == 403 and "仅限管理员" in r.text, path
    assert "/console/accounts" not in console.get("/console/data").text  # not offered in the navigation either


def test_tokens_are_created_listed_and_revoked_in_the_console(console, demo_engine, signed_in):
    signed_in("admin")
    r = post_form(console, "/console/tokens", "/console/tokens",
                  {"role": "display", "region": "", "label": "指挥中心大屏9", "expires": "30d"})
    assert r.status_code == 200
    plain = re.search(r'id="new-token">([^<]+)<', r.text).group(1)
    with session_factory(demo_engine)() as s:
        token = find_token(s, plain)
        assert token is not None and token.label == "指挥中心大屏9" and token.expires_at is not None
        token_id = token.id
    assert "指挥中心大屏9" in console.get("/console/tokens").text
    r = post_form(console, "/console/tokens", f"/console/tokens/{token_id}/revoke", {})
    assert r.status_code == 200
    with session_factory(demo_engine)() as s:
        assert s.get(ApiToken, token_id).revoked_at is not None
    r = post_form(console, "/console/tokens", "/console/tokens", {"role": "cadre", "label": "cadre:999999"})
    assert r.status_code == 422 and "不存在" in r.text


def test_the_data_page_says_what_each_source_holds_and_what_the_wall_lacks(console, signed_in):
    signed_in("display")
    page = console.get("/console/data").text
    for name in ("区划与边界", "建档立卡户", "帮扶干部", "扶贫资金", "工作签到"):
        assert name in page
    assert "帮扶覆盖率" in page and "资金到位率" in page  # what 无数据 would follow from each
    assert "演示数据" in page


def test_the_command_desk_lists_the_workbenches_the_role_may_open(console, signed_in):
    from sandbox.server.console.desk.sections import SECTIONS, Section, register

    before = list(SECTIONS)
    try:
        register(Section("x-open", "测试工作台", "人人可用"))
        register(Section("x-admin", "管理员工作台", "仅限管理员", admin=True))
        signed_in("leader")
        r = console.get("/console/command")
        assert r.status_code == 200 and "指挥调度" in r.text
        assert "/console/command/x-open" in r.text and "/console/command/x-admin" not in r.text
    finally:
        SECTIONS[:] = before


@pytest.mark.parametrize("role", ["admin", "leader", "display"])
def test_the_desk_shows_only_the_cards_the_role_can_open(console, signed_in, role):
    signed_in(role, None if role == "admin" else TOWN)
    cards = re.findall(r'<li class="card"><a href="(/console/command/[^"]+)"', console.get("/console/command").text)
    assert cards
    for path in cards:
        r = console.get(path)
        assert r.status_code == 200, (role, path, r.status_code)
    hidden = {"/console/command/complaints", "/console/command/followup", "/console/command/callbacks"}
    if role == "display":  # read-only: the rates and counts, not the workbenches that act (they answer 403)
        assert not hidden & set(cards) and "/console/command/notices" in cards
        assert all(console.get(path).status_code == 403 for path in hidden)
    else:
        assert hidden <= set(cards)


def test_a_form_over_the_size_limit_gets_a_page_that_says_the_limit_and_leads_back(console, demo_engine, signed_in):
    signed_in("leader", TOWN)
    form = "/console/command/notices?kind=notice"
    html = console.get(form).text
    data = {"csrf": csrf_of(html), "kind": "notice", "region": TOWN, "title": "超长的通知", "content": "字" * 30_000}
    back = {"referer": f"http://testserver{form}"}
    r = console.post("/console/command/notices", data=data, headers=back)  # over the route's own limit (Starlette's)
    assert r.status_code == 413 and r.headers["content-type"].startswith("text/html")
    assert "提交的内容过大" in r.text and "上限 180 KB" in r.text and "未保存" in r.text and "后退" in r.text
    assert f'href="{form}"' in r.text  # back to the form it came from
    with session_factory(demo_engine)() as s:
        assert s.scalar(select(Notice.id).where(Notice.title == "超长的通知")) is None
    assert console.post("/console/command/notices", data={**data, "content": "字" * 100}).status_code == 303
    # a form with no limit of its own (the API's 64 KB), and one over the largest any route takes (before routing)
    r = console.post("/console/login", data={"csrf": "x", "username": "u" * 70_000, "password": "p"},
                     headers={"referer": "http://testserver/console/login"})
    assert r.status_code == 413 and "上限 64 KB" in r.text and 'href="/console/login"' in r.text
    r = console.post("/console/command/notices", content=b"x" * (CHECKIN_MAX_BODY_BYTES + 1),
                     headers={**back, "content-type": "application/x-www-form-urlencoded"})
    assert r.status_code == 413 and r.headers["content-type"].startswith("text/html") and "提交的内容过大" in r.text
    # the API keeps its JSON
    r = console.post("/api/v1/checkins", content=b"x" * (CHECKIN_MAX_BODY_BYTES + 1))
    assert r.status_code == 413 and r.headers["content-type"] == "application/json"


def test_pages_fetch_nothing_from_elsewhere(console, signed_in):
    signed_in("admin")
    r = console.get("/console/data")
    assert "default-src 'none'" in r.headers["content-security-policy"]
    assert r.headers["cache-control"] == "no-store"
    assert not re.search(r'(src|href)="(https?:)?//', r.text)
    assert console.get("/console/static/console.css").status_code == 200


def test_a_town_accounts_pages_name_its_town_not_its_code(console, demo_engine, signed_in):
    """A new clerk reads 辖区 基长镇 in the header and on 我的账号, and the admin's account list says 基长镇 too:
    before 2026-12-07 each said 522726103000."""
    username = signed_in("leader", TOWN)
    for path in ("/console/data", "/console/me"):
        page = console.get(path).text
        assert "基长镇" in page and TOWN not in page, path
    theirs = console.get(f"/console/households/{_household_in(demo_engine, OTHER_TOWN).id}")  # a refusal too
    assert theirs.status_code == 403 and "仅限 基长镇 辖区" in theirs.text and TOWN not in theirs.text
    console.cookies.clear()
    signed_in("admin")
    row = re.search(rf"<tr>\s*<td>{username}</td>.*?</tr>", console.get("/console/accounts").text, re.S)
    assert row is not None and "<td>基长镇</td>" in row.group(0) and TOWN not in row.group(0)
