"""Thread-safe connection status of the API client: online/offline, last contact (monotonic), data as-of."""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from datetime import datetime

__all__ = ["ConnectionStatus", "StatusSnapshot"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class StatusSnapshot:
    """One consistent reading of the status (taken under the lock)."""

    online: bool | None  # None: nothing asked yet
    last_contact: float | None  # time.monotonic() of the last HTTP answer of any status
    data_as_of: datetime | None  # wall-clock time of the data on screen (for display only)
    failures: int  # consecutive failures to reach the API
    last_error: str | None  # a short reason, never a URL with secrets or a body
    cached_answers: int  # answers served from the disk cache during the current outage

    def seconds_since_contact(self, now: float | None = None) -> float | None:
        if self.last_contact is None:
            return None
        return (time.monotonic() if now is None else now) - self.last_contact


class ConnectionStatus:
    """Shared by every client of one wall (and read by the GUI thread), so all access is locked.

    Staleness is measured on the monotonic clock (`last_contact`): a wall-clock jump (NTP, a
    manual change) must never make old data look fresh. `data_as_of` is wall-clock, for people.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._online: bool | None = None
        self._last_contact: float | None = None
        self._data_as_of: datetime | None = None
        self._failures = 0
        self._last_error: str | None = None
        self._cached = 0

    def record_answer(self, *, data: bool) -> None:
        """The API answered (`data`: with a 2xx body, so the screen's data are as of now)."""
        with self._lock:
            was = self._online
            self._online, self._last_contact = True, time.monotonic()
            self._failures, self._last_error, self._cached = 0, None, 0
            if data:
                self._data_as_of = datetime.now()
        if was is False:
            log.info("central API reachable again")

    def record_failure(self, reason: str) -> None:
        with self._lock:
            was = self._online
            self._online = False
            self._failures += 1
            self._last_error = reason
        if was is not False:  # one line per outage, not one per request: the wall runs for weeks
            log.warning("central API unreachable (%s): showing the last good data", reason)

    def record_cached(self, saved_at: datetime) -> None:
        """An answer came from the disk cache: the screen is at most as fresh as its oldest such answer."""
        with self._lock:
            self._cached += 1
            if self._data_as_of is None or saved_at < self._data_as_of:
                self._data_as_of = saved_at

    def snapshot(self) -> StatusSnapshot:
        with self._lock:
            return StatusSnapshot(self._online, self._last_contact, self._data_as_of, self._failures,
                                  self._last_error, self._cached)

    @property
    def online(self) -> bool | None:
        with self._lock:
            return self._online
