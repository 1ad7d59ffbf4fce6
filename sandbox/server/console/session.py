"""The console's session: a signed cookie (HttpOnly, SameSite=Strict, Secure under HTTPS), double-submit CSRF,
and form drafts that survive a sign-in when a session expired in the middle of a form."""

from __future__ import annotations

import datetime as dt
import hmac
import json
import secrets
from dataclasses import dataclass

from fastapi import Request
from fastapi.responses import Response
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError

from sandbox.domain.enums import Role
from sandbox.domain.regions import RegionCode
from sandbox.store.models import Region
from sandbox.store.office.tables import ConsoleDraft, ConsoleKey, StaffAccount
from sandbox.store.tokens import utcnow

__all__ = ["SESSION_COOKIE", "CSRF_COOKIE", "SESSION_HOURS", "StaffUser", "current_user", "sign_session",
           "clear_session", "csrf_token", "csrf_ok", "seal_draft", "open_draft", "park_draft", "client_address"]

SESSION_COOKIE = "sbx_console"
CSRF_COOKIE = "sbx_console_csrf"
SESSION_HOURS = 8  # one working day; then sign in again
PATH = "/console"


@dataclass(frozen=True)
class StaffUser:
    """The signed-in person, as the pages need them."""

    id: int
    username: str
    display_name: str
    role: Role
    region: RegionCode | None
    must_change_password: bool
    totp: bool
    region_name: str | None = None  # the page header says 辖区 基长镇, not its 12-digit code

    @property
    def is_admin(self) -> bool:
        return self.role == Role.admin

    @property
    def actor(self) -> str:
        return f"账号 {self.username} ({self.display_name})"

    @property
    def region_zh(self) -> str:
        """The account's region as people say it (基长镇); its code if the register lacks it; 全县 when none."""
        return self.region_name or (self.region.value if self.region is not None else "全县")

    def may_see(self, code: str | None) -> bool:
        return self.region is None or (code is not None and str(code).startswith(self.region.prefix))


def _key(app) -> str:
    """The signing key, made once and kept in the database (every worker and restart agrees on it)."""
    cached = getattr(app.state, "console_key", None)
    if cached:
        return cached
    with app.state.sessions() as session:
        row = session.get(ConsoleKey, "session")
        if row is None:
            session.add(ConsoleKey(name="session", value=secrets.token_hex(32), created_at=utcnow()))
            try:
                session.commit()
            except IntegrityError:  # another worker made it first: use theirs
                session.rollback()
            row = session.get(ConsoleKey, "session")
        app.state.console_key = row.value
    return row.value


def _serializer(app, salt: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(_key(app), salt=salt)


def _secure(request: Request) -> bool:
    return request.url.scheme == "https"


def sign_session(request: Request, response: Response, account: StaffAccount) -> None:
    value = _serializer(request.app, "session").dumps({"u": account.id, "e": account.session_epoch})
    response.set_cookie(SESSION_COOKIE, value, max_age=SESSION_HOURS * 3600, path=PATH, httponly=True,
                        samesite="strict", secure=_secure(request))


def clear_session(response: Response) -> None:
    response.delete_cookie(SESSION_COOKIE, path=PATH)


def current_user(request: Request) -> StaffUser | None:
    """The person the session cookie names, if it is valid, unexpired and their password has not changed since."""
    raw = request.cookies.get(SESSION_COOKIE)
    if not raw:
        return None
    try:
        data = _serializer(request.app, "session").loads(raw, max_age=SESSION_HOURS * 3600)
    except BadSignature:
        return None
    with request.app.state.sessions() as session:
        a = session.get(StaffAccount, int(data.get("u", 0)))
        if a is None or a.disabled or a.session_epoch != data.get("e"):
            return None
        region = session.get(Region, a.region_code) if a.region_code else None
        return StaffUser(a.id, a.username, a.display_name, Role(a.role),
                         RegionCode(a.region_code) if a.region_code else None, a.must_change_password,
                         a.totp_secret is not None, region.name if region is not None else None)


def csrf_token(request: Request, response: Response | None = None) -> str:
    """The page's CSRF token: the cookie's (set on `response` when the browser has none yet)."""
    token = request.cookies.get(CSRF_COOKIE) or getattr(request.state, "csrf_new", None)
    if not token:
        token = request.state.csrf_new = secrets.token_urlsafe(24)
    if response is not None and request.cookies.get(CSRF_COOKIE) != token:
        response.set_cookie(CSRF_COOKIE, token, path=PATH, httponly=True, samesite="strict", secure=_secure(request))
    return token


def csrf_ok(request: Request, submitted: str | None) -> bool:
    """Double submit: the form's hidden field equals the cookie (a forged cross-site form cannot read it)."""
    cookie = request.cookies.get(CSRF_COOKIE)
    return bool(cookie and submitted and hmac.compare_digest(cookie, submitted))


def seal_draft(request: Request, path: str, fields: dict[str, str]) -> str:
    """A form's typed values, signed, to carry through a sign-in (the browser holds them, not the server)."""
    return _serializer(request.app, "draft").dumps({"p": path, "f": fields})


DRAFT_HOURS = 24
_PARKED = "@"  # a parked draft's reference starts with this; a sealed one never does (URL-safe base64)


def park_draft(request: Request, sealed: str) -> str | None:
    """The sealed draft kept on the server; its reference (short, for the URL after the sign-in), or None
    when it does not open."""
    opened = open_draft(request, sealed)
    if opened is None:
        return None
    now = utcnow()
    key = secrets.token_urlsafe(18)
    with request.app.state.sessions() as session:
        session.execute(delete(ConsoleDraft).where(ConsoleDraft.created_at < now - dt.timedelta(hours=DRAFT_HOURS)))
        session.add(ConsoleDraft(id=key, path=opened[0][:255], fields=json.dumps(opened[1], ensure_ascii=False),
                                 created_at=now))
        session.commit()
    return _PARKED + key


def open_draft(request: Request, sealed: str | None, path: str | None = None) -> tuple[str, dict] | None:
    """(path, fields) of a sealed draft (the login form carries it) or a parked one (the page after the sign-in)."""
    if not sealed:
        return None
    if sealed.startswith(_PARKED):
        with request.app.state.sessions() as session:
            row = session.get(ConsoleDraft, sealed[len(_PARKED):][:32])
            fresh = row is not None and row.created_at >= utcnow() - dt.timedelta(hours=DRAFT_HOURS)
            data = {"p": row.path, "f": json.loads(row.fields)} if fresh else None
        if data is None:
            return None
    else:
        try:
            data = _serializer(request.app, "draft").loads(sealed, max_age=DRAFT_HOURS * 3600)
        except BadSignature:
            return None
    if path is not None and data.get("p") != path:
        return None
    return data.get("p"), data.get("f") or {}


def client_address(request: Request) -> str | None:
    return request.client.host if request.client else None
