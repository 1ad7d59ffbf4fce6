"""A click's path from the map to SQL and back, measured with a profiler: no UI-side module is re-entered."""

# Issue 14's done-criterion. One county → town click on a real wall over the real API (embedded
# server, demo county), from the map's `regionClicked` until the town is applied and its map painted;
# over the network (no prefetch) and from the prefetch. `sys.setprofile` (GUI thread) and
# `threading.setprofile` (the session's worker, the panels' workers and the client's I/O pool, all
# started after it is installed) record every call that crosses into a `sandbox.ui.*` or
# `sandbox.client.*` module, with the chain of UI-side modules on its call stack.
#
# A round trip is A → B → A on ONE call stack: a module calls another that calls back into it (the
# wall → session → wall → session shape). A synchronous Qt signal keeps the emitter's frame under the
# slot's, so it stays on one stack and counts. A new stack starts at these hand-offs, where the path
# may come back to a module it visited, because each is an answer arriving or the screen catching
# up, never one module asking another to ask it again:
#   * the Qt event loop: a handler Qt calls (mouseReleaseEvent, eventFilter, timers, queued
#     signals) is the bottom of its stack anyway;
#   * the worker's answer: its relay's slots (`Worker._on_done`/`_on_error`/`_on_skipped`) run from
#     the event loop on a queued signal from the worker thread; the answer's way back starts after
#     them (loader → session → state → ...), so the session holding the worker's after-frame channel
#     there (`Worker.hold`) is not counted as the worker entered again;
#   * the client's I/O pool (`client.gather`): a level's requests run as the loader's callables;
#   * the state model's notifications (`ui.events` emitted by `ui.state`): a view reading the model
#     when told it changed is the view's own work (state → events → map_canvas → state). The
#     session's own events are not a hand-off: session → events → wall → session counts;
#   * painting: inside a paintEvent or a QGraphicsEffect's draw the widget draws itself from the state
#     through its cache (`ui.paint_cache` calls the widget's painter on a miss) and its base class; a
#     method counts in its object's class's module, so a base class's template method is its
#     subclass's own work.

from __future__ import annotations

import sys
import threading
from collections.abc import Iterable

import pytest

from tests.ui.conftest import COUNTY, settle, shown_wall

pytestmark = [pytest.mark.qt, pytest.mark.usefixtures("themed_app")]

UI_SIDE = ("sandbox.ui", "sandbox.client")


def _ui_module(frame) -> str | None:
    """The UI-side module a frame runs in: for a method, its object's class's (a base class's method
    working for a subclass, e.g. panels.paint's composition() calling a card's compose(), is the
    card's own work, one object), else its code's."""
    code = frame.f_code
    name = frame.f_globals.get("__name__", "")
    if name.startswith(UI_SIDE) and ((code.co_argcount and code.co_varnames[0] == "self")
                                     or "self" in code.co_freevars):  # a method, or a lambda in one
        owner = getattr(type(frame.f_locals.get("self")), "__module__", None)
        if isinstance(owner, str) and owner.startswith(UI_SIDE):
            name = owner
    return name if name.startswith(UI_SIDE) else None


# Where one call stack hands the path on, so the chain of modules starts afresh after it. The state
# model's notifications (sandbox.ui.events emitted by sandbox.ui.state) are one: the model telling
# every view that it changed, a view then reading the model is the view's own work (state → events →
# map_canvas → state). The session's own events are not: session → events → wall → session counts.
HUBS = (
    "sandbox.client.gather",  # the client's I/O pool: a level's independent requests at the same time
    "sandbox.ui.paint_cache",  # a widget's cached pixels: on a miss it calls the widget's own painter
)
# The worker's answer arriving on the GUI thread (a queued signal from its thread, the event loop
# calling the relay's slots): the answer's way back starts after them.
DELIVERY = {"_on_done", "_on_error", "_on_skipped"}


def _hub(frame, module: str | None) -> bool:
    return module in HUBS or (module == "sandbox.ui.worker" and frame.f_code.co_name in DELIVERY) or (
        module == "sandbox.ui.events" and _emitter(frame) == "sandbox.ui.state")


def _emitter(frame) -> str | None:
    """The UI-side module that called into sandbox.ui.events (who emitted)."""
    while frame is not None and _ui_module(frame) in ("sandbox.ui.events", None):
        frame = frame.f_back
    return _ui_module(frame) if frame is not None else None


def _qt_event(frame) -> bool:
    """Qt delivering an event to a handler (eventFilter, mouseReleaseEvent, ...): a stack starts there."""
    name = frame.f_code.co_name
    return name == "eventFilter" or (name.endswith("Event") and name[:1].islower())


PAINTING = {"paintEvent", "draw"}  # a widget's paint event, a QGraphicsEffect drawing its widget


def _chain(frame) -> tuple[str, ...] | None:
    """The UI-side modules on `frame`'s call stack since the last hand-off, outermost first, consecutive
    repeats collapsed; None inside a paint event (below)."""
    mods: list[str] = []
    while frame is not None:
        m = _ui_module(frame)
        if _hub(frame, m):
            break
        if m is not None and frame.f_code.co_name in PAINTING:
            # The path ends in painting, which reads the state and draws: a widget through its base
            # class (panels.paint calls the card's compose) and its cache. Not a step on the path.
            return None
        if m is not None and (not mods or mods[-1] != m):
            mods.append(m)
        if m is not None and _qt_event(frame):
            break
        frame = frame.f_back
    return tuple(reversed(mods))


