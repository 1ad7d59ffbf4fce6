"""Runs a panel's blocking API call on its own worker thread; the newest answer comes back as a signal."""

from __future__ import annotations

import logging
from typing import Any, Callable

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal, Slot

from sandbox.client.api import ApiClient, ApiError, ApiUnavailable
from sandbox.ratelog import RateLimitedLog
from sandbox.ui.loader import describe_error
from sandbox.ui.panels.model import TrendDataError
from sandbox.ui.payloads import DataError

__all__ = ["BackgroundCall", "client_for_worker"]

log = logging.getLogger(__name__)
_quiet = RateLimitedLog(log, 600.0)


def client_for_worker(client: Any) -> Any:
    """A client of the same API for one more worker thread: a clone of an ApiClient (its own HTTP
    session, the same cache and status); anything else (a test fake) is returned as it is."""
    if isinstance(client, ApiClient):
        return client.clone()  # the same offline cache and connection status
    return client


class _Relay(QObject):
    done = Signal(int, object)
    error = Signal(int, str)


class _Task(QRunnable):
    def __init__(self, relay: _Relay, ticket: int, fn: Callable[..., Any], args: tuple):
        super().__init__()
        self.relay, self.ticket, self.fn, self.args = relay, ticket, fn, args

    def run(self) -> None:
        try:
            result = self.fn(*self.args)
        except Exception as exc:  # noqa: BLE001 - a failed fetch is a message on the panel, never a crash
            if isinstance(exc, ApiUnavailable):  # a lasting outage: once per 10 minutes, not per panel refresh
                _quiet.warning("unavailable", "panel fetch failed: %s", exc)
            elif isinstance(exc, (ApiError, DataError)):
                log.warning("panel fetch failed: %s", exc)
            elif isinstance(exc, TrendDataError):
                log.warning("panel fetch returned unusable data: %s", exc)
                exc = DataError(str(exc))
            else:
                log.exception("panel fetch failed")
            self._emit(self.relay.error, describe_error(exc))
            return
        self._emit(self.relay.done, result)

    def _emit(self, signal, payload) -> None:
        try:
            signal.emit(self.ticket, payload)
        except RuntimeError:  # the panel was destroyed while we were fetching: nobody to tell
            pass


class BackgroundCall(QObject):
    """One worker thread (one client per thread); every submit gets a ticket and only the newest counts."""

    done = Signal(object)  # the call's result
    failed = Signal(str)  # a Chinese message for the panel

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        # The pool is created first so it is destroyed (and waits for its task) before the relay.
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(1)
        self._relay = _Relay(self)
        self._relay.done.connect(self._on_done)
        self._relay.error.connect(self._on_error)
        self._ticket = 0
        self._pending = 0
        self._generation = 0  # bumped by shutdown: a deferred start from before it is dropped
        # Set (e.g. to sandbox.ui.after_frame.after_frame) to start the calls later: the wall lets
        # the frame showing a new level paint before its panels' fetches compete with it.
        self.defer: Callable[[Callable[[], None]], None] | None = None

    @property
    def busy(self) -> bool:
        return self._pending > 0

    def submit(self, fn: Callable[..., Any], *args: Any) -> int:
        self._ticket += 1
        self._pending += 1
        task = _Task(self._relay, self._ticket, fn, args)
        if self.defer is None:
            self._pool.start(task)
        else:
            self.defer(lambda gen=self._generation: self._start(task, gen))
        return self._ticket

    def _start(self, task: _Task, generation: int) -> None:
        if generation == self._generation:
            self._pool.start(task)

    def cancel(self) -> None:
        """Forget whatever is in flight: its answer will be dropped."""
        self._ticket += 1

    def shutdown(self, timeout_ms: int = 15000) -> None:
        self.cancel()
        self._generation += 1
        self._pool.clear()
        self._pool.waitForDone(timeout_ms)
        self._pending = 0

    @Slot(int, object)
    def _on_done(self, ticket: int, result: Any) -> None:
        self._pending -= 1
        if ticket == self._ticket:
            self.done.emit(result)

    @Slot(int, str)
    def _on_error(self, ticket: int, message: str) -> None:
        self._pending -= 1
        if ticket == self._ticket:
            self.failed.emit(message)
