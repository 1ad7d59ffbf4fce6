"""Wall benchmark: drill latency, 4K frame time, start-up, and the folium-in-QtWebEngine peer, as markdown.

One run measures, against the real API in a process of its own as a command centre runs it (demo county
in a temporary SQLite database; `--embedded`: in this process, the demo's embedded mode):
  drills   click on the canvas (Esc to go back; WallWindow.load() if a gesture loads nothing) → `dataApplied`
           (`villageApplied` for a village's panel) → one full synchronous paint of the whole window into
           a reused window-sized QImage (`WallWindow.render`, as a screen's back buffer; `grab()` would
           also allocate and page in a fresh 33 MB pixmap per drill). With the wall's drill animation
           that frame is the animation's first: it already shows the new level's data (the clicked
           town replaced by its villages, or the county around the town one goes back from); labels
           of the new level fade in later. The click → animation-end time is reported separately.
           county→town once the wall's background prefetch has the town and the wall has rendered it
           ahead (`preparing` false), once with the prefetch cleared (the wall still holds the town's
           all-years series from an earlier visit), once cold (neither), town→village with the town's village
           panels prefetched and without, and town→county. A village not prefetched waits up to 25 ms for its
           answer at the click (the panel's first frame then has its list: its row is timed as a prefetched
           one's, and the report says in how many drills that happened); past that it opens its panel at the
           click with the figures its town's map has (`villageOpened`), its households list following: its
           row times click → list applied → the window's own next frame painted (what the list changed, the
           table, as a screen repaints it; before issue 19's seventh round one more whole-window render, which
           no screen does), and a row under it click → the window's own next frame (the panel with its
           figures) painted.
  peer     the same drill the folium way: the same two API calls, the export's folium page regenerated,
           loaded in a QWebEngineView (loadFinished) and a JS round-trip confirming the polygons exist.
  frames   the whole wall rendered into a 3840×2160 QImage (`QWidget.render`), and the map canvas alone;
           wall-clock and the render thread's CPU time.
  start    a fresh `python` process against the already running API: spawn → first painted frame (the
           first event-loop turns after show() until the map canvas has been painted), and spawn →
           first frame with data (interpreter start, imports, health, fetch, classify, paint).

    python bench/wall.py [--reps 2] [--peer-reps 2] [--frames 50] [--starts 3] [--data-dir DIR] [--size 3840x2160]
                         [--embedded] [--no-duty]
    python bench/wall.py --only-start --starts 10 [--compare DIR]   # the start alone; DIR: another checkout
                                                                     # (e.g. main exported), started in turn
                         [--via-main]   # each start as `python main.py --api URL` (the CLI's parsing included)
    python bench/wall.py --province 52 [--counties 4] [--data-dir DIR]  # the wall rooted at a province
                                                                     # (bench/wall_province.py)

  duty     the drills again, in the same run, with the 督办 layer on (its board fetched for every level shown):
           p50/p95 with the layer off and on side by side (issue 16: the layer must keep the drill p95).

Timings are reported, never asserted. Goals (issue 3): drill p95 ≤ 50 ms and ≥ 10× faster than the
folium route; 4K frame median ≤ 8 ms; start ≤ 1.5 s (issue 19: the first frame with data ≤ 1.0 s).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
COUNTY = "522726000000"
INDICATOR = "poverty_incidence"
ANIMATION_SIGNALS = ("animationFinished", "drillFinished", "zoomFinished", "transitionFinished")


def _qt_env() -> None:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        os.environ.setdefault("QTWEBENGINE_DISABLE_SANDBOX", "1")  # Chromium refuses root otherwise


# -- child process: start → first frame ----------------------------------------------------------------
def child_start(url: str, size: tuple[int, int], root: Path = ROOT) -> None:
    """Mirror `python main.py --api URL`: client, health → root region, the first level primed, imports,
    app + theme, window, data, paint. `root`: the checkout whose `sandbox` starts (`--compare`)."""
    marks = {"script": time.time()}
    _qt_env()
    sys.path.insert(0, str(root))
    from sandbox.client.api import ApiClient

    client = ApiClient(url, os.environ["SANDBOX_BENCH_TOKEN"])
    region = client.health()["root_region"]
    if hasattr(client, "prime_first_level"):  # as main.py: the first level is on its way while Qt imports
        client.prime_first_level(region)
    import PySide6.QtWidgets  # noqa: F401 - timed: what main.py imports before the window

    if (root / "sandbox" / "ui" / "warm.py").exists():  # as main.py: the app, its font loading while the wall imports
        from sandbox.ui.warm import start_application

        start_application()
    import sandbox.ui.theme
    import sandbox.ui.wall  # noqa: F401

    marks["imports"] = time.time()
    _first_frame(client, region, size, marks)


def _first_frame(client, region: str, size: tuple[int, int], marks: dict) -> None:
    """App + theme, the window shown at `size`, its first paint, its data, one full paint; prints the marks."""
    from PySide6.QtCore import QEvent, QEventLoop, QObject
    from PySide6.QtGui import QImage
    from PySide6.QtWidgets import QApplication

    from sandbox.ui.theme import apply_theme
    from sandbox.ui.wall import WallWindow

    app = QApplication.instance() or QApplication([sys.argv[0]])  # made before the wall's import by main.py's path
    apply_theme(app)
    win = WallWindow(client, region=region, indicator=INDICATOR, retry_seconds=600)

    data: dict = {}

    class FirstPaint(QObject):
        def eventFilter(self, obj, event):  # noqa: N802 - Qt API
            if event.type() == QEvent.Type.Paint:
                if "first_paint" not in marks:
                    marks["first_paint"] = 1.0  # timed once the event-loop turn painting it has returned
                if "t" in data and "on_screen" not in data:  # the window's paint that shows the data
                    data["on_screen"] = 1.0
            return False

    watcher = FirstPaint()
    win.canvas.installEventFilter(watcher)
    win.resize(*size)
    win.show()
    marks["window"] = time.time()
    win.dataApplied.connect(lambda: data.setdefault("t", time.time()))
    win.loadFailed.connect(lambda *_: data.setdefault("failed", time.time()))
    # The event loop's first turns: expose → the window's first paint (the map's placeholder, or the
    # data when it was applied first).
    deadline = time.monotonic() + 60
    while "first_paint" not in marks and time.monotonic() < deadline:
        app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 10)
    marks["first_paint"] = marks.get("first_paint") and time.time()  # that turn is over: painted
    if "on_screen" in data:
        marks["data_on_screen"] = marks["first_paint"]
    ok = win.wait_for_data(60)
    marks["data"] = data.get("t") or time.time()
    # The window's own paint of the data, as a screen shows it: the map's paint after the data was
    # applied, timed when the turn painting the window has returned (every widget painted in that turn).
    while ok and "on_screen" not in data and time.monotonic() < deadline:
        app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 10)
    marks.setdefault("data_on_screen", time.time())
    cpu_on_screen, main_on_screen = time.process_time(), time.thread_time()  # all threads'; this (GUI) thread's
    frame = QImage(size[0], size[1], QImage.Format.Format_ARGB32_Premultiplied)
    win.render(frame)
    marks["data_painted"] = time.time()
    cpu = time.process_time()  # every thread's, from the interpreter's start: steadier than wall-clock under load
    heavy = [m for m in ("numpy", "pyqtgraph", "mapclassify") if m in sys.modules]
    app.processEvents()
    print(json.dumps({"ok": ok, **marks, "cpu_data_painted": cpu, "cpu_on_screen": cpu_on_screen,
                      "main_on_screen": main_on_screen, "heavy": heavy}),
          flush=True)
    win.close()
    client.close()


def child_main(url: str, size: tuple[int, int], root: Path = ROOT) -> None:
    """`--via-main`: the start as `python main.py --api URL --token-file F` makes it (its command line parsed by
    the one CLI, the settings and errors it loads), the wall's `run_wall` replaced, once its module is
    imported, by the same measured window as `child_start`."""
    import importlib.abc
    import importlib.util

    marks = {"script": time.time()}
    _qt_env()
    sys.path.insert(0, str(root))
    token_file = Path(tempfile.mkdtemp(prefix="wall-start-")) / "token"
    token_file.write_text(os.environ["SANDBOX_BENCH_TOKEN"])

    def run_wall(client, *, region: str, **_kw) -> int:
        marks["imports"] = time.time()
        _first_frame(client, region, size, marks)
        return 0

    class Hook(importlib.abc.MetaPathFinder):  # the measured window instead of the event loop
        def find_spec(self, name, path, target=None):
            if name != "sandbox.ui.wall":
                return None
            sys.meta_path.remove(self)
            spec = importlib.util.find_spec(name)
            run = spec.loader.exec_module

            def exec_module(module) -> None:
                run(module)
                module.run_wall = run_wall

            spec.loader.exec_module = exec_module
            return spec

    sys.meta_path.insert(0, Hook())
    from sandbox.app import main as wall_main

    wall_main(["--api", url, "--token-file", str(token_file), "--windowed"])


# -- helpers --------------------------------------------------------------------------------------------
def pct(values: list[float], q: float) -> float:
    import numpy as np

    return float(np.percentile(values, q)) if values else float("nan")


def ms(v: float) -> str:
    return "—" if v != v else (f"{v * 1000:.1f} ms" if v < 1 else f"{v:.2f} s")


class Waiter:
    """Listens to some signals (armed before the trigger: a cached answer may arrive synchronously) and
    spins the event loop until one fires or a timeout passes; no stray timers are left behind."""

    def __init__(self):
        from PySide6.QtCore import QEventLoop, QTimer

        self.loop, self.timer = QEventLoop(), QTimer(singleShot=True)
        self.timer.timeout.connect(self.loop.quit)
        self.fired: list[tuple[str, float]] = []
        self._armed: dict = {}

    def arm(self, signals: dict) -> None:
        self.fired.clear()
        for name, sig in signals.items():
            def slot(*_, n=name):
                self.fired.append((n, time.perf_counter()))
                self.loop.quit()

            sig.connect(slot)
            self._armed[name] = (sig, slot)

    def disarm(self) -> None:
        for sig, slot in self._armed.values():
            sig.disconnect(slot)
        self._armed.clear()

    def wait_armed(self, timeout: float) -> tuple[str, float] | None:
        if not self.fired:
            self.timer.start(int(timeout * 1000))
            self.loop.exec()
            self.timer.stop()
        return self.fired[0] if self.fired else None

    def wait(self, signals: dict, timeout: float) -> str | None:
        self.arm(signals)
        try:
            got = self.wait_armed(timeout)
        finally:
            self.disarm()
        return got[0] if got else None


def animation_signal(win):
    for owner in (win, win.canvas):
        for name in ANIMATION_SIGNALS:
            if hasattr(owner, name):
                return f"{type(owner).__name__}.{name}", getattr(owner, name)
    return None, None


# -- native drills -----------------------------------------------------------------------------------------
class NativeDrill:
    """Drives the wall like a visitor: a click on a region, Esc to go back; `load()` if those do nothing."""

    def __init__(self, win, size):
        from PySide6.QtGui import QImage

        self.win, self.waiter = win, Waiter()
        self.frame = QImage(size[0], size[1], QImage.Format.Format_ARGB32_Premultiplied)  # the back buffer
        self.anim_name, self.anim = animation_signal(win)
        self.methods: set[str] = set()
        self._anim_t: float | None = None
        self.failures = 0
        if self.anim is not None:
            self.anim.connect(self._anim_done)

    def _anim_done(self, *_) -> None:
        self._anim_t = time.perf_counter()

    def _busy(self) -> bool:
        w = self.win
        return bool(w.state.loading or any(getattr(getattr(w, n, None), "busy", False)
                                           for n in ("loader", "village_loader")))

    def _click(self, code: str) -> bool:
        from PySide6.QtCore import Qt
        from PySide6.QtTest import QTest

        canvas = self.win.canvas
        try:
            pos = canvas.drill_point(code).toPoint()  # not on a project marker over the region
        except (KeyError, AttributeError):
            return False
        if canvas.region_at(pos) != code:
            return False
        QTest.mouseClick(canvas, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, pos)
        return self._busy()

    def _escape(self) -> bool:
        from PySide6.QtCore import Qt
        from PySide6.QtTest import QTest

        QTest.keyClick(self.win, Qt.Key.Key_Escape)
        return self._busy()

    def _signals(self) -> dict:
        w = self.win
        sig = {"applied": w.dataApplied, "failed": w.loadFailed}
        if hasattr(w, "villageApplied"):
            sig["applied_village"] = w.villageApplied
        return sig

    def settle(self) -> None:
        """Wait for a running drill animation to end: the canvas ignores clicks meanwhile."""
        if self.anim is not None and getattr(self.win.canvas, "animating", False):
            self.waiter.wait({"anim": self.anim}, 10)

    def _watch_opened(self) -> tuple | None:
        """A village's panel opened at the click with its figures, its list to follow (`villageOpened`
        before `villageApplied`): when the window's own next frame, the one showing it, was painted."""
        sig = getattr(self.win, "villageOpened", None)
        if sig is None:
            return None
        from sandbox.ui.frame_timing.after_frame import after_frame

        box: dict[str, float] = {}

        def opened() -> None:
            if self.win.state.village.households is None:  # (a prefetched panel opens with its list)
                box["opened"] = time.perf_counter()
                after_frame(lambda: box.setdefault("frame", time.perf_counter()))
            else:  # with its list: prefetched, or its answer came while the click waited for it
                box["listed"] = time.perf_counter()

        sig.connect(opened)
        return sig, opened, box

    def go(self, code: str, *, back: bool = False) -> dict | None:
        """Seconds from the click (or Esc) to data applied, to painted, and to the animation's end if any;
        None (and a line on stderr) when nothing arrived within 30 s."""
        win = self.win
        self.settle()
        self._anim_t = None
        watch = self._watch_opened()
        self.waiter.arm(self._signals())
        try:
            t0, c0 = time.perf_counter(), time.thread_time()
            if (self._escape() if back else self._click(code)) or self.waiter.fired:
                how = "Esc" if back else "click"
            else:  # the gesture is not wired to a load (yet): ask the window directly
                how = "load()"
                win.load(code, win.state.map.year)
            got = self.waiter.wait_armed(30)
        finally:
            self.waiter.disarm()
            if watch is not None:
                watch[0].disconnect(watch[1])
        self.methods.add(how)
        if got is None or got[0] == "failed":
            print(f"bench: drill to {code} by {how} {'timed out' if got is None else 'failed'}: "
                  f"error={win.state.error!r} loading={win.state.loading} on screen={win.state.map.region_code} "
                  f"animating={getattr(win.canvas, 'animating', None)}", file=sys.stderr)
            self.failures += 1
            self.reset(code)
            return None
        box = watch[2] if watch is not None else {}
        follows = got[0] == "applied_village" and "opened" in box  # the list came to a panel opened at the click
        if follows:
            # The screen repaints what the list changed (the table), in the window's own next frame: timed
            # when the event-loop turn painting it has returned, not as one more whole-window render.
            t_painted, c_painted = self._own_frame()
        else:
            win.render(self.frame)  # one full synchronous paint of the whole window
            t_painted, c_painted = time.perf_counter(), time.thread_time()
        out = {"applied": got[1] - t0, "painted": t_painted - t0, "cpu": c_painted - c0}
        if follows:
            frame = box.get("frame")  # (painted after the answer came: the frame showing everything)
            out["opened"] = (frame if frame is not None and frame <= got[1] else t_painted) - t0
        elif "listed" in box:  # the panel's first frame had its list (and its figures)
            out["opened"], out["listed"] = t_painted - t0, True
        self.settle()
        if self._anim_t is not None:
            out["animation"] = self._anim_t - t0
        return out

    def _own_frame(self) -> tuple[float, float]:
        """Wall-clock and this thread's CPU when the event-loop turn in which the window next paints (what
        changed) has returned: a zero-timer posted from that turn's first paint event (this filter, installed
        last, sees it before the wall's own after-frame work posts anything)."""
        from PySide6.QtCore import QCoreApplication, QObject, QTimer
        from PySide6.QtGui import QPaintEvent

        box: dict[str, tuple[float, float]] = {}
        loop = self.waiter.loop

        def stamp() -> None:
            box.setdefault("t", (time.perf_counter(), time.thread_time()))
            loop.quit()

        class Painted(QObject):
            def eventFilter(self, obj, event):  # noqa: N802 - Qt API
                if isinstance(event, QPaintEvent) and not box:
                    box["posted"] = (0.0, 0.0)
                    QTimer.singleShot(0, stamp)
                return False

        watcher = Painted()
        app = QCoreApplication.instance()
        app.installEventFilter(watcher)
        try:
            self.waiter.timer.start(5000)
            loop.exec()
            self.waiter.timer.stop()
        finally:
            app.removeEventFilter(watcher)
        return box.get("t") or (time.perf_counter(), time.thread_time())

    def wait_prefetched(self, code: str, timeout: float = 15.0) -> bool:
        """Let the wall's background prefetch (if it has one) bring `code`'s level, and the wall lay out
        and render the prefetched levels it queued (`preparing`, if it has that); True when it did."""
        pre = getattr(self.win, "prefetcher", None)
        if pre is None:
            return False
        from PySide6.QtCore import QCoreApplication, QEventLoop

        deadline = time.monotonic() + timeout
        while (pre.get(code, self.win.state.map.year) is None or getattr(self.win, "preparing", False)) \
                and time.monotonic() < deadline:
            QCoreApplication.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 20)
            time.sleep(0.005)
        return pre.get(code, self.win.state.map.year) is not None

    def wait_village_prefetched(self, code: str, timeout: float = 15.0) -> bool:
        """Let the wall's background prefetch of the town's village panels (if it has one) bring `code`'s,
        and the wall render ahead what it renders ahead (`preparing`, if it has that: the narrower map)."""
        pre = getattr(self.win, "village_prefetcher", None)
        if pre is None:
            return False
        from PySide6.QtCore import QCoreApplication, QEventLoop

        deadline = time.monotonic() + timeout
        while (pre.get(code, self.win.state.map.year) is None or getattr(self.win, "preparing", False)) \
                and time.monotonic() < deadline:
            QCoreApplication.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 20)
            time.sleep(0.005)
        return pre.get(code, self.win.state.map.year) is not None

    def clear_village_prefetch(self) -> None:
        pre = getattr(self.win, "village_prefetcher", None)
        if pre is not None:
            pre.clear()

    def clear_prefetch(self) -> None:
        pre = getattr(self.win, "prefetcher", None)
        if pre is not None:
            pre.clear()

    def forget_series(self, code: str) -> None:
        """Drop the wall's all-years series of `code` too: a drill into it is as on a first visit. The
        session holds them since issue 14 (before that fix 'cold' silently measured 'not prefetched')."""
        for owner in (getattr(self.win, "session", None), self.win):
            series = getattr(owner, "_series", None)
            if isinstance(series, dict):
                series.pop(code, None)
        duty = getattr(getattr(self.win, "layers_ctl", None), "duty", None)
        if duty is not None and hasattr(duty.state, "drop"):  # nor its 督办 board (kept 30 s once shown)
            duty.state.drop(code)

    def reset(self, code: str) -> None:
        """Put `code`'s map on screen with no panel open (not timed)."""
        close = getattr(self.win, "close_village", None)
        if close is not None:
            close()
        if self.win.state.map.region_code != code:
            self.waiter.arm(self._signals())
            try:
                self.win.load(code, self.win.state.map.year)
                self.waiter.wait_armed(30)
            finally:
                self.waiter.disarm()
        self.win.render(self.frame)
        self.settle()


