"""The event bus of an API with several workers on PostgreSQL: events go through the database's event log
and LISTEN/NOTIFY, so a wall gets every check-in whichever worker took it, and resumes on any worker.

Each worker keeps the in-memory bus's subscribers and history; what it delivers comes from the log, in id
order, exactly once per worker: after its own publish, on a notification, and once a second in case a
notification was missed (a dropped listening connection). SQLite keeps the single-process bus.
"""

from __future__ import annotations

import logging
import select
import threading

from sqlalchemy.engine import Engine

from sandbox.ratelog import RateLimitedLog
from sandbox.server.events.bus import EventBus, Render, format_event
from sandbox.store import event_log

__all__ = ["SharedEventBus", "make_event_bus"]

log = logging.getLogger(__name__)

POLL_S = 1.0  # a missed notification costs at most this much delay
KEEP = 20_000  # events kept in the log for resuming clients (several hours of a county's morning)
_PRUNE_EVERY = 500


class SharedEventBus(EventBus):
    def __init__(self, engine: Engine, backlog: int = 200, history: int = 500) -> None:
        super().__init__(backlog=backlog, history=history)
        self.engine = engine
        self._fetch = threading.Lock()  # one reader of the log at a time: each event delivered once
        self._published = 0
        self._stop = threading.Event()
        self._listener: threading.Thread | None = None
        self._warn = RateLimitedLog(log, 300.0)
        with engine.connect() as conn:
            recent = event_log.latest(conn, history)
        for event_id, kind, data in recent:  # a worker started late can still resume a client's id
            self._history.append((event_id, kind, data))
        if recent:
            self._last_id = recent[-1][0]

    def publish(self, kind: str, data: dict) -> int:
        with self.engine.begin() as conn:
            event_id = event_log.append(conn, kind, data)
            self._published += 1
            if self._published % _PRUNE_EVERY == 0:
                event_log.prune(conn, KEEP)
        self.catch_up()
        return event_id

    def catch_up(self) -> int:
        """Delivers what the log holds beyond the last event delivered here; the number delivered."""
        delivered = 0
        with self._fetch:
            while True:
                with self.engine.connect() as conn:
                    rows = event_log.after(conn, self._last_id, 500)
                for event_id, kind, data in rows:
                    self._deliver(event_id, kind, data)
                delivered += len(rows)
                if len(rows) < 500:
                    return delivered

    def subscribe(self, last_event_id: int | None = None, render: Render = format_event):
        self._ensure_listening()
        return super().subscribe(last_event_id, render)

    def _replay(self, last: int, render: Render) -> list[str]:
        oldest = self._history[0][0] if self._history else self._last_id + 1
        if last >= self._last_id or last >= oldest - 1:
            return super()._replay(last, render)
        # older than this worker's memory (it started after that event): the log may still hold it all
        with self.engine.connect() as conn:
            first = event_log.oldest_id(conn)
            rows = event_log.after(conn, last, self._backlog + 1)
        if first is None or last < first or len(rows) > self._backlog:
            return [format_event(None, "resync", {"reason": "backlog", "last_event_id": self._last_id})]
        return [m for m in (render(i, k, d) for i, k, d in rows) if m is not None]

    def _ensure_listening(self) -> None:
        if self._listener is None or not self._listener.is_alive():
            self._listener = threading.Thread(target=self._listen, name="events-listen", daemon=True)
            self._listener.start()

    def _listen(self) -> None:
        """LISTEN on a connection of its own; wake on a notification or every POLL_S, then catch up."""
        while not self._stop.is_set():
            raw = None
            try:
                raw = self.engine.raw_connection()
                dbapi = raw.driver_connection
                dbapi.autocommit = True
                with dbapi.cursor() as cur:
                    cur.execute(f"LISTEN {event_log.CHANNEL}")
                self.catch_up()  # what was published while this connection was being made
                while not self._stop.is_set():
                    ready, _, _ = select.select([dbapi], [], [], POLL_S)
                    if ready:
                        dbapi.poll()
                        dbapi.notifies.clear()
                    self.catch_up()
            except Exception as exc:  # noqa: BLE001 — the listener must outlive a database restart
                self._warn.warning("listen", "events: listening on the database failed (%s); retrying", type(exc).__name__)
                self._stop.wait(2.0)
            finally:
                if raw is not None:
                    try:
                        raw.invalidate()  # never back to the pool: it is LISTENing
                    except Exception:  # noqa: BLE001
                        pass

    def close(self) -> None:
        self._stop.set()
        if self._listener is not None:
            self._listener.join(timeout=POLL_S * 3)


def make_event_bus(engine: Engine) -> EventBus:
    """The shared bus on PostgreSQL (any number of workers), the in-process bus on SQLite (one process)."""
    if engine.dialect.name == "postgresql":
        return SharedEventBus(engine)
    return EventBus()

