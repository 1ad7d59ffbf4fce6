"""The garbage collector is held off from a drill's start until its frame is painted, then back on."""

from __future__ import annotations

import gc

from PySide6.QtWidgets import QLabel

from sandbox.ui.frame_timing import gc_pause


def test_collection_waits_for_the_next_frame_then_resumes(qtbot):
    assert gc.isenabled()
    w = QLabel("帧")
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    gc_pause.hold_until_frame()
    assert not gc.isenabled() and gc_pause.held()
    gc_pause.hold_until_frame()  # a second hold in the same frame changes nothing
    w.update()
    qtbot.waitUntil(gc.isenabled, timeout=2000)
    assert not gc_pause.held()


def test_with_nothing_painted_the_fallback_turns_it_back_on(qtbot):
    gc_pause.hold_until_frame()
    assert not gc.isenabled()
    qtbot.waitUntil(gc.isenabled, timeout=2000)  # after_frame's fallback timer


def test_a_collector_someone_else_turned_off_stays_off(qtbot):
    gc.disable()
    try:
        gc_pause.hold_until_frame()
        assert not gc_pause.held()
        qtbot.wait(300)
        assert not gc.isenabled()  # not ours to turn on
    finally:
        gc.enable()
