"""The garbage collector is held off from a drill's start until its frame is painted, then back on."""

from __future__ import annotations

import gc

import pytest
from PySide6.QtWidgets import QLabel

from sandbox.ui.frame_timing import gc_pause


@pytest.fixture
def automatic_collection():
    """Automatic collection on for the test (the suite's GUI-thread collector turns it off), as it was after."""
    was = gc.isenabled()
    gc.enable()
    yield
    if not was:
        gc.disable()


def test_collection_waits_for_the_next_frame_then_resumes(qtbot, automatic_collection):
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


def test_with_nothing_painted_the_fallback_turns_it_back_on(qtbot, automatic_collection):
    gc_pause.hold_until_frame()
    assert not gc.isenabled()
    qtbot.waitUntil(gc.isenabled, timeout=2000)  # after_frame's fallback timer


def test_a_collector_someone_else_turned_off_stays_off_and_the_hold_still_counts(qtbot, automatic_collection):
    """Turned off by someone else (the GUI-thread collector, a profiler): the hold is still a hold — the
    collector skips its turns while held — but turning automatic collection on is not the hold's to do."""
    gc.disable()
    gc_pause.hold_until_frame()
    assert gc_pause.held()
    qtbot.waitUntil(lambda: not gc_pause.held(), timeout=2000)
    assert not gc.isenabled()
