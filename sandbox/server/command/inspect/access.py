"""Who is acting on an inspection: a bearer token or the phone's device cookie, and the sub-groups they sit on."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import select
from sqlalchemy.orm import Session

from sandbox.domain.enums import Role
from sandbox.server.deps import Caller, allow, caller_for_token, unauthorised
from sandbox.server.field.auth import COOKIE, NOT_ENROLLED
from sandbox.store.command.findings import members_of
from sandbox.store.command.inspection import InspectionMember
from sandbox.store.models import ApiToken, FieldDevice
from sandbox.store.tokens import hash_token

__all__ = ["Actor", "ActorDep", "Reader", "Planner", "READ_ROLES", "subgroups_of", "require_region"]

_bearer = HTTPBearer(auto_error=False)
READ_ROLES = (Role.admin, Role.leader, Role.display)  # findings and plans are records: no delegation
Reader = Annotated[Caller, Depends(allow(*READ_ROLES))]


@dataclass(frozen=True)
class Actor:
    caller: Caller
    device_id: int | None  # the phone a leader acts from (a leader is put on a sub-group by device)

    @property
    def admin(self) -> bool:
        return self.caller.role is Role.admin


async def acting(request: Request,
                 credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]) -> Actor:
    """A bearer token (wall, office, scripts) or else the phone app's device cookie."""
    if credentials is not None and credentials.scheme.lower() == "bearer":
        plain, refused = credentials.credentials, None
    else:
        plain, refused = request.cookies.get(COOKIE), NOT_ENROLLED
        if not plain:
            raise unauthorised(request, "缺少访问令牌 (Authorization: Bearer …) 或手机端设备绑定")
    caller = await caller_for_token(request, plain, refused=refused)
    device_id = None
    if caller.role is Role.leader:
        device_id = await run_in_threadpool(_device_of, request.app, plain)
    return Actor(caller, device_id)


def _device_of(app, plain: str) -> int | None:
    with app.state.sessions() as session:
        return session.scalar(select(FieldDevice.id).join(ApiToken, ApiToken.id == FieldDevice.token_id)
                              .where(ApiToken.token_hash == hash_token(plain)))


ActorDep = Annotated[Actor, Depends(acting)]


async def planner(caller: Annotated[Caller, Depends(allow(Role.admin, Role.leader))]) -> Caller:
    """Who may generate and edit the county's plan: an admin, or a county-wide leader."""
    if caller.role is Role.leader and caller.region is not None and caller.region.level.value in ("town", "village"):
        raise HTTPException(403, f"督查计划由县级统一安排: 仅限管理员或县级领导令牌, 当前令牌仅限 {caller.region.value} 辖区")
    return caller


Planner = Annotated[Caller, Depends(planner)]


def subgroups_of(session: Session, actor: Actor) -> set[int]:
    """The sub-groups the acting cadre or leader's phone is a member of."""
    return {m.subgroup_id for m in members_of(session, actor.caller.cadre_id, actor.device_id)}


def member_in(session: Session, actor: Actor, subgroup_id: int | None) -> InspectionMember | None:
    if subgroup_id is None:
        return None
    for m in members_of(session, actor.caller.cadre_id, actor.device_id):
        if m.subgroup_id == subgroup_id:
            return m
    return None


def require_region(caller: Caller, code: str, what: str) -> None:
    if not caller.may_see(code):
        raise HTTPException(403, f"令牌仅限 {caller.region.value} 辖区, 无权处理{what}")
