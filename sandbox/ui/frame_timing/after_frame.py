"""Work that waits for the next painted frame: background fetches a new level starts (its live layers,
last year's KPIs, the trend, the next prefetch) would otherwise take the CPU and the GIL (the embedded
API runs in this process) from the frame that shows the level the visitor clicked.

`after_frame(fn)` runs `fn` on the GUI thread in the event-loop turn after the next paint event of
any widget, or after `FALLBACK_MS` if nothing is painted (a hidden window, a test). A window shown but
not yet exposed is about to paint its first frame: the fallback waits for it (up to `FIRST_FRAME_MS`),
or a start-up whose GUI thread was busy past the fallback would run all the deferred work first.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from PySide6.QtCore import QCoreApplication, QEvent, QObject, QTimer
from PySide6.QtGui import QGuiApplication, QPaintEvent

__all__ = ["after_frame", "flush_after_frame", "FALLBACK_MS"]

log = logging.getLogger(__name__)

FALLBACK_MS = 100
FIRST_FRAME_MS = 3000


def _first_frame_pending() -> bool:
    """A top-level window is shown but has not been exposed yet: its first paint is on the way."""
    if not isinstance(QCoreApplication.instance(), QGuiApplication):
        return False
    return any(w.isVisible() and not w.isExposed() for w in QGuiApplication.topLevelWindows())


class _AfterFrame(QObject):
    def __init__(self, app: QCoreApplication):
        super().__init__(app)
        self._pending: list[Callable[[], None]] = []
        self._fallback = QTimer(self, singleShot=True, interval=FALLBACK_MS)
        self._fallback.timeout.connect(self._on_fallback)
        self._waited = 0
        self._posted = False
        self._watching = False

    def add(self, fn: Callable[[], None]) -> None:
        self._pending.append(fn)
        if not self._watching:
            self._watching = True
            QCoreApplication.instance().installEventFilter(self)
            self._fallback.start()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt API
        # every event of every widget passes here while work waits: an isinstance check, not `event.type()`
        # (PySide makes a Python enum of each type, ≈ 5 µs, a few hundred times per drill frame)
        if not self._posted and isinstance(event, QPaintEvent):
            self._posted = True  # the frame being painted now: run once it is done
            QTimer.singleShot(0, self._flush)
        return False

    def _on_fallback(self) -> None:
        if self._waited < FIRST_FRAME_MS and _first_frame_pending():
            self._waited += FALLBACK_MS
            self._fallback.start()
            return
        self._flush()

    def _flush(self) -> None:
        self._posted = False
        self._waited = 0
        self._fallback.stop()
        if self._watching:
            self._watching = False
            app = QCoreApplication.instance()
            if app is not None:
                app.removeEventFilter(self)
        pending, self._pending = self._pending, []
        for fn in pending:
            try:
                fn()
            except RuntimeError as exc:
                if "deleted" not in str(exc):
                    log.exception("deferred call failed")
                # else: its Qt object went away meanwhile (a window closed): nothing to do
            except Exception:  # noqa: BLE001 - one failing callback must not drop the others
                log.exception("deferred call failed")


_instance: _AfterFrame | None = None


def after_frame(fn: Callable[[], None]) -> None:
    """Run `fn` once the next frame is painted (see the module docstring); at once without a Qt application."""
    global _instance
    app = QCoreApplication.instance()
    if app is None:
        fn()
        return
    try:
        same = _instance is not None and _instance.parent() is app
    except RuntimeError:  # its application was destroyed
        same = False
    if not same:
        _instance = _AfterFrame(app)
    _instance.add(fn)


def flush_after_frame() -> None:
    """Run what waits for the next frame now (before a screenshot waits for the fetches to end)."""
    try:
        if _instance is not None:
            _instance._flush()
    except RuntimeError:  # its application was destroyed
        pass
