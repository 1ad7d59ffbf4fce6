"""The embedded server the wall talks to: it holds the port it was given and answers without delay."""

from __future__ import annotations

import socket

import pytest
import requests

from sandbox.server.runtime import EmbeddedServer, new_token


@pytest.fixture(scope="module")
def embedded(demo_engine):
    server = EmbeddedServer(demo_engine).start()
    yield server, new_token(demo_engine, "display")
    server.stop()


def test_the_port_is_held_from_the_start(embedded):
    # chosen and kept: another process cannot take it between choosing and serving
    server, _ = embedded
    with pytest.raises(OSError), socket.socket() as other:
        other.bind((server.host, server.port))


def test_answers_are_not_held_back_by_nagle(embedded):
    # Without TCP_NODELAY on the accepted connection each small answer waits for a delayed ACK
    # (about 40 ms on Linux): the wall's every request was that slow with the port held by hand.
    server, token = embedded
    with requests.Session() as session:
        r = session.get(f"{server.url}/api/v1/regions/522726", headers={"Authorization": f"Bearer {token}"},
                        timeout=30)
        assert r.status_code == 200
        connections = list(server.server.server_state.connections)
        assert connections
        for protocol in connections:
            sock = protocol.transport.get_extra_info("socket")
            assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0


def test_a_stopped_server_lets_its_port_go(demo_engine):
    server = EmbeddedServer(demo_engine).start()
    port = server.port
    server.stop()
    with socket.socket() as again:
        again.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        again.bind(("127.0.0.1", port))


def test_an_idle_connection_is_kept_past_a_polls_interval(embedded):
    # uvicorn closes an idle connection after 5 s by default: a wall polling every 5-30 s then sends on a
    # connection being closed and gets "connection reset" (the load test's errors). It is kept now.
    import http.client
    import time

    server, token = embedded
    conn = http.client.HTTPConnection(server.host, server.port, timeout=30)
    try:
        for _ in range(2):
            conn.request("GET", "/api/v1/health", headers={"Authorization": f"Bearer {token}"})
            answer = conn.getresponse()
            answer.read()
            assert answer.status == 200
            time.sleep(6.5)
        sock = conn.sock
        assert sock is not None  # still the first connection: http.client opens no other on its own
    finally:
        conn.close()


def test_several_workers_are_not_killed_for_a_slow_ping(monkeypatch):
    # uvicorn kills a worker that misses its supervisor's ping for 5 s: under the load test's busy cores that cut
    # every stream on it. The workers get a minute.
    from sqlalchemy import create_engine

    from sandbox.server import runtime

    seen = {}

    def supervise(config, sockets):
        seen.update(workers=config.workers, timeout_worker_healthcheck=config.timeout_worker_healthcheck)
        for sock in sockets:
            sock.close()
        return type("Supervisor", (), {"run": lambda self: None})()

    monkeypatch.setattr(runtime, "Multiprocess", supervise)
    monkeypatch.setenv("SANDBOX_DATABASE_URL", "unused")  # serve sets it for the workers; restored after
    runtime.serve(create_engine("postgresql+psycopg2://u:p@127.0.0.1:1/none"), "127.0.0.1", 0, workers=2)
    assert seen["workers"] == 2 and seen["timeout_worker_healthcheck"] >= 60


def test_several_workers_answer_without_nagle():
    # `serve --workers N` hands one listening socket to its workers (pickled into each, as multiprocessing does);
    # uvicorn made it with protocol 0 and the workers' event loops then left Nagle on for every connection: a
    # small answer's body, written after its headers, waited ≈ 40 ms for a delayed ACK (a wall's health check
    # after a check-in: 48 ms against 6 ms, measured with 4 workers).
    import asyncio
    import pickle
    from multiprocessing.reduction import ForkingPickler

    from sandbox.server.runtime import _TcpConfig

    listening = _TcpConfig("sandbox.server.asgi:app", factory=True, host="127.0.0.1", port=0, workers=2).bind_socket()
    in_worker = pickle.loads(ForkingPickler.dumps(listening))  # what a worker receives
    listening.close()

    async def accepted_nodelay() -> int:
        seen: asyncio.Future = asyncio.get_running_loop().create_future()

        def on_connect(reader, writer):
            seen.set_result(writer.get_extra_info("socket").getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
            writer.close()

        server = await asyncio.start_server(on_connect, sock=in_worker)
        try:
            _, writer = await asyncio.open_connection(*in_worker.getsockname()[:2])
            value = await asyncio.wait_for(seen, 10)
            writer.close()
            return value
        finally:
            server.close()

    assert asyncio.run(accepted_nodelay()) != 0
