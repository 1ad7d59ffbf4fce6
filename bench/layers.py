"""Layer benchmark of the wall, as markdown tables: camera tiles (CPU, memory) and 4K frame time with the fund flows animating.

Camera tiles: the real demo streams (MJPEG over HTTP at 25 fps, sub-streams 640×360 and main streams
1280×720, each with a clock burned in) from the real API, which runs in a separate process
(bench/api_process.py), so its JPEG encoding is not counted. This process is the display: a
`CameraWall` of 4 (2×2), 9 (3×3) and 16 (4×4) tiles in a 1920×1080 window playing sub-streams, every
frame decoded and painted, the pictures painted by one widget (TileSurface); 9 and 16 tiles painted
each by its own widget (as before TileSurface); 9 and 16 tiles on 480×270 sub-streams (a second API
process serves them); 9 tiles on the main stream (a platform without sub-streams); and the peer
in the same run: 9 and 16 tiles through Qt Multimedia (FFmpeg) instead of simplejpeg. Each MJPEG row
splits its CPU per painted frame by thread: decoding (timed in the readers), reading (the rest of the
reader threads), the GUI thread, the rest. Per window of `--seconds`: CPU% = this
process's CPU time (user + system, all threads) / wall time; RSS from psutil; fps = frames painted
per tile per second; CPU% at 25 fps = CPU% × 25 / fps, the cost of a full frame rate when a loaded machine
(the API process is starved too) delivers fewer frames — almost all of the cost is per frame; CPU ms per
painted frame = the same, per frame; skipped fps = frames received while the tile's last decoded frame was
still unshown, so never decoded (MJPEG route only). Medians
over `--windows` windows, after all tiles are live and a warm-up.

    QT_QPA_PLATFORM=offscreen python bench/layers.py [--windows 3] [--seconds 5] [--data-dir DIR]

Fund flows: the wall (`WallWindow`, talking HTTP to that same API process) at 3840×2160 with its live
layers on (projects, fund flows, check-ins, camera glyphs) and their data loaded, rendered frame after
frame into a reused QImage (`QWidget.render`, a full synchronous paint, as a screen's back buffer)
while the canvas clock advances one 30 fps frame per render, so every frame shows the flow dots at a
new phase. Rows: the county (flows to the towns) and a town (flows to its projects); whole wall and
map canvas alone; wall-clock and the thread's CPU time, median and p95. It runs after the camera
section so the tiles' RSS is not inflated by the wall's 4K images.

    QT_QPA_PLATFORM=offscreen python bench/layers.py [--frames 60] [--size 3840x2160]

GUI cost: the same walls (9 and 16 tiles) without streams, each tile handed a new 640×360 frame every tick
by hand, painted by one widget and each by its own: the GUI thread's CPU time per frame (thread time, so
other processes' load barely counts).

    QT_QPA_PLATFORM=offscreen python bench/layers.py --only gui [--ticks 100]

`--only cameras` (the tiles and the GUI cost), `--only gui` or `--only flows` runs those sections.

Goals (issue 13): 16 tiles ≤ 30 % of one core and ≤ 250 MB, 9 tiles ≤ 20 %; (issue 4) 4K frame median
≤ 8 ms with flows animating.
Timings are printed, never asserted.

Sections: `SECTIONS` lists functions `section(ctx) -> list[str]` (markdown lines), run in order; `ctx`
holds the arguments, the API's URL and a display token. Add a section by appending a function.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
from api_process import start_api, stop_api  # noqa: E402 - the bench folder is not a package

GOAL_CPU_9, GOAL_CPU_16, GOAL_RSS_MB = 20.0, 30.0, 250.0  # issue 13: 9 tiles ≤ 20 %, 16 tiles ≤ 30 %
GOAL_FRAME_MS = 8.0
COUNTY = "522726000000"
TOWN = "522726103000"  # 基长镇, home of 济生铁皮石斛产业园


@dataclass
class Context:
    args: argparse.Namespace
    api_url: str
    token: str
    data_dir: str = ""


# -- section: camera tiles ---------------------------------------------------------------------------

def _wait(app, pred, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while not pred():
        if time.monotonic() > deadline:
            return False
        app.processEvents()
        time.sleep(0.005)
    return True


def _run_for(app, seconds: float) -> None:
    from PySide6.QtCore import QEventLoop, QTimer

    loop = QEventLoop()
    QTimer.singleShot(int(seconds * 1000), loop.quit)
    loop.exec()


# (tiles, grid columns, stream profile, decoding route, painting): the goal rows, per-tile painting (the
# route before TileSurface) in the same run, a 480×270 sub-stream, the main stream for comparison (what
# tiles cost without a sub-stream), and Qt Multimedia (FFmpeg) as the peer route
TILE_RUNS = [(4, 2, "sub", "mjpeg", "one"), (9, 3, "sub", "mjpeg", "one"), (16, 4, "sub", "mjpeg", "one"),
             (9, 3, "sub", "mjpeg", "tiles"), (16, 4, "sub", "mjpeg", "tiles"),
             (9, 3, "sub480", "mjpeg", "one"), (16, 4, "sub480", "mjpeg", "one"),
             (9, 3, "main", "mjpeg", "one"), (9, 3, "sub", "media", "one"), (16, 4, "sub", "media", "one")]
STREAM_NAMES = {"sub": "sub 640×360", "sub480": "sub 480×270", "main": "main 1280×720"}


def _goal(n: int, route: str, profile: str, paint: str) -> tuple[float, float] | None:
    if route != "mjpeg" or profile != "sub" or paint != "one":
        return None
    return {9: (GOAL_CPU_9, GOAL_RSS_MB), 16: (GOAL_CPU_16, GOAL_RSS_MB)}.get(n)


def _thread_cpu(proc) -> dict[int, float]:
    """CPU seconds (user + system) of each of this process's threads, by native id."""
    return {t.id: t.user_time + t.system_time for t in proc.threads()}


