"""GET /events: ids, heartbeats, resume by Last-Event-ID from the backlog, `resync` when it cannot;
and a check-in POSTed to a real server arrives on a live SSE stream."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import socket
import threading
import time

import pytest
import requests
from sqlalchemy import delete, func, select, text

from sandbox.server.events.bus import EventBus
from sandbox.server.runtime import EmbeddedServer
from sandbox.store.checkins import CHINA_TZ
from sandbox.store.models import Checkin
from tests.conftest import auth


class SseReader:
    """Reads an SSE stream in a thread: events as (id, kind, data), comment lines apart."""

    def __init__(self, url: str, token: str, last_event_id: str | None = None, query: str = "") -> None:
        headers = auth(token)
        if last_event_id is not None:
            headers["Last-Event-ID"] = last_event_id
        self.response = requests.get(url + "/api/v1/events" + query, headers=headers, stream=True, timeout=(5, 60))
        self.events: list[tuple[int | None, str, dict]] = []
        self.comments: list[str] = []
        self.retry: int | None = None
        self._thread = threading.Thread(target=self._read, daemon=True)
        if self.response.status_code == 200:
            self._thread.start()

    def _read(self) -> None:
        fields: dict[str, str] = {}
        try:
            for line in self.response.iter_lines(decode_unicode=True):
                if line is None:
                    continue
                if line == "":
                    if "data" in fields:
                        eid = fields.get("id")
                        self.events.append((int(eid) if eid else None, fields.get("event", "message"),
                                            json.loads(fields["data"])))
                    fields = {}
                elif line.startswith(":"):
                    self.comments.append(line[1:].strip())
                else:
                    key, _, value = line.partition(":")
                    value = value[1:] if value.startswith(" ") else value
                    if key == "retry":
                        self.retry = int(value)
                    else:
                        fields[key] = value
        except Exception:  # closed under us
            pass

    def wait_for(self, predicate, timeout: float = 10.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for e in list(self.events):
                if predicate(e):
                    return e
            time.sleep(0.02)
        return None

    def wait_connected(self, timeout: float = 30.0) -> None:  # ends at the line; long for a loaded machine
        deadline = time.monotonic() + timeout
        while not self.comments and time.monotonic() < deadline:
            time.sleep(0.01)
        assert self.comments, "no ': connected' line"

    def close(self) -> None:
        # Shut the socket first: closing the response alone waits for the reader thread's blocked
        # read (until the next heartbeat).
        try:
            self.response.raw.connection.sock.shutdown(socket.SHUT_RDWR)
        except Exception:
            pass
        self.response.close()


@pytest.fixture(scope="module")
def server(demo_engine):
    with demo_engine.connect() as conn:
        first = conn.scalar(select(func.max(Checkin.id)))
    srv = EmbeddedServer(demo_engine).start()
    _app(srv).state.sse_heartbeat_s = 1.0  # closed clients are noticed at the next write
    yield srv
    srv.stop()
    with demo_engine.begin() as conn:
        conn.execute(delete(Checkin).where(Checkin.id > first))


@pytest.fixture(scope="module")
def pair(demo_engine) -> dict:
    with demo_engine.connect() as conn:
        row = conn.execute(text(
            "SELECT a.cadre_id, a.household_id, h.village_code, h.lon, h.lat FROM assignments a "
            "JOIN households h ON h.id = a.household_id WHERE a.end_year IS NULL ORDER BY a.id DESC LIMIT 1")).one()
    return dict(row._mapping)


def _post(server, token: str, pair: dict) -> dict:
    body = {"point": {"lon": pair["lon"], "lat": pair["lat"] + 0.0001, "crs": "WGS-84"}, "accuracy_m": 10,
            "at": dt.datetime.now(CHINA_TZ).isoformat(), "household_id": pair["household_id"],
            "cadre_id": pair["cadre_id"], "note": "测试: 事件流"}
    r = requests.post(server.url + "/api/v1/checkins", json=body, headers=auth(token), timeout=30)
    assert r.status_code == 201, r.text
    return r.json()


def _app(server):
    return server.server.config.app


# -- the bus -----------------------------------------------------------------------------------

def test_bus_ids_grow_and_replay_what_a_client_missed():
    async def run():
        bus = EventBus(first_id=100)
        ids = [bus.publish("checkin", {"n": i}) for i in range(5)]
        assert ids == [100, 101, 102, 103, 104] and bus.last_id == 104
        q = bus.subscribe(last_event_id=102)
        got = [q.get_nowait() for _ in range(q.qsize())]
        assert [m.split("\n")[0] for m in got] == ["id: 103", "id: 104"]
        assert bus.subscribe(last_event_id=104).qsize() == 0  # up to date
        assert bus.subscribe(last_event_id=10**15).qsize() == 0  # from the future: nothing to replay
        assert bus.subscribe().qsize() == 0  # a fresh client gets only new events
        # an id older than the backlog (or from an earlier run): one resync, not a partial replay
        stale = bus.subscribe(last_event_id=5)
        assert stale.qsize() == 1 and "event: resync" in stale.get_nowait()
        live = bus.subscribe()
        bus.publish("checkin", {"n": 5})
        await asyncio.sleep(0)
        assert live.get_nowait().startswith("id: 105\nevent: checkin\n")

    asyncio.run(run())


def test_bus_backlog_is_bounded_and_old_ids_resync():
    async def run():
        bus = EventBus(history=3, first_id=1)
        for i in range(10):
            bus.publish("checkin", {"n": i})
        q = bus.subscribe(last_event_id=6)  # 7..10 are needed, 8..10 are kept
        assert "event: resync" in q.get_nowait()
        q = bus.subscribe(last_event_id=7)
        assert [m.split("\n")[0] for m in (q.get_nowait() for _ in range(3))] == ["id: 8", "id: 9", "id: 10"]

    asyncio.run(run())


def test_a_slow_subscriber_gets_resync_instead_of_a_silent_gap():
    async def run():
        bus = EventBus(backlog=4, first_id=1)
        q = bus.subscribe()
        for i in range(10):
            bus.publish("checkin", {"n": i})
        await asyncio.sleep(0.01)
        got = [q.get_nowait() for _ in range(q.qsize())]
        assert any("event: resync" in m for m in got)
        assert got[-1].startswith("id: 10\n")

    asyncio.run(run())


def test_ids_of_a_new_bus_are_above_those_of_an_earlier_run():
    first = EventBus()
    old = [first.publish("x", {}) for _ in range(3)]
    time.sleep(0.01)
    assert EventBus().last_id >= old[-1]


# -- live, over HTTP ---------------------------------------------------------------------------

def test_a_posted_checkin_arrives_on_a_live_stream(server, tokens, pair):
    reader = SseReader(server.url, tokens["display"])
    try:
        assert reader.response.status_code == 200
        assert reader.response.headers["content-type"].startswith("text/event-stream")
        reader.wait_connected()
        assert reader.retry == 3000
        rec = _post(server, tokens["admin"], pair)
        event = reader.wait_for(lambda e: e[1] == "checkin" and e[2]["id"] == rec["id"])
        assert event is not None, reader.events
        event_id, _, data = event
        assert event_id is not None and event_id > 0
        assert data["village_code"] == pair["village_code"] and data["effective"] is True
        assert data["at"] == rec["at"]
        # Every wall gets the event, so its point is a home's to 0.01°, not the doorstep (the poster's
        # own record keeps the exact point).
        assert (data["lon"], data["lat"]) == (round(rec["lon"], 2), round(rec["lat"], 2))
        assert rec["lon"] != round(rec["lon"], 2) or rec["lat"] != round(rec["lat"], 2)
        assert set(data) <= {"id", "at", "lon", "lat", "village_code", "town_code", "effective", "counted_in_year"}
    finally:
        reader.close()


def test_reconnecting_with_last_event_id_replays_missed_events(server, tokens, pair):
    first = SseReader(server.url, tokens["display"])
    try:
        first.wait_connected()
        a = _post(server, tokens["admin"], pair)
        seen = first.wait_for(lambda e: e[1] == "checkin" and e[2]["id"] == a["id"])
        assert seen is not None
    finally:
        first.close()
    # while disconnected, two more check-ins happen
    b, c = _post(server, tokens["admin"], pair), _post(server, tokens["admin"], pair)
    again = SseReader(server.url, tokens["display"], last_event_id=str(seen[0]))
    try:
        got = again.wait_for(lambda e: e[1] == "checkin" and e[2]["id"] == c["id"])
        assert got is not None
        replayed = [e[2]["id"] for e in again.events if e[1] == "checkin"]
        assert replayed == [b["id"], c["id"]]  # in order, nothing twice, nothing from before
    finally:
        again.close()
    # the query parameter works too (for clients that cannot set headers)
    by_query = SseReader(server.url, tokens["display"], query=f"?last_event_id={seen[0]}")
    try:
        assert by_query.wait_for(lambda e: e[1] == "checkin" and e[2]["id"] == c["id"]) is not None
    finally:
        by_query.close()


def test_an_unknown_or_stale_last_event_id_gets_resync(server, tokens, pair):
    _post(server, tokens["admin"], pair)  # so the backlog is not empty
    stale = SseReader(server.url, tokens["display"], last_event_id="1")
    try:
        assert stale.wait_for(lambda e: e[1] == "resync") is not None
    finally:
        stale.close()
    for junk in ("abc", "-5", "9" * 40, ""):
        r = SseReader(server.url, tokens["display"], last_event_id=junk)
        try:
            assert r.response.status_code == 200
            r.wait_connected()
        finally:
            r.close()


def test_heartbeats_keep_a_quiet_stream_alive(server, tokens):
    _app(server).state.sse_heartbeat_s = 0.2
    reader = SseReader(server.url, tokens["display"])
    try:
        deadline = time.monotonic() + 5
        while reader.comments.count("heartbeat") < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert reader.comments.count("heartbeat") >= 2
    finally:
        reader.close()
        _app(server).state.sse_heartbeat_s = 1.0


def test_events_need_a_reading_role(server, tokens):
    assert requests.get(server.url + "/api/v1/events", timeout=5).status_code == 401
    r = requests.get(server.url + "/api/v1/events", headers=auth(tokens["public"]), timeout=5)
    assert r.status_code == 403 and "无权" in r.json()["detail"]


def test_subscribers_leave_when_clients_disconnect(server, tokens):
    bus = _app(server).state.events
    deadline = time.monotonic() + 10  # an earlier test's reader may still be leaving
    while bus.subscribers and time.monotonic() < deadline:
        bus.publish("ping", {})
        time.sleep(0.1)
    base = bus.subscribers
    readers = [SseReader(server.url, tokens["display"]) for _ in range(3)]
    for r in readers:
        r.wait_connected()
    assert bus.subscribers == base + 3
    for r in readers:
        r.close()
    deadline = time.monotonic() + 10
    while bus.subscribers > base and time.monotonic() < deadline:
        bus.publish("ping", {})  # a write to a closed socket is what tells the server
        time.sleep(0.1)
    assert bus.subscribers == base
