"""Who may open a console page or send a form: signed in, password changed, admin where needed, CSRF checked;
a form sent after the session expired comes back filled after the next sign-in."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import FormData, UploadFile

from sandbox.server.console.render import message, page
from sandbox.server.console.session import StaffUser, csrf_ok, current_user, seal_draft

__all__ = ["staff_page", "staff_form", "go", "safe_next"]


def go(path: str) -> RedirectResponse:
    return RedirectResponse(path, status_code=303)


def safe_next(path: str | None) -> str:
    """Where to go after signing in: a console page of this site, nothing else (no open redirect)."""
    if path and path.startswith("/console/") and not path.startswith("//") and "\\" not in path:
        return path
    return "/console/data"


def _gate(request: Request, user: StaffUser | None, admin: bool) -> Response | None:
    if user is None:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return go(f"/console/login?next={quote(target)}")
    if user.must_change_password and request.url.path not in ("/console/password",):
        return go("/console/password")
    if admin and not user.is_admin:
        return message(request, user, "无权访问", f"当前角色({user.role.label_zh})无权使用此功能, 仅限管理员。",
                       status=403, back="/console/data")
    return None


def staff_page(request: Request, *, admin: bool = False) -> StaffUser | Response:
    """The signed-in person for a GET page, or the response that sends them elsewhere (sync: call in a worker)."""
    user = current_user(request)
    refused = _gate(request, user, admin)
    return refused if refused is not None else user


async def staff_form(request: Request, *, admin: bool = False) -> tuple[StaffUser, FormData] | Response:
    """(the person, the form) for a POST, or the response instead: sign-in (the typed values kept), a
    password change first, 403, or a stale form (CSRF) page."""
    form = await request.form()
    user = await run_in_threadpool(current_user, request)
    if user is None:
        fields = {k: v for k, v in form.multi_items() if not isinstance(v, UploadFile) and k not in ("csrf", "draft")
                  and "password" not in k and k not in ("old", "new", "again", "code")}
        back = request.headers.get("referer", "")
        path = back.split("://", 1)[-1].split("/", 1)[-1] if back else ""
        path = safe_next("/" + path.split("?", 1)[0]) if path else safe_next(request.url.path)
        files = any(isinstance(v, UploadFile) for _, v in form.multi_items())
        notice = "登录已过期, 请重新登录; 您填写的内容已保留, 登录后回到原页面。"
        if files:
            notice += " (上传的文件须重新选择)"
        return page(request, "login.html", None, status=401, title="登录", error=None, notice=notice,
                    username="", draft=seal_draft(request, path, fields), next_path=path)
    refused = _gate(request, user, admin)
    if refused is not None:
        return refused
    if not csrf_ok(request, form.get("csrf") if isinstance(form.get("csrf"), str) else None):
        return message(request, user, "表单已失效", "页面停留过久或在别处打开, 为安全起见未执行此操作; 请返回刷新页面后重试。",
                       status=403, back=safe_next(request.url.path.rsplit("/", 1)[0] if request.url.path.count("/") > 2
                                                  else request.url.path))
    return user, form
