"""An in-process event bus: publishers on any thread, one asyncio queue per SSE subscriber."""

from __future__ import annotations

import asyncio
import itertools
import json
import threading

__all__ = ["EventBus"]


class EventBus:
    def __init__(self, backlog: int = 200) -> None:
        self._lock = threading.Lock()
        self._subscribers: set[tuple[asyncio.AbstractEventLoop, asyncio.Queue]] = set()
        self._ids = itertools.count(1)
        self._backlog = backlog

    def subscribe(self) -> asyncio.Queue:
        queue: asyncio.Queue = asyncio.Queue(maxsize=self._backlog)
        with self._lock:
            self._subscribers.add((asyncio.get_running_loop(), queue))
        return queue

    def unsubscribe(self, queue: asyncio.Queue) -> None:
        with self._lock:
            self._subscribers = {s for s in self._subscribers if s[1] is not queue}

    def publish(self, kind: str, data: dict) -> int:
        event_id = next(self._ids)
        message = f"id: {event_id}\nevent: {kind}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"
        with self._lock:
            subscribers = list(self._subscribers)
        for loop, queue in subscribers:
            loop.call_soon_threadsafe(self._offer, queue, message)
        return event_id

    @staticmethod
    def _offer(queue: asyncio.Queue, message: str) -> None:
        if queue.full():  # a slow client loses the oldest event, never blocks the publisher
            queue.get_nowait()
        queue.put_nowait(message)
