"""The SSE client: parsing, malformed messages skipped and logged, resume with Last-Event-ID, reconnect, no token in logs."""

from __future__ import annotations

import logging
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from sandbox.client.events import DENIED_BACKOFF_S, EventStream, SseParser, decode_messages

TOKEN = "secret-display-token-123"


def test_parser_handles_chunks_line_endings_comments_and_retry():
    p = SseParser()
    out = []
    for chunk in ["retry: 2500\n: heart", "beat\n\nid: 7\r", "\nevent: checkin\r\ndata: {\"a\"", ":1}\n", "\n",
                  "data: line1\ndata: line2\n\n", "id: 9\nevent: x\n\n"]:
        out += p.feed(chunk)
    assert p.retry_ms == 2500
    assert out == [("7", "checkin", '{"a":1}'), (None, "message", "line1\nline2")]  # no data: nothing dispatched


def test_malformed_messages_are_skipped_with_a_reason():
    skipped = []
    raw = [("1", "checkin", "{not json"), ("2", "checkin", "[1, 2]"), ("3", "checkin", '{"id": 5}')]
    events = list(decode_messages(raw, skipped.append))
    assert [e.id for e in events] == ["3"] and events[0].data == {"id": 5}
    assert len(skipped) == 2


class _Sse:
    """An SSE endpoint: the first connection sends a malformed message and a good one, then drops;
    later ones send what follows the Last-Event-ID they bring."""

    def __init__(self, status: int = 200):
        self.status = status
        self.seen: list[dict] = []
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def _handler(self):
        sse = self

        class H(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):
                pass

            def do_GET(self):  # noqa: N802
                sse.seen.append({"path": self.path, "last": self.headers.get("Last-Event-ID"),
                                 "auth": self.headers.get("Authorization")})
                if sse.status != 200:
                    self.send_response(sse.status)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.send_header("Connection", "close")
                self.end_headers()
                if len(sse.seen) == 1:
                    body = ("retry: 100\n: connected\n\n"
                            "id: 10\nevent: checkin\ndata: {broken\n\n"
                            "id: 11\nevent: checkin\ndata: {\"id\": 1, \"lon\": 107.5, \"lat\": 25.8, "
                            "\"at\": \"2020-12-01T10:00:00+08:00\", \"village_code\": \"522726103201\"}\n\n")
                else:
                    body = ("id: 12\nevent: checkin\ndata: {\"id\": 2, \"lon\": 107.6, \"lat\": 25.7, "
                            "\"at\": \"2020-12-02T10:00:00+08:00\", \"village_code\": \"522726103202\"}\n\n")
                    time.sleep(0.05)
                self.wfile.write(body.encode())
                self.wfile.flush()
                self.close_connection = True  # the stream drops: the client must reconnect

        return H

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def sse():
    s = _Sse()
    yield s
    s.close()


def test_stream_skips_malformed_resumes_with_last_event_id_and_never_logs_the_token(sse, caplog):
    got, done = [], threading.Event()

    def on_event(ev):
        got.append(ev)
        if len(got) >= 2:
            done.set()

    caplog.set_level(logging.DEBUG, logger="sandbox.client.events")
    stream = EventStream(sse.url, TOKEN, on_event, min_backoff_s=0.05, max_backoff_s=0.2).start()
    try:
        assert done.wait(10), f"events: {got}, requests: {sse.seen}"
    finally:
        stream.stop()
    assert [e.id for e in got[:2]] == ["11", "12"] and got[0].data["id"] == 1
    assert stream.skipped == 1  # the malformed id 10
    assert sse.seen[0]["last"] is None and sse.seen[1]["last"] == "11"  # resumed after the last good id
    assert all(s["auth"] == f"Bearer {TOKEN}" for s in sse.seen)
    assert stream.connects >= 2 and not stream.running
    assert any("malformed" in r.getMessage() for r in caplog.records)
    assert not any(TOKEN in r.getMessage() for r in caplog.records)


def test_a_refused_token_backs_off_and_stop_is_prompt(caplog):
    s = _Sse(status=401)
    try:
        stream = EventStream(s.url, TOKEN, lambda ev: None, min_backoff_s=0.05).start()
        deadline = time.monotonic() + 5
        while not s.seen and time.monotonic() < deadline:
            time.sleep(0.02)
        time.sleep(0.2)
        assert len(s.seen) == 1  # a refused token waits a long time before trying again
        t0 = time.monotonic()
        stream.stop(timeout=30)  # room for a loaded machine; what matters is not sitting out the backoff
        assert not stream.running and time.monotonic() - t0 < DENIED_BACKOFF_S / 2
        assert not any(TOKEN in r.getMessage() for r in caplog.records)
    finally:
        s.close()


def test_reconnects_with_backoff_when_the_server_is_down():
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    states = []
    stream = EventStream(f"http://127.0.0.1:{port}", None, lambda ev: None, on_state=states.append,
                         min_backoff_s=0.05, max_backoff_s=0.1).start()
    time.sleep(0.6)
    stream.stop()
    assert not stream.connected and states == [] and not stream.running
