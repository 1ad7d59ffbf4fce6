"""Request dependencies: database session, the caller's token and role, region and year checks."""

from __future__ import annotations

import asyncio
import contextvars
import datetime as dt
import functools
import logging
import time
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, HTTPException, Path, Query, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from sandbox.domain.enums import Role
from sandbox.domain.regions import InvalidRegionCode, RegionCode
from sandbox.server.ratelimit import check_auth_rate
from sandbox.server.timing import mark_auth_start
from sandbox.settings import Settings, get_settings
from sandbox.store import queries
from sandbox.store.checkins import cadre_id_from_label
from sandbox.store.models import Region
from sandbox.store.tokens import find_token, tokens_fingerprint, touch_token, utcnow

__all__ = ["in_thread", "SessionDep", "Caller", "CallerDep", "allow", "region_or_404", "YearQuery", "resolve_year", "settings_of",
           "RegionScope", "RegionDep", "OptionalRegionDep", "PathRegionDep", "REGION_SCOPES", "unauthorised",
           "still_authorised", "caller_for_token"]

log = logging.getLogger(__name__)
_bearer = HTTPBearer(auto_error=False)

# Threads kept for the API's own blocking steps (a caller's lookup, a stream's recheck, a check-in's work).
# anyio's pool ends a thread idle for 10 s and starts one on the next burst, and the event loop waits in
# Thread.start until the new thread holds the interpreter: with the load test's background that wait was a
# quarter of the loop's longest stalls (50-240 ms each, ≈ 1 ms of it work) — every connection of the worker
# waited with it. These threads are started once and stay; as many as a worker's database connections.
_HOPS = ThreadPoolExecutor(max_workers=16, thread_name_prefix="api-hop")


async def in_thread(fn, *args):
    """`fn(*args)` on one of the API's kept threads, in a copy of the caller's context (as anyio's hop)."""
    call = functools.partial(contextvars.copy_context().run, fn, *args)
    return await asyncio.get_running_loop().run_in_executor(_HOPS, call)


async def get_session(request: Request) -> AsyncIterator[Session]:
    # async so FastAPI does not hop to a worker thread to open it (a hop costs ~1 ms); the session does no I/O
    # until the (sync, threaded) endpoint uses it. One the endpoint used is closed on a kept thread: closing
    # rolls back, a round trip to the database that stalled the event loop (the load test's loop trace).
    session = request.app.state.sessions()
    try:
        yield session
    finally:
        if session.in_transaction():  # its rollback is a round trip: not on the event loop, which every connection waits on
            await in_thread(session.close)
        else:
            session.close()


SessionDep = Annotated[Session, Depends(get_session)]


@dataclass(frozen=True)
class Caller:
    role: Role
    region: RegionCode | None  # a token may be limited to one region: see RegionScope
    cadre_id: int | None = None  # a `cadre` token's cadre (label "cadre:<id>", see sandbox.store.checkins)
    token_id: int | None = None  # who, in the access log (sandbox.server.core.access)

    def may_see(self, code: RegionCode | str | None) -> bool:
        """Whether a record of region `code` lies in this token's region (always, for an unlimited token)."""
        if self.region is None:
            return True
        return code is not None and str(code).startswith(self.region.prefix)

    def check_region(self, code: RegionCode | str, what: str = "") -> None:
        """403 with a Chinese detail unless `code` lies in the token's region."""
        if not self.may_see(code):
            shown = what or str(code)
            raise HTTPException(403, f"令牌仅限 {self.region.value} 辖区,无权查看 {shown}")


@dataclass
class _Known:
    """A token as the API last looked it up: valid while the tokens table's fingerprint is the same,
    and for CACHE_TTL_S at most (an edit in place does not move the fingerprint)."""

    caller: Caller
    token_id: int
    expires_at: dt.datetime | None
    fingerprint: tuple
    looked_up_at: float  # time.monotonic()
    touched_at: dt.datetime | None


