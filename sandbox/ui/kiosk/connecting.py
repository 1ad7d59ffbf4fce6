"""The calm screen of a wall that booted while the central API was down and has nothing cached yet."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable

from PySide6.QtCore import QTimer, Signal

from sandbox.ui.kiosk.safe_mode import SafeModeScreen, _clock_text
from sandbox.ui.worker import Worker

__all__ = ["ConnectingScreen"]

log = logging.getLogger(__name__)


class ConnectingScreen(SafeModeScreen):
    """正在连接中心数据接口, the time, and when it tries next. `probe()` runs on a thread every
    `retry_seconds` (one at a time, on a worker): it returns the root region once the API answers, else None or
    raises; `connected(region)` then fires on the GUI thread."""

    connected = Signal(str)

    def __init__(self, *, probe: Callable[[], str | None], retry_seconds: float, **kw):
        self._probe_fn = probe
        self.retry_seconds = max(1.0, float(retry_seconds))
        self.attempts = 0
        self.last_attempt: dt.datetime | None = None
        self.problem = ""  # the API's own refusal, if it answered with one
        super().__init__(status=dict, **kw)
        self.setObjectName("connecting")
        self._worker = Worker(self, name="connecting-probe")
        self._worker.done.connect(lambda _channel, region: self._on_probed(region))
        self._retry = QTimer(self, interval=int(self.retry_seconds * 1000))
        self._retry.timeout.connect(self.try_now)
        self._retry.start()

    @property
    def probing(self) -> bool:
        """An attempt is on its way (it may wait on the client's deadline)."""
        return self._worker.busy("probe")

    def try_now(self) -> None:
        if self.probing:
            return  # the last attempt still waits on the client's deadline
        self.attempts += 1
        self.last_attempt = self._now()

        def run() -> str | None:
            try:
                region = self._probe_fn()
                self.problem = ""
            except Exception as exc:  # noqa: BLE001 - still down: the next tick tries again
                log.debug("central API still unreachable: %s", exc)
                region = None
                # The API answered but refused (a token revoked, no data): say so, the way the wall would.
                status = getattr(exc, "status", 0)
                self.problem = str(getattr(exc, "message", "") or "") if status else ""
            return region

        self._worker.submit("probe", run, "connecting probe")

    def _on_probed(self, region: object) -> None:
        if region and self._retry.isActive():
            self._retry.stop()
            log.info("central API answered after %d attempt(s): starting the wall", self.attempts)
            self.connected.emit(str(region))

    def lines(self) -> dict[str, str]:
        clock, date = _clock_text(self._now())
        last = f"上次尝试 {self.last_attempt:%H:%M:%S} · " if self.last_attempt else ""
        return {
            "title": "正在连接中心数据接口",
            "subtitle": "大屏已启动, 正在等待中心数据接口响应, 连通后自动显示数据。无需任何操作。",
            "clock": clock,
            "date": date,
            "error": f"数据接口答复: {self.problem}" if self.problem else "",
            "retry": f"{last}每 {self.retry_seconds:.0f} 秒自动重试",
        }

    def shutdown(self) -> None:
        self._retry.stop()
        super().shutdown()
