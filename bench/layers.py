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

Sections (the camera ones in layers_cameras.py): `SECTIONS` lists functions `section(ctx) -> list[str]` (markdown lines), run in order; `ctx`
holds the arguments, the API's URL and a display token. Add a section by appending a function.
"""

from __future__ import annotations

import argparse
import os
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
from layers_cameras import camera_tiles, gui_frame_cost  # noqa: E402 - the camera sections

GOAL_FRAME_MS = 8.0
COUNTY = "522726000000"
TOWN = "522726103000"  # 基长镇, home of 济生铁皮石斛产业园


@dataclass
class Context:
    args: argparse.Namespace
    api_url: str
    token: str
    data_dir: str = ""


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
