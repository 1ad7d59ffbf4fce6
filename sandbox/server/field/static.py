"""Serves the phone app's static files (sandbox/web/field) at /m/: gzip kept in memory, a strict CSP,
the shell revalidated on every load (the service worker keeps it for offline use)."""

from __future__ import annotations

import gzip
import hashlib
from importlib import resources

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import RedirectResponse, Response

__all__ = ["router", "FILES"]

router = APIRouter(include_in_schema=False)
_TYPES = {".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8",
          ".css": "text/css; charset=utf-8", ".svg": "image/svg+xml", ".webmanifest": "application/manifest+json"}
_CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' blob: data:; "
        "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'")


class _File:
    def __init__(self, name: str, data: bytes) -> None:
        self.name, self.data = name, data
        self.gz = gzip.compress(data, 9, mtime=0)
        self.etag = '"' + hashlib.sha256(data).hexdigest()[:20] + '"'
        self.media_type = _TYPES[name[name.rindex("."):]]


def _load() -> dict[str, _File]:
    root = resources.files("sandbox.web") / "field"
    return {p.name: _File(p.name, p.read_bytes()) for p in root.iterdir()
            if p.is_file() and "." in p.name and p.name[p.name.rindex("."):] in _TYPES}


FILES = _load()


@router.get("/m")
async def app_root() -> RedirectResponse:
    return RedirectResponse("/m/", status_code=308)


@router.get("/m/")
async def app_shell(request: Request) -> Response:
    return _serve(request, "index.html")


@router.get("/m/{name}")
async def app_file(request: Request, name: str) -> Response:
    return _serve(request, name)


def _serve(request: Request, name: str) -> Response:
    f = FILES.get(name)
    if f is None:
        raise HTTPException(404, "没有这个文件")
    headers = {"ETag": f.etag, "Cache-Control": "no-cache", "Vary": "Accept-Encoding",
               "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer"}
    if name == "index.html":
        headers["Content-Security-Policy"] = _CSP
    if name == "sw.js":
        headers["Service-Worker-Allowed"] = "/m/"
    if request.headers.get("if-none-match") == f.etag:
        return Response(status_code=304, headers=headers)
    if "gzip" in request.headers.get("accept-encoding", ""):
        return Response(f.gz, media_type=f.media_type, headers={**headers, "Content-Encoding": "gzip"})
    return Response(f.data, media_type=f.media_type, headers=headers)