_TOUCH_EVERY = dt.timedelta(minutes=1)  # how often `last_used_at` is written for a token in use
CACHE_TTL_S = 30.0  # a role, region or expiry edited by hand in the database counts after this at most
_CACHE_MAX = 10_000


def unauthorised(request: Request, detail: str) -> HTTPException:
    """The 401 every failed authentication ends in (one place: counting failures hooks in here)."""
    return HTTPException(401, detail, headers={"WWW-Authenticate": "Bearer"})


async def get_caller(request: Request,
                     credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]) -> Caller:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise unauthorised(request, "缺少访问令牌 (Authorization: Bearer …)")
    return await caller_for_token(request, credentials.credentials)


async def caller_for_token(request: Request, plain: str, refused: str | None = None) -> Caller:
    """Who a token is (a bearer token, or the phone app's device cookie); 401 (with `refused` as the
    detail, if given) when it is unknown, revoked or expired."""
    mark_auth_start()  # a check-in's `auth` phase (Server-Timing)
    # Looked up first: a valid token always works, however often others behind the same address
    # (a NAT, a county office) failed; only failures are limited.
    known, touch = await in_thread(_authenticate, request.app, plain)
    if isinstance(known, str):
        check_auth_rate(request)  # 429 once this client failed too often (counted in app.py's 401 handler)
        raise unauthorised(request, refused or known)
    if touch:  # written off the request's path: a busy database must not hold up the answer
        asyncio.get_running_loop().run_in_executor(_HOPS, _touch, request.app, known.token_id)
    return known.caller


async def still_authorised(request: Request) -> bool:
    """Whether the request's token is still good (not revoked, not expired): for long-lived answers
    (the SSE stream), checked again while they run."""
    credentials = await _bearer(request)
    if credentials is None:
        return False
    known, _ = await in_thread(_authenticate, request.app, credentials.credentials)
    return not isinstance(known, str)


def _authenticate(app, plain: str) -> tuple[_Known | str, bool]:
    """(who the token is, whether to record its use now), or (why not, False). One small query per
    request (the tokens table's fingerprint), a second one when the token is not cached, the
    fingerprint moved or the entry is older than CACHE_TTL_S: a revoked token stops working with the
    next request."""
    cache: dict[str, _Known] = app.state.callers
    now = utcnow()
    with app.state.sessions() as session:
        fingerprint = tokens_fingerprint(session)
        known = cache.get(plain)
        if known is None or known.fingerprint != fingerprint or time.monotonic() - known.looked_up_at >= CACHE_TTL_S:
            known = None
            cache.pop(plain, None)
            token = find_token(session, plain)
            if token is None or token.revoked_at is not None:
                return "访问令牌无效或已吊销", False
            caller = Caller(Role(token.role), RegionCode(token.region_code) if token.region_code else None,
                            cadre_id_from_label(token.label) if token.role == Role.cadre.value else None, token.id)
            known = _Known(caller, token.id, token.expires_at, fingerprint, time.monotonic(), token.last_used_at)
            if len(cache) >= _CACHE_MAX:
                cache.clear()
            cache[plain] = known
    if known.expires_at is not None and known.expires_at <= now:
        expired = (known.expires_at + dt.timedelta(hours=8)).strftime("%Y-%m-%d %H:%M")
        return f"访问令牌已于 {expired} (北京时间) 过期, 请向管理员申请新令牌", False
    touch = known.touched_at is None or now - known.touched_at >= _TOUCH_EVERY
    if touch:
        known.touched_at = now
    return known, touch


def _touch(app, token_id: int) -> None:
    try:
        with app.state.sessions() as session:
            touch_token(session, token_id)
            session.commit()
    except Exception as exc:  # noqa: BLE001 — a missed "last used" is not worth failing anything for
        log.warning("could not record the use of token %s: %s", token_id, type(exc).__name__)


CallerDep = Annotated[Caller, Depends(get_caller)]


