"""The event bus of an API with several workers on PostgreSQL: events go through the database's event log
and LISTEN/NOTIFY, so a wall gets every check-in whichever worker took it, and resumes on any worker.

Each worker keeps the in-memory bus's subscribers and history; what it learns comes from the log, in id
order, exactly once per worker: after its own publish, on a notification, and once a second in case a
notification was missed (a dropped listening connection). Learning is quick (the history, `last_id`): a
publisher returns with its event seen on its worker. Handing each event to the worker's walls is the sending
thread's, so a check-in never waits behind the delivery of earlier events to 200 walls. SQLite keeps the
single-process bus.
"""

from __future__ import annotations

import logging
import queue
import select
import threading

from sqlalchemy.engine import Engine

from sandbox.ratelog import RateLimitedLog
from sandbox.server.events.bus import EventBus, Render, format_event
from sandbox.store import event_log

__all__ = ["SharedEventBus", "make_event_bus"]

log = logging.getLogger(__name__)

POLL_S = 1.0  # a missed notification costs at most this much delay
SENDER_IDLE_S = 30.0  # the sending thread ends after this long without events (a bus nobody closed leaks none)
KEEP = 20_000  # events kept in the log for resuming clients (several hours of a county's morning)
_PRUNE_EVERY = 500


class SharedEventBus(EventBus):
    def __init__(self, engine: Engine, backlog: int = 200, history: int = 500) -> None:
        super().__init__(backlog=backlog, history=history)
        self.engine = engine
        # One reader of the log at a time, held only while reading it (never while handing out): each event
        # is learnt once, in id order.
        self._known = threading.Lock()
        self._outbox: queue.SimpleQueue = queue.SimpleQueue()  # learnt, in id order, for the sending thread
        self._sender: threading.Thread | None = None
        self._sender_lock = threading.Lock()
        self._published = 0
        self._stop = threading.Event()
        self._listener: threading.Thread | None = None
        self._warn = RateLimitedLog(log, 300.0)
        with engine.connect() as conn:
            recent = event_log.latest(conn, history)
        for event_id, kind, data in recent:  # a worker started late can still resume a client's id
            self._history.append((event_id, kind, data))
        if recent:
            self._last_id = self._fanned_id = recent[-1][0]

    def publish(self, kind: str, data: dict) -> int:
        """Stores the event (NOTIFY tells every worker) and learns the log up to it: when this returns, this
        worker's `last_id` and `recent` show it (the 督办 board's cache, a check-in's figures read next). Its
        walls get it from the sending thread: no wait for the delivery of earlier events."""
        since = self._last_id
        with self.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            # the log's one lock held for no round trip; what this worker has not learnt up to the event comes back
            event_id, learnt = event_log.append(conn, kind, data, since)
            self._published += 1
            if self._published % _PRUNE_EVERY == 0:
                event_log.prune(conn, KEEP)
        if learnt is None:  # this worker was far behind: read the log in pages
            self.catch_up(upto=event_id)
        else:
            self._learn(learnt)
        return event_id

    def catch_up(self, upto: int | None = None) -> int:
        """Learns what the log holds beyond the last event known here (with `upto`: only if that one is not
        known yet) and queues it for the walls; the number learnt."""
        learnt = 0
        with self._known:
            while upto is None or self._last_id < upto:
                with self.engine.connect() as conn:
                    rows = event_log.after(conn, self._last_id, 500)
                for row in rows:
                    self._remember(*row)
                    self._outbox.put(row)
                learnt += len(rows)
                if len(rows) < 500:
                    break
        if learnt:
            self._ensure_sending()
        return learnt

    def _learn(self, rows: list[tuple[int, str, dict]]) -> None:
        """Learns these events, which hold every id above the last known here when they were read (in id order):
        those not learnt meanwhile (the listener may have been quicker)."""
        learnt = 0
        with self._known:
            for row in rows:
                if row[0] > self._last_id:
                    self._remember(*row)
                    self._outbox.put(row)
                    learnt += 1
        if learnt:
            self._ensure_sending()

    def _ensure_sending(self) -> None:
        with self._sender_lock:
            if self._sender is None:
                self._sender = threading.Thread(target=self._send, name="events-send", daemon=True)
                self._sender.start()

    def _send(self) -> None:
        """Hands the learnt events to this worker's subscribers, in id order; ends when idle (restarted on need)."""
        while True:
            try:
                row = self._outbox.get(timeout=SENDER_IDLE_S)
            except queue.Empty:
                with self._sender_lock:  # a put before this check is seen; one after it starts a new sender
                    if self._outbox.empty():
                        self._sender = None
                        return
                continue
            if row is None:  # closed
                return
            try:
                self._fan_out(*row)
            except Exception as exc:  # noqa: BLE001 — one bad render must not stop every later event
                self._warn.warning("send", "events: handing out event %s failed (%s)", row[0], type(exc).__name__)

    def subscribe(self, last_event_id: int | None = None, render: Render = format_event):
        self._ensure_listening()
        if last_event_id is not None and last_event_id > self._last_id:
            # An id this worker has not learnt yet may be real: the client was on a worker further on. Learn the
            # log up to it first, or the events up to it would reach the client again when learnt here. An id
            # beyond the log (garbage, a clock set back) stays beyond `last_id`: it holds back nothing to come.
            self.catch_up(upto=last_event_id)
        return super().subscribe(last_event_id, render)

    def _replay(self, last: int, render: Render) -> list[str]:
        oldest = self._history[0][0] if self._history else self._fanned_id + 1
        if last >= self._fanned_id or last >= oldest - 1:
            return super()._replay(last, render)
        # older than this worker's memory (it started after that event): the log may still hold it all
        with self.engine.connect() as conn:
            first = event_log.oldest_id(conn)
            rows = event_log.after(conn, last, self._backlog + 1)
        if first is None or last < first or len(rows) > self._backlog:
            return [format_event(None, "resync", {"reason": "backlog", "last_event_id": self._last_id})]
        # up to what was handed out: the sending thread gives the rest
        return [m for m in (render(i, k, d) for i, k, d in rows if i <= self._fanned_id) if m is not None]

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
        with self._sender_lock:
            sender = self._sender
        if sender is not None:
            self._outbox.put(None)
            sender.join(timeout=POLL_S * 3)


def make_event_bus(engine: Engine) -> EventBus:
    """The shared bus on PostgreSQL (any number of workers), the in-process bus on SQLite (one process)."""
    if engine.dialect.name == "postgresql":
        return SharedEventBus(engine)
    return EventBus()

