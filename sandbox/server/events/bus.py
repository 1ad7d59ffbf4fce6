"""An in-process event bus: publishers on any thread, one asyncio queue per SSE subscriber, and a
small backlog so a client that reconnects with `Last-Event-ID` gets what it missed.

Event ids are integers that grow across server restarts: a bus starts numbering at the wall-clock
time in milliseconds, so an id from an earlier run is always older than anything this run holds.
When a client's last id cannot be continued from the backlog (it fell out of the backlog, it is
from an earlier run, or the client's queue overflowed) the client gets one `resync` event: it
should refetch the state it shows instead of trusting the stream to be complete.
"""

from __future__ import annotations

import asyncio
import collections
import itertools
import json
import threading
import time
from collections.abc import Callable

__all__ = ["EventBus", "format_event", "Render"]

# How one subscriber sees an event: its SSE message, or None when the event is not for it (a
# region-limited token, say). Free text is scrubbed here, per subscriber role.
Render = Callable[[int | None, str, dict], "str | None"]


def format_event(event_id: int | None, kind: str, data: dict) -> str:
    head = f"id: {event_id}\n" if event_id is not None else ""
    return f"{head}event: {kind}\ndata: {json.dumps(data, ensure_ascii=False, separators=(',', ':'))}\n\n"


class EventBus:
    def __init__(self, backlog: int = 200, history: int = 500, first_id: int | None = None) -> None:
        self._lock = threading.Lock()
        self._order = threading.Lock()
        # (loop, queue, render, the last id the client already has)
        self._subscribers: set[tuple[asyncio.AbstractEventLoop, asyncio.Queue, Render, int]] = set()
        self._first_id = int(time.time() * 1000) if first_id is None else first_id
        self._ids = itertools.count(self._first_id)
        self._last_id = self._first_id - 1  # the last event known here (history, `last_id`, `recent`)
        self._fanned_id = self._last_id  # the last event handed to subscribers (the shared bus's lags behind)
        self._backlog = backlog  # per-subscriber queue size
        self._history: collections.deque[tuple[int, str, dict]] = collections.deque(maxlen=history)

    @property
    def last_id(self) -> int:
        return self._last_id

    def subscribe(self, last_event_id: int | None = None, render: Render = format_event) -> asyncio.Queue:
        """A queue of SSE messages as `render` makes them; with `last_event_id`, first the events after
        it (or a `resync` when they cannot all be replayed)."""
        queue: asyncio.Queue = asyncio.Queue(maxsize=self._backlog)
        with self._lock:
            if last_event_id is not None:
                for message in self._replay(last_event_id, render):
                    self._offer(queue, message)
            # Replayed: what was handed out up to now; the fan-out gives the rest, skipping what the client
            # already has (known here, not yet handed out), so each event reaches it once. An id beyond all
            # known here (garbage, or a clock set back) holds back nothing to come.
            seen = min(last_event_id, self._last_id) if last_event_id is not None else -1
            self._subscribers.add((asyncio.get_running_loop(), queue, render, seen))
        return queue

    def _replay(self, last: int, render: Render) -> list[str]:
        if last >= self._fanned_id:
            return []  # up to date (or an id from the future: nothing to send)
        oldest = self._history[0][0] if self._history else self._fanned_id + 1
        if last < oldest - 1:
            return [format_event(None, "resync", {"reason": "backlog", "last_event_id": self._last_id})]
        return [m for m in (render(i, k, d) for i, k, d in self._history if last < i <= self._fanned_id)
                if m is not None]

    def unsubscribe(self, queue: asyncio.Queue) -> None:
        with self._lock:
            self._subscribers = {s for s in self._subscribers if s[1] is not queue}

    def recent(self, n: int = 50) -> list[tuple[int, str, dict]]:
        """The last `n` events published: (id, kind, data), oldest first."""
        with self._lock:
            items = list(self._history)[-n:]
        return [(i, k, json.loads(json.dumps(d))) for i, k, d in items]  # copies: the history stays as published

    @property
    def subscribers(self) -> int:
        return len(self._subscribers)

    def publish(self, kind: str, data: dict) -> int:
        data = json.loads(json.dumps(data))  # a snapshot: the publisher may go on changing its dict
        with self._order:  # ids handed out and delivered in one order
            event_id = next(self._ids)
            self._remember(event_id, kind, data)
            self._fan_out(event_id, kind, data)
        return event_id

    def _remember(self, event_id: int, kind: str, data: dict) -> None:
        """Keeps the event in the history: `last_id` and `recent` show it (in id order: callers see to it)."""
        with self._lock:
            self._history.append((event_id, kind, data))
            self._last_id = event_id

    def _fan_out(self, event_id: int, kind: str, data: dict) -> None:
        """Hands a remembered event to every subscriber that does not have it (in id order: callers see to it)."""
        with self._lock:
            self._fanned_id = event_id
            subscribers = [s for s in self._subscribers if event_id > s[3]]
        for loop, queue, render, _seen in subscribers:
            message = render(event_id, kind, data)
            if message is None:
                continue
            try:
                loop.call_soon_threadsafe(self._offer, queue, message)
            except RuntimeError:  # that subscriber's loop is closed: it is gone
                self.unsubscribe(queue)

    def _offer(self, queue: asyncio.Queue, message: str) -> None:
        if queue.full():
            # A client too slow to keep up: drop what it has not read and tell it to refetch,
            # rather than block the publisher or silently lose events in the middle.
            while not queue.empty():
                queue.get_nowait()
            queue.put_nowait(format_event(None, "resync", {"reason": "overflow", "last_event_id": self._last_id}))
        queue.put_nowait(message)
