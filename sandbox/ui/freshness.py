"""Keeps the wall fresh: refreshes it on a timer, and says 离线 · 数据截至 HH:MM while the API is unreachable."""

from __future__ import annotations

import logging
import random
import time
from datetime import datetime
from typing import Any

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QSizePolicy, QWidget

from sandbox.client.api import ApiClient, ApiUnavailable
from sandbox.client.status import ConnectionStatus, StatusSnapshot
from sandbox.ui.heap import PeriodicTrim, release_freed_memory
from sandbox.ui.loader import describe_error
from sandbox.ui.theme import Colors, Metrics, metrics_for_height
from sandbox.ui.worker import BACKGROUND, Worker

__all__ = ["Freshness", "OfflineBanner", "install", "is_offline", "format_as_of_time", "STALE_FACTOR"]

log = logging.getLogger(__name__)

# Without any answer for this many refresh intervals the screen counts as offline even before a
# request has failed (a hung API fails only at the client's deadline): with a refresh every
# interval, the banner then shows within 2× the interval of an outage however the API fails.
STALE_FACTOR = 1.5
OUTAGE_JITTER = (0.8, 1.0)  # retries during an outage: never later than the interval, never in step
_UNREACHABLE = describe_error(ApiUnavailable(""))  # the wall's own message for "no connection"
_AMBER = "#ffc857"


def is_offline(snap: StatusSnapshot, refresh_seconds: float, now: float | None = None) -> bool:
    """Offline: the last request found no API, or nothing was heard from it for too long (monotonic)."""
    if snap.online is False:
        return True
    since = snap.seconds_since_contact(now)
    return since is not None and since > STALE_FACTOR * refresh_seconds


def format_as_of_time(as_of: datetime | None, today: datetime | None = None) -> str:
    """14:32 today, 3月5日 14:32 on another day (a wall off over a weekend must not look like today)."""
    if as_of is None:
        return "—"
    today = today or datetime.now()
    if as_of.date() == today.date():
        return f"{as_of:%H:%M}"
    return f"{as_of.month}月{as_of.day}日 {as_of:%H:%M}"