def camera_tiles(ctx: Context) -> list[str]:
    import threading

    import psutil
    import requests
    from PySide6.QtWidgets import QApplication, QWidget

    from sandbox.ui.cameras import CameraWall, UrlPolicy
    from sandbox.ui.theme import apply_theme

    app = QApplication.instance() or QApplication(sys.argv[:1])
    apply_theme(app)

    def cameras_of(url: str, token: str) -> list[dict]:
        return requests.get(url + "/api/v1/cameras", headers={"Authorization": f"Bearer {token}"}, timeout=30).json()

    apis = {"sub": (ctx.api_url, cameras_of(ctx.api_url, ctx.token))}
    small = None
    if any(r[2] == "sub480" for r in TILE_RUNS):  # a second API whose demo sub-streams are 480×270
        small = start_api(ctx.data_dir, streams_fps=25.0, label="bench/layers.py 480", sub_size=(480, 270))
        apis["sub480"] = (small[1], cameras_of(small[1], small[2]))
    apis["main"] = apis["sub"]
    proc = psutil.Process()
    gui_tid = threading.main_thread().native_id
    load0 = os.getloadavg()[0]
    rows = []
    try:
        for n, columns, profile, route, paint in TILE_RUNS:
            print(f"bench: {n} tiles, {profile} stream, {route}, painted by {paint}", file=sys.stderr, flush=True)
            url, cameras = apis[profile]
            cams = [dict(cameras[i % len(cameras)]) for i in range(n)]  # fewer demo cameras than tiles: repeat
            if profile == "main":
                for c in cams:
                    c.pop("sub_stream_url", None)  # a platform without sub-streams: tiles play the main stream
            window = QWidget()
            window.resize(1920, 1080)
            wall = CameraWall(cams, UrlPolicy.for_api(url), window, columns=columns, coalesce=paint == "one")
            wall.setGeometry(window.rect())
            if route == "media":  # the same HTTP MJPEG through Qt Multimedia (FFmpeg) instead of simplejpeg
                for t in wall.tiles:
                    t._make_source = lambda kind, make=t._make_source: make("media")
            window.show()
            live = _wait(app, lambda: all(t.state == "live" for t in wall.visible_tiles()), 60)
            _run_for(app, ctx.args.warmup)
            sizes = sorted({(t._video.image.width(), t._video.image.height()) for t in wall.visible_tiles()
                            if t._video.image is not None})
            cpu, rss, fps, ms, split = [], [], [], [], []

            def painted() -> int:
                return sum(t._video.paints for t in wall.tiles)

            def skipped() -> int:  # frames the MJPEG route received and never decoded (the display had not caught up)
                return sum(getattr(t._source, "frames_skipped", 0) for t in wall.tiles if t._source is not None)

            def decoding() -> float:
                return sum(getattr(t._source, "decode_cpu_s", 0.0) for t in wall.tiles if t._source is not None)
            s0 = skipped()
            for _ in range(ctx.args.windows):
                readers = {t.native_id for t in threading.enumerate() if t.name.startswith("mjpeg-")}
                c0, t0, p0, th0, d0 = proc.cpu_times(), time.monotonic(), painted(), _thread_cpu(proc), decoding()
                _run_for(app, ctx.args.seconds)
                c1, t1, th1, d1 = proc.cpu_times(), time.monotonic(), _thread_cpu(proc), decoding()
                spent = (c1.user - c0.user) + (c1.system - c0.system)
                cpu.append(100.0 * spent / (t1 - t0))
                rss.append(proc.memory_info().rss / 2**20)
                frames = painted() - p0
                fps.append(frames / n / (t1 - t0))
                ms.append(1000.0 * spent / frames if frames else float("nan"))
                gui = th1.get(gui_tid, 0.0) - th0.get(gui_tid, 0.0)
                read = sum(th1.get(k, 0.0) - th0.get(k, 0.0) for k in readers if k in th1)
                dec = d1 - d0
                split.append(tuple(1000.0 * v / frames if frames else float("nan")
                                   for v in (dec, read - dec, gui, spent - read - gui)))
            dropped = skipped() - s0
            states = [t.state for t in wall.visible_tiles()]
            tile_size = wall.visible_tiles()[0]._video.size()
            wall.close()
            window.close()
            window.deleteLater()
            _run_for(app, 1.0)
            scaled = [c * 25.0 / f for c, f in zip(cpu, fps) if f > 0]
            rows.append((n, columns, profile, route, paint, statistics.median(cpu),
                         statistics.median(scaled) if scaled else float("nan"), statistics.median(rss),
                         statistics.median(fps), live and all(s == "live" for s in states), sizes,
                         (tile_size.width(), tile_size.height()), statistics.median(ms),
                         dropped / n / (ctx.args.windows * ctx.args.seconds),
                         tuple(statistics.median(v[k] for v in split) for k in range(4))))
    finally:
        if small is not None:
            stop_api(small[0])
    out = [
        "### Camera tiles (display process; API in another process)",
        "",
        "| tiles | grid | stream | route | painted by | frame decoded → shown | CPU % of one core (median) "
        "| CPU % at 25 fps | CPU ms per painted frame | of which decode / read / GUI / other | RSS MB (median) "
        "| painted fps per tile | skipped fps per tile | all live | goal |",
        "|---:|---|---|---|---|---|---:|---:|---:|---|---:|---:|---:|---|---|",
    ]
    for n, columns, profile, route, paint, cpu, scaled, rss, fps, ok, sizes, shown, ms, skip, parts in rows:
        goal = _goal(n, route, profile, paint)
        verdict = "—"
        if goal is not None:
            met = scaled <= goal[0] and rss <= goal[1]
            verdict = f"≤ {goal[0]:.0f} % and ≤ {goal[1]:.0f} MB {'✔' if met else '✘'}"
        decoded = ", ".join(f"{w}×{h}" for w, h in sizes) or "?"
        how = "one widget" if paint == "one" else "each tile"
        parts_text = " / ".join(f"{v:.2f}" for v in parts) if route == "mjpeg" else "—"
        out.append(f"| {n} | {columns}×{columns} | {STREAM_NAMES[profile]} | "
                   f"{'Qt Multimedia' if route == 'media' else 'MJPEG'} | {how} "
                   f"| {decoded} → {shown[0]}×{shown[1]} | {cpu:.1f} | {scaled:.1f} | {ms:.2f} | {parts_text} "
                   f"| {rss:.0f} | {fps:.1f} | {skip:.1f} | {'yes' if ok else 'NO'} | {verdict} |")
    out += ["", f"Demo streams MJPEG at 25 fps (sub 640×360 or 480×270, main 1280×720); window 1920×1080 on the "
            f"`{app.platformName()}` platform; MJPEG = requests + simplejpeg on a thread per tile, Qt Multimedia = "
            f"QMediaPlayer (FFmpeg) per tile; painted by one widget = TileSurface (one paint event per frame "
            f"tick), each tile = a paint event per tile and frame; per frame: decode = the readers' CPU in "
            f"simplejpeg, read = the rest of the reader threads (HTTP, multipart), GUI = the main thread (taking "
            f"and painting), other = Qt's and Python's other threads; the goal is judged on CPU % at 25 fps; "
            f"{ctx.args.windows} windows of {ctx.args.seconds:.0f} s after {ctx.args.warmup:.0f} s warm-up; "
            f"{os.cpu_count()} CPUs, load {load0:.2f} at the start, {os.getloadavg()[0]:.2f} at the end."]
    return out


