"""Named accounts: the first password must be changed, five wrong ones lock the account (saying until when),
TOTP when enabled, the session cookie's flags, and `sandbox user` on the server always gets an admin back in."""

from __future__ import annotations

import datetime as dt
import re

import pyotp
from sqlalchemy import select

from sandbox.cli import main
from sandbox.store.db import session_factory
from sandbox.store.office.accounts import MAX_FAILURES, AccountError, create_account
from sandbox.store.office.accounts import sign_in as check_sign_in
from sandbox.store.office.tables import StaffAccount
from tests.console.conftest import PASSWORD, csrf_of, new_account, post_form, sign_in


def test_the_first_password_must_be_changed_before_anything_else(console, demo_engine):
    username, first = new_account(demo_engine, "leader", changed=False)
    r = sign_in(console, username, first)
    assert r.status_code == 303 and r.headers["location"] == "/console/password"
    assert console.get("/console/data").headers["location"] == "/console/password"  # every page waits for it
    r = post_form(console, "/console/password", "/console/password",
                  {"old": first, "new": "short", "again": "short"})
    assert r.status_code == 422 and "至少 10 个字符" in r.text
    r = post_form(console, "/console/password", "/console/password",
                  {"old": first, "new": PASSWORD, "again": PASSWORD})
    assert r.status_code == 303
    assert console.get("/console/data").status_code == 200


def test_five_wrong_passwords_lock_the_account_and_say_until_when(console, demo_engine):
    username, password = new_account(demo_engine, "leader")
    for n in range(1, MAX_FAILURES):
        r = sign_in(console, username, "wrong-password")
        assert r.status_code == 401 and f"再错 {MAX_FAILURES - n} 次" in r.text
    r = sign_in(console, username, "wrong-password")
    with session_factory(demo_engine)() as s:
        until = s.scalar(select(StaffAccount.locked_until).where(StaffAccount.username == username))
    shown = (until + dt.timedelta(hours=8)).strftime("%Y-%m-%d %H:%M")
    assert until is not None and f"账号已锁定至 {shown} (北京时间)" in r.text
    r = sign_in(console, username, password)  # the right password does not open a locked account
    assert r.status_code == 401 and "锁定至" in r.text and "sbx_console" not in r.headers.get("set-cookie", "")


def test_the_lock_ends_at_its_time(demo_engine):
    username, password = new_account(demo_engine, "leader")
    now = dt.datetime(2026, 1, 1, 8, 0)
    with session_factory(demo_engine)() as s:
        for _ in range(MAX_FAILURES):
            check_sign_in(s, username, "nope", now=now)
        assert check_sign_in(s, username, password, now=now + dt.timedelta(minutes=14)).account is None
        assert check_sign_in(s, username, password, now=now + dt.timedelta(minutes=16)).account is not None


def test_an_admin_locked_out_gets_back_in_with_user_reset_on_the_server(console, demo_engine, db_url, capsys):
    assert main(["user", "create", "--admin", "chief", "--display-name", "主任", "--db", db_url]) == 0
    first = capsys.readouterr().out.strip().splitlines()[-1]
    for _ in range(MAX_FAILURES):
        sign_in(console, "chief", "wrong-password")
    assert "锁定至" in sign_in(console, "chief", first).text
    assert main(["user", "list", "--db", db_url]) == 0
    assert "chief" in capsys.readouterr().out
    assert main(["user", "reset", "chief", "--db", db_url]) == 0
    again = capsys.readouterr().out.strip().splitlines()[-1]
    r = sign_in(console, "chief", again)
    assert r.status_code == 303 and r.headers["location"] == "/console/password"


def test_user_create_refuses_a_taken_name_in_chinese(demo_engine, db_url, capsys):
    assert main(["user", "create", "twice", "--db", db_url]) == 0
    assert main(["user", "create", "twice", "--db", db_url]) == 2
    assert "已存在" in capsys.readouterr().err


def test_account_regions_must_exist(demo_engine):
    with session_factory(demo_engine)() as s:
        try:
            create_account(s, "nowhere", role="leader", region="522726999000")
        except AccountError as exc:
            assert "未找到区划代码" in str(exc)
        else:
            raise AssertionError("an account for a region not in the database was created")


def test_the_session_cookie_is_httponly_samesite_strict(console, demo_engine):
    username, password = new_account(demo_engine, "leader")
    r = sign_in(console, username, password)
    cookie = [c for c in r.headers.get_list("set-cookie") if c.startswith("sbx_console=")][0].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie and "path=/console" in cookie
    assert "secure" not in cookie  # plain http here; under https it is Secure (session._secure)


