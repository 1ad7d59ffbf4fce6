"""Server-Sent Events client of GET /events on a worker thread: Last-Event-ID resume, reconnect with backoff."""

# Qt-free on purpose (the dependency rules): the wall wraps `EventStream` in a QObject that turns
# its callbacks into signals (sandbox.ui.layers.live).

from __future__ import annotations

import codecs
import json
import logging
import random
import socket
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

import requests

from sandbox.ratelog import RateLimitedLog

__all__ = ["SseEvent", "SseParser", "EventStream"]

log = logging.getLogger(__name__)
# An API down for a weekend: one line per reconnect would be thousands; one per 10 minutes says it all.
_quiet = RateLimitedLog(log, 600.0)

MIN_BACKOFF_S = 1.0
MAX_BACKOFF_S = 30.0
DENIED_BACKOFF_S = 60.0  # a token the API refuses will not start working in a second
STABLE_S = 20.0
READ_TIMEOUT_S = 45.0  # the server sends a heartbeat every 15 s: three missed ones mean a dead link


@dataclass(frozen=True)
class SseEvent:
    """One dispatched message: `data` is the decoded JSON object."""

    id: str | None
    event: str
    data: dict


class SseParser:
    """Incremental SSE parser (the WHATWG event-stream rules): feed it text chunks, get raw
    messages (id, event, data text) back. Comment lines and unknown fields are ignored; `retry`
    is kept in `retry_ms`."""

    def __init__(self) -> None:
        self._buf = ""
        self._pending_cr = False
        self._data: list[str] = []
        self._event = ""
        self._id: str | None = None
        self._has_id = False
        self.retry_ms: int | None = None

    def feed(self, text: str) -> list[tuple[str | None, str, str]]:
        out: list[tuple[str | None, str, str]] = []
        if self._pending_cr and text.startswith("\n"):
            text = text[1:]  # the \n of a \r\n split across two chunks
        self._pending_cr = False
        self._buf += text
        while True:
            cut = -1
            for i, ch in enumerate(self._buf):
                if ch in "\r\n":
                    cut = i
                    break
            if cut < 0:
                break
            line, sep = self._buf[:cut], self._buf[cut]
            rest = self._buf[cut + 1:]
            if sep == "\r":
                if rest.startswith("\n"):
                    rest = rest[1:]
                elif not rest:
                    self._pending_cr = True
            self._buf = rest
            msg = self._line(line)
            if msg is not None:
                out.append(msg)
        return out

    def _line(self, line: str) -> tuple[str | None, str, str] | None:
        if line == "":
            if not self._data:
                self._event = ""
                return None
            msg = (self._id if self._has_id else None, self._event or "message", "\n".join(self._data))
            self._data, self._event, self._has_id = [], "", False
            return msg
        if line.startswith(":"):
            return None  # a comment: the heartbeat
        field, _, value = line.partition(":")
        if value.startswith(" "):
            value = value[1:]
        if field == "data":
            self._data.append(value)
        elif field == "event":
            self._event = value
        elif field == "id":
            if "\0" not in value:
                self._id, self._has_id = value, True
        elif field == "retry" and value.isdigit():
            self.retry_ms = int(value)
        return None


def decode_messages(raw: Iterable[tuple[str | None, str, str]], on_skip: Callable[[str], None] | None = None
                    ) -> Iterator[SseEvent]:
    """Raw messages → SseEvents whose data is a JSON object; the rest is skipped (and reported)."""
    for event_id, kind, text in raw:
        try:
            data = json.loads(text)
        except ValueError:
            data = None
        if not isinstance(data, dict):
            if on_skip is not None:
                on_skip(f"event {kind!r} id {event_id!r}: data is not a JSON object")
            continue
        yield SseEvent(event_id, kind, data)