# Native rows and the peer row each is compared with.
NATIVE_ROWS = {
    "county→town, prefetched": "county→town",
    "county→town, not prefetched": "county→town",
    "county→town, cold": "county→town",
    "town→village, prefetched (village panel)": "town→village",
    "town→village, not prefetched (village panel)": "town→village",
    "town→county (Esc)": "town→county",
}


def run_native(d: NativeDrill, towns: list[str], villages_of: dict, reps: int) -> dict[str, list]:
    res: dict[str, list] = {name: [] for name in NATIVE_ROWS}
    d.reset(COUNTY), d.go(towns[0]), d.go(villages_of[towns[0]][0]), d.reset(towns[0]), d.go(COUNTY, back=True)
    d.failures, hits = 0, 0
    for r in range(reps):
        for town in towns:
            d.reset(COUNTY)
            hits += d.wait_prefetched(town)  # a visitor looks at the county for a moment, then clicks
            res["county→town, prefetched"].append(d.go(town))
            d.reset(COUNTY)
            d.clear_prefetch()  # a click the moment the county appears: nothing prefetched yet
            res["county→town, not prefetched"].append(d.go(town))
            d.reset(COUNTY)
            d.clear_prefetch()
            d.forget_series(town)  # nor seen before
            res["county→town, cold"].append(d.go(town))
            vills = villages_of[town]
            first, second = vills[(2 * r) % len(vills)], vills[(2 * r + 1) % len(vills)]
            d.wait_village_prefetched(first)  # a leader looks at the town for a moment, then clicks
            res["town→village, prefetched (village panel)"].append(d.go(first))
            d.reset(town)
            d.clear_village_prefetch()  # a click the moment the town appears
            res["town→village, not prefetched (village panel)"].append(d.go(second))
            d.reset(town)  # close the village panel: Esc now goes up a level
            res["town→county (Esc)"].append(d.go(COUNTY, back=True))
    for name in list(res):
        res[name] = [x for x in res[name] if x is not None]
    res["_prefetch_hits"] = hits  # type: ignore[assignment]
    res["_failures"] = d.failures  # type: ignore[assignment]
    res["_methods"] = sorted(d.methods)  # type: ignore[assignment]
    res["_animation"] = d.anim_name  # type: ignore[assignment]
    return res


