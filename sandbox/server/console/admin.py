"""Routes: staff accounts (create, reset) and API tokens for walls and devices (create, list, revoke); admins only."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from sqlalchemy import select

from sandbox.domain.enums import Role
from sandbox.domain.regions import InvalidRegionCode
from sandbox.server.console.guard import go, staff_form, staff_page
from sandbox.server.console.render import message, page
from sandbox.server.console.session import client_address, open_draft
from sandbox.store.models import Region
from sandbox.store.office import access_log
from sandbox.store.office.accounts import (
    ACCOUNT_ROLES,
    AccountError,
    create_account,
    find_account,
    list_accounts,
    reset_account,
)
from sandbox.store.tokens import create_token, list_tokens, parse_expiry, revoke_tokens, utcnow

__all__ = ["router"]

router = APIRouter()
TOKEN_ROLES = (Role.display, Role.delegation, Role.leader, Role.admin, Role.public, Role.cadre)
_TOKEN_STATE = {"active": "有效", "expired": "已过期", "revoked": "已吊销"}
_FIELDS = ("username", "display_name", "role", "region")


def _towns(session) -> list[tuple[str, str]]:
    """The towns an account or a token may be limited to (the whole county: no region)."""
    return [(c, n) for c, n in session.execute(select(Region.code, Region.name).where(Region.level == "town")
                                               .order_by(Region.code))]


def _accounts_page(request: Request, user, *, status: int = 200, error: str | None = None, shown: tuple | None = None,
                   form: dict | None = None) -> Response:
    with request.app.state.sessions() as session:
        accounts = list_accounts(session)
        towns = _towns(session)
        codes = {a.region_code for a in accounts if a.region_code}
        region_names = dict(session.execute(select(Region.code, Region.name).where(Region.code.in_(codes))).all()) \
            if codes else {}
        session.expunge_all()
    return page(request, "accounts.html", user, status=status, title="账号", accounts=accounts, error=error,
                shown=shown, form=form or {}, roles=ACCOUNT_ROLES, now=utcnow(), towns=towns,
                region_names=region_names)


@router.get("/accounts")
def accounts(request: Request, draft: str | None = None) -> Response:
    user = staff_page(request, admin=True)
    if isinstance(user, Response):
        return user
    opened = open_draft(request, draft, "/console/accounts")
    return _accounts_page(request, user, form={k: v for k, v in (opened[1] if opened else {}).items() if k in _FIELDS},
                          error="登录已恢复, 请核对下面保留的内容后再提交" if opened else None)


def _create(request: Request, user, form: dict) -> tuple | str:
    with request.app.state.sessions() as session:
        try:
            account, password = create_account(session, form.get("username", ""), role=form.get("role", "leader"),
                                               display_name=form.get("display_name") or None,
                                               region=form.get("region") or None)
        except (AccountError, InvalidRegionCode) as exc:
            return str(exc)
        access_log.append(session, actor=user.actor, role=user.role.value, action=access_log.CHANGE, what="account",
                          subject=account.username, region_code=account.region_code, address=client_address(request),
                          channel="console", detail=f"新建账号, 角色 {account.role}")
        session.commit()
        return account.username, password, "新建"


def _reset(request: Request, user, username: str) -> tuple | str:
    with request.app.state.sessions() as session:
        try:
            password = reset_account(session, username)
        except AccountError as exc:
            return str(exc)
        access_log.append(session, actor=user.actor, role=user.role.value, action=access_log.CHANGE, what="account",
                          subject=username, address=client_address(request), channel="console",
                          detail="重置密码、解锁、清除动态验证码")
        session.commit()
        return username, password, "重置"


@router.post("/accounts")
async def accounts_create(request: Request) -> Response:
    got = await staff_form(request, admin=True)
    if isinstance(got, Response):
        return got
    user, form = got
    fields = {k: str(form.get(k) or "").strip() for k in _FIELDS}
    done = await run_in_threadpool(_create, request, user, fields)
    if isinstance(done, str):
        return _accounts_page(request, user, status=422, error=done, form=fields)
    return _accounts_page(request, user, shown=done)


@router.get("/accounts/{username}/reset")
def accounts_reset_ask(request: Request, username: str) -> Response:
    """The reset asked first: one click in the list would end a colleague's sessions and lock them out until told
    the new password."""
    user = staff_page(request, admin=True)
    if isinstance(user, Response):
        return user
    with request.app.state.sessions() as session:
        account = find_account(session, username)
        if account is None:
            return message(request, user, "没有这个账号", f"没有用户名为 {username[:64]} 的账号。", status=404,
                           back="/console/accounts")
        session.expunge(account)
    return page(request, "account_reset.html", user, title="重置密码", account=account, own=account.id == user.id)


@router.post("/accounts/{username}/reset")
async def accounts_reset(request: Request, username: str) -> Response:
    got = await staff_form(request, admin=True)
    if isinstance(got, Response):
        return got
    user, form = got
    if form.get("confirm") != "yes":  # only the confirmation page's button resets
        return go(f"/console/accounts/{quote(username)}/reset")
    done = await run_in_threadpool(_reset, request, user, username)
    if isinstance(done, str):
        return _accounts_page(request, user, status=404, error=done)
    return _accounts_page(request, user, shown=done)


def _tokens_page(request: Request, user, *, status: int = 200, error: str | None = None, shown: str | None = None,
                 form: dict | None = None) -> Response:
    with request.app.state.sessions() as session:
        tokens = list_tokens(session)
        towns = _towns(session)
    return page(request, "tokens.html", user, status=status, title="访问令牌", tokens=tokens, states=_TOKEN_STATE,
                error=error, shown=shown, form=form or {}, roles=TOKEN_ROLES, towns=towns,
                role_zh={r.value: r.label_zh for r in Role})


@router.get("/tokens")
def tokens(request: Request, draft: str | None = None) -> Response:
    user = staff_page(request, admin=True)
    if isinstance(user, Response):
        return user
    opened = open_draft(request, draft, "/console/tokens")
    return _tokens_page(request, user, form=opened[1] if opened else None)


def _new_token(request: Request, user, form: dict) -> str | tuple[str]:
    with request.app.state.sessions() as session:
        try:
            expires = parse_expiry(form["expires"]) if form.get("expires") else None
            plain = create_token(session, form.get("role") or "display", form.get("region") or None,
                                 form.get("label") or None, expires_at=expires)
        except (ValueError, InvalidRegionCode) as exc:
            return str(exc)
        access_log.append(session, actor=user.actor, role=user.role.value, action=access_log.CHANGE, what="token",
                          subject=form.get("label") or "(无标签)", region_code=form.get("region") or None,
                          address=client_address(request), channel="console", detail=f"新建令牌, 角色 {form.get('role')}")
        session.commit()
        return (plain,)


@router.post("/tokens")
async def tokens_create(request: Request) -> Response:
    got = await staff_form(request, admin=True)
    if isinstance(got, Response):
        return got
    user, form = got
    fields = {k: str(form.get(k) or "").strip() for k in ("role", "region", "label", "expires")}
    if fields["role"] not in {r.value for r in TOKEN_ROLES}:
        return _tokens_page(request, user, status=422, error="请选择令牌角色", form=fields)
    done = await run_in_threadpool(_new_token, request, user, fields)
    if isinstance(done, str):
        return _tokens_page(request, user, status=422, error=done, form=fields)
    return _tokens_page(request, user, shown=done[0])


def _revoke(request: Request, user, token_id: int) -> str | None:
    with request.app.state.sessions() as session:
        try:
            revoked = revoke_tokens(session, token_id)
        except LookupError as exc:
            return str(exc)
        access_log.append(session, actor=user.actor, role=user.role.value, action=access_log.CHANGE, what="token",
                          subject=f"令牌 #{token_id}", address=client_address(request), channel="console",
                          detail="吊销" if revoked else "早已吊销")
        session.commit()
    return None


@router.post("/tokens/{token_id}/revoke")
async def tokens_revoke(request: Request, token_id: int) -> Response:
    got = await staff_form(request, admin=True)
    if isinstance(got, Response):
        return got
    user, _ = got
    if not 1 <= token_id < 2**31:
        return message(request, user, "没有这个令牌", f"没有编号为 {token_id} 的令牌。", status=404, back="/console/tokens")
    error = await run_in_threadpool(_revoke, request, user, token_id)
    if error:
        return _tokens_page(request, user, status=404, error=error)
    return _tokens_page(request, user, error=None)