# -- section: the GUI thread's cost per frame, streams left out ---------------------------------------

class _StillSource:
    """A source that always has a new frame (one of two pictures): the GUI's work alone, no network or decoding."""

    kind = "mjpeg"

    def __init__(self, images) -> None:
        self.images, self.i = images, 0

    def has_frame(self) -> bool:
        return True

    def take(self):
        self.i ^= 1
        return self.images[self.i]

    def close(self) -> None:
        pass


def gui_frame_cost(ctx: Context) -> list[str]:
    """Taking and painting a frame per tile per tick, by hand, on a 1920×1080 window: the GUI thread's CPU
    time per frame, the pictures painted by one widget or each by its own (thread time: other processes'
    load does not count, unlike the streaming rows)."""
    import numpy as np
    from PySide6.QtGui import QImage
    from PySide6.QtWidgets import QApplication, QWidget

    from sandbox.ui.cameras import CameraWall, UrlPolicy
    from sandbox.ui.theme import apply_theme

    app = QApplication.instance() or QApplication(sys.argv[:1])
    apply_theme(app)
    rng = np.random.default_rng(13)
    buffers = [rng.integers(0, 255, (360, 640, 4), np.uint8) for _ in range(2)]
    images = [QImage(b.data, 640, 360, 640 * 4, QImage.Format.Format_RGB32) for b in buffers]
    rows = []
    for n, columns in ((9, 3), (16, 4)):
        for coalesce in (True, False):
            window = QWidget()
            window.resize(1920, 1080)
            wall = CameraWall([{"id": i, "name": f"摄像头{i}"} for i in range(n)], UrlPolicy([]), window,
                              columns=columns, coalesce=coalesce)
            wall.setGeometry(window.rect())
            window.show()
            _run_for(app, 0.3)
            tiles = wall.visible_tiles()
            for t in tiles:
                t._source, t._gen = _StillSource(images), 1
                t._set_state("live", "")
            _run_for(app, 0.3)
            per = []
            for _ in range(5):
                c0, p0 = time.thread_time(), sum(t._video.paints for t in tiles)
                for _tick in range(ctx.args.ticks):
                    for t in tiles:
                        t.poll_frame()
                    app.processEvents()
                painted = sum(t._video.paints for t in tiles) - p0
                per.append(1000.0 * (time.thread_time() - c0) / max(1, painted))
            shown = tiles[0]._video.size()
            wall.close()
            window.close()
            window.deleteLater()
            _run_for(app, 0.3)
            rows.append((n, columns, coalesce, statistics.median(per), min(per), (shown.width(), shown.height())))
    out = ["### Camera tiles: the GUI thread's CPU per frame (no streams: a new 640×360 frame for every tile, "
           f"every tick; {ctx.args.ticks} ticks, median and best of 5)", "",
           "| tiles | shown at | painted by | GUI CPU ms per frame (median) | best | at 25 fps, % of one core |",
           "|---:|---|---|---:|---:|---:|"]
    for n, columns, coalesce, med, best, shown in rows:
        out.append(f"| {n} ({columns}×{columns}) | {shown[0]}×{shown[1]} | {'one widget' if coalesce else 'each tile'} "
                   f"| {med:.3f} | {best:.3f} | {med * n * 25 / 10:.1f} |")
    return out


