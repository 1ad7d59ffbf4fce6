"""Who calls a command-loop route: a bearer token (admin/leader consoles, walls) or the phone app's device
cookie (cadres and leaders on their phones); both are ordinary API tokens, looked up the same way."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from sandbox.domain.enums import Role
from sandbox.server.deps import Caller, caller_for_token, unauthorised
from sandbox.server.field.auth import NOT_ENROLLED, _cookie
from sandbox.store.command.instruction_scope import Issuer

__all__ = ["AnyCaller", "allow_any", "issuer_of"]

_bearer = HTTPBearer(auto_error=False)


async def any_caller(request: Request,
                     credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
                     cookie: Annotated[str | None, Depends(_cookie)]) -> Caller:
    if credentials is not None and credentials.scheme.lower() == "bearer":
        return await caller_for_token(request, credentials.credentials)
    if cookie:
        return await caller_for_token(request, cookie, refused=NOT_ENROLLED)
    raise unauthorised(request, "缺少访问令牌 (Authorization: Bearer …) 或手机端设备绑定")


AnyCaller = Annotated[Caller, Depends(any_caller)]


def allow_any(*roles: Role):
    """A dependency admitting only these roles, by bearer token or device cookie (403 otherwise)."""
    names = "、".join(r.label_zh for r in roles)

    async def check(caller: AnyCaller) -> Caller:
        if caller.role not in roles:
            raise HTTPException(403, f"当前角色({caller.role.label_zh})无权访问此接口,仅限: {names}")
        if caller.role is Role.cadre and caller.cadre_id is None:
            raise HTTPException(403, "该帮扶干部令牌未关联干部编号 (令牌标签应为 cadre:<编号>)")
        return caller

    return check


def issuer_of(caller: Caller) -> Issuer:
    """The store's view of the caller as an issuer (role, region, cadre)."""
    return Issuer(caller.role.value, caller.region.value if caller.region else None, caller.cadre_id)