def settle_background(app, timeout: float = 60.0) -> None:
    """Let one-off start-up work in the background end before anything is timed (the wall imports
    mapclassify on a thread once its first data is on screen)."""
    from PySide6.QtCore import QEventLoop

    stop = time.monotonic() + 2.0
    while time.monotonic() < stop:  # the preload starts a moment after the first data
        app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 20)
        time.sleep(0.01)
    from sandbox.ui.worker import wait_background

    wait_background(timeout)


# -- 4K frames ---------------------------------------------------------------------------------------------
def frame_times(widget, size, frames: int, budget: float = 15.0) -> tuple[list[float], list[float]]:
    """Seconds per `widget.render` into a QImage of `size`, wall-clock and the thread's CPU time (less
    sensitive to other processes on the cores); stops early after `budget` seconds."""
    from PySide6.QtGui import QImage

    img = QImage(size[0], size[1], QImage.Format.Format_ARGB32_Premultiplied)
    kpis = getattr(widget, "kpis", None)
    if kpis is not None and hasattr(kpis, "finish_animations"):
        # settled: the KPI cards' count-up after the level's load (0.9 s) draws its numbers every frame
        kpis.finish_animations()
    widget.render(img)  # warm-up
    out: list[float] = []
    cpu: list[float] = []
    stop = time.perf_counter() + budget
    while len(out) < frames and time.perf_counter() < stop:
        t0, c0 = time.perf_counter(), time.thread_time()
        widget.render(img)
        out.append(time.perf_counter() - t0)
        cpu.append(time.thread_time() - c0)
    return out, cpu