class OfflineBanner(QFrame):
    """A calm amber-on-slate strip: the screen is not live, since when, and that it reconnects by itself."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("offlineBanner")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
        self.dot = QLabel("●", objectName="offlineDot")
        self.title = QLabel(objectName="offlineTitle")
        self.hint = QLabel("屏幕保持最后一次成功获取的数据，正在自动重新连接", objectName="offlineHint")
        lay = QHBoxLayout(self)
        lay.addStretch(1)
        lay.addWidget(self.dot)
        lay.addWidget(self.title)
        lay.addWidget(self.hint)
        lay.addStretch(1)
        self._metrics: Metrics | None = None
        self.set_metrics(metrics_for_height(1080))
        self.hide()

    def set_as_of(self, as_of: datetime | None) -> None:
        if as_of is None:
            self.title.setText("离线 · 暂无已缓存的数据")
        else:
            self.title.setText(f"离线 · 数据截至 {format_as_of_time(as_of)}")

    def text(self) -> str:
        return f"{self.title.text()}  {self.hint.text()}"

    def set_metrics(self, m: Metrics) -> None:
        if m == self._metrics:
            return
        self._metrics = m
        pad, gap = m.px(7), m.px(12)
        self.layout().setContentsMargins(pad * 2, pad, pad * 2, pad)
        self.layout().setSpacing(gap)
        # Its own stylesheet: the theme's QSS has no rule for it, and it must read at three metres
        # without shouting (the red banner is for failures that need a person).
        self.setStyleSheet(
            f"QFrame#offlineBanner {{ background-color: #16263d; border-top: {m.px(1)}px solid #2a3f5c;"
            f" border-bottom: {m.px(2)}px solid {_AMBER}; }}"
            f"QLabel#offlineDot {{ color: {_AMBER}; font-size: {m.px(20)}px; background: transparent; }}"
            f"QLabel#offlineTitle {{ color: {_AMBER}; font-size: {m.px(22)}px; font-weight: bold;"
            f" background: transparent; }}"
            f"QLabel#offlineHint {{ color: {Colors.text_muted}; font-size: {m.px(18)}px; background: transparent; }}"
        )


class Freshness(QObject):
    """Refreshes `wall` every `refresh_seconds` (the wall fetches on its worker thread: this only
    asks) and shows the offline banner from the client's ConnectionStatus, polled on the GUI thread.

    `offlineChanged(bool)` fires on every change; `offline` is the current reading."""

    offlineChanged = Signal(bool)

    def __init__(self, wall: Any, client: ApiClient, refresh_seconds: float = 60.0, *, poll_ms: int | None = None,
                 health_seconds: float | None = None, parent: QObject | None = None):
        super().__init__(parent if parent is not None else wall)
        self.wall = wall
        self.refresh_seconds = max(0.5, float(refresh_seconds))
        self.status: ConnectionStatus = client.status  # shared by the wall's clients
        self._offline = False
        self.banner = OfflineBanner()
        self._place_banner()
        self.refresh_timer = QTimer(self, singleShot=True)
        self.refresh_timer.timeout.connect(self._refresh)
        self.poll_timer = QTimer(self, interval=poll_ms or int(min(500.0, self.refresh_seconds * 100)))
        self.poll_timer.timeout.connect(self.update)
        # After the wall's own banner got the message (connected first), so a connection error can
        # be folded into this calmer banner.
        wall.state.events.error.connect(self._on_wall_error)
        wall.installEventFilter(self)
        # Between refreshes a cheap GET /health keeps the status current (an outage shows sooner).
        # It runs on a worker of its own with its own session; one probe at a time.
        self._probe_client = client.clone() if health_seconds else None
        self._prober = Worker(self, name="health-probe")
        self.health_timer = QTimer(self, interval=max(500, int((health_seconds or 0) * 1000)))
        self.health_timer.timeout.connect(self._probe)
        # Freed heap handed back while the wall is idle, not only after an outage (issue 20: RSS rose
        # +10 MB per hour-equivalent of busy use with the heap in use flat).
        self.trim = PeriodicTrim(self._busy, parent=self)
        self.start()

    # -- placement ----------------------------------------------------------------------------------
    def _place_banner(self) -> None:
        self.wall.add_banner(self.banner)

    # -- control ------------------------------------------------------------------------------------
    def start(self) -> None:
        self.refresh_timer.start(int(self.refresh_seconds * 1000))
        self.poll_timer.start()
        self.trim.timer.start()
        if self._probe_client is not None:
            self.health_timer.start()

    def stop(self) -> None:
        self.trim.stop()
        self.refresh_timer.stop()
        self.poll_timer.stop()
        self.health_timer.stop()

    def _probe(self) -> None:
        if self._prober.busy("health"):
            return  # the last probe is still waiting on its deadline
        client = self._probe_client

        def run() -> None:
            try:
                client.health()  # the client records the answer or the failure in the shared status
            except Exception:  # noqa: BLE001 - an outage is what this is here to notice
                pass

        self._prober.submit("health", run, "health probe", priority=BACKGROUND)

    @property
    def offline(self) -> bool:
        return self._offline

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.wall and event.type() == QEvent.Type.Close:
            self.stop()  # the wall's workers are shutting down: ask nothing more of them
        return False

    def _busy(self) -> bool:
        return self.wall.session.working

    def _reload(self) -> None:
        if not self._busy():
            # Never blocks: the session only queues the requests on its worker thread.
            self.wall.session.refresh()

    def _refresh(self) -> None:
        self._reload()
        if self._offline:
            lo, hi = OUTAGE_JITTER
            delay = self.refresh_seconds * random.uniform(lo, hi)
        else:
            delay = self.refresh_seconds
        self.refresh_timer.start(max(1, int(delay * 1000)))

    # -- the banner ---------------------------------------------------------------------------------
    def update(self) -> None:
        """Re-read the status (cheap: a lock and a few fields) and show or clear the banner."""
        snap = self.status.snapshot()
        offline = is_offline(snap, self.refresh_seconds, time.monotonic())
        m = getattr(self.wall, "metrics", None)
        if m is not None:
            self.banner.set_metrics(m)
        st = self.wall.state
        if offline:
            self.banner.set_as_of(snap.data_as_of or st.loaded_at)
        # With nothing on screen there is no "as of" to give: the wall's own banner says so.
        shown = offline and st.has_data
        if shown == self.banner.isHidden():
            self.banner.setVisible(shown)
        if offline != self._offline:
            self._offline = offline
            log.info("wall %s", "offline: banner shown" if offline else "back online: banner cleared")
            self.offlineChanged.emit(offline)
            if not offline:
                release_freed_memory()
                self._reload()  # what failed during the outage (layers, an open card) comes back now
        self._fold_wall_banner()

    def _on_wall_error(self, message: str | None) -> None:
        self._fold_wall_banner()

    def _fold_wall_banner(self) -> None:
        """While offline with data on screen, "cannot connect" is what this banner already says:
        the wall's red strip gives way to it. Any other error (403, bad data) stays red."""
        st = self.wall.state
        if self._offline and st.has_data and st.error == _UNREACHABLE and not self.wall.banner.isHidden():
            self.wall.banner.hide()


def install(wall: Any, client: ApiClient, refresh_seconds: float = 60.0, **kw: Any) -> Freshness:
    """Add the periodic refresh and the offline banner to a WallWindow; returns the controller."""
    return Freshness(wall, client, refresh_seconds, **kw)
