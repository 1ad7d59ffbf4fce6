"""Running the API: prepare the database (migrate, build the demo if empty), serve with uvicorn."""

from __future__ import annotations

import logging
import os
import socket
import threading
import time

import uvicorn
from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from uvicorn.supervisors import Multiprocess

from sandbox.server.app import create_app
from sandbox.server.deps import settings_of
from sandbox.settings import Settings
from sandbox.store.db import check_connection, make_engine, session_factory
from sandbox.store.demo.builder import build_demo
from sandbox.store.migrate import upgrade
from sandbox.store.models import Region
from sandbox.store.tokens import create_token

__all__ = ["prepare_database", "EmbeddedServer", "serve"]

log = logging.getLogger(__name__)


# Idle keep-alive connections are held this long (uvicorn's default is 5 s). A client that polls every
# 5-30 s (a wall's level poll, a phone's outbox, a leader paging) otherwise races the server's close: its
# request goes out on a connection the server is closing and fails with "connection reset". Longer than
# a load balancer's usual idle timeout (60 s), so the balancer, not the API, closes idle connections.
KEEP_ALIVE_S = 75
# uvicorn's supervisor kills a worker that does not answer its ping within 5 s (default): on a machine whose
# cores are busy (the load test: load average 20-30) a worker's ping thread waits that long for the GIL or a
# core, and every wall's stream and phone's post on it was cut (bench/load.py's reconnects). A hung worker is
# still replaced, a minute later.
WORKER_HEALTHCHECK_S = 60


def prepare_database(settings: Settings, *, build_if_empty: bool = True, progress: bool = True) -> Engine:
    """Connect (clear one-line error if unreachable), migrate to head, build the demo on first run."""
    engine = make_engine(settings.resolved_database_url)
    check_connection(engine)
    upgrade(engine)
    if build_if_empty:
        with engine.connect() as conn:
            empty = conn.execute(select(func.count()).select_from(Region)).scalar() == 0
        if empty:
            log.info("empty database: building the demo county %s", settings.demo_county)
            build_demo(engine, county=settings.demo_county, scale=settings.demo_scale, progress=progress,
                       effective_m=settings.checkin_effective_m)
    return engine


def new_token(engine: Engine, role: str, region: str | None = None, label: str | None = None,
              expires_at=None) -> str:
    sessions = session_factory(engine)
    with sessions() as session:
        token = create_token(session, role, region, label, expires_at=expires_at)
        session.commit()
    return token


def _bound_socket(host: str) -> socket.socket:
    """A listening address of the system's choosing, held from here on: a port that was only looked up,
    closed and bound again later could be taken by another process in between."""
    # proto given as TCP, as getaddrinfo gives it: asyncio sets TCP_NODELAY on accepted connections
    # only when it is, and without it every small answer waits ~40 ms for a delayed ACK (Nagle)
    s = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((host, 0))
    return s


class _TcpConfig(uvicorn.Config):
    """uvicorn's config for several workers, its listening socket marked TCP as `_bound_socket`'s is: uvicorn
    makes it with protocol 0, the workers' event loops then leave Nagle on for every connection they accept, and
    an answer's body, written after its headers, waited for the client's delayed ACK (≈ 40 ms on Linux)."""

    def bind_socket(self) -> socket.socket:
        sock = super().bind_socket()
        if sock.family not in (socket.AF_INET, socket.AF_INET6):  # a Unix socket has no Nagle
            return sock
        tcp = socket.socket(sock.family, sock.type, socket.IPPROTO_TCP, fileno=sock.detach())
        tcp.set_inheritable(True)
        return tcp


class EmbeddedServer:
    """The real API in a background thread on 127.0.0.1, for the wall's embedded demo mode."""

    def __init__(self, engine: Engine, host: str = "127.0.0.1", port: int | None = None) -> None:
        self._socket = None if port else _bound_socket(host)
        self.host, self.port = host, port or self._socket.getsockname()[1]
        app = create_app(engine)
        # This server knows the one address it is reached at: its absolute URLs (camera streams) use it.
        app.state.settings = settings_of(app).model_copy(update={"public_base_url": self.url})
        config = uvicorn.Config(app, host=self.host, port=self.port, log_level="warning",
                                access_log=False, lifespan="off", timeout_keep_alive=KEEP_ALIVE_S)
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self._run, name="embedded-api", daemon=True)

    def _run(self) -> None:
        try:
            self.server.run(sockets=[self._socket] if self._socket is not None else None)
        finally:
            if self._socket is not None:
                self._socket.close()

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self, timeout: float = 15.0) -> EmbeddedServer:
        self.thread.start()
        deadline = time.monotonic() + timeout
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"内置数据接口未能在 {self.url} 启动")
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=5)


def serve(engine: Engine, host: str, port: int, workers: int = 1) -> None:
    """One process on the given engine, or `workers` processes each building its own (PostgreSQL only: their
    events meet in the database's event log; a SQLite file is one process's)."""
    if workers <= 1:
        uvicorn.run(create_app(engine), host=host, port=port, log_level="info", timeout_keep_alive=KEEP_ALIVE_S)
        return
    if engine.dialect.name != "postgresql":
        raise ValueError("多个工作进程 (--workers) 需要 PostgreSQL 数据库; SQLite 只能由一个进程提供服务")
    os.environ["SANDBOX_DATABASE_URL"] = engine.url.render_as_string(hide_password=False)  # for the workers
    engine.dispose()
    config = _TcpConfig("sandbox.server.asgi:app", factory=True, host=host, port=port, workers=workers,
                        log_level="info", timeout_keep_alive=KEEP_ALIVE_S,
                        timeout_worker_healthcheck=WORKER_HEALTHCHECK_S)
    try:  # what uvicorn.run does for several workers, with this socket
        Multiprocess(config, sockets=[config.bind_socket()]).run()
    except KeyboardInterrupt:
        pass