# -- section: 4K frame time with the fund flows animating ---------------------------------------------

def pct(values: list[float], q: float) -> float:
    import numpy as np

    return float(np.percentile(values, q)) if values else float("nan")


def frame_times(widget, size, frames: int, step, budget: float = 20.0) -> tuple[list[float], list[float]]:
    """`frames` full renders of `widget` into one reused image (`step` before each): wall-clock and thread CPU."""
    from PySide6.QtGui import QImage

    img = QImage(size[0], size[1], QImage.Format.Format_ARGB32_Premultiplied)
    widget.render(img)  # warm-up: caches built
    out, cpu = [], []
    stop = time.perf_counter() + budget
    while len(out) < frames and time.perf_counter() < stop:
        step()
        t0, c0 = time.perf_counter(), time.thread_time()
        widget.render(img)
        out.append(time.perf_counter() - t0)
        cpu.append(time.thread_time() - c0)
    return out, cpu


def flows_frame_time(ctx: Context) -> list[str]:
    from PySide6.QtCore import QEventLoop, qVersion
    from PySide6.QtWidgets import QApplication

    from sandbox.client.api import ApiClient
    from sandbox.ui.layers.funds import FPS
    from sandbox.ui.theme import apply_theme
    from sandbox.ui.wall import WallWindow

    size = tuple(int(v) for v in ctx.args.size.lower().split("x"))
    app = QApplication.instance() or QApplication(sys.argv[:1])
    apply_theme(app)
    client = ApiClient(ctx.api_url, ctx.token)
    win = WallWindow(client, region=COUNTY, retry_seconds=600, animate=False, prefetch=False, preload=False,
                     live=False, stream_cameras=False)
    win.resize(*size)
    win.show()

    def settle(timeout: float = 120.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 20)
            if (win.state.has_data and not win.state.loading and not win.canvas.animating
                    and win.layers is not None and win.layers.region == win.state.map.region_code
                    and not win.layer_worker.busy() and not win.panels.trend.busy):
                break
        for _ in range(5):
            app.processEvents()

    clock = {"t": 1000.0}
    win.canvas.clock = lambda: clock["t"]

    def step() -> None:
        clock["t"] += 1.0 / FPS  # the next 30 fps frame: the dots move on

    rows = []
    try:
        for name, code in (("county, flows county → town", COUNTY), ("town (基长镇), flows town → project", TOWN)):
            if code != win.state.map.region_code:
                win.load(code)
            settle()
            canvas = win.canvas
            if win.flow_layer.flows and not canvas._tick.isActive():
                raise SystemExit("flows should be animating")
            dots = win.flow_layer.dots_per_frame()
            statics = canvas.cache_stats["static"]
            print(f"bench: frame time, {name}", file=sys.stderr, flush=True)
            wall = frame_times(win, size, ctx.args.frames, step)
            only = frame_times(canvas, (canvas.width(), canvas.height()), ctx.args.frames, step)
            if canvas.cache_stats["static"] != statics:
                raise SystemExit("animation must not re-render the static map")
            n, cams = len(win.flow_layer.flows), len(win.camera_layer.cameras)
            rows.append((f"whole wall {size[0]}×{size[1]}, {name}", n, dots, cams, wall))
            rows.append((f"map canvas only ({canvas.width()}×{canvas.height()}), {name}", n, dots, cams, only))
    finally:
        win.close()
        win.deleteLater()
        client.close()
        app.processEvents()

    def ms(v: float) -> str:
        return f"{v * 1000:.2f} ms"

    out = [f"### Live layers: 4K frame time with the fund flows animating (Qt {qVersion()})", "",
           "| frame | flows | dots/frame | camera glyphs | frames | median | p95 | CPU median | CPU p95 |",
           "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for name, n, dots, cams, (v, cpu) in rows:
        out.append(f"| {name} | {n} | {dots} | {cams} | {len(v)} | **{ms(pct(v, 50))}** | {ms(pct(v, 95))} | "
                   f"{ms(pct(cpu, 50))} | {ms(pct(cpu, 95))} |")
    out += ["", f"Goal: median ≤ {GOAL_FRAME_MS:.0f} ms. Each frame is a full `QWidget.render` into a reused QImage; "
            "the canvas clock advances 1/30 s per frame, so the flow dots are at a new phase every time; the static "
            "choropleth is never re-rendered (checked). Camera glyphs drawn, no stream open."]
    return out


SECTIONS = [camera_tiles, gui_frame_cost, flows_frame_time]  # tiles first: their RSS without the wall's 4K images


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data-dir", help="demo database folder (reused between runs; default: a temporary one)")
    ap.add_argument("--windows", type=int, default=3)
    ap.add_argument("--seconds", type=float, default=5.0)
    ap.add_argument("--warmup", type=float, default=3.0)
    ap.add_argument("--frames", type=int, default=60, help="frames rendered per row of the frame-time section")
    ap.add_argument("--size", default="3840x2160", help="wall size of the frame-time section")
    ap.add_argument("--ticks", type=int, default=100, help="frame ticks per window of the GUI-cost section")
    ap.add_argument("--only", choices=["cameras", "gui", "flows"],
                    help="run one section only (cameras: with the GUI cost; gui: that alone)")
    args = ap.parse_args(argv)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    with tempfile.TemporaryDirectory(prefix="layers-bench-") as tmp:
        proc, url, token = start_api(args.data_dir or tmp, streams_fps=25.0, label="bench/layers.py")
        try:
            ctx = Context(args, url, token, args.data_dir or tmp)
            only = {"cameras": [camera_tiles, gui_frame_cost], "gui": [gui_frame_cost],
                    "flows": [flows_frame_time]}.get(args.only)
            for section in SECTIONS if only is None else only:
                print("\n".join(section(ctx)), flush=True)
                print()
        finally:
            stop_api(proc)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