# -- folium + QtWebEngine peer -----------------------------------------------------------------------------
class FoliumPeer:
    def __init__(self, client, registry: list[dict], size, workdir: Path):
        from PySide6.QtWebEngineWidgets import QWebEngineView

        self.client, self.registry, self.workdir = client, registry, workdir
        self.entry = next(i for i in registry if i["key"] == INDICATOR)
        self.view = QWebEngineView()
        self.view.resize(*size)
        self.view.show()
        self.waiter = Waiter()
        self.n = 0

    def js(self, code: str):
        from PySide6.QtCore import QEventLoop, QTimer

        box, loop = {}, QEventLoop()
        self.view.page().runJavaScript(code, 0, lambda r: (box.setdefault("r", r), loop.quit()))
        QTimer.singleShot(10000, loop.quit)
        loop.exec()
        return box.get("r")

    def go(self, code: str, year: int | None) -> float:
        from PySide6.QtCore import QUrl

        from sandbox.ui.exporters.html import render_html

        t0 = time.perf_counter()
        region = self.client.region(code, year)
        fc = self.client.children_geojson(code, region.get("year", year))
        page = render_html(region, fc, self.entry, indicators=self.registry)
        self.n += 1
        path = self.workdir / f"peer{self.n % 2}.html"
        path.write_text(page, encoding="utf-8")
        self.view.load(QUrl.fromLocalFile(str(path)))
        if self.waiter.wait({"done": self.view.loadFinished}, 30) is None:
            raise RuntimeError(f"QtWebEngine did not finish loading {code}")
        drawn = self.js("window.sandboxExport ? sandboxExport.regions.getLayers().length : 0")
        if int(drawn or 0) != len(fc["features"]):
            raise RuntimeError(f"folium page of {code}: {drawn} polygons drawn, {len(fc['features'])} expected")
        return time.perf_counter() - t0


