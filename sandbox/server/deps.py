"""Request dependencies: database session, the caller's token and role, region and year checks."""

from __future__ import annotations

from dataclasses import dataclass
import time
from typing import Annotated, AsyncIterator

from fastapi import Depends, HTTPException, Path, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from sandbox.domain.enums import Role
from sandbox.domain.regions import InvalidRegionCode, RegionCode
from sandbox.settings import Settings, get_settings
from sandbox.store import queries
from sandbox.store.checkins import cadre_id_from_label
from sandbox.store.models import Region
from sandbox.store.tokens import find_token

__all__ = ["SessionDep", "Caller", "CallerDep", "allow", "region_or_404", "YearQuery", "resolve_year", "settings_of"]

_bearer = HTTPBearer(auto_error=False)


async def get_session(request: Request) -> AsyncIterator[Session]:
    # async so FastAPI does not hop to a worker thread to open and close it (a hop costs ~1 ms);
    # the session does no I/O until the (sync, threaded) endpoint uses it.
    session = request.app.state.sessions()
    try:
        yield session
    finally:
        session.close()


SessionDep = Annotated[Session, Depends(get_session)]


@dataclass(frozen=True)
class Caller:
    role: Role
    region: RegionCode | None  # a leader's token may be limited to one region
    cadre_id: int | None = None  # a `cadre` token's cadre (label "cadre:<id>", see sandbox.store.checkins)


_TOKEN_TTL_S = 30.0  # a revoked token stops working within this time


async def get_caller(request: Request,
                     credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]) -> Caller:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise HTTPException(401, "缺少访问令牌 (Authorization: Bearer …)", headers={"WWW-Authenticate": "Bearer"})
    cache: dict = request.app.state.callers
    plain = credentials.credentials
    hit = cache.get(plain)
    if hit is not None and time.monotonic() - hit[1] < _TOKEN_TTL_S:
        return hit[0]
    caller = await run_in_threadpool(_lookup_caller, request, plain)
    if caller is None:
        raise HTTPException(401, "访问令牌无效或已吊销", headers={"WWW-Authenticate": "Bearer"})
    if len(cache) > 10_000:
        cache.clear()
    cache[plain] = (caller, time.monotonic())
    return caller


def _lookup_caller(request: Request, plain: str) -> Caller | None:
    with request.app.state.sessions() as session:
        token = find_token(session, plain)
        if token is None:
            return None
        return Caller(Role(token.role), RegionCode(token.region_code) if token.region_code else None,
                      cadre_id_from_label(token.label) if token.role == Role.cadre.value else None)


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
    region = queries.get_region(session, rc)
    if region is None:
        raise HTTPException(404, f"未找到区划代码为 {rc.value} 的地区")
    if caller is not None and caller.region is not None and not caller.region.contains(rc):
        raise HTTPException(403, f"令牌仅限 {caller.region.value} 辖区,无权查看 {rc.value}")
    return rc, region


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
