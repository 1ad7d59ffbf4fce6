"""Several API workers on one PostgreSQL: every event reaches every worker's subscribers exactly once, in id
order, and a client resumes by `Last-Event-ID` on a worker other than the one it was connected to."""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
import threading
import time

import pytest
import requests

from sandbox.server.events.bus import EventBus, format_event
from sandbox.server.events.shared import SharedEventBus, make_event_bus
from tests.conftest import PG_URL

pg_only = pytest.mark.skipif(not PG_URL, reason="the shared event log is PostgreSQL's (SANDBOX_TEST_DATABASE_URL)")

_ID = re.compile(r"^id: (\d+)$", re.M)


async def _take(queue: asyncio.Queue, n: int, timeout: float = 10.0) -> list[str]:
    got = []
    deadline = time.monotonic() + timeout
    while len(got) < n and time.monotonic() < deadline:
        try:
            got.append(await asyncio.wait_for(queue.get(), max(0.01, deadline - time.monotonic())))
        except TimeoutError:
            break
    return got


def _ids(messages: list[str]) -> list[int]:
    return [int(m) for text in messages for m in _ID.findall(text)]


@pg_only
def test_postgresql_gets_the_shared_bus_and_sqlite_the_process_bus(demo_engine, tmp_path):
    from sandbox.store.db import make_engine

    assert isinstance(make_event_bus(demo_engine), SharedEventBus)
    lite = make_engine(f"sqlite:///{tmp_path / 'x.db'}")
    assert type(make_event_bus(lite)) is EventBus
    lite.dispose()


@pg_only
def test_an_event_published_on_one_worker_reaches_another_once(demo_engine):
    a, b = SharedEventBus(demo_engine), SharedEventBus(demo_engine)

    async def run():
        queue = b.subscribe()
        event_id = await asyncio.to_thread(a.publish, "checkin", {"village_code": "522726101201", "n": 1})
        got = await _take(queue, 1)
        more = await _take(queue, 1, timeout=2.5)  # two polls later: nothing delivered twice
        return event_id, got, more

    try:
        event_id, got, more = asyncio.run(run())
    finally:
        a.close(), b.close()
    assert _ids(got) == [event_id] and '"n":1' in got[0]
    assert more == []


@pg_only
def test_a_publish_returns_while_a_delivery_to_a_wall_is_stuck(demo_engine):
    """A check-in's publish stores its event and shows it on its own worker at once (`last_id`, `recent`: the
    督办 board's cache, a check-in's figures read next) without waiting for a delivery in progress — here a
    wall whose delivery is stuck, as a delivery to 200 walls on busy cores; once it moves, every stream gets
    each event once and in id order, a client resuming meanwhile too."""
    a = SharedEventBus(demo_engine)
    gate = threading.Event()

    def stuck(event_id, kind, data):  # a wall whose delivery does not return until let go
        gate.wait(30)
        return format_event(event_id, kind, data)

    async def run():
        slow, quick = a.subscribe(render=stuck), a.subscribe()
        published, seen = [], []

        def publish_three():
            for i in range(3):
                published.append(a.publish("checkin", {"village_code": "522726101201", "n": i}))
                seen.append((a.last_id, [e for e, _k, _d in a.recent(3)]))

        task = asyncio.create_task(asyncio.to_thread(publish_three))
        try:
            done, _ = await asyncio.wait({task}, timeout=10)
            # clients (re)connecting while the delivery is stuck: one resuming after the first event, one that
            # already has the last (it came from a worker further on)
            resumed = a.subscribe(published[0]) if done else None
            ahead = a.subscribe(published[-1]) if done else None
        finally:
            gate.set()
        await task
        got = [await _take(q, 3) for q in (slow, quick)]
        if done:
            got += [await _take(resumed, 2), await _take(ahead, 1, timeout=2.5)]
        more = await _take(quick, 1, timeout=2.5)  # two polls later: nothing delivered twice
        return done, published, seen, got, more

    try:
        done, published, seen, got, more = asyncio.run(run())
    finally:
        a.close()
    assert done, "a publish waited for the delivery in progress"
    assert [last for last, _recent in seen] == published  # seen on this worker when its publish returned
    assert all(event_id in recent for event_id, (_last, recent) in zip(published, seen))
    assert _ids(got[0]) == published and _ids(got[1]) == published
    assert _ids(got[2]) == published[1:] and got[3] == [] and more == []


@pg_only
def test_a_publish_learns_the_log_up_to_its_event_in_the_statement_that_stores_it(demo_engine):
    # What another worker published before is learnt with the publisher's own event, from the append's own
    # message: no second read of the log (a checkout, a query and a rollback, each a wait on a busy machine).
    from sqlalchemy import event

    a, b = SharedEventBus(demo_engine), SharedEventBus(demo_engine)
    statements: list[str] = []

    def seen(conn, cursor, statement, *args):
        if threading.current_thread() is threading.main_thread():
            statements.append(statement)

    try:
        first = a.publish("duty", {"region_code": "522726101000", "i": 1})
        event.listen(demo_engine, "before_cursor_execute", seen)
        try:
            second = b.publish("duty", {"region_code": "522726101000", "i": 2})
        finally:
            event.remove(demo_engine, "before_cursor_execute", seen)
        assert [i for i, _, _ in b.recent(5)][-2:] == [first, second] and b.last_id == second
        assert len(statements) == 1 and "INSERT INTO event_log" in statements[0]
    finally:
        a.close(), b.close()