def run_peer(peer: FoliumPeer, towns, villages_of, year, reps: int) -> dict[str, list[float]]:
    res: dict[str, list[float]] = {"county→town": [], "town→village": [], "town→county": []}
    peer.go(towns[0], year), peer.go(COUNTY, year)  # warm-up: Chromium's first page is slow
    for r in range(reps):
        for town in towns:
            res["county→town"].append(peer.go(town, year))
            vills = villages_of[town]
            res["town→village"].append(peer.go(vills[r % len(vills)], year))
            res["town→county"].append(peer.go(COUNTY, year))
    return res


# -- start-up ----------------------------------------------------------------------------------------------
def run_starts(url: str, token: str, size, n: int, roots: tuple[Path, ...] = (ROOT,),
               via_main: bool = False) -> dict[Path, list[dict]]:
    """`n` fresh starts of each checkout in `roots`, interleaved (one of each in turn: the same hour's load);
    `via_main`: each through `main.py --api` (child_main) instead of the wall's modules directly."""
    import compileall

    # As installed (scripts/setup compiles it): no start compiles the wall's modules from source.
    for root in roots:
        compileall.compile_dir(str(root / "sandbox"), quiet=1)
    out: dict[Path, list[dict]] = {root: [] for root in roots}
    env = dict(os.environ, SANDBOX_BENCH_TOKEN=token, QT_QPA_PLATFORM="offscreen")
    for _ in range(n):
        for root in roots:
            t_spawn = time.time()
            r = subprocess.run([sys.executable, str(Path(__file__).resolve()),
                                "--child-main" if via_main else "--child-start", url,
                                "--child-root", str(root), "--size", f"{size[0]}x{size[1]}"], env=env,
                               capture_output=True, text=True, timeout=120)
            line = next((ln for ln in r.stdout.splitlines() if ln.startswith("{")), None)
            if line is None:
                raise RuntimeError(f"start-up child failed: {r.stderr[-1500:]}")
            marks = json.loads(line)
            out[root].append({k: v - t_spawn for k, v in marks.items() if isinstance(v, float) and v > 1e9}
                             | {"ok": marks["ok"], "cpu": marks.get("cpu_data_painted"), "heavy": marks.get("heavy"),
                                "cpu_on_screen": marks.get("cpu_on_screen"), "main_on_screen": marks.get("main_on_screen")})
    return out


START_MARKS = (("imports", "imports done (sandbox.ui.wall, client)"), ("window", "window shown"),
               ("first_paint", "**first painted frame**"), ("data", "first data applied"),
               ("data_on_screen", "**first frame with data on screen** (the window's paint after the data)"),
               ("data_painted", "first frame with data painted again whole into an image (`render`)"))


