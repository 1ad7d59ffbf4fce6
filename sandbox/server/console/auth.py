"""Routes: sign in and out, the forced first password change, the optional TOTP second factor."""

from __future__ import annotations

from urllib.parse import quote

import segno
from fastapi import APIRouter, HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from sandbox.server.console.guard import go, safe_next, staff_form, staff_page
from sandbox.server.console.render import message, page
from sandbox.server.console.session import (
    StaffUser,
    clear_session,
    client_address,
    csrf_ok,
    current_user,
    open_draft,
    park_draft,
    sign_session,
)
from sandbox.server.ratelimit import rate_limited
from sandbox.store.office import access_log
from sandbox.store.office.accounts import (
    AccountError,
    change_password,
    disable_totp,
    enable_totp,
    new_totp_secret,
    sign_in,
)
from sandbox.store.office.tables import StaffAccount

__all__ = ["router", "LOGIN_LIMIT"]

router = APIRouter()
LOGIN_LIMIT = "30/minute"  # per client, on top of each account's lockout: slows a sweep across many usernames
_login_rate = rate_limited(LOGIN_LIMIT, "console-login")


@router.get("/login")
def login_form(request: Request, next: str | None = None) -> Response:  # noqa: A002 — the query's name
    if current_user(request) is not None:
        return go(safe_next(next))
    return page(request, "login.html", None, title="登录", error=None, notice=None, username="", draft=None,
                next_path=safe_next(next))


def _sign_in(request: Request, username: str, password: str, code: str | None):
    with request.app.state.sessions() as session:
        result = sign_in(session, username, password, code)
        if result.account is not None:
            access_log.append(session, actor=f"账号 {result.account.username} ({result.account.display_name})",
                              role=result.account.role, action=access_log.CHANGE, what="sign_in", subject=username,
                              address=client_address(request), channel="console", detail="登录")
        session.commit()
        if result.account is not None:
            session.refresh(result.account)
            session.expunge(result.account)
        return result


@router.post("/login")
async def login(request: Request) -> Response:
    form = await request.form()
    username, password = str(form.get("username") or "").strip(), str(form.get("password") or "")
    draft = str(form.get("draft") or "") or None
    next_path = safe_next(str(form.get("next") or "") or None)

    def again(error: str, status: int) -> Response:
        return page(request, "login.html", None, status=status, title="登录", error=error, notice=None,
                    username=username, draft=draft, next_path=next_path)

    try:
        await _login_rate(request)
    except HTTPException as exc:
        wait = (exc.headers or {}).get("Retry-After", "60")
        return again(f"登录尝试过于频繁, 请 {wait} 秒后再试", 429)
    if not csrf_ok(request, str(form.get("csrf") or "")):
        return again("登录页已失效, 请重新输入后登录", 403)
    result = await run_in_threadpool(_sign_in, request, username, password, str(form.get("code") or "") or None)
    if result.needs_code and result.error is None:
        return again("该账号已开启双重验证, 请同时输入手机验证器上的 6 位动态验证码", 401)
    if result.account is None:
        return again(result.error or "用户名或密码错误", 401)
    target = next_path  # the page that sent them to sign in (/console/data by default)
    opened = open_draft(request, draft)
    parked = await run_in_threadpool(park_draft, request, draft) if opened is not None else None
    if parked is not None:  # by reference: a long notice sealed into the URL would pass a server's request-line limit
        target = f"{safe_next(opened[0])}?draft={quote(parked)}"
    if result.account.must_change_password:
        target = "/console/password"
    response = go(target)
    sign_session(request, response, result.account)
    return response


@router.post("/logout")
async def logout(request: Request) -> Response:
    response = go("/console/login")
    clear_session(response)
    return response


@router.get("/password")
def password_form(request: Request) -> Response:
    user = staff_page(request)
    if isinstance(user, Response):
        return user
    return page(request, "password.html", user, title="修改密码", error=None)


def _change(request: Request, user: StaffUser, old: str, new: str, again: str) -> StaffAccount | str:
    if new != again:
        return "两次输入的新密码不一致"
    with request.app.state.sessions() as session:
        account = session.get(StaffAccount, user.id)
        try:
            change_password(session, account, old, new)
        except AccountError as exc:
            return str(exc)
        access_log.append(session, actor=user.actor, role=user.role.value, action=access_log.CHANGE, what="password",
                          subject=user.username, address=client_address(request), channel="console",
                          detail="修改密码")
        session.commit()
        session.refresh(account)
        session.expunge(account)
        return account


@router.post("/password")
async def password_submit(request: Request) -> Response:
    got = await staff_form(request)
    if isinstance(got, Response):
        return got
    user, form = got
    done = await run_in_threadpool(_change, request, user, str(form.get("old") or ""), str(form.get("new") or ""),
                                   str(form.get("again") or ""))
    if isinstance(done, str):
        return page(request, "password.html", user, status=422, title="修改密码", error=done)
    response = go("/console/me?changed=1")
    sign_session(request, response, done)  # the change ended every other session, not this one
    return response


def _qr_svg(uri: str) -> str:
    return segno.make(uri, error="m").svg_inline(scale=4, dark="#111", light="#fff")


@router.get("/me")
def me(request: Request, changed: int = 0) -> Response:
    user = staff_page(request)
    if isinstance(user, Response):
        return user
    secret = uri = qr = None
    if not user.totp:
        import pyotp

        secret = new_totp_secret()
        uri = pyotp.TOTP(secret).provisioning_uri(name=user.username, issuer_name="扶贫电子沙盘")
        qr = _qr_svg(uri)
    return page(request, "me.html", user, title="我的账号", secret=secret, qr=qr, error=None,
                notice="密码已修改" if changed else None)


def _totp(request: Request, user: StaffUser, on: bool, secret: str, code: str) -> str | None:
    with request.app.state.sessions() as session:
        account = session.get(StaffAccount, user.id)
        try:
            if on:
                enable_totp(account, secret, code)
            else:
                disable_totp(account)
        except AccountError as exc:
            return str(exc)
        access_log.append(session, actor=user.actor, role=user.role.value, action=access_log.CHANGE, what="totp",
                          subject=user.username, address=client_address(request), channel="console",
                          detail="开启双重验证" if on else "关闭双重验证")
        session.commit()
        session.refresh(account)
        session.expunge(account)
        request.state.account = account
        return None


@router.post("/me/totp")
async def totp_submit(request: Request) -> Response:
    got = await staff_form(request)
    if isinstance(got, Response):
        return got
    user, form = got
    on = form.get("action") == "on"
    error = await run_in_threadpool(_totp, request, user, on, str(form.get("secret") or ""),
                                    str(form.get("code") or ""))
    if error:
        return message(request, user, "未能开启双重验证", error, status=422, back="/console/me")
    response = go("/console/me")
    sign_session(request, response, request.state.account)
    return response
