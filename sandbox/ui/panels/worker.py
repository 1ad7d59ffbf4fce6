"""A panel's blocking API calls on a worker of its own (sandbox.ui.worker); the newest answer comes back as a signal."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Signal

from sandbox.client.api import ApiClient
from sandbox.ui.panels.model import TrendDataError
from sandbox.ui.payloads import DataError
from sandbox.ui.worker import Worker, describe_error

__all__ = ["BackgroundCall", "client_for_worker", "bad_data_message"]

log = logging.getLogger(__name__)


def client_for_worker(client: Any) -> Any:
    """A client of the same API for one more worker thread: a clone of an ApiClient (its own HTTP
    session, the same cache and status); anything else (a test fake) is returned as it is."""
    if isinstance(client, ApiClient):
        return client.clone()  # the same offline cache and connection status
    return client


def _panel_error(exc: Exception) -> Exception:
    """A trend the panel cannot draw is bad data from the API (a warning and its message), not a bug."""
    return DataError(str(exc)) if isinstance(exc, TrendDataError) else exc


def bad_data_message(exc: TrendDataError, what: str) -> str:
    """The panel's message for data it cannot draw, met on the GUI thread (the worker says the same of its own):
    logged as a warning, shown as a Chinese sentence."""
    known = _panel_error(exc)
    log.warning("loading %s failed: %s", what, known)
    return describe_error(known)


class BackgroundCall(QObject):
    """A panel's calls on a Worker of its own (sandbox.ui.worker): one channel, so only the newest
    submit's answer counts (`done(result)` or `failed(message)`)."""

    done = Signal(object)  # the call's result
    failed = Signal(str)  # a Chinese message for the panel
    _CHANNEL = "panel"

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        # Every call runs (a superseded one's answer is dropped): the panels' request counts stay as they were.
        self.worker = Worker(self, skip_stale=False, expected=_panel_error, name="panel-worker")
        self.worker.done.connect(self._on_done)
        self.worker.failed.connect(self._on_failed)

    @property
    def defer(self) -> Callable[[Callable[[], None]], None] | None:
        """Set (e.g. to sandbox.ui.frame_timing.after_frame.after_frame) to start the calls later: the wall lets the
        frame showing a new level paint before its panels' fetches compete with it."""
        return self.worker.defer

    @defer.setter
    def defer(self, defer: Callable[[Callable[[], None]], None] | None) -> None:
        self.worker.defer = defer

    @property
    def busy(self) -> bool:
        return self.worker.busy(self._CHANNEL)

    def submit(self, fn: Callable[..., Any], *args: Any) -> int:
        return self.worker.submit(self._CHANNEL, lambda: fn(*args), "panel data")

    def cancel(self) -> None:
        """Forget whatever is in flight: its answer will be dropped."""
        self.worker.cancel(self._CHANNEL)

    def shutdown(self, timeout_ms: int = 15000) -> None:
        self.worker.shutdown(timeout_ms)

    def _on_done(self, _channel: str, result: Any) -> None:
        self.done.emit(result)

    def _on_failed(self, _channel: str, message: str) -> None:
        self.failed.emit(message)
