"""Builds the FastAPI application: routers under /api/v1, error handlers, shared state."""

from __future__ import annotations

import contextlib
import logging
from http import HTTPStatus

from fastapi import FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError
from starlette.exceptions import HTTPException

from sandbox import __version__
from sandbox.server.bodylimit import DEFAULT_MAX_BODY_BYTES, BodyLimitMiddleware, BodyTooLarge
from sandbox.server.cameras.routes import router as cameras
from sandbox.server.checkins.photo_checks import PhotoChecks
from sandbox.server.checkins.routes import router as checkins
from sandbox.server.checkins.schemas import MAX_BODY_BYTES as CHECKIN_MAX_BODY_BYTES
from sandbox.server.command import ROUTERS as command_routers
from sandbox.server.console import router as console
from sandbox.server.console.imports import UPLOAD_ROUTE_LIMIT, settle_at_start
from sandbox.server.core.cache import ResponseCache
from sandbox.server.core.geometry import GeometryCache
from sandbox.server.deps import settings_of
from sandbox.server.echo import ECHO_MAX_CHARS, cut
from sandbox.server.events.routes import router as events
from sandbox.server.events.shared import make_event_bus
from sandbox.server.field.routes import router as field
from sandbox.server.field.static import router as field_app
from sandbox.server.funds.routes import router as funds
from sandbox.server.households.routes import router as households
from sandbox.server.logredact import install_log_redaction
from sandbox.server.meta.routes import router as meta
from sandbox.server.openapi import install_openapi
from sandbox.server.projects.routes import router as projects
from sandbox.server.public.desk import router as public_desk
from sandbox.server.public.routes import router as public_pages
from sandbox.server.ratelimit import RateLimits, note_failed_auth
from sandbox.server.regions.forecast import router as region_forecast
from sandbox.server.regions.routes import router as regions
from sandbox.server.risk import ROUTERS as risk_routers
from sandbox.server.streams.routes import router as streams
from sandbox.server.validation_zh import problem_zh
from sandbox.settings import Settings, get_settings
from sandbox.store.db import session_factory

__all__ = ["create_app", "API_PREFIX", "ECHO_MAX_CHARS"]

log = logging.getLogger(__name__)
API_PREFIX = "/api/v1"
DETAIL_MAX_CHARS = 1000  # and no error message is longer than this


@contextlib.asynccontextmanager
async def _lifespan(app: FastAPI):
    try:
        await run_in_threadpool(settle_at_start, app)  # console imports a restart left running
    except Exception:  # noqa: BLE001 — the API must start even if this tidy-up cannot run (e.g. a database not migrated yet)
        log.exception("could not settle console imports left running")
    app.state.photo_checks.start()  # and check-ins' photos a stopped worker left pending
    yield
    await run_in_threadpool(app.state.photo_checks.close)
    close = getattr(app.state.events, "close", None)  # the shared bus's listening thread and connection
    if close is not None:
        await run_in_threadpool(close)


