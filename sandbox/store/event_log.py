"""The event log behind /events when several API workers share one PostgreSQL: every event a row, in
id order, announced with NOTIFY, so each worker's subscribers get every event and resume by id."""

from __future__ import annotations

import datetime as dt
import json

from sqlalchemy import BigInteger, DateTime, String, Text, delete, func, select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Mapped, mapped_column

from sandbox.store.models import Base

__all__ = ["EventLog", "CHANNEL", "append", "after", "latest", "oldest_id", "prune"]

CHANNEL = "sandbox_events"
# One advisory lock for every publisher on every host: ids are handed out and committed in one order, so a
# reader that has seen id N has seen every id below it (no event commits "behind" one already read).
_LOCK_KEY = 0x53_42_58_45  # "SBXE"


class EventLog(Base):
    __tablename__ = "event_log"
    # Milliseconds since the epoch when published (or the last id + 1): ids grow across restarts and
    # across the in-memory bus they replace, as the SSE contract says.
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    kind: Mapped[str] = mapped_column(String(32))
    data: Mapped[str] = mapped_column(Text)  # JSON, as published (rendered per subscriber on the way out)
    at: Mapped[dt.datetime] = mapped_column(DateTime)  # UTC, naive


# The lock, the insert with its id and the NOTIFY in one message: run on a connection in autocommit, PostgreSQL
# executes it as one transaction, so the lock is held only while the server runs it — never across a round trip
# to a client that busy cores may deschedule (which held every publisher on every worker). In READ COMMITTED the
# insert's statement takes its snapshot after the lock is granted: it sees the previous holder's row.
# Its commit does not wait for the disk (≈ 5 ms a flush here, more when commits queue): an event tells of a
# row committed durably before it (the check-in's own commit waits); a database crash can lose only the last
# fraction of a second of notices, never a fact, and ids still grow after it (milliseconds since the epoch).
# The message's last statement reads the log back from the publisher's last known id, newest first, in the
# same transaction (after the insert, under the lock: every earlier id is committed and none later can be):
# the publisher learns its event and the ones before it without a second trip (a checkout, a read, a rollback).
# Its own event (the newest) comes back even when its id is not above `since` (a clock set back).
_APPEND = (
    "SET LOCAL synchronous_commit TO off; SELECT pg_advisory_xact_lock(%(key)s); "
    "WITH ins AS (INSERT INTO event_log (id, kind, data, at) "
    "SELECT GREATEST(%(now_ms)s, COALESCE(max(id), 0) + 1), %(kind)s, %(data)s, %(at)s FROM event_log RETURNING id) "
    "SELECT id, pg_notify(%(channel)s, id::text) FROM ins; "
    "SELECT id, kind, data FROM event_log WHERE id > %(since)s OR id = (SELECT max(id) FROM event_log) "
    "ORDER BY id DESC LIMIT %(limit)s"
)


def append(conn: Connection, kind: str, data: dict, since: int, limit: int = 500
           ) -> tuple[int, list[tuple[int, str, dict]] | None]:
    """Stores one event and announces it in a transaction of its own, one round trip (PostgreSQL; `conn` in
    autocommit: the message is its transaction, and NOTIFY goes at its end): (its id, the events after `since`
    up to it, oldest first — None when more than `limit`, for the caller to read in pages)."""
    now = dt.datetime.now(dt.UTC)
    rows = conn.exec_driver_sql(_APPEND, {
        "key": _LOCK_KEY, "now_ms": int(now.timestamp() * 1000), "kind": kind,
        "data": json.dumps(data, ensure_ascii=False, separators=(",", ":")), "at": now.replace(tzinfo=None),
        "channel": CHANNEL, "since": since, "limit": limit + 1}).all()
    learnt = [(int(i), k, json.loads(d)) for i, k, d in reversed(rows)]
    return learnt[-1][0], (learnt if len(learnt) <= limit else None)


def after(conn: Connection, last_id: int, limit: int) -> list[tuple[int, str, dict]]:
    """Events with an id above `last_id`, oldest first, at most `limit`."""
    rows = conn.execute(select(EventLog.id, EventLog.kind, EventLog.data).where(EventLog.id > last_id)
                        .order_by(EventLog.id).limit(limit))
    return [(i, k, json.loads(d)) for i, k, d in rows]


def latest(conn: Connection, n: int) -> list[tuple[int, str, dict]]:
    """The last `n` events, oldest first."""
    rows = conn.execute(select(EventLog.id, EventLog.kind, EventLog.data).order_by(EventLog.id.desc()).limit(n))
    return [(i, k, json.loads(d)) for i, k, d in reversed(rows.all())]


def oldest_id(conn: Connection) -> int | None:
    return conn.execute(select(func.min(EventLog.id))).scalar()


def prune(conn: Connection, keep: int) -> int:
    """Deletes all but the last `keep` events (a client further behind gets a resync)."""
    edge = conn.execute(select(EventLog.id).order_by(EventLog.id.desc()).offset(keep).limit(1)).scalar()
    if edge is None:
        return 0
    return conn.execute(delete(EventLog).where(EventLog.id <= edge)).rowcount or 0
