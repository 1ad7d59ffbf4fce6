"""What a worker's lane thread lets go of is let go on the GUI thread: the suite's segfault (a Qt object
deleted on the thread that dropped its last reference, a minute after its test ended)."""

import gc
import os
import subprocess
import sys
import textwrap
import threading
import weakref
from pathlib import Path

import pytest

import sandbox.ui.worker as worker_mod
from sandbox.ui.worker import Superseded, Worker

ROOT = Path(__file__).resolve().parents[2]


class _Held:
    """Stands for a Qt object a closure keeps: records the thread it is let go on."""


def _lane_threads(name: str) -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith(name)]


def _release_thread(obj) -> list[int]:
    where: list[int] = []
    weakref.finalize(obj, lambda: where.append(threading.get_ident()))
    return where


def _wait_lanes_gone(qtbot, name: str) -> None:
    for t in _lane_threads(name):
        t.join(10)
    assert not _lane_threads(name)
    qtbot.wait(50)  # the GUI thread drains what the lanes handed over


def test_a_calls_closure_is_let_go_on_the_gui_thread_when_its_lane_thread_ends(qtbot, monkeypatch):
    monkeypatch.setattr(worker_mod, "IDLE_KEEP_S", 0.2)  # the lane thread ends soon after its call
    w = Worker(name="held-closure")
    got: list = []
    w.done.connect(lambda ch, r: got.append(r))
    held = _Held()
    where = _release_thread(held)
    w.submit("c", lambda held=held: "answer")
    del held
    qtbot.waitUntil(lambda: got == ["answer"], timeout=5000)
    _wait_lanes_gone(qtbot, "held-closure")
    gc.collect()
    # the old lane thread kept its last task while idle and dropped it when it ended: `where` was its id
    assert where == [threading.get_ident()]
    w.shutdown()


def test_a_calls_answer_and_a_moot_calls_closure_are_let_go_on_the_gui_thread(qtbot, monkeypatch):
    monkeypatch.setattr(worker_mod, "IDLE_KEEP_S", 0.2)
    w = Worker(name="held-answer")
    answered: list = []
    w.done.connect(lambda ch, r: answered.append(ch))
    answer, failing = _Held(), _Held()
    where_answer, where_failing = _release_thread(answer), _release_thread(failing)

    def boom(failing=failing):
        raise Superseded("b")  # not logged (a log record keeps the exception and its frames a while)

    w.submit("a", lambda answer=answer: answer)
    w.submit("b", boom)
    del answer, failing, boom
    qtbot.waitUntil(lambda: answered == ["a"] and not w.busy(), timeout=5000)
    _wait_lanes_gone(qtbot, "held-answer")
    gc.collect()
    assert where_answer == [threading.get_ident()] and where_failing == [threading.get_ident()]
    w.shutdown()


def test_a_parentless_worker_let_go_while_its_lane_idles_is_deleted_on_the_gui_thread(qtbot, monkeypatch):
    monkeypatch.setattr(worker_mod, "IDLE_KEEP_S", 0.2)
    held = [Worker(name="orphan-worker")]
    where = _release_thread(held[0])
    held[0].submit("c", lambda: 1)
    qtbot.waitUntil(lambda: not held[0].busy(), timeout=5000)
    held.clear()  # the lane thread's reference is the last one now
    _wait_lanes_gone(qtbot, "orphan-worker")
    gc.collect()
    assert where == [threading.get_ident()]


def test_a_window_kept_only_by_a_finished_call_does_not_crash_the_process_when_the_lane_ends():
    """The crash itself, in a child process: a window (with a running timer) held only by a call's
    closure. Dropped on the lane thread, Qt printed 'Timers cannot be stopped from another thread' and
    the process died of SIGSEGV (exit -11)."""
    script = textwrap.dedent("""
        import time
        from PySide6.QtCore import QTimer
        from PySide6.QtWidgets import QApplication, QLabel, QMainWindow
        import sandbox.ui.worker as w
        w.IDLE_KEEP_S = 0.2
        app = QApplication([])
        worker = w.Worker(name="child-lane")
        got = []
        worker.done.connect(lambda ch, r: got.append(r))

        class Window(QMainWindow):  # a Python subclass, as every window of the wall
            pass

        def open_and_forget():
            win = Window()
            win.setCentralWidget(QLabel("x"))
            QTimer(win, interval=1000).start()
            win.show()
            worker.submit("c", lambda: win.objectName())

        open_and_forget()
        end = time.monotonic() + 10
        while not got and time.monotonic() < end:
            app.processEvents()
            time.sleep(0.01)
        for t in [t for t in __import__("threading").enumerate() if t.name == "child-lane"]:
            t.join(10)
        app.processEvents()
        print("ended", got)
    """)
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": str(ROOT)}
    proc = subprocess.run([sys.executable, "-c", script], env=env, cwd=ROOT, capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "ended" in proc.stdout
    assert "another thread" not in proc.stderr


@pytest.mark.parametrize("owner_kind", ["widget", "qobject"])
def test_no_part_is_built_after_stop_building(qtbot, owner_kind):
    from PySide6.QtCore import QObject
    from PySide6.QtWidgets import QWidget

    from sandbox.ui.later import Later, build_soon, built, stop_building

    made: list[str] = []
    base = QWidget if owner_kind == "widget" else QObject

    class Owner(base):
        a = Later(lambda self: made.append("a") or "a")
        b = Later(lambda self: made.append("b") or "b")

    owner = Owner()
    build_soon(owner, ("a", "b"))
    stop_building(owner)  # the window closed before the timer's first turn
    build_soon(owner, ("a", "b"))  # a callback queued before the close runs after it
    qtbot.wait(50)
    assert made == [] and not built(owner, "a")
    assert owner.a == "a"  # first use still makes it


def test_a_call_ending_after_its_worker_was_destroyed_emits_nothing_and_ends(qtbot, monkeypatch):
    """The window (and its Worker) deleted on the GUI thread while a call runs: the lane does not emit
    on the relay being destroyed (the gate closes in `destroyed`, before Qt deletes the children)."""
    import shiboken6
    from PySide6.QtCore import QObject

    monkeypatch.setattr(worker_mod, "IDLE_KEEP_S", 0.2)
    parent = QObject()
    w = Worker(parent, name="destroyed-worker")
    gate = threading.Event()
    errors: list = []
    old_hook = threading.excepthook
    threading.excepthook = lambda args: errors.append(args.exc_value)
    try:
        w.submit("c", lambda: gate.wait(10) and "late")
        qtbot.waitUntil(lambda: w._user.running is not None, timeout=5000)
        shiboken6.delete(parent)
        assert not w._gate.open
        gate.set()
        for t in _lane_threads("destroyed-worker"):
            t.join(10)
        assert not _lane_threads("destroyed-worker") and errors == []
    finally:
        threading.excepthook = old_hook
