"""One GET to the API within a total deadline: an HTTP session per thread, jittered retries, a body read that cannot overrun."""

from __future__ import annotations

import threading
import time
import weakref
from dataclasses import dataclass

import requests
import urllib3
from requests.adapters import HTTPAdapter
from tenacity import (
    Retrying,
    retry_if_exception_type,
    stop_after_attempt,
    stop_before_delay,
    wait_random_exponential,
)

from sandbox.client.errors import Transient, Unreachable

__all__ = ["ClientConfig", "HttpTransport", "MAX_DEADLINE_S"]

MAX_DEADLINE_S = 10.0  # the kiosk's promise: no answer is waited for longer than this, retries included
BACKOFF_S = 0.25  # first retry within 0-0.5 s, then 0-1 s, ... (full jitter: walls never retry in step)
BACKOFF_MAX_S = 2.0
_CHUNK = 64 * 1024
_RETRY_STATUS = (502, 503, 504)


@dataclass(frozen=True)
class ClientConfig:
    base_url: str
    token: str | None
    connect_timeout: float = 3.0
    read_timeout: float = 10.0  # per socket read; `deadline` bounds the whole request
    retries: int = 2
    deadline: float = MAX_DEADLINE_S  # one GET, every attempt and backoff included


class HttpTransport:
    """GETs under the API's `/api/v1`, each within `config.deadline`, retries included.

    Thread-safe: each thread that calls it gets its own HTTP session (requests' Session is not meant to
    be shared between threads), so one transport can fetch several things at the same time.
    """

    def __init__(self, config: ClientConfig):
        self.config = config
        self._local = threading.local()
        # every thread's session, to close them all; a dead thread's goes with it (weakly held)
        self._sessions: weakref.WeakSet = weakref.WeakSet()
        self._sessions_lock = threading.Lock()

    @property
    def session(self) -> requests.Session:
        """This thread's HTTP session (made on first use)."""
        session = getattr(self._local, "session", None)
        if session is None:
            session = requests.Session()
            # Retries are ours (below), so that they stay inside the deadline and are jittered.
            adapter = HTTPAdapter(max_retries=0, pool_maxsize=8)
            session.mount("http://", adapter)
            session.mount("https://", adapter)
            if self.config.token:
                session.headers["Authorization"] = f"Bearer {self.config.token}"
            self._local.session = session
            with self._sessions_lock:
                self._sessions.add(session)
        return session

    def url(self, path: str) -> str:
        return f"{self.config.base_url}/api/v1{path}"

    def get(self, path: str, params: dict, *, known_down: bool = False) -> tuple[int, bytes]:
        """GET /api/v1`path`: (status, body) of the last attempt, all attempts within the deadline;
        Unreachable otherwise."""
        cfg = self.config
        deadline = time.monotonic() + cfg.deadline
        # Known down: two attempts at most (the second for a pooled connection the restarted API
        # dropped), so the cached answer shows at once; the refresher tries again later.
        attempts = min(2, cfg.retries + 1) if known_down else cfg.retries + 1
        retrying = Retrying(
            stop=stop_after_attempt(attempts) | stop_before_delay(cfg.deadline),
            wait=wait_random_exponential(multiplier=BACKOFF_S, max=BACKOFF_MAX_S),
            retry=retry_if_exception_type(Transient), reraise=True,
        )
        try:
            for attempt in retrying:
                with attempt:
                    return self._attempt(path, params, deadline)
        except Transient as exc:
            if exc.answer is not None:
                return exc.answer  # the server's own 5xx, after the retries
            raise Unreachable(exc.reason) from None
        raise Unreachable("no attempt")  # unreachable code: tenacity always attempts once

    def _attempt(self, path: str, params: dict, deadline: float) -> tuple[int, bytes]:
        cfg = self.config
        remaining = deadline - time.monotonic()
        if remaining <= 0.05:
            raise Unreachable("deadline")
        try:
            r = self.session.get(self.url(path), params=params, stream=True,
                                 timeout=(min(cfg.connect_timeout, remaining), min(cfg.read_timeout, remaining)))
        except requests.ConnectTimeout:
            raise Transient("ConnectTimeout") from None
        except requests.Timeout as exc:
            raise Unreachable(type(exc).__name__) from None
        except requests.ConnectionError as exc:
            raise Transient(type(exc).__name__) from None
        except requests.RequestException as exc:
            raise Unreachable(type(exc).__name__) from None
        with r:
            body = _read_body(r, deadline)
        if r.status_code in _RETRY_STATUS:
            raise Transient(f"HTTP {r.status_code}", (r.status_code, body))
        return r.status_code, body

    def status_of(self, path: str) -> int:
        """The status code of one GET, no retry (requests.RequestException when there is no answer)."""
        cfg = self.config
        return self.session.get(self.url(path), timeout=(min(cfg.connect_timeout, cfg.deadline),
                                                         min(cfg.read_timeout, cfg.deadline))).status_code

    def close(self) -> None:
        """Close every thread's HTTP session."""
        with self._sessions_lock:
            sessions, self._sessions = list(self._sessions), weakref.WeakSet()
        for session in sessions:
            session.close()


def _read_body(r: requests.Response, deadline: float) -> bytes:
    """The whole body, or Unreachable once the deadline passes: a server that trickles bytes must
    not hold a worker past the deadline either (read1 returns what has arrived, so the deadline is
    checked between socket reads, not once per 64 KiB)."""
    chunks: list[bytes] = []
    raw = r.raw
    try:
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise Unreachable("deadline while reading")
            _narrow_socket_timeout(r, remaining)
            chunk = raw.read1(_CHUNK, decode_content=True)
            if not chunk:  # read1 returns b"" only at the end of the body
                break
            chunks.append(chunk)
    except (requests.RequestException, urllib3.exceptions.HTTPError) as exc:
        raise Unreachable(type(exc).__name__) from None
    except OSError as exc:  # a socket error urllib3 did not wrap
        raise Unreachable(type(exc).__name__) from None
    return b"".join(chunks)


def _narrow_socket_timeout(r: requests.Response, remaining: float) -> None:
    """Best effort (private attributes, guarded): the next socket read may wait only for what is left
    of the deadline. The socket is the pooled connection's (keep-alive) or the response's own file's."""
    raw = r.raw
    sock = getattr(getattr(raw, "_connection", None), "sock", None)
    if sock is None:
        sock = getattr(getattr(getattr(getattr(raw, "_fp", None), "fp", None), "raw", None), "_sock", None)
    if sock is not None:
        try:
            sock.settimeout(max(0.01, remaining))
        except (OSError, AttributeError):
            pass
