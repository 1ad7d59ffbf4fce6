"""Python's cyclic garbage collected on the GUI thread only, on a timer, never on a worker's thread."""

# The suite's segfault (QGraphicsView::render → QGraphicsItem::parentItem on freed memory, with every other
# thread a worker lane idling): CPython's automatic collection runs on whichever thread happens to allocate
# past the threshold — a worker lane, the SSE reader, an HTTP pool thread — and a cycle it frees may hold
# Qt objects (a panel's pyqtgraph items, a closed window's parts) whose C++ destructors then run on that
# thread while the GUI thread paints. pyqtgraph ships the same remedy (pyqtgraph.util.garbage_collector);
# it is not imported here because importing pyqtgraph costs the wall's start ≈ 0.1 s.

from __future__ import annotations

import gc

from PySide6.QtCore import QCoreApplication, QObject, QTimer

from sandbox.ui.frame_timing.gc_pause import held

__all__ = ["GuiThreadCollector", "collect_on_gui_thread", "INTERVAL_MS"]

INTERVAL_MS = 1000  # a second of cyclic garbage is small; a collection at the thresholds costs < 1 ms


class GuiThreadCollector(QObject):
    """Turns automatic collection off and, every `interval_ms` on the GUI thread, collects the
    generations whose counts passed the thresholds automatic collection used (as it would have)."""

    def __init__(self, parent: QObject, interval_ms: int = INTERVAL_MS):
        super().__init__(parent)
        self.threshold = gc.get_threshold()
        gc.disable()
        self.timer = QTimer(self, interval=interval_ms)
        self.timer.timeout.connect(self.check)
        self.timer.start()

    def check(self) -> int:
        """Collect what automatic collection would have by now; returns the objects found unreachable."""
        if held():
            return 0  # a drill's frame is being made: its turn comes after the frame (frame_timing.gc_pause)
        c0, c1, c2 = gc.get_count()
        t0, t1, t2 = self.threshold
        if c0 <= t0:
            return 0
        if c1 > t1:
            return gc.collect(2 if c2 > t2 else 1)
        return gc.collect(0)


def collect_on_gui_thread(app: QCoreApplication | None = None) -> GuiThreadCollector | None:
    """The application's collector, made on first call (None without an application)."""
    app = app or QCoreApplication.instance()
    if app is None:
        return None
    found = app.findChild(GuiThreadCollector)
    return found if found is not None else GuiThreadCollector(app)
