"""Request size and abuse limits: one body limit before every route (declared or streamed), the token
checked before a body is read, failed tokens rate-limited per client, CORS only for configured origins."""

from __future__ import annotations

import asyncio
import re

import pytest
from fastapi import Depends, FastAPI
from fastapi.testclient import TestClient

from sandbox.server.app import create_app
from sandbox.server.bodylimit import DEFAULT_MAX_BODY_BYTES
from sandbox.server.checkins.schemas import MAX_BODY_BYTES
from sandbox.server.ratelimit import FAILED_AUTH_LIMIT, RateLimits, rate_limited
from sandbox.settings import Settings
from tests.conftest import auth

CHINESE = re.compile(r"[\u4e00-\u9fff]")
CHUNK = 64 * 1024


def _call(app, method: str, path: str, headers: dict[str, str], chunks: int) -> tuple[int, dict, bytes, int]:
    """One request straight into the ASGI app with a body of `chunks` × 64 KB that is produced only as
    the app pulls it: (status, headers, body, chunks pulled)."""
    pulled = 0
    sent: list[dict] = []

    async def receive():
        nonlocal pulled
        if pulled < chunks:
            pulled += 1
            return {"type": "http.request", "body": b"x" * CHUNK, "more_body": pulled < chunks}
        await asyncio.sleep(3600)  # the client waits; the app answered already or it is a hang

    async def send(message):
        sent.append(message)

    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method,
             "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": b"", "root_path": "",
             "headers": [(k.lower().encode(), v.encode()) for k, v in {"host": "test", **headers}.items()],
             "client": ("10.0.0.7", 50000), "server": ("test", 80)}
    asyncio.run(asyncio.wait_for(app(scope, receive, send), 30))
    start = next(m for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return start["status"], {k.decode(): v.decode() for k, v in start["headers"]}, body, pulled


@pytest.fixture(scope="module")
def app(demo_engine):
    return create_app(demo_engine)


def _body_operations(app, secured: bool = True) -> list[tuple[str, str]]:
    ops = []
    for path, methods in app.openapi()["paths"].items():
        for method, op in methods.items():
            if "requestBody" in op and bool(op.get("security")) == secured:
                ops.append((method.upper(), path.replace("{camera_id}", "1")))
    return ops


def test_a_body_without_a_token_is_cut_off_at_the_default_limit(app):
    """Routes that take no token (the phone's enrolment: the invite is the credential) read at most
    the default limit of an endless body, then say 413 in Chinese."""
    ops = _body_operations(app, secured=False)
    assert ("POST", "/api/v1/field/enrol") in ops
    for method, path in ops:
        status, _, body, pulled = _call(app, method, path, {"content-type": "application/json"}, chunks=128)
        assert status == 413 and pulled * CHUNK <= DEFAULT_MAX_BODY_BYTES + CHUNK, (method, path, status, pulled)
        assert CHINESE.search(body.decode())


def test_every_body_is_refused_without_a_token_before_it_is_read(app):
    ops = _body_operations(app)
    assert ("PUT", "/api/v1/demo/streams/1/state") in ops and ("POST", "/api/v1/checkins") in ops
    for method, path in ops:
        # 8 MB chunked (no Content-Length): the app must not pull a byte of it before saying 401
        status, _, body, pulled = _call(app, method, path, {"content-type": "application/json"}, chunks=128)
        assert (status, pulled) == (401, 0), (method, path, status, pulled)
        assert CHINESE.search(body.decode())


def test_a_declared_huge_body_is_refused_before_the_app_runs(app):
    huge = str(200 * 1024 * 1024)
    for method, path in _body_operations(app):
        status, headers, body, pulled = _call(app, method, path, {"content-length": huge}, chunks=3200)
        assert (status, pulled) == (413, 0), (method, path, status, pulled)
        assert "过大" in body.decode() and headers["content-type"] == "application/json"


def test_a_streamed_body_is_cut_off_at_the_limit(app, tokens):
    headers = {**auth(tokens["admin"]), "content-type": "application/json"}
    status, _, body, pulled = _call(app, "PUT", "/api/v1/demo/streams/1/state", headers, chunks=128)
    assert status == 413 and "过大" in body.decode()
    assert pulled == DEFAULT_MAX_BODY_BYTES // CHUNK + 1  # the chunk that passed the limit, not one more
    # the route that takes photos has its own, larger limit: counted the same way
    status, _, body, pulled = _call(app, "POST", "/api/v1/checkins", headers, chunks=1000)
    assert status == 413 and pulled == MAX_BODY_BYTES // CHUNK + 1


def test_a_body_under_the_default_limit_still_works(app, tokens):
    with TestClient(app) as client:
        r = client.put("/api/v1/demo/streams/1/state", json={"state": "nope"}, headers=auth(tokens["admin"]))
        assert r.status_code == 422 and "state" in r.json()["detail"]
        r = client.put("/api/v1/demo/streams/1/state", content=b"{not json", headers=auth(tokens["admin"]))
        assert r.status_code == 422
        # a check-in body larger than the default limit (a photo) reaches the check-in's own checks
        r = client.post("/api/v1/checkins", json={"photos": ["A" * (DEFAULT_MAX_BODY_BYTES * 3)]},
                        headers=auth(tokens["admin"]))
        assert r.status_code == 422, r.text


def test_failed_tokens_are_rate_limited_per_client(demo_engine, tokens):
    allowed = int(FAILED_AUTH_LIMIT.split("/")[0])
    app = create_app(demo_engine)
    with TestClient(app) as client:
        for i in range(allowed):
            r = client.get("/api/v1/indicators", headers=auth(f"wrong-{i}"))
            assert r.status_code == 401, (i, r.status_code)
        r = client.get("/api/v1/indicators", headers=auth("wrong-again"))
        assert r.status_code == 429 and CHINESE.search(r.json()["detail"])
        assert 1 <= int(r.headers["Retry-After"]) <= 60
        # a valid token behind the same address (a NAT: another wall of the county) is never refused
        # for the others' failures, cached or not
        assert client.get("/api/v1/indicators", headers=auth(tokens["display"])).status_code == 200
        assert client.get("/api/v1/indicators", headers=auth(tokens["leader"])).status_code == 200
        assert client.get("/api/v1/indicators", headers=auth("wrong-still")).status_code == 429
    # another client is not affected
    with TestClient(app, client=("10.9.9.9", 1234)) as other:
        assert other.get("/api/v1/indicators", headers=auth("wrong")).status_code == 401


def test_ipv6_clients_are_counted_by_their_64_prefix(demo_engine):
    allowed = int(FAILED_AUTH_LIMIT.split("/")[0])
    app = create_app(demo_engine)
    for i in range(allowed):  # a client hopping addresses inside its /64
        with TestClient(app, client=(f"2001:db8:1:2::{i + 1:x}", 1234)) as client:
            assert client.get("/api/v1/indicators", headers=auth(f"wrong-{i}")).status_code == 401
    with TestClient(app, client=("2001:db8:1:2:ffff::9", 1234)) as client:
        assert client.get("/api/v1/indicators", headers=auth("wrong")).status_code == 429
    with TestClient(app, client=("2001:db8:1:3::1", 1234)) as client:  # the next /64: someone else
        assert client.get("/api/v1/indicators", headers=auth("wrong")).status_code == 401


def test_the_public_endpoint_limiter_is_ready_to_use():
    app = FastAPI()
    app.state.rate_limits = RateLimits()

    @app.get("/public", dependencies=[Depends(rate_limited("3/minute", "qr"))])
    def public() -> dict:
        return {"ok": True}

    with TestClient(app) as client:
        assert [client.get("/public").status_code for _ in range(3)] == [200, 200, 200]
        r = client.get("/public")
        assert r.status_code == 429 and "频繁" in r.json()["detail"] and int(r.headers["Retry-After"]) >= 1


def test_cors_only_for_configured_origins(demo_engine, tmp_path):
    preflight = {"Origin": "https://screen.example", "Access-Control-Request-Method": "GET",
                 "Access-Control-Request-Headers": "Authorization"}
    with TestClient(create_app(demo_engine, Settings(data_dir=tmp_path))) as client:
        r = client.options("/api/v1/indicators", headers=preflight)
        assert "access-control-allow-origin" not in r.headers
    configured = Settings(data_dir=tmp_path, cors_origins=["https://screen.example"])
    with TestClient(create_app(demo_engine, configured)) as client:
        r = client.options("/api/v1/indicators", headers=preflight)
        assert r.status_code == 200 and r.headers["access-control-allow-origin"] == "https://screen.example"
        r = client.options("/api/v1/indicators", headers={**preflight, "Origin": "https://evil.example"})
        assert r.headers.get("access-control-allow-origin") != "https://evil.example"
