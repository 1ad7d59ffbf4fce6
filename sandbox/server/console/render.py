"""Renders the console's pages (Jinja2, autoescaped, Chinese) with the headers every page carries."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from sandbox.server.console.session import StaffUser, csrf_token
from sandbox.store.office.accounts import beijing

__all__ = ["page", "message", "HEADERS", "NAV"]

HEADERS = {
    "Cache-Control": "no-store",  # pages carry names: never kept by the browser or a proxy
    # Nothing from elsewhere (no CDN), no script at all, forms only to this site, never framed.
    "Content-Security-Policy": "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
                               "base-uri 'none'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}
# (path, label, admins only); 指挥调度 is the loop's desk (console/desk/)
NAV = (
    ("/console/data", "数据概览", False),
    ("/console/households", "户信息", False),
    ("/console/imports", "数据导入", True),
    ("/console/command", "指挥调度", False),
    ("/console/accounts", "账号", True),
    ("/console/tokens", "访问令牌", True),
    ("/console/access-log", "访问日志", True),
)

_env = Environment(loader=PackageLoader("sandbox.server.console", "templates"), autoescape=select_autoescape(["html"]),
                   undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
_env.globals["beijing"] = beijing


def page(request: Request, template: str, user: StaffUser | None, *, status: int = 200, title: str = "",
         **context) -> HTMLResponse:
    response = HTMLResponse("", status_code=status, headers=HEADERS)
    token = csrf_token(request, response)
    nav = [(p, label) for p, label, admin in NAV if user is not None and (user.is_admin or not admin)]
    body = _env.get_template(template).render(request=request, user=user, csrf=token, nav=nav, title=title,
                                              here=request.url.path, **context)
    response.body = response.render(body)
    response.headers["content-length"] = str(len(response.body))
    return response


def message(request: Request, user: StaffUser | None, heading: str, text: str, *, status: int = 200,
            back: str | None = None) -> HTMLResponse:
    return page(request, "message.html", user, status=status, title=heading, heading=heading, text=text, back=back)