class EventStream:
    """Reads GET {base_url}/api/v1/events on its own daemon thread and calls `on_event(SseEvent)`
    there (callers hop to their own thread). Reconnects forever with exponential backoff and
    jitter, resuming after the last id received; `stop()` ends it promptly.

    The token goes in the Authorization header only and is never logged."""

    def __init__(self, base_url: str, token: str | None, on_event: Callable[[SseEvent], None], *,
                 last_event_id: str | None = None, on_state: Callable[[bool], None] | None = None,
                 min_backoff_s: float = MIN_BACKOFF_S, max_backoff_s: float = MAX_BACKOFF_S,
                 read_timeout_s: float = READ_TIMEOUT_S, connect_timeout_s: float = 5.0,
                 session: requests.Session | None = None) -> None:
        self.url = f"{base_url.rstrip('/')}/api/v1/events"
        self._token = token
        self.on_event, self.on_state = on_event, on_state
        self.last_event_id = last_event_id
        self.min_backoff_s, self.max_backoff_s = min_backoff_s, max_backoff_s
        self.timeouts = (connect_timeout_s, read_timeout_s)
        self._session = session or requests.Session()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._response: requests.Response | None = None
        self._lock = threading.Lock()
        self.connected = False
        self.received = 0
        self.skipped = 0
        self.connects = 0
        self._retry_s: float | None = None

    # -- lifecycle ------------------------------------------------------------------------------
    def start(self) -> EventStream:
        if self._thread is None or not self._thread.is_alive():
            self._stop.clear()
            self._thread = threading.Thread(target=self._run, name="sse-events", daemon=True)
            self._thread.start()
        return self

    def stop(self, timeout: float = 2.0) -> None:
        self._stop.set()
        with self._lock:
            r = self._response
        if r is not None:
            # Closing the response from this thread does not wake a recv() blocked in the worker
            # (it would sit there until the read timeout); shutting the socket down does.
            sock = getattr(getattr(r.raw, "_connection", None), "sock", None)
            try:
                if sock is not None:
                    sock.shutdown(socket.SHUT_RDWR)
                r.close()
            except Exception:  # noqa: BLE001 - closing a dying socket may raise anything
                pass
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout)  # a daemon thread: a wall closing never waits on it for long
        self._session.close()

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    # -- worker ---------------------------------------------------------------------------------
    def _set_connected(self, on: bool) -> None:
        if on != self.connected:
            self.connected = on
            if self.on_state is not None:
                try:
                    self.on_state(on)
                except Exception:  # noqa: BLE001 - a listener's bug must not kill the stream
                    log.exception("SSE state listener failed")

    def _run(self) -> None:
        backoff = self.min_backoff_s
        while not self._stop.is_set():
            delivered, wait = False, None
            try:
                delivered = self._read_once()
            except _Denied as exc:
                _quiet.warning("refused", "SSE %s: refused (%s); retrying in %.0f s", self.url_path, exc,
                               DENIED_BACKOFF_S)
                wait = DENIED_BACKOFF_S
            except (requests.RequestException, OSError, ValueError) as exc:
                if not self._stop.is_set():
                    _quiet.info("lost", "SSE %s: connection lost (%s)", self.url_path, type(exc).__name__)
            except Exception:  # noqa: BLE001 - whatever happens, the wall keeps listening
                if not self._stop.is_set():  # stop() closing the socket under a read is no error
                    log.exception("SSE %s: unexpected error", self.url_path)
            self._set_connected(False)
            if self._stop.is_set():
                break
            if delivered:  # (or it stayed open long enough)
                backoff = self.min_backoff_s  # it worked for a while: start again quickly
            if wait is None:
                wait = max(backoff, self._retry_s or 0.0)
                backoff = min(self.max_backoff_s, backoff * 2)
            wait *= random.uniform(0.8, 1.2)  # many walls must not reconnect in lockstep
            _quiet.info("reconnect", "SSE %s: reconnecting in %.1f s (after id %s)", self.url_path, wait,
                        self.last_event_id)
            self._stop.wait(wait)

    @property
    def url_path(self) -> str:
        return "/api/v1/events"

    def _read_once(self) -> bool:
        headers = {"Accept": "text/event-stream", "Cache-Control": "no-cache"}
        if self._token:
            headers["Authorization"] = f"Bearer {self._token}"
        if self.last_event_id:
            headers["Last-Event-ID"] = self.last_event_id
        r = self._session.get(self.url, headers=headers, stream=True, timeout=self.timeouts)
        with self._lock:
            self._response = r
        try:
            if r.status_code in (401, 403):
                raise _Denied(str(r.status_code))
            if r.status_code != 200:
                raise requests.HTTPError(f"status {r.status_code}")
            self.connects += 1
            self._set_connected(True)
            opened = time.monotonic()
            parser = SseParser()
            decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
            delivered = False
            for chunk in r.iter_content(chunk_size=None):
                if self._stop.is_set():
                    break
                raw = parser.feed(decoder.decode(chunk))
                if parser.retry_ms is not None:
                    self._retry_s = parser.retry_ms / 1000.0
                for event_id, kind, text in raw:
                    if event_id is not None:
                        self.last_event_id = event_id or None  # an empty id resets it (the SSE rules)
                    for ev in decode_messages([(event_id, kind, text)], self._skip):
                        self.received += 1
                        delivered = True
                        try:
                            self.on_event(ev)
                        except Exception:  # noqa: BLE001 - a listener's bug must not kill the stream
                            log.exception("SSE listener failed on event %s", ev.event)
            # A link that held for a while was healthy: the next reconnect starts from the short delay.
            return delivered or time.monotonic() - opened > STABLE_S
        finally:
            with self._lock:
                self._response = None
            r.close()

    def _skip(self, why: str) -> None:
        self.skipped += 1
        log.warning("SSE %s: skipped a malformed message (%s)", self.url_path, why)


class _Denied(Exception):
    """401/403: the token is wrong or may not read events."""