def create_app(engine: Engine, settings: Settings | None = None) -> FastAPI:
    config = settings or get_settings()
    app = FastAPI(
        lifespan=_lifespan,
        title="扶贫电子沙盘 中心数据接口", version=__version__,
        description="县、乡镇、村三级脱贫攻坚数据: 指标、边界、项目、资金、签到、摄像头。按角色脱敏。",
        openapi_url="/openapi.json",
        # the browsable pages only where configured (SANDBOX_API_DOCS=1); the document itself always
        docs_url="/docs" if config.api_docs else None, redoc_url="/redoc" if config.api_docs else None,
        # no 307 from /cameras/ to /cameras: its Location would be built from the request's Host
        redirect_slashes=False,
    )
    if settings is not None:
        app.state.settings = settings
    app.state.engine = engine
    app.state.sessions = session_factory(engine)
    app.state.geometry = GeometryCache()
    app.state.responses = ResponseCache()
    app.state.callers = {}  # token → (Caller, looked up at); see deps.get_caller
    app.state.events = make_event_bus(engine)
    app.state.photo_checks = PhotoChecks(app.state.sessions, lambda: settings_of(app).data_dir / "photos")
    for router in (meta, regions, region_forecast, households, projects, funds, cameras, checkins, events, streams):
        app.include_router(router, prefix=API_PREFIX)
    app.include_router(public_desk)  # /q/complaint, /q/track: before /q/<slug>, which would take their names
    app.include_router(public_pages)  # /q/<slug>: the QR pages, HTML for the public, no token
    app.include_router(field, prefix=API_PREFIX)  # the phone app's API (issue 15)
    app.include_router(field_app)  # the phone app itself, at /m/
    app.include_router(console)  # /console/: the back office for the centre's staff (issue 21)
    for router in command_routers:  # instructions, inspections, complaints, notices, call-backs (issue 16)
        app.include_router(router, prefix=API_PREFIX)
    for router in risk_routers:  # the risk register: hits, cases, rules (issue 17)
        app.include_router(router, prefix=API_PREFIX)
    app.state.rate_limits = RateLimits()
    _install_error_handlers(app)
    install_openapi(app)
    install_log_redaction()
    app.add_middleware(BodyLimitMiddleware, largest=CHECKIN_MAX_BODY_BYTES, paths={"/console/imports": UPLOAD_ROUTE_LIMIT})
    if config.cors_origins:  # browsers on these origins may call the API (a web page, not the wall)
        app.add_middleware(CORSMiddleware, allow_origins=config.cors_origins, allow_methods=["GET", "POST", "PUT"],
                           allow_headers=["Authorization", "Content-Type", "Last-Event-ID"], max_age=600)
    return app


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        problems = [problem_zh(e) for e in exc.errors()]
        return JSONResponse({"detail": "; ".join(problems) or "请求参数无效", "errors": jsonable(exc.errors())},
                            status_code=422)

    @app.exception_handler(OperationalError)
    async def database_down(_: Request, exc: OperationalError) -> JSONResponse:
        log.error("database unavailable: %s", str(exc.orig).splitlines()[0] if exc.orig else exc)
        return JSONResponse({"detail": "数据库暂时不可用,请稍后重试"}, status_code=503)

    @app.exception_handler(HTTPException)  # Starlette's: FastAPI's and the router's own 404/405 too
    async def http_error(request: Request, exc: HTTPException) -> JSONResponse:
        if exc.status_code == 401:
            note_failed_auth(request)
        detail = exc.detail
        if exc.status_code == 413 and not isinstance(exc, BodyTooLarge):  # FastAPI's own route limit
            detail = BodyTooLarge(request.scope.get("starlette.max_body_size") or DEFAULT_MAX_BODY_BYTES).detail
        if exc.status_code in _ROUTER_ZH and detail == HTTPStatus(exc.status_code).phrase:
            detail = _ROUTER_ZH[exc.status_code]  # the router's own English answer
        if isinstance(detail, str) and len(detail) > DETAIL_MAX_CHARS:  # a message quoting a long bad value
            detail = detail[:DETAIL_MAX_CHARS] + f"…(共 {len(detail)} 字符)"
        return JSONResponse({"detail": detail}, status_code=exc.status_code, headers=exc.headers)


_ROUTER_ZH = {404: "没有这个接口地址", 405: "该接口不支持此请求方法"}


_cut = cut


def _echo(value):
    """A client's value as a 422 quotes it: strings cut, containers made text and cut."""
    if isinstance(value, str):
        return _cut(value)
    if isinstance(value, (int, float, type(None))):
        return value
    return _cut(str(value))


def jsonable(errors: list) -> list:
    out = []
    for e in errors:
        item = {k: _echo(v) for k, v in e.items() if k not in ("ctx", "loc")}
        item["loc"] = [p if isinstance(p, int) else _cut(str(p)) for p in e.get("loc", ())]
        out.append(item)
    return out
