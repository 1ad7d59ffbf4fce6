"""Builds the FastAPI application: routers under /api/v1, error handlers, shared state."""

from __future__ import annotations

import logging

from fastapi import FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError

from sandbox import __version__
from sandbox.server.cameras.routes import router as cameras
from sandbox.server.checkins.routes import router as checkins
from sandbox.server.events.bus import EventBus
from sandbox.server.events.routes import router as events
from sandbox.server.funds.routes import router as funds
from sandbox.server.households.routes import router as households
from sandbox.server.meta.routes import router as meta
from sandbox.server.projects.routes import router as projects
from sandbox.server.regions.cache import ResponseCache
from sandbox.server.regions.geometry import GeometryCache
from sandbox.server.regions.routes import router as regions
from sandbox.server.streams.routes import router as streams
from sandbox.store.db import session_factory

__all__ = ["create_app", "API_PREFIX"]

log = logging.getLogger(__name__)
API_PREFIX = "/api/v1"


def create_app(engine: Engine) -> FastAPI:
    app = FastAPI(
        title="扶贫电子沙盘 中心数据接口", version=__version__,
        description="县、乡镇、村三级脱贫攻坚数据: 指标、边界、项目、资金、签到、摄像头。按角色脱敏。",
        openapi_url="/openapi.json",
    )
    app.state.engine = engine
    app.state.sessions = session_factory(engine)
    app.state.geometry = GeometryCache()
    app.state.responses = ResponseCache()
    app.state.callers = {}  # token → (Caller, looked up at); see deps.get_caller
    app.state.events = EventBus()
    for router in (meta, regions, households, projects, funds, cameras, checkins, events, streams):
        app.include_router(router, prefix=API_PREFIX)
    _install_error_handlers(app)
    return app


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        problems = []
        for e in exc.errors():
            where = ".".join(str(p) for p in e.get("loc", ()) if p not in ("query", "path", "body"))
            problems.append(f"参数 {where} 无效: {e.get('msg')}")
        return JSONResponse({"detail": "; ".join(problems) or "请求参数无效", "errors": jsonable(exc.errors())},
                            status_code=422)

    @app.exception_handler(OperationalError)
    async def database_down(_: Request, exc: OperationalError) -> JSONResponse:
        log.error("database unavailable: %s", str(exc.orig).splitlines()[0] if exc.orig else exc)
        return JSONResponse({"detail": "数据库暂时不可用,请稍后重试"}, status_code=503)

    @app.exception_handler(HTTPException)
    async def http_error(_: Request, exc: HTTPException) -> JSONResponse:
        return JSONResponse({"detail": exc.detail}, status_code=exc.status_code, headers=exc.headers)


def jsonable(errors: list) -> list:
    out = []
    for e in errors:
        out.append({k: (v if isinstance(v, (str, int, float, list, type(None))) else str(v))
                    for k, v in e.items() if k != "ctx"})
    return out
