"""The event loop never waits on the database: a request's session that was used is closed (its rollback, a
round trip) on one of the API's kept threads, not on the loop that every connection of the worker waits on."""

from __future__ import annotations

import threading

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from sandbox.server.app import create_app


def test_a_used_session_is_closed_off_the_event_loop(demo_engine, monkeypatch):
    closed_on = []
    real_close = Session.close

    def close(self):
        closed_on.append(threading.current_thread().name)
        return real_close(self)

    monkeypatch.setattr(Session, "close", close)
    with TestClient(create_app(demo_engine)) as client:
        closed_on.clear()
        r = client.get("/api/v1/health")  # a sync route that reads through its session
        assert r.status_code == 200
    request_closes = [name for name in closed_on if name != "photo-checks"]  # its own thread, its own sessions
    assert request_closes and all(name.startswith("api-hop") for name in request_closes), closed_on
