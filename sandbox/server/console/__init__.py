"""The back-office console at /console/: server-rendered Chinese pages for the centre's staff (issue 21)."""

from __future__ import annotations

from importlib.resources import files

from fastapi import APIRouter, Request
from fastapi.responses import Response

from sandbox.server.console import admin, audit, auth, desk, imports, records
from sandbox.server.console.guard import go

__all__ = ["router"]

router = APIRouter(prefix="/console", include_in_schema=False)
for _part in (auth, records, imports, admin, audit, desk):
    router.include_router(_part.router)

_CSS = files("sandbox.server.console").joinpath("static/console.css").read_bytes()


@router.get("")
@router.get("/")
def home(request: Request) -> Response:
    return go("/console/data")


@router.get("/static/console.css")
def stylesheet() -> Response:
    return Response(_CSS, media_type="text/css; charset=utf-8", headers={"Cache-Control": "max-age=3600"})