def start_rows(starts: list[dict], goal: str = "≤ 1.0 s") -> list[str]:
    rows = []
    for key, label in START_MARKS:
        v = [s[key] for s in starts if key in s]
        rows.append(f"| start: process spawn → {label} | {len(v)} | {ms(pct(v, 50))} | {ms(pct(v, 95))} | "
                    f"{goal if key == 'data_on_screen' else ''} |")
    cpu = [s["cpu_on_screen"] for s in starts if s.get("cpu_on_screen")]
    rows.append(f"| … the process's CPU time by the frame on screen | {len(cpu)} | {ms(pct(cpu, 50))} | "
                f"{ms(pct(cpu, 95))} | |")
    cpu = [s["main_on_screen"] for s in starts if s.get("main_on_screen")]
    rows.append(f"| … of which the main (GUI) thread's: the start's critical path | {len(cpu)} | {ms(pct(cpu, 50))} | "
                f"{ms(pct(cpu, 95))} | |")
    cpu = [s["cpu"] for s in starts if s.get("cpu")]
    rows.append(f"| … the process's CPU time by the render (all threads; less sensitive to other processes) | {len(cpu)} | "
                f"{ms(pct(cpu, 50))} | {ms(pct(cpu, 95))} | |")
    heavy = sorted({m for s in starts for m in s.get("heavy") or []})
    rows.append(f"| … loaded by then of numpy, pyqtgraph, mapclassify | {len(starts)} | "
                f"{', '.join(heavy) or 'none'} | | none |")
    return rows


def start_only(url_token, size, n: int, compare: Path | None, load_before: float, via_main: bool = False) -> str:
    """`--only-start`: the start rows alone (and `--compare DIR`'s, the same starts interleaved)."""
    roots = (ROOT,) if compare is None else (compare.resolve(), ROOT)
    starts = run_starts(*url_token, size, n, roots, via_main)
    how = "`python main.py --api URL` (the CLI's parsing included)" if via_main else "the wall's modules directly"
    out = [f"Wall start via {how} — {time.strftime('%Y-%m-%d %H:%M')}, {os.cpu_count()} cores, "
           f"window {size[0]}×{size[1]}, "
           f"the API in its own process; load average {load_before:.2f} before, {os.getloadavg()[0]:.2f} after; "
           f"{n} starts of each checkout, interleaved.", ""]
    for root in roots:
        out += [f"`{root}`:", "", "| measurement | n | p50 | p95 | goal |", "|---|---|---|---|---|",
                *start_rows(starts[root]), ""]
    return "\n".join(out)


# -- main --------------------------------------------------------------------------------------------------
def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--reps", type=int, default=2, help="rounds over every town (each: 4 timed drills)")
    p.add_argument("--peer-reps", type=int, default=2, help="rounds of the folium peer")
    p.add_argument("--frames", type=int, default=50)
    p.add_argument("--starts", type=int, default=3)
    p.add_argument("--size", default="3840x2160", help="window size for drills and the peer")
    p.add_argument("--data-dir", type=Path, help="reuse a demo database here (default: a new temp dir)")
    p.add_argument("--embedded", action="store_true",
                   help="run the API in this process (the demo's embedded mode) instead of its own process")
    p.add_argument("--no-duty", action="store_true", help="skip the drills with the 督办 layer on")
    p.add_argument("--only-start", action="store_true", help="measure the start alone (--starts of them)")
    p.add_argument("--compare", type=Path, metavar="DIR",
                   help="with --only-start: also start the checkout in DIR (e.g. main exported), interleaved")
    p.add_argument("--province", metavar="CODE", help="the wall rooted at a province (bench/wall_province.py): "
                   "its slice built into --data-dir when empty, e.g. 52")
    p.add_argument("--counties", type=int, default=4, help="with --province: the slice's counties (default 4)")
    p.add_argument("--root", metavar="CODE", help="with --province: the wall's root (default: the database's)")
    p.add_argument("--via-main", action="store_true",
                   help="with --only-start: each start through `main.py --api URL` (the command line parsed)")
    p.add_argument("--child-start", metavar="URL", help=argparse.SUPPRESS)
    p.add_argument("--child-main", metavar="URL", help=argparse.SUPPRESS)
    p.add_argument("--child-root", type=Path, default=ROOT, help=argparse.SUPPRESS)
    args = p.parse_args()
    size = tuple(int(v) for v in args.size.lower().split("x"))
    if args.child_start:
        child_start(args.child_start, size, args.child_root)
        return 0
    if args.province:
        sys.path.insert(0, str(ROOT))
        from wall_province import run_province

        print(run_province(args, size))
        return 0
    if args.child_main:
        child_main(args.child_main, size, args.child_root)
        return 0

    _qt_env()
    sys.path.insert(0, str(ROOT))
    import logging

    logging.basicConfig(level=logging.WARNING)
    t_all, load_before = time.perf_counter(), os.getloadavg()[0]
    try:  # QtWebEngine must be imported before the QApplication exists
        from PySide6 import QtWebEngineWidgets  # noqa: F401

        peer_error = None
    except ImportError as exc:
        peer_error = f"QtWebEngine unavailable: {exc}"
    import PySide6
    from PySide6.QtWidgets import QApplication

    from sandbox.client.api import ApiClient
    from sandbox.server.runtime import EmbeddedServer, new_token, prepare_database
    from sandbox.settings import Settings
    from sandbox.ui.theme import apply_theme
    from sandbox.ui.wall import WallWindow

    tmp = tempfile.TemporaryDirectory(prefix="wall-bench-")
    data_dir = args.data_dir or Path(tmp.name)
    t0 = time.perf_counter()
    if args.embedded:  # the API's threads in this process, sharing the GIL with the wall (the demo's setup)
        engine = prepare_database(Settings(data_dir=data_dir), progress=False)
        t_db = time.perf_counter() - t0
        server = EmbeddedServer(engine).start()
        token = new_token(engine, "display", label="bench")
        url, stop = server.url, server.stop
    else:  # the central API in its own process, as a command centre runs it
        sys.path.insert(0, str(ROOT / "bench"))
        from api_process import start_api, stop_api

        proc, url, token = start_api(data_dir, label="bench/wall.py")
        t_db = time.perf_counter() - t0

        def stop() -> None:
            stop_api(proc)
    if args.only_start:
        try:
            print(start_only((url, token), size, args.starts, args.compare, load_before, args.via_main))
        finally:
            stop()
            tmp.cleanup()
        return 0
    client = ApiClient(url, token)
    app = QApplication([sys.argv[0]])
    apply_theme(app)
    try:
        win = WallWindow(client, region=COUNTY, indicator=INDICATOR, retry_seconds=600)
        win.resize(*size)
        win.show()
        if not win.wait_for_data(60):
            raise SystemExit(f"the wall did not load: {win.state.error}")
        year = win.state.map.year
        towns = [c["code"] for c in win.state.region["children"]]
        villages_of = {}
        for t in towns:
            villages_of[t] = [c["code"] for c in client.region(t, year)["children"]]
        busiest = max(towns, key=lambda t: len(villages_of[t]))

        settle_background(app)
        print("bench: native drills", file=sys.stderr, flush=True)
        drill = NativeDrill(win, size)
        native = run_native(drill, towns, villages_of, args.reps)
        duty = None
        if not args.no_duty:  # the same drills again with the 督办 layer on (its board fetched per level)
            print("bench: native drills, 督办 layer on", file=sys.stderr, flush=True)
            win.set_layer_visible("duty", True)
            drill.reset(COUNTY)
            duty = run_native(drill, towns, villages_of, args.reps)
            win.set_layer_visible("duty", False)

        print("bench: 4K frames", file=sys.stderr, flush=True)
        frames = {}
        drill.reset(COUNTY)
        frames["whole wall, county (8 towns)"] = frame_times(win, size, args.frames)
        frames["map canvas only, county"] = frame_times(win.canvas, (win.canvas.width(), win.canvas.height()),
                                                        args.frames)
        drill.reset(busiest)
        frames[f"whole wall, town with {len(villages_of[busiest])} villages"] = frame_times(win, size, args.frames)
        canvas_size = (win.canvas.width(), win.canvas.height())
        win.close()  # the peer runs alone: no wall worker, prefetch or animation in the same event loop
        win.deleteLater()
        app.processEvents()

        print("bench: folium peer", file=sys.stderr, flush=True)
        peer = None
        if peer_error is None:
            try:
                peer_obj = FoliumPeer(ApiClient(url, token), client.indicators(), canvas_size, Path(tmp.name))
                peer = run_peer(peer_obj, towns, villages_of, year, args.peer_reps)
                peer_obj.view.close()
            except Exception as exc:  # noqa: BLE001 - report, do not hide the native numbers
                peer_error = f"{type(exc).__name__}: {exc}"
        print("bench: start-up", file=sys.stderr, flush=True)
        starts = run_starts(url, token, size, args.starts)[ROOT]
    finally:
        client.close()
        stop()

    loads = (load_before, os.getloadavg()[0])
    print(report(native, peer, peer_error, frames, starts, size, canvas_size, t_db,
                 time.perf_counter() - t_all, PySide6.__version__, loads, args.embedded, duty))
    tmp.cleanup()
    return 0


