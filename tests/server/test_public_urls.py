"""Stream URLs are never built from the request's Host header: from the configured public base URL
(SANDBOX_PUBLIC_BASE_URL), else relative, resolved by the client against the API it calls."""

from __future__ import annotations

import pytest
import requests
from fastapi.testclient import TestClient
from pydantic import ValidationError

from sandbox.client.api import ApiClient
from sandbox.server.app import create_app
from sandbox.server.runtime import EmbeddedServer
from sandbox.server.streams.hub import hub_of
from sandbox.settings import Settings
from sandbox.ui.layers.data import fetch_cameras
from tests.conftest import auth
from tests.server.test_streams import MjpegReader

EVIL = {"Host": "evil.example"}


def _cameras(engine, token: str, settings: Settings | None, headers: dict) -> list[dict]:
    app = create_app(engine)
    if settings is not None:
        app.state.settings = settings
    with TestClient(app, raise_server_exceptions=False) as client:
        r = client.get("/api/v1/cameras", headers={**auth(token), **headers})
    assert r.status_code == 200, r.text
    assert "evil.example" not in r.text
    return r.json()


def test_a_forged_host_header_does_not_reach_the_stream_urls(demo_engine, tokens, tmp_path):
    cams = _cameras(demo_engine, tokens["display"], Settings(data_dir=tmp_path), EVIL)
    demo = [c for c in cams if c["demo"]]
    assert demo and all(c["stream_url"].startswith("/api/v1/demo/streams/") for c in demo)


def test_the_public_base_url_makes_them_absolute(demo_engine, tokens, tmp_path):
    settings = Settings(data_dir=tmp_path, public_base_url="https://sandbox.county.gov.cn/wall/")
    cams = _cameras(demo_engine, tokens["display"], settings, EVIL)
    demo = [c for c in cams if c["demo"]]
    assert demo and all(c["stream_url"].startswith("https://sandbox.county.gov.cn/wall/api/v1/demo/streams/")
                        for c in demo)


def test_the_setting_comes_from_the_environment_and_must_be_an_http_url(monkeypatch, tmp_path):
    monkeypatch.setenv("SANDBOX_PUBLIC_BASE_URL", "http://10.0.0.5:8765")
    assert Settings(data_dir=tmp_path).public_base_url == "http://10.0.0.5:8765"
    monkeypatch.delenv("SANDBOX_PUBLIC_BASE_URL")
    assert Settings(data_dir=tmp_path).public_base_url is None
    for bad in ("evil.example", "ftp://x", "http://x/?a=1", "javascript:alert(1)"):
        with pytest.raises(ValidationError):
            Settings(data_dir=tmp_path, public_base_url=bad)


def test_the_client_resolves_relative_urls_against_the_api_it_calls():
    client = ApiClient("http://127.0.0.1:9999/")
    try:
        answer = [{"id": 1, "stream_url": "/api/v1/demo/streams/1.mjpeg?exp=1&sig=ab", "sub_stream_url": "/s/1"},
                  {"id": 2, "stream_url": "rtsp://10.1.1.1/ch1"}, {"id": 3, "stream_url": "//other/x"}]
        out = client.absolute_urls(answer)
        assert out[0]["stream_url"] == "http://127.0.0.1:9999/api/v1/demo/streams/1.mjpeg?exp=1&sig=ab"
        assert out[0]["sub_stream_url"] == "http://127.0.0.1:9999/s/1"
        assert out[1]["stream_url"] == "rtsp://10.1.1.1/ch1" and out[2]["stream_url"] == "//other/x"
    finally:
        client.close()


def test_the_embedded_server_knows_its_own_address(demo_engine, tokens):
    srv = EmbeddedServer(demo_engine)
    try:
        srv.start()
        raw = requests.get(srv.url + "/api/v1/cameras", headers={**auth(tokens["display"]), **EVIL}, timeout=10)
        assert "evil.example" not in raw.text
        demo = [c for c in raw.json() if c["demo"]]
        assert demo and all(c["stream_url"].startswith(srv.url + "/api/v1/demo/streams/") for c in demo)
    finally:
        hub_of(srv.server.config.app).close()
        srv.stop()


def test_a_wall_plays_the_relative_urls_of_a_server_without_the_setting(demo_engine, tokens, tmp_path):
    """`sandbox serve` without SANDBOX_PUBLIC_BASE_URL: relative URLs, which the wall's client resolves."""
    srv = EmbeddedServer(demo_engine)
    srv.server.config.app.state.settings = Settings(data_dir=tmp_path)  # as `sandbox serve` runs unconfigured
    client = ApiClient(srv.url, tokens["display"])
    try:
        srv.start()
        raw = requests.get(srv.url + "/api/v1/cameras", headers=auth(tokens["display"]), timeout=10).json()
        assert raw[0]["stream_url"].startswith("/api/v1/demo/streams/")
        cam = next(c for c in fetch_cameras(client) if c["demo"])  # the wall's own fetch
        assert cam["stream_url"].startswith(srv.url + "/api/v1/demo/streams/")
        reader = MjpegReader(cam["stream_url"])
        try:
            assert reader.response.status_code == 200
            reader.wait_frames(2)
            assert len(reader.frames) >= 2
        finally:
            reader.close()
    finally:
        client.close()
        hub_of(srv.server.config.app).close()
        srv.stop()


def test_a_trailing_slash_is_a_404_never_a_redirect_to_the_host_header(api, tokens):
    """Starlette redirected /cameras/ to http://<Host>/cameras (307, before any token check)."""
    paths = [p for p in api.app.openapi()["paths"] if "{" not in p]
    assert "/api/v1/cameras" in paths
    for path in paths:
        for headers in (EVIL, {**EVIL, **auth(tokens["admin"])}):
            r = api.get(path + "/", headers=headers, follow_redirects=False)
            assert r.status_code == 404 and "location" not in r.headers, (path, r.status_code, r.headers)
            assert "evil.example" not in r.text and r.json()["detail"] == "没有这个接口地址"


def test_the_client_and_the_wall_never_ask_for_a_redirect(demo_engine, tokens):
    """Every call of the wall's client lands on a route as it is written (no slash to be redirected)."""
    seen: list[tuple[int, str]] = []
    srv = EmbeddedServer(demo_engine)

    @srv.server.config.app.middleware("http")
    async def record(request, call_next):
        response = await call_next(request)
        seen.append((response.status_code, request.url.path))
        return response

    client = ApiClient(srv.url, tokens["admin"])
    try:
        srv.start()
        client.health(), client.indicators(), client.region("522726"), client.children_geojson("522726")
        client.children_series("522726"), client.trend("522726", "visit_rate")
        client.households("522726"), client.projects("522726"), client.fund_flows("522726")
        client.cameras(), client.checkins("522726", since="2017-11-01T00:00:00")
        fetch_cameras(client, "522726")
    finally:
        client.close()
        hub_of(srv.server.config.app).close()
        srv.stop()
    assert len(seen) >= 12 and all(status == 200 for status, _ in seen), seen