def round_trips(chain: Iterable[str]) -> list[str]:
    """The modules a call stack enters again after leaving them for another module (A → B → A)."""
    seen: set[str] = set()
    last, again = None, []
    for m in chain:
        if m != last and m in seen:
            again.append(m)
        seen.add(m)
        last = m
    return again


class PathRecorder:
    """Records, while on, each call entering a UI-side module from another one: (thread, function, stack chain)."""

    def __init__(self) -> None:
        self.on = False
        self.done = False  # after the recording: each thread still holding this drops it at its next call
        self.calls: list[tuple[str, str, str, tuple[str, ...]]] = []

    def __call__(self, frame, event, _arg):
        if self.done:  # the client's I/O pool is process-wide: its threads must not keep profiling
            sys.setprofile(None)
            return
        if not self.on or event != "call":
            return
        mod = _ui_module(frame)
        if mod is None:
            return
        caller = frame.f_back
        while caller is not None and _ui_module(caller) is None:
            caller = caller.f_back
        if caller is not None and _ui_module(caller) == mod:
            return  # inside one module: not a step on the path
        self.calls.append((threading.current_thread().name, mod, f"{mod}.{frame.f_code.co_qualname}",
                           _chain(frame) or ()))

    def path(self) -> list[str]:
        """The modules entered, in order, consecutive repeats collapsed (for the report)."""
        out: list[str] = []
        for _thread, mod, _fn, _chain in self.calls:
            if not out or out[-1] != mod:
                out.append(mod)
        return out

    def round_trips(self) -> dict[tuple[str, ...], str]:
        """Each call stack that re-enters a module, with the function that re-entered it."""
        return {chain: fn for _thread, _mod, fn, chain in self.calls if round_trips(chain)}


def test_round_trips_finds_a_module_entered_again():
    assert round_trips(["a", "b", "a"]) == ["a"]
    assert round_trips(["wall", "session", "wall", "session"]) == ["wall", "session"]
    assert round_trips(["a", "b", "c"]) == []


def drill_path(qtbot, client, *, prefetch: bool, wire=None) -> PathRecorder:
    """One county → town click on a real wall, recorded from the click until the town's map is painted."""
    from PySide6.QtCore import Qt

    from sandbox.ui.later import built
    from sandbox.ui.wall import LATER_PARTS

    rec = PathRecorder()
    threading.setprofile(rec)  # the worker's and the client pool's threads started from now on
    try:
        wall = shown_wall(qtbot, client, region=COUNTY, layers=False, prefetch=prefetch)
        settle(qtbot, wall)
        town = wall.state.map.region_map.features[0]
        if prefetch:  # the click finds the town prefetched and painted ahead: no network on the path
            qtbot.waitUntil(lambda: wall.prefetcher.get(town.code, wall.state.map.year) is not None
                            and not wall.preparing and not wall.worker.busy(), timeout=60000)
        # the parts made after the first frame (sandbox.ui.later) are made one per loop turn: on busy cores
        # the last was still being made during the click (later → wall → later: not the click's path)
        qtbot.waitUntil(lambda: all(built(wall, n) for n in LATER_PARTS), timeout=30000)
        if wire is not None:
            wire(wall)
        point = wall.canvas.drill_point(town.code).toPoint()
        rec.on = True
        sys.setprofile(rec)
        try:
            with qtbot.waitSignal(wall.dataApplied, timeout=30000):
                qtbot.mouseClick(wall.canvas, Qt.MouseButton.LeftButton, pos=point)
            settle(qtbot, wall)
            qtbot.waitUntil(lambda: any(fn.endswith("MapPainting.paintEvent") for _t, _m, fn, _c in rec.calls),
                            timeout=10000)
        finally:
            sys.setprofile(None)
            rec.on = False
    finally:
        threading.setprofile(None)
        rec.done = True
    assert wall.breadcrumb.text() == f"独山县 › {town.name}"  # the town is on screen
    return rec


def described(rec: PathRecorder) -> str:
    return "\n".join(f"{' → '.join(chain)}  (at {fn})" for chain, fn in rec.round_trips().items()) + \
        "\npath: " + " → ".join(rec.path())


@pytest.mark.parametrize("prefetch", [False, True], ids=["over-the-network", "prefetched"])
def test_a_drill_re_enters_no_ui_module(qtbot, real_client, prefetch):
    rec = drill_path(qtbot, real_client, prefetch=prefetch)
    # the path went where it should: the click, the session, (the network), the state, the map's paint
    # (a method is named by its object's module: the canvas's mixins from map_hit/map_paint count as map_canvas)
    entered = [fn for _t, _m, fn, _c in rec.calls]
    assert "sandbox.ui.map_canvas.HitTesting.mouseReleaseEvent" in entered
    assert "sandbox.ui.session.WallSession.drill" in entered and "sandbox.ui.state.WallState.apply" in entered
    assert "sandbox.ui.map_canvas.MapPainting.paintEvent" in entered
    if not prefetch:
        assert {"sandbox.ui.loader", "sandbox.client.api"} <= set(rec.path()), sorted({fn for fn in entered if "client" in fn or "loader" in fn})
    assert not rec.round_trips(), "a click's path re-enters a module on one call stack:\n" + described(rec)


def test_a_window_calling_the_session_back_is_caught(qtbot, real_client):
    """The shape the issue names: the session tells the window, and the window calls the session again."""
    rec = drill_path(qtbot, real_client, prefetch=False,
                     wire=lambda wall: wall.dataApplied.connect(wall.session.touched))
    loop = ("sandbox.ui.session", "sandbox.ui.events", "sandbox.ui.wall", "sandbox.ui.session")
    assert any(chain[-4:] == loop for chain in rec.round_trips()), described(rec)