def code_provenance() -> str:
    """Which checkout's `sandbox` this run imported, and its commit: the bench puts its own checkout first on
    `sys.path`, so an A/B must run each checkout's own copy of this file (copy it into an exported base)."""
    import sandbox

    where = Path(sandbox.__file__).resolve().parents[1]
    try:
        head = subprocess.run(["git", "-C", str(where), "describe", "--always", "--dirty"], capture_output=True,
                              text=True, timeout=10)
        commit = head.stdout.strip() if head.returncode == 0 else "not a git checkout"
    except (OSError, subprocess.SubprocessError):
        commit = "git unavailable"
    return f"{where} ({commit})"


def report(native, peer, peer_error, frames, starts, size, canvas_size, t_db, t_all, qt_version, loads,
           embedded: bool = False, duty: dict | None = None) -> str:
    import platform

    rows = ["| measurement | n | p50 | p95 | goal |", "|---|---|---|---|---|"]
    for name, peer_name in NATIVE_ROWS.items():
        samples = native[name]
        painted = [x["painted"] for x in samples]
        applied = [x["applied"] for x in samples]
        goal = "p95 ≤ 50 ms" if "Esc" not in name else ""
        rows.append(f"| drill {name}: click → data applied → painted | {len(painted)} | "
                    f"{ms(pct(painted, 50))} | {ms(pct(painted, 95))} | {goal} |")
        rows.append(f"| … of which click → data applied | {len(applied)} | "
                    f"{ms(pct(applied, 50))} | {ms(pct(applied, 95))} | |")
        cpu = [x["cpu"] for x in samples if "cpu" in x]
        rows.append(f"| … its CPU time on the GUI thread, click → painted (less sensitive to other processes) | "
                    f"{len(cpu)} | {ms(pct(cpu, 50))} | {ms(pct(cpu, 95))} | |")
        opened = [x["opened"] for x in samples if "opened" in x]
        if opened and "not prefetched" in name:  # a village's panel on screen with its figures, its list with
            # them when its answer came while the click waited for it (issue 19), else following them
            listed = sum(1 for x in samples if x.get("listed"))
            rows.append(f"| … click → panel with its figures painted (the window's own frame; the list in it in "
                        f"{listed} of {len(samples)} drills, else on its way) | {len(opened)} | "
                        f"{ms(pct(opened, 50))} | {ms(pct(opened, 95))} | |")
        anim = [x["animation"] for x in samples if "animation" in x]
        if anim:
            rows.append(f"| … click → animation finished | {len(anim)} | {ms(pct(anim, 50))} | "
                        f"{ms(pct(anim, 95))} | |")
        if peer and peer.get(peer_name):
            pv = peer[peer_name]
            r50, r95 = pct(pv, 50) / pct(painted, 50), pct(pv, 95) / pct(painted, 95)
            rows.append(f"| **ratio folium peer ({peer_name}) / native** | | **{r50:.1f}×** | {r95:.1f}× "
                        "| ≥ 10× |")
    for name, pv in (peer or {}).items():
        rows.append(f"| peer: drill {name}, folium page regenerated + loaded in QtWebEngine | {len(pv)} | "
                    f"{ms(pct(pv, 50))} | {ms(pct(pv, 95))} | |")
    for name, (v, cpu) in frames.items():
        goal = "median ≤ 8 ms" if name.startswith("whole wall") else ""
        rows.append(f"| 4K frame ({size[0]}×{size[1]} QImage), {name} | {len(v)} | {ms(pct(v, 50))} | "
                    f"{ms(pct(v, 95))} | {goal} |")
        rows.append(f"| … its CPU time (render thread) | {len(cpu)} | {ms(pct(cpu, 50))} | {ms(pct(cpu, 95))} | |")
    rows += start_rows(starts)

    if duty:
        rows += ["", "| drill, click → data applied → painted | n | p50 off | p50 督办 on | p95 off | p95 督办 on "
                 "| GUI CPU p50 off / on | GUI CPU p95 off / on |", "|---|---|---|---|---|---|---|---|"]
        for name in NATIVE_ROWS:
            off = [x["painted"] for x in native[name]]
            on = [x["painted"] for x in duty.get(name) or []]
            # the GUI thread's CPU time: steadier than wall-clock when other processes share the cores
            c_off = [x["cpu"] for x in native[name] if "cpu" in x]
            c_on = [x["cpu"] for x in duty.get(name) or [] if "cpu" in x]
            if off and on:
                rows.append(f"| {name} | {len(off)}/{len(on)} | {ms(pct(off, 50))} | {ms(pct(on, 50))} | "
                            f"{ms(pct(off, 95))} | {ms(pct(on, 95))} | {ms(pct(c_off, 50))} / {ms(pct(c_on, 50))} | "
                            f"{ms(pct(c_off, 95))} / {ms(pct(c_on, 95))} |")
    methods = ", ".join(native.get("_methods") or [])
    hits = native.get("_prefetch_hits", 0)
    n_pre = len(native.get("county→town, prefetched") or [])
    methods += f"; the wall's prefetch had the town ready for {hits} of {n_pre} 'prefetched' clicks"
    if native.get("_failures"):
        methods += f"; {native['_failures']} drills got no data within 30 s and are left out"
    anim = native.get("_animation") or "none found (" + ", ".join(ANIMATION_SIGNALS) + "): not measured"
    notes = [
        f"Wall benchmark — {time.strftime('%Y-%m-%d %H:%M')}, {os.cpu_count()} cores; the API "
        f"{'in the wall process (embedded mode)' if embedded else 'in its own process (as a command centre runs it)'}; "
        f"Python {platform.python_version()}, PySide6 {qt_version}, QT_QPA_PLATFORM={os.environ.get('QT_QPA_PLATFORM')}; "
        f"window {size[0]}×{size[1]} (map canvas {canvas_size[0]}×{canvas_size[1]}); "
        f"code measured: {code_provenance()}; "
        f"demo database ready in {t_db:.1f} s; whole run {t_all:.0f} s; load average {loads[0]:.2f} before, "
        f"{loads[1]:.2f} after (above ~1 another process shares the cores: numbers are inflated); nice {os.nice(0)}.",
        "",
        *rows,
        "",
        f"- Drill trigger: {methods} (a simulated mouse click on the region's label point, Esc for back; "
        "`WallWindow.load()` only when the gesture starts no load). Painted = `dataApplied` (or "
        "`villageApplied`: a village opens its panel, it has no children map) then `WallWindow.render()` of "
        "the whole window into a reused window-sized QImage, one full synchronous paint (a fresh `grab()` "
        "pixmap would add a 33 MB allocation per drill); for a village's list that follows its panel opened at "
        "the click, the window's own next paint of what the list changed (the table), as a screen does it. With the drill animation this is its first frame, "
        "which already shows the new level's data (drilling in: the clicked town replaced by its villages at "
        "the town's size; going back: the county around the shrinking town); the new level's labels fade in "
        "from mid-animation. Each drill starts from a settled screen (previous animation over). 'Prefetched': "
        "the wall's prefetch has the town and the wall has laid it out and rendered it while idle; 'not "
        "prefetched': prefetch cleared, the wall still has the town's all-years series from an earlier visit "
        "(the click costs the region request); 'cold': neither (region, map and series requests).",
        f"- Drill animation signal: {anim}.",
        "- Peer: the same two API calls on the GUI thread, `export_html.render_html` (folium, Leaflet inline), "
        "written to a file, `QWebEngineView.load` → `loadFinished`, then a JS round-trip that counts the "
        "drawn polygons; Chromium's compositor frame is not awaited (this favours the peer). Software "
        "rendering (no GPU)." if peer else f"- Peer not measured: {peer_error}.",
        "- Start: `python bench/wall.py --child-start` in a fresh process against the already running API, "
        "mirroring the wall part of `main.py --api` (not `sandbox.app`'s own imports: settings, the store's "
        "SQLAlchemy): interpreter start, imports, `/health`, QApplication + theme, WallWindow shown at the "
        "window size, the event-loop turns until the map canvas has painted (its placeholder), then the first "
        "level's data (the loader's API calls, classification) applied and one full `render()` of the window.",
        "- Frames: the wall is settled (no animation; background imports done) and nothing changes between "
        "frames, so every frame is a full repaint from each widget's cached pixels.",
    ]
    return "\n".join(notes)


if __name__ == "__main__":
    raise SystemExit(main())
