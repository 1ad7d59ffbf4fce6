"""One request-size limit in front of every route (ASGI middleware), and reading a JSON body after auth.

The limit is `DEFAULT_MAX_BODY_BYTES` unless the matched route declares its own `max_body_size`
(FastAPI's route parameter, e.g. POST /checkins with photos). A declared `Content-Length` over the
largest limit is refused before the app runs, over the route's before a byte is pulled; a body
without one (chunked) is counted as it streams and refused the moment it passes the limit, so
nothing larger is ever buffered. A route that answers without reading (401) never pulls the body.
The console's pages are a person's browser: any 413 there (ours, or Starlette's bare one for a route's own
limit) is a page in Chinese that says the limit and leads back to the form.
"""

from __future__ import annotations

import json
from html import escape
from typing import TypeVar

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ValidationError
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["DEFAULT_MAX_BODY_BYTES", "BodyTooLarge", "BodyLimitMiddleware", "read_json_model"]

DEFAULT_MAX_BODY_BYTES = 64 * 1024  # every JSON body but a check-in's is a few hundred bytes

M = TypeVar("M", bound=BaseModel)


def _size_zh(n: int) -> str:
    return f"{n / (1024 * 1024):.0f} MB" if n >= 1024 * 1024 else f"{n // 1024} KB"


class BodyTooLarge(HTTPException):
    """413 with a Chinese detail; an HTTPException so FastAPI's body reading passes it on unchanged."""

    def __init__(self, limit: int, method: str | None = None) -> None:
        super().__init__(413, _too_large_zh(limit, method))
        self.limit = limit


_NO_BODY = frozenset({"GET", "HEAD", "OPTIONS", "DELETE"})  # no route of these methods reads a body


def _too_large_zh(limit: int, method: str | None) -> str:
    """The message for a body over `limit`: the route's own limit, or (`method` given: refused before
    routing, over the largest limit of any route) what holds for every route of that method."""
    if method is None:
        return f"请求体过大: 此接口不超过 {_size_zh(limit)}"
    if method.upper() in _NO_BODY:
        return f"请求体过大: {method.upper()} 请求不应带请求体"
    return f"请求体过大: 任何接口都不接受超过 {_size_zh(limit)} 的请求体"


class BodyLimitMiddleware:
    def __init__(self, app: ASGIApp, default: int = DEFAULT_MAX_BODY_BYTES, largest: int | None = None,
                 paths: dict[str, int] | None = None) -> None:
        self.app = app
        self.default = default
        self.largest = max(default, largest or 0)  # the most any route takes: more is refused before routing
        # Exact paths with a limit of their own, above `largest` (the console's file upload): known before
        # routing, so the other routes keep their early refusal.
        self.paths = paths or {}

    def _limit_of(self, scope: Scope) -> int:
        if scope.get("path") in self.paths:
            return self.paths[scope["path"]]
        # By the time the app pulls the body the router has put the matched route into the scope.
        declared = getattr(scope.get("route"), "max_body_size", None)
        return declared if declared is not None else self.default

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _content_length(scope)
        own = self.paths.get(scope.get("path", ""))
        back = _console_referer(scope) if scope.get("path", "").startswith("/console/") else None
        if declared is not None and own is not None and declared > own:
            await _refuse(BodyTooLarge(own), send, page="/console/imports", upload=True)
            return
        if declared is not None and own is None and declared > self.largest:
            await _refuse(BodyTooLarge(self.largest, scope.get("method", "")), send, page=back)
            return
        received = 0
        started = replaced = False

        async def counted() -> Message:
            nonlocal received
            if started:  # a streaming response listening for the client to go away, not reading a body
                return await receive()
            limit = self._limit_of(scope)
            if declared is not None and declared > limit:
                raise BodyTooLarge(limit)  # nothing pulled
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit)
            return message

        async def watched(message: Message) -> None:
            nonlocal started, replaced
            if message["type"] == "http.response.start":
                started = True
                kind = dict(message.get("headers", ())).get(b"content-type", b"")
                if back is not None and message["status"] == 413 and not kind.startswith(b"text/html"):
                    replaced = True  # its body is dropped: the page goes instead
                    limit = scope.get("starlette.max_body_size") or self._limit_of(scope)
                    await _refuse(BodyTooLarge(limit), send, page=back)
            if not replaced:
                await send(message)

        try:
            await self.app(scope, counted, watched)
        except BodyTooLarge as exc:  # read by something that does not turn it into a response itself
            if started:
                raise
            await _refuse(exc, send, page=back)


def _content_length(scope: Scope) -> int | None:
    value = _header(scope, b"content-length")
    return int(value) if value is not None and value.isdigit() else None


def _header(scope: Scope, name: bytes) -> bytes | None:
    return next((value for key, value in scope.get("headers", ()) if key == name), None)


def _console_referer(scope: Scope) -> str:
    """The console page a form was sent from (its Referer's path and query), else the console's start page."""
    path = "/" + (_header(scope, b"referer") or b"").decode("latin-1").split("://", 1)[-1].partition("/")[2]
    return path if path.startswith("/console/") and "\\" not in path else "/console/data"


async def _refuse(exc: BodyTooLarge, send: Send, page: str | None = None, upload: bool = False) -> None:
    """The 413: JSON for the API; for a browser (`page`: where its link leads back to) a page in Chinese."""
    if page is not None:
        heading = "文件过大" if upload else "提交的内容过大"
        text = (f"文件过大: 上传不超过 {_size_zh(exc.limit)}; 请按乡镇拆分后分别上传。" if upload else
                f"提交的内容超过上限 {_size_zh(exc.limit)}, 未保存任何内容。请点浏览器的「后退」回到表单 (已填写的内容仍在), "
                "删减内容或缩小、减少附件后再提交。")
        body = (f'<!doctype html><html lang="zh-CN"><meta charset="utf-8"><title>{heading}</title>'
                '<link rel="stylesheet" href="/console/static/console.css">'
                f'<main><h1>{heading}</h1><p class="note">{text}</p>'
                f'<p><a class="btn" href="{escape(page)}">返回{"数据导入" if upload else ""}</a></p></main></html>').encode()
        kind = b"text/html; charset=utf-8"
    else:
        body = json.dumps({"detail": exc.detail}, ensure_ascii=False).encode()
        kind = b"application/json"
    # Connection: close, as the rest of the body is never read
    await send({"type": "http.response.start", "status": 413,
                "headers": [(b"content-type", kind), (b"content-length", str(len(body)).encode()),
                            (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": body})


async def read_json_model(request: Request, model: type[M]) -> M:
    """The request body as `model`, read only now (call it after authentication); a bad body is a 422
    through the app's validation handler, like FastAPI's own body parameters."""
    body = await request.body()
    try:
        return model.model_validate_json(body)
    except ValidationError as exc:
        raise RequestValidationError(
            [{**e, "loc": ("body", *e.get("loc", ()))} for e in exc.errors(include_url=False)]) from None