def allow(*roles: Role):
    """A dependency that admits only these roles (403 otherwise)."""
    names = "、".join(r.label_zh for r in roles)

    async def check(caller: CallerDep) -> Caller:
        if caller.role not in roles:
            raise HTTPException(403, f"当前角色({caller.role.label_zh})无权访问此接口,仅限: {names}")
        return caller

    return check


AGGREGATE_ROLES = (Role.admin, Role.leader, Role.display, Role.delegation)
RECORD_ROLES = (Role.admin, Role.leader, Role.display)


def parse_code(code: str) -> RegionCode:
    try:
        return RegionCode.parse(code)
    except InvalidRegionCode as exc:
        raise HTTPException(422, str(exc)) from None


def region_or_404(session: Session, code: str, caller: Caller | None = None) -> tuple[RegionCode, Region]:
    rc = parse_code(code)
    if caller is not None:  # before the lookup: a limited token learns nothing about other regions
        caller.check_region(rc, rc.value)
    region = queries.get_region(session, rc)
    if region is None:
        raise HTTPException(404, f"未找到区划代码为 {rc.value} 的地区")
    return rc, region


@dataclass(frozen=True)
class RegionScope:
    """The region a request reads, already checked against the caller's token (403 outside it).

    Every endpoint that reads records by region takes one of the dependencies below instead of a
    plain `region` parameter, so a region-limited token cannot be forgotten: `code` None means
    "everything", which only an unlimited token gets; a limited token asking for no region gets its
    own region."""

    code: RegionCode | None
    caller: Caller

    @property
    def prefix(self) -> str:
        """The LIKE prefix of the region's records ("" for everything)."""
        return self.code.prefix if self.code is not None else ""

    def load(self, session: Session) -> tuple[RegionCode, Region]:
        """The region's code and row; 404 when it is not in the database (requires a region)."""
        if self.code is None:
            raise HTTPException(422, "请给出区划代码 region")
        return region_or_404(session, self.code.value, self.caller)


def _scope(caller: Caller, code: str | None) -> RegionScope:
    if code is None:
        return RegionScope(caller.region, caller)
    rc = parse_code(code)
    caller.check_region(rc, rc.value)
    return RegionScope(rc, caller)


async def scoped_region(caller: CallerDep, region: Annotated[str, Query(description="区划代码")]) -> RegionScope:
    return _scope(caller, region)


async def scoped_region_or_token(
        caller: CallerDep,
        region: Annotated[str | None, Query(description="区划代码; 缺省为令牌的辖区 (不限辖区的令牌: 全部)")] = None,
) -> RegionScope:
    return _scope(caller, region)


async def scoped_path(caller: CallerDep, code: Annotated[str, Path(description="区划代码")]) -> RegionScope:
    return _scope(caller, code)


RegionDep = Annotated[RegionScope, Depends(scoped_region)]  # ?region= required
OptionalRegionDep = Annotated[RegionScope, Depends(scoped_region_or_token)]  # ?region= optional
PathRegionDep = Annotated[RegionScope, Depends(scoped_path)]  # /{code}
REGION_SCOPES = (scoped_region, scoped_region_or_token, scoped_path)


YearQuery = Annotated[int | None, Query(description="年份(年末状态),缺省为最新年份", ge=1900, le=2100)]
# A record's id in a path: bounded, so a client's 20-digit number is a 422, not an overflow in the database driver.
RecordId = Annotated[int, Path(ge=1, lt=2**62, description="记录编号")]


def resolve_year(session: Session, year: int | None) -> int | None:
    """The year asked for, or the latest; None when no year has data yet (boundaries alone: every
    region still answers, its figures null = 无数据)."""
    available = queries.years(session)
    if not available:
        return year
    if year is None:
        return available[-1]
    if year not in available:
        raise HTTPException(422, f"年份 {year} 超出数据范围 {available[0]}-{available[-1]}")
    return year


def settings_of(app) -> Settings:
    """The app's settings: `app.state.settings` when set (tests, embedding), else the environment's."""
    settings = getattr(app.state, "settings", None)
    return settings if settings is not None else get_settings()