def test_a_changed_password_ends_other_sessions(console, demo_engine, signed_in):
    signed_in("leader")
    stolen = console.cookies.get("sbx_console")
    post_form(console, "/console/password", "/console/password",
              {"old": PASSWORD, "new": "Another-Pass-2027", "again": "Another-Pass-2027"})
    fresh = console.get("/console/data")
    assert fresh.status_code == 200  # this browser's session was re-signed
    console.cookies.clear()
    console.cookies.set("sbx_console", stolen)
    assert console.get("/console/data").status_code == 303  # the other one goes back to the sign-in


def test_totp_once_enabled_is_asked_for(console, demo_engine, signed_in):
    username = signed_in("leader")
    html = console.get("/console/me").text
    secret = html.split('name="secret" value="')[1].split('"')[0]
    r = console.post("/console/me/totp", data={"csrf": csrf_of(html), "action": "on", "secret": secret,
                                               "code": pyotp.TOTP(secret).now()})
    assert r.status_code == 303
    console.cookies.clear()
    r = sign_in(console, username, PASSWORD)
    assert r.status_code == 401 and "动态验证码" in r.text
    r = sign_in(console, username, PASSWORD, code="000000" if pyotp.TOTP(secret).now() != "000000" else "111111")
    assert r.status_code == 401
    r = sign_in(console, username, PASSWORD, code=pyotp.TOTP(secret).now())
    assert r.status_code == 303


def test_an_unknown_username_gets_the_same_answer_as_a_wrong_password(console):
    r = sign_in(console, "nobody-here", "whatever-it-is")
    error = r.text.split('id="error">')[1].split("</p>")[0]
    assert r.status_code == 401 and error == "用户名或密码错误"  # nothing about tries left: no account to lock


def test_a_wrong_password_keeps_the_name_and_says_who_can_reset_it(console, demo_engine):
    """The page after a wrong password: the name kept, the cursor in the password field, and the way back in that a
    staff member has (an admin's 重置密码并解锁 on 账号), not only the server's command."""
    username, _ = new_account(demo_engine, "leader")
    page = sign_in(console, username, "wrong-password").text
    assert f'name="username" value="{username}"' in page
    assert re.search(r'<input name="password"[^>]*autofocus', page) and not re.search(r'<input name="username"[^>]*autofocus', page)
    assert "重置密码并解锁" in page and "「账号」页" in page
    fresh = console.get("/console/login").text  # nothing typed yet: the cursor starts at the name
    assert re.search(r'<input name="username"[^>]*autofocus', fresh)


def test_a_reset_in_the_console_is_asked_first_then_shows_the_new_password_once(console, demo_engine, signed_in):
    """重置密码并解锁 in the account list opens a page that says what the reset does; only its 确认重置 resets (one
    click in the list used to end a colleague's sessions at once)."""
    colleague, password = new_account(demo_engine, "leader", display_name="王五")
    signed_in("admin")
    listed = console.get("/console/accounts").text
    assert f'href="/console/accounts/{colleague}/reset"' in listed
    assert f'action="/console/accounts/{colleague}/reset"' not in listed  # no reset straight from the list
    asked = console.get(f"/console/accounts/{colleague}/reset")
    assert asked.status_code == 200 and "确认重置" in asked.text and "王五" in asked.text and "已登录的页面全部退出" in asked.text
    r = post_form(console, "/console/accounts", f"/console/accounts/{colleague}/reset", {})  # the old one-click form
    assert r.status_code == 303 and r.headers["location"] == f"/console/accounts/{colleague}/reset"
    with session_factory(demo_engine)() as s:
        assert check_sign_in(s, colleague, password).account is not None  # nothing changed
        s.commit()
    done = post_form(console, f"/console/accounts/{colleague}/reset", f"/console/accounts/{colleague}/reset",
                     {"confirm": "yes"})
    assert done.status_code == 200 and "已重置账号" in done.text
    first = re.search(r'id="first-password">([^<]+)<', done.text).group(1)
    with session_factory(demo_engine)() as s:
        assert check_sign_in(s, colleague, password).account is None
        assert check_sign_in(s, colleague, first).account is not None
        s.commit()
    assert console.get("/console/accounts/nobody-here/reset").status_code == 404
    odd = console.get("/console/accounts/" + "名" * 300 + "/reset")  # a name no account has: said, not echoed whole
    assert odd.status_code == 404 and "没有这个账号" in odd.text and "名" * 65 not in odd.text
    console.cookies.clear()
    signed_in("leader")  # not an admin: the page that resets is not theirs to see
    refused = console.get(f"/console/accounts/{colleague}/reset")
    assert refused.status_code == 403 and "确认重置" not in refused.text
