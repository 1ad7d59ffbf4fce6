"""Cyclic garbage made on a worker's thread is collected on the GUI thread (sandbox.ui.collector)."""

from __future__ import annotations

import gc
import threading

from sandbox.ui.collector import GuiThreadCollector, collect_on_gui_thread


class _Cycle:
    freed_on: list[str] = []

    def __init__(self):
        self.me = self  # only the cyclic collector frees it

    def __del__(self):
        _Cycle.freed_on.append(threading.current_thread().name)


def _garbage_on_a_worker() -> None:
    def work():
        _Cycle()  # unreachable at once, in a cycle
        for _ in range(50_000):  # well past every threshold: automatic collection would run here
            [[]].append(0)
            a: list = []
            a.append(a)

    t = threading.Thread(target=work, name="a-worker-lane")
    t.start()
    t.join()


def test_cyclic_garbage_made_on_a_worker_is_freed_on_the_gui_thread(qapp, qtbot):
    _Cycle.freed_on.clear()
    collector = collect_on_gui_thread(qapp)
    assert isinstance(collector, GuiThreadCollector) and collect_on_gui_thread(qapp) is collector  # one
    assert not gc.isenabled()
    _garbage_on_a_worker()
    assert _Cycle.freed_on == []  # the worker's allocations collected nothing
    qtbot.waitUntil(lambda: _Cycle.freed_on == [threading.main_thread().name], timeout=5000)


def test_without_it_the_worker_s_allocations_collect_there(qapp):
    """What the collector prevents (automatic collection on): the cycle is freed on the worker's thread."""
    _Cycle.freed_on.clear()
    was = gc.isenabled()
    gc.enable()
    try:
        _garbage_on_a_worker()
    finally:
        if not was:
            gc.disable()
    assert _Cycle.freed_on == ["a-worker-lane"]


def test_no_collection_while_a_drill_s_frame_is_made(qapp, qtbot):
    """frame_timing.gc_pause holds collection until the drill's frame is painted; the collector waits too."""
    from sandbox.ui.frame_timing import gc_pause

    collector = collect_on_gui_thread(qapp)
    gc_pause.hold_until_frame()
    try:
        assert gc_pause.held() and not gc.isenabled()
        for _ in range(50_000):
            a: list = []
            a.append(a)
        assert collector.check() == 0  # its turn skipped, however much garbage is waiting
    finally:
        gc_pause._release()
    assert not gc_pause.held() and not gc.isenabled()  # the hold did not turn automatic collection on
    assert collector.check() > 0
