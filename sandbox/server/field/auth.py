"""The phone app's credential: a device token in an HttpOnly, SameSite=Strict cookie (Secure under HTTPS).

The cookie holds an ordinary API token (see sandbox.store.field), so it is looked up, cached,
revoked and expired exactly as a bearer token is. SameSite=Strict keeps other sites' pages from
sending it (no cross-site form can post a check-in); the app's own fetches are same-origin.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException, Request, Response
from fastapi.security import APIKeyCookie

from sandbox.domain.enums import Role
from sandbox.server.deps import Caller, caller_for_token, settings_of

__all__ = ["COOKIE", "DeviceDep", "CadreDep", "set_device_cookie", "clear_device_cookie"]

COOKIE = "sbx_device"
COOKIE_MAX_AGE = 400 * 24 * 3600  # browsers cap a cookie's life near 400 days; revocation is the real end
NOT_ENROLLED = "本机尚未绑定或已被停用: 请打开管理员发来的邀请链接 (或扫描邀请二维码) 重新绑定"


def _secure(request: Request) -> bool:
    base = settings_of(request.app).public_base_url or ""
    return request.url.scheme == "https" or base.startswith("https://")


def set_device_cookie(request: Request, response: Response, token: str) -> None:
    response.set_cookie(COOKIE, token, max_age=COOKIE_MAX_AGE, path="/", httponly=True, samesite="strict",
                        secure=_secure(request))


def clear_device_cookie(request: Request, response: Response) -> None:
    response.delete_cookie(COOKIE, path="/", httponly=True, samesite="strict", secure=_secure(request))


_cookie = APIKeyCookie(name=COOKIE, auto_error=False, scheme_name="DeviceCookie",
                       description="手机端设备令牌 (绑定时由 POST /field/enrol 设置; HttpOnly, SameSite=Strict)")


async def device_caller(request: Request, plain: Annotated[str | None, Depends(_cookie)]) -> Caller:
    if not plain:
        raise HTTPException(401, NOT_ENROLLED)
    return await caller_for_token(request, plain, refused=NOT_ENROLLED)


async def cadre_caller(caller: Annotated[Caller, Depends(device_caller)]) -> Caller:
    if caller.role is not Role.cadre or caller.cadre_id is None:
        raise HTTPException(403, "此功能仅供帮扶干部使用")
    return caller


DeviceDep = Annotated[Caller, Depends(device_caller)]
CadreDep = Annotated[Caller, Depends(cadre_caller)]
