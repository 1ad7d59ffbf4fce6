"""What a client can send that used to be a 500 or an echo: times out of range, a non-ASCII stream
signature, NUL in text, huge bad values (truncated in the 422); signatures kept out of logs."""

from __future__ import annotations

import datetime as dt
import logging
import re
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from sandbox.server.app import ECHO_MAX_CHARS, create_app
from sandbox.server.logredact import install_log_redaction
from sandbox.store.checkins import CHINA_TZ
from sandbox.store.models import Checkin
from tests.conftest import auth

CHINESE = re.compile(r"[\u4e00-\u9fff]")
EDGE_TIMES = ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-12:00", "9999-12-31T23:00:00+00:00"]


@pytest.fixture(scope="module")
def client(demo_engine):
    with TestClient(create_app(demo_engine), raise_server_exceptions=False) as c:
        yield c


@pytest.mark.parametrize("param", ["since", "until"])
@pytest.mark.parametrize("value", EDGE_TIMES)
def test_checkin_query_times_out_of_range_are_422(client, tokens, param, value):
    for role in ("admin", "display"):
        r = client.get(f"/api/v1/checkins?region=522726&{param}={quote(value)}", headers=auth(tokens[role]))
        assert r.status_code == 422, (role, r.status_code, r.text)
        assert param in r.json()["detail"] and CHINESE.search(r.json()["detail"])


def _checkin(demo_engine, **over) -> dict:
    with demo_engine.connect() as conn:
        cadre_id, household_id, lon, lat = conn.execute(select(
            Checkin.cadre_id, Checkin.household_id, Checkin.lon, Checkin.lat).limit(1)).one()
    body = {"point": {"lon": lon, "lat": lat, "crs": "WGS-84"}, "household_id": household_id,
            "cadre_id": cadre_id, "at": dt.datetime.now(CHINA_TZ).isoformat(), "note": "走访"}
    body.update(over)
    return body


@pytest.mark.parametrize("at", EDGE_TIMES)
def test_an_admin_checkin_at_the_edge_of_time_is_422(client, tokens, demo_engine, at):
    r = client.post("/api/v1/checkins", json=_checkin(demo_engine, at=at), headers=auth(tokens["admin"]))
    assert r.status_code == 422, r.text
    assert "签到时间" in r.json()["detail"] and "时间范围" in r.json()["detail"]


def test_nul_in_a_note_is_422_on_every_database(client, tokens, demo_engine):
    with demo_engine.connect() as conn:
        before = conn.scalar(select(func.count()).select_from(Checkin))
    r = client.post("/api/v1/checkins", json=_checkin(demo_engine, note="走访\x00了解"), headers=auth(tokens["admin"]))
    assert r.status_code == 422 and "NUL" in r.json()["detail"] and "工作纪要" in r.json()["detail"]
    with demo_engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(Checkin)) == before


@pytest.mark.parametrize("sig", ["%C3%A9", "%E2%82%AC" * 10, "%00", "%FF"])
def test_a_non_ascii_stream_signature_is_403_without_a_traceback(client, sig, caplog):
    with caplog.at_level(logging.WARNING):
        r = client.get(f"/api/v1/demo/streams/1.mjpeg?exp=1&sig={sig}")
    assert r.status_code == 403 and CHINESE.search(r.json()["detail"])
    assert not [rec for rec in caplog.records if rec.levelno >= logging.ERROR or rec.exc_info]


def test_a_huge_bad_value_is_not_echoed_whole(client, tokens):
    # a bad body value (under the body limit) and a bad query value
    r = client.put("/api/v1/demo/streams/1/state", json={"state": "下" * 20_000}, headers=auth(tokens["admin"]))
    assert r.status_code == 422 and len(r.content) < 2_000, len(r.content)
    assert r.json()["errors"][0]["input"].startswith("下" * ECHO_MAX_CHARS)
    r = client.get("/api/v1/regions/522726?year=" + "9" * 8000, headers=auth(tokens["admin"]))
    assert r.status_code == 422 and len(r.content) < 2_000, len(r.content)
    for url in ("/api/v1/regions/" + "5" * 8000, "/api/v1/projects?region=" + "5" * 8000,
                "/api/v1/regions/522726/trend?indicator=" + "x" * 8000):
        r = client.get(url, headers=auth(tokens["admin"]))
        assert r.status_code == 422 and len(r.content) < 2_000, (url[:30], len(r.content))
    # a message a route writes itself quotes no more than a validation error does
    r = client.get("/api/v1/regions/522726/trend?indicator=" + "下" * 3000, headers=auth(tokens["admin"]))
    assert r.status_code == 422 and r.json()["detail"].count("下") == ECHO_MAX_CHARS, r.json()["detail"][:50]
    assert "3000" in r.json()["detail"]


def test_a_declared_huge_body_on_a_get_is_refused_with_the_right_message(client, tokens):
    from sandbox.server.bodylimit import DEFAULT_MAX_BODY_BYTES

    huge = {"content-length": str(200 * 1024 * 1024), **auth(tokens["admin"])}
    r = client.get("/api/v1/regions/522726", headers=huge)
    assert r.status_code == 413 and r.json()["detail"] == "请求体过大: GET 请求不应带请求体"
    r = client.put("/api/v1/demo/streams/1/state", headers=huge)
    assert r.status_code == 413 and "任何接口" in r.json()["detail"] and "此接口" not in r.json()["detail"]
    # a body over the route's own limit names that limit
    r = client.put("/api/v1/demo/streams/1/state", content=b"x" * (DEFAULT_MAX_BODY_BYTES + 1),
                   headers=auth(tokens["admin"]))
    assert r.status_code == 413 and r.json()["detail"] == "请求体过大: 此接口不超过 64 KB"


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


class _Prints:
    def __init__(self, text: str) -> None:
        self.text = text

    def __str__(self) -> str:
        return self.text


def test_stream_signatures_are_redacted_in_logs():
    install_log_redaction()
    url = "/api/v1/demo/streams/3.mjpeg?exp=1767225600&sig=0123456789abcdef0123456789abcdef"
    # uvicorn's access logger may have been configured by an earlier test (its own handler, no propagation)
    access, ours = logging.getLogger("uvicorn.access"), logging.getLogger("sandbox.server.test")
    collect = _Collect()
    saved = [(lg, lg.level, lg.disabled) for lg in (access, ours)]
    for lg in (access, ours):
        lg.addHandler(collect)
        lg.setLevel(logging.INFO)
        lg.disabled = False
    try:
        # as uvicorn's access log writes a request, and as our own code might quote a URL
        access.info('%s - "%s %s HTTP/%s" %d', "10.0.0.1:5", "GET", url, "1.1", 200)
        ours.warning(f"stream {url} stalled")
        ours.warning("stream %(url)s", {"url": url})
        # an object that prints the URL (a starlette URL, an exception quoting it), %s or %r
        ours.warning("stream %s", _Prints(url))
        ours.warning("stream %r failed", ValueError(url))
        ours.warning(ValueError(url))
    finally:
        for lg, level, disabled in saved:
            lg.removeHandler(collect)
            lg.setLevel(level)
            lg.disabled = disabled
    assert len(collect.lines) == 6
    text = "\n".join(collect.lines)
    assert "0123456789abcdef" not in text and text.count("exp=1767225600&sig=<已隐去>") == 6