@pg_only
def test_many_publishers_on_two_workers_one_order_everywhere(demo_engine):
    a, b, c = (SharedEventBus(demo_engine) for _ in range(3))

    async def run():
        qa, qc = a.subscribe(), c.subscribe()

        def burst(bus, tag):
            for i in range(30):
                bus.publish("duty", {"region_code": "522726101000", "tag": tag, "i": i})

        threads = [threading.Thread(target=burst, args=(bus, tag)) for bus, tag in ((a, "a"), (b, "b"))]
        for t in threads:
            t.start()
        await asyncio.to_thread(lambda: [t.join() for t in threads])
        return await _take(qa, 60), await _take(qc, 60)

    try:
        on_a, on_c = asyncio.run(run())
    finally:
        a.close(), b.close(), c.close()
    ids_a, ids_c = _ids(on_a), _ids(on_c)
    assert len(ids_c) == 60 and ids_c == sorted(ids_c) and len(set(ids_c)) == 60
    assert ids_a == ids_c  # the same events in the same order on every worker


@pg_only
def test_a_client_resumes_on_a_worker_that_started_after_its_events(demo_engine):
    a = SharedEventBus(demo_engine)
    first = a.publish("duty", {"region_code": "522726101000", "i": 0})
    later = [a.publish("duty", {"region_code": "522726101000", "i": i}) for i in (1, 2)]
    a.close()
    b = SharedEventBus(demo_engine, history=1)  # remembers only the last event: the rest comes from the log

    async def run():
        return await _take(b.subscribe(first), 2, timeout=3)

    try:
        got = asyncio.run(run())
    finally:
        b.close()
    assert _ids(got) == later


@pg_only
@pytest.mark.parametrize("resume_at", [0, 2], ids=["inside", "newest"])
def test_a_client_resumes_on_a_worker_that_has_not_learnt_its_id_yet(demo_engine, resume_at):
    """A client that was on a worker further on resumes on one that has not read the log up to its
    `Last-Event-ID` yet (no stream there so far, so nothing has made it listen): it gets each event after its
    id once, in id order — none of those it already has, then what comes next."""
    ahead, behind = SharedEventBus(demo_engine), SharedEventBus(demo_engine)
    published = [ahead.publish("duty", {"region_code": "522726101000", "i": i}) for i in range(3)]
    assert behind.last_id < published[0]  # the worker the client lands on knows none of them

    async def run():
        queue = behind.subscribe(published[resume_at])
        first = await _take(queue, 3, timeout=2.5)  # two polls: time for the listener to learn the log
        later = await asyncio.to_thread(ahead.publish, "duty", {"region_code": "522726101000", "i": 3})
        return first, later, await _take(queue, 3, timeout=2.5)

    try:
        first, later, then = asyncio.run(run())
    finally:
        ahead.close(), behind.close()
    assert _ids(first) == published[resume_at + 1:]
    assert _ids(then) == [later]


@pytest.fixture()
def two_workers(demo_engine, tokens):
    env = {**os.environ, "SANDBOX_DATABASE_URL": PG_URL, "PYTHONUNBUFFERED": "1"}
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([sys.executable, "-m", "sandbox", "serve", "--port", str(port), "--workers", "2"],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            try:
                if requests.get(base + "/api/v1/health", timeout=2).status_code < 500:
                    break
            except requests.RequestException:
                time.sleep(0.5)
        else:
            proc.kill()
            pytest.fail("the two-worker API did not start: " + (proc.stdout.read() if proc.stdout else ""))
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()


@pg_only
def test_two_uvicorn_workers_every_stream_gets_every_event_once(two_workers, tokens, demo_engine):
    """Streams land on both workers (the `: connected … worker PID` line says which); events published through
    the database reach every stream exactly once whichever worker holds it."""
    headers = {"Authorization": f"Bearer {tokens['display']}"}
    streams, workers, lines = [], set(), []
    try:
        # Until both workers hold streams: the fixture's health check answers once the first worker is up,
        # and the second may still be starting (every connection then lands on the first): keep at most two
        # streams on a worker and try again a moment later, for up to a minute.
        per_worker: dict[str, int] = {}
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not (len(workers) == 2 and len(streams) >= 4):
            r = requests.get(two_workers + "/api/v1/events", headers=headers, stream=True, timeout=(5, 30))
            it = r.iter_lines(decode_unicode=True)
            head = [next(it), next(it)]
            pid = re.search(r"worker (\d+)", head[1]).group(1)
            workers.add(pid)
            if per_worker.get(pid, 0) >= 2:
                r.close()
                time.sleep(0.25)
                continue
            per_worker[pid] = per_worker.get(pid, 0) + 1
            streams.append((r, it))
        assert len(workers) == 2, f"every stream landed on one worker: {workers}"
        publisher = SharedEventBus(demo_engine)
        sent = [publisher.publish("facts", {"region_code": "522726", "year": 2020, "n": i}) for i in range(3)]
        publisher.close()
        for _r, it in streams:
            got = []
            deadline = time.monotonic() + 15
            while len(got) < 3 and time.monotonic() < deadline:
                line = next(it)
                if line.startswith("id: "):
                    got.append(int(line[4:]))
            lines.append(got)
        assert all(got == sent for got in lines), lines
    finally:
        for r, _ in streams:
            r.close()


def test_several_workers_on_sqlite_are_refused_in_one_chinese_line(tmp_path, monkeypatch, capsys):
    from sandbox.cli import main

    monkeypatch.setenv("SANDBOX_DATABASE_URL", f"sqlite:///{tmp_path / 'one.db'}")
    assert main(["serve", "--port", "0", "--workers", "2"]) == 2
    err = capsys.readouterr().err
    assert "PostgreSQL" in err and "Traceback" not in err and not (tmp_path / "one.db").exists()
