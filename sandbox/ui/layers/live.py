"""Qt bridge of the SSE client: GET /events messages arrive as signals on the GUI thread."""

from __future__ import annotations

import logging

from PySide6.QtCore import QObject, Signal

from sandbox.client.api import ApiClient
from sandbox.client.events import SseEvent
from sandbox.ui.layers.data import CheckinPoint

__all__ = ["LiveEvents"]

log = logging.getLogger(__name__)


class LiveEvents(QObject):
    """Starts an `EventStream` (its own thread, reconnecting with backoff) and re-emits what it reads.
    Signals cross to the GUI thread queued: listeners never run on the network thread."""

    checkin = Signal(object)  # CheckinPoint
    facts = Signal(dict)  # a data year's figures changed somewhere
    duty = Signal(dict)  # a new 督办 item (feedback, finding, rectification, complaint) somewhere
    resync = Signal()  # events were missed: refetch what is shown
    connectedChanged = Signal(bool)

    def __init__(self, client: ApiClient, parent: QObject | None = None, **stream_kw):
        super().__init__(parent)
        self.stream = client.events(self._on_event, on_state=self._on_state, **stream_kw)

    def start(self) -> LiveEvents:
        self.stream.start()
        return self

    def stop(self) -> None:
        self.stream.stop()

    @property
    def connected(self) -> bool:
        return self.stream.connected

    # -- network thread ---------------------------------------------------------------------------
    def _on_event(self, ev: SseEvent) -> None:
        if ev.event == "checkin":
            c = CheckinPoint.from_api(ev.data)
            if c is None:
                self.stream.skipped += 1
                log.warning("SSE: skipped a check-in event without a usable point (id %s)", ev.id)
                return
            self._emit(self.checkin, c)
        elif ev.event == "facts":
            self._emit(self.facts, ev.data)
        elif ev.event == "duty":
            self._emit(self.duty, ev.data)
        elif ev.event == "resync":
            self._emit(self.resync)

    def _on_state(self, on: bool) -> None:
        self._emit(self.connectedChanged, on)

    @staticmethod
    def _emit(signal, *args) -> None:
        try:
            signal.emit(*args)
        except RuntimeError:  # the wall is gone; the stream thread is being stopped
            pass
