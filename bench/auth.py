"""What immediate revocation costs per request: p50/p95 latency of a tiny endpoint and a cached one,
with this code's authentication (one tokens-fingerprint query per request, in the thread pool)
next to the peer it replaced (a 30-second cache without any query, so a revoked token kept working
for up to 30 s) and a variant that runs the same query on the event loop (no thread hop).

All three are the real HTTP server (uvicorn in a thread) over the same SQLite demo database, in the
same run, interleaved round by round.

    python bench/auth.py [--reps 400] [--workdir /tmp/sandbox-bench]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import requests
from fastapi import HTTPException, Request

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.api import pct, prepared_engine  # noqa: E402
from sandbox.domain.enums import Role  # noqa: E402
from sandbox.domain.regions import RegionCode  # noqa: E402
from sandbox.server import deps  # noqa: E402
from sandbox.server.runtime import EmbeddedServer, new_token  # noqa: E402
from sandbox.store.tokens import find_token, tokens_fingerprint  # noqa: E402


def _old_style(ttl: float = 30.0):
    """The replaced dependency: cache hit → no query at all."""
    async def get_caller(request: Request) -> deps.Caller:
        plain = request.headers.get("authorization", "")[7:]
        hit = request.app.state.callers.get(plain)
        if hit is not None and time.monotonic() - hit[1] < ttl:
            return hit[0]
        from fastapi.concurrency import run_in_threadpool

        def look():
            with request.app.state.sessions() as session:
                t = find_token(session, plain)
                return None if t is None else deps.Caller(Role(t.role), RegionCode(t.region_code) if t.region_code else None)
        caller = await run_in_threadpool(look)
        if caller is None:
            raise HTTPException(401, "x")
        request.app.state.callers[plain] = (caller, time.monotonic())
        return caller
    return get_caller


def _on_loop():
    """The fingerprint query run synchronously on the event loop (no hop), then the old cache."""
    async def get_caller(request: Request) -> deps.Caller:
        plain = request.headers.get("authorization", "")[7:]
        with request.app.state.sessions() as session:
            generation = tokens_fingerprint(session)
            hit = request.app.state.callers.get(plain)
            if hit is not None and hit[1] == generation:
                return hit[0]
            t = find_token(session, plain)
        caller = deps.Caller(Role(t.role), RegionCode(t.region_code) if t.region_code else None)
        request.app.state.callers[plain] = (caller, generation)
        return caller
    return get_caller


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--reps", type=int, default=400)
    p.add_argument("--workdir", type=Path, default=Path("/tmp/sandbox-bench"))
    a = p.parse_args()
    a.workdir.mkdir(parents=True, exist_ok=True)
    engine, households, _ = prepared_engine(a.workdir, 1)
    token = new_token(engine, "display")
    servers = {}
    for name, override in (("this code (fingerprint query, thread pool)", None),
                           ("peer: 30 s cache, no query (revocation late)", _old_style()),
                           ("variant: fingerprint query on the event loop", _on_loop())):
        srv = EmbeddedServer(engine)
        if override is not None:
            srv.server.config.app.dependency_overrides[deps.get_caller] = override
        servers[name] = srv.start()
    paths = ["/api/v1/indicators", "/api/v1/regions/522726?year=2016"]
    results = {(n, path): [] for n in servers for path in paths}
    sessions = {n: requests.Session() for n in servers}
    for s in sessions.values():
        s.headers["Authorization"] = f"Bearer {token}"
    for n, srv in servers.items():  # warm
        for path in paths:
            for _ in range(20):
                sessions[n].get(srv.url + path).raise_for_status()
    for _ in range(a.reps):
        for n, srv in servers.items():
            for path in paths:
                t0 = time.perf_counter()
                sessions[n].get(srv.url + path).content  # noqa: B018
                results[(n, path)].append((time.perf_counter() - t0) * 1000)
    print(f"SQLite demo ({households} households), {a.reps} requests each, interleaved; ms")
    print(f"| {'authentication':46} | {'endpoint':34} | p50 | p95 |")
    print(f"|{'-' * 48}|{'-' * 36}|-----|-----|")
    for (n, path), values in results.items():
        print(f"| {n:46} | {path:34} | {pct(values, 0.5):.2f} | {pct(values, 0.95):.2f} |")
    for srv in servers.values():
        srv.stop()


if __name__ == "__main__":
    main()
