"""Deferred work waits for the next painted frame, the first one of a window included."""

from __future__ import annotations

import time

from PySide6.QtCore import QEvent, QObject
from PySide6.QtWidgets import QLabel

from sandbox.ui.frame_timing.after_frame import FALLBACK_MS, after_frame


class _Order(QObject):
    def __init__(self, widget):
        super().__init__()
        self.widget, self.seen = widget, []
        widget.installEventFilter(self)

    def eventFilter(self, obj, event):  # noqa: N802 - Qt API
        if obj is self.widget and event.type() == QEvent.Type.Paint and "paint" not in self.seen:
            self.seen.append("paint")
        return False


def test_a_busy_start_still_paints_the_first_frame_before_the_deferred_work(qtbot):
    w = QLabel("第一帧")
    qtbot.addWidget(w)
    order = _Order(w)
    w.show()  # exposed, and so painted, only on a later event-loop turn
    after_frame(lambda: order.seen.append("deferred"))
    time.sleep(3 * FALLBACK_MS / 1000)  # the GUI thread busy past the fallback (a start-up applying data)
    qtbot.waitUntil(lambda: "deferred" in order.seen, timeout=5000)
    assert order.seen == ["paint", "deferred"]


def test_with_no_window_to_paint_the_fallback_runs_it(qtbot):
    ran = []
    after_frame(lambda: ran.append(True))
    qtbot.waitUntil(lambda: bool(ran), timeout=2000)
