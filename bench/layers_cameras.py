"""bench/layers.py's camera sections (imported by it; not run alone): camera tiles streaming the demo
(CPU, memory, CPU per frame by thread) and the GUI thread's cost per frame without streams."""

from __future__ import annotations

import os
import statistics
import sys
import time

from api_process import start_api, stop_api

GOAL_CPU_9, GOAL_CPU_16, GOAL_RSS_MB = 20.0, 30.0, 250.0  # issue 13: 9 tiles ≤ 20 %, 16 tiles ≤ 30 %


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


def camera_tiles(ctx) -> list[str]:
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


def gui_frame_cost(ctx) -> list[str]:
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
