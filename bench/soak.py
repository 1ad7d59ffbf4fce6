"""Accelerated soak of the wall: drill/tour cycles with API outages and camera drops; RSS, threads, fds.

The API runs as its own process (`python -m sandbox serve`) so that an outage is a real one: the
process is killed and later started again on the same port. The wall runs in this process,
offscreen, at 1920×1080, exactly as the kiosk builds it (the offline cache and banner, the
camera wall when there are cameras). One cycle is what a busy day does in about ten seconds:
a drill into a town, a village panel opened and closed, back up, another year; every
`--outage-every` cycles the API is killed for `--outage-s` seconds while the wall keeps drilling,
and every `--drop-every` cycles a demo camera stalls or drops for a while.

An hour-equivalent is 360 cycles (a drill every ten seconds, far busier than a real wall). The
goal (issue 5): RSS slope ≤ 1 MB per hour-equivalent after warm-up; threads and fds flat.

The warm-up is the first `--warmup` cycles, rounded up to an outage so that the slope is fitted
over whole outage periods; the report gives the last cycle at which each bounded cache grew and
names any that still grew after the warm-up. Beside RSS each sample records what is held: glibc's
heap in use and kept free (QImage pixels are native memory, invisible to tracemalloc), Python's
allocated blocks and arenas, the label-sprite, glyph and map-level caches, the Qt objects under the
wall; `--tracemalloc` adds what Python allocations grew between samples, `--objects` which types of
Python object grew (both slow: diagnostic runs only). RSS alone saws: the wall trims the heap when an outage ends and
every minute while idle (issue 20), then touches the freed pages again; a leak shows as heap in use
or Python blocks rising. Malloc arenas are limited to `--arenas` as the kiosk limits them.

Each slope comes with its standard error, widened for the samples' autocorrelation, so that a short
run (`--max-minutes 60`, `--sample-every 10`) says how far it can be trusted; the ceiling is the
highest RSS seen and where a day at the slope's upper end (slope + 2 errors) would take it.

    python bench/soak.py [--cycles 1000] [--warmup 200] [--sample-every 50] [--outage-every 300]
"""

from __future__ import annotations

import argparse
import ctypes
import linecache
import math
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CYCLES_PER_HOUR = 360
_ALLOCATOR_KEYS = ("LD_PRELOAD", "MALLOC_CONF", "PYTHONMALLOC")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ApiProcess:
    """The central API as a child process that can be killed and started again on its port."""

    def __init__(self, data_dir: Path, port: int):
        self.data_dir, self.port, self.proc = data_dir, port, None
        self.url = f"http://127.0.0.1:{port}"

    def start(self, timeout: float = 180.0) -> None:  # a shared machine at load 20 needs more than a minute
        env = dict(os.environ, SANDBOX_DATA_DIR=str(self.data_dir))
        for key in _ALLOCATOR_KEYS:  # the API process runs on the default allocator whatever the wall runs on
            env.pop(key, None)
        self.proc = subprocess.Popen([sys.executable, "-m", "sandbox", "serve", "--port", str(self.port)],
                                     cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        import requests

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if requests.get(f"{self.url}/api/v1/health", timeout=1).ok:
                    return
            except requests.RequestException:
                time.sleep(0.1)
        raise RuntimeError("the API did not start")

    def kill(self) -> None:
        if self.proc is not None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait()
            self.proc = None


def spin(app, seconds: float) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        app.processEvents()
        time.sleep(0.005)


def slope_per_hour(samples: list[tuple[int, float]]) -> float:
    """Least-squares slope of value over cycles, scaled to one hour-equivalent."""
    return slope_fit(samples)[0]


def slope_fit(samples: list[tuple[int, float]]) -> tuple[float, float]:
    """Least-squares slope of value over cycles per hour-equivalent, and its standard error.

    The samples are not independent (RSS saws between trims and outages), so the plain standard
    error is widened by the residuals' lag-1 autocorrelation r: n effective = n (1 − r) / (1 + r).
    Without that a short run's error bar would be too narrow to decide anything by."""
    n = len(samples)
    if n < 2:
        return float("nan"), float("nan")
    xs, ys = zip(*samples)
    slope = statistics.linear_regression(xs, ys).slope
    if n < 3:
        return slope * CYCLES_PER_HOUR, float("nan")
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    sxx = sum((x - mx) ** 2 for x in xs)
    res = [y - my - slope * (x - mx) for x, y in zip(xs, ys)]
    ss = sum(r * r for r in res)
    se = math.sqrt(ss / (n - 2) / sxx)
    r1 = sum(a * b for a, b in zip(res, res[1:])) / ss if ss else 0.0
    r1 = min(max(r1, 0.0), 0.95)  # negative autocorrelation would narrow it: keep the plain error
    return slope * CYCLES_PER_HOUR, se * math.sqrt((1 + r1) / (1 - r1)) * CYCLES_PER_HOUR


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--cycles", type=int, default=1000)
    p.add_argument("--warmup", type=int, default=200, help="cycles before the slope is measured")
    p.add_argument("--sample-every", type=int, default=50)
    p.add_argument("--outage-every", type=int, default=300)
    p.add_argument("--outage-s", type=float, default=6.0)
    p.add_argument("--drop-every", type=int, default=100)
    p.add_argument("--objects", action="store_true",
                   help="count Python objects by type at each sample; print the types that grew (slow)")
    p.add_argument("--tracemalloc", action="store_true",
                   help="trace Python allocations; print what grew between samples (slow)")
    p.add_argument("--data-dir", type=Path, help="reuse a demo database here (default: a new temp dir)")
    p.add_argument("--tour-every", type=int, default=0,
                   help="every N cycles play the shipped delegation tour once, 50× faster (issue 20)")
    p.add_argument("--monitor-every", type=int, default=0,
                   help="every N cycles open the camera wall (监控) for --monitor-s seconds (issue 20)")
    p.add_argument("--monitor-s", type=float, default=3.0)
    p.add_argument("--max-minutes", type=float, default=0,
                   help="end at the first sample after this many minutes (0: run all --cycles)")
    p.add_argument("--arenas", type=int, default=2,
                   help="malloc arenas at most, as the kiosk sets them (0: glibc's default, 8 per core)")
    p.add_argument("--mmap-threshold-mb", type=float, default=0,
                   help="fix glibc's mmap threshold at this many MB (0: glibc's dynamic threshold)")
    p.add_argument("--memray", type=Path, metavar="FILE",
                   help="record native and Python allocations from --memray-from to the end into FILE (pip memray; "
                        "then `python bench/soak.py --memray-report FILE`: what was made in that window and is still held)")
    p.add_argument("--memray-from", type=int, default=100, help="the cycle at which --memray starts recording")
    p.add_argument("--memray-report", type=Path, metavar="FILE", help="report a --memray recording and exit")
    p.add_argument("--memray-between", type=float, nargs=2, metavar=("A", "B"),
                   help="with --memray-report: what grew between two points of the recording, as fractions of its "
                        "length (e.g. 0.5 1.0), by site: live bytes at B minus live bytes at A (a bounded cache that "
                        "replaces its entries nets out, unlike the window's 'made and still held')")
    p.add_argument("--sprite-mb", type=float, default=0,
                   help="lower the label sprites' byte bound to this many MB, so a short run reaches it (0: as shipped)")
    p.add_argument("--allocator", choices=("glibc", "jemalloc"), default="glibc",
                   help="jemalloc: run the wall on jemalloc with the kiosk's settings (sandbox.kiosk.allocator: "
                        "LD_PRELOAD, MALLOC_CONF, PYTHONMALLOC=malloc), as the supervisor starts its UI child")
    args = p.parse_args()
    if args.allocator == "jemalloc" and "libjemalloc" not in os.environ.get("LD_PRELOAD", ""):
        sys.path.insert(0, str(ROOT))
        from sandbox.kiosk.allocator import allocator_env

        extra, said = allocator_env("jemalloc")
        if not extra:
            raise SystemExit(said)
        print(f"soak: {said}", file=sys.stderr, flush=True)
        os.execve(sys.executable, [sys.executable, *sys.argv], dict(os.environ, **extra))
    if args.memray_report:
        print(memray_growth(args.memray_report, *args.memray_between) if args.memray_between
              else memray_report(args.memray_report))
        return 0

    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    sys.path.insert(0, str(ROOT))
    import logging

    import psutil

    logging.basicConfig(level=logging.ERROR)
    from PySide6.QtWidgets import QApplication

    import sandbox.ui  # noqa: F401 - first, as the kiosk imports it before its API: no source lines kept
    from sandbox.client.api import ApiClient
    from sandbox.server.runtime import new_token, prepare_database
    from sandbox.settings import Settings
    from sandbox.ui.heap import limit_arenas
    from sandbox.ui.theme import apply_theme
    from sandbox.ui.wall import WallWindow

    if args.arenas:
        limit_arenas(args.arenas)  # as the kiosk does, before the wall's threads start
    if args.mmap_threshold_mb:
        from sandbox.ui.heap import fix_mmap_threshold

        if not fix_mmap_threshold(int(args.mmap_threshold_mb * 2**20)):
            raise SystemExit("mallopt(M_MMAP_THRESHOLD) refused")
    if args.sprite_mb:
        from sandbox.ui import map_layer

        map_layer._SPRITE_BYTES_LIMIT = int(args.sprite_mb * 2**20)  # a bench-only knob: reach the bound early
    tmp = tempfile.TemporaryDirectory(prefix="soak-")
    data_dir = args.data_dir or Path(tmp.name)
    engine = prepare_database(Settings(data_dir=data_dir), progress=False)
    token = new_token(engine, "display", label="soak")
    admin = new_token(engine, "admin", label="soak-admin")
    engine.dispose()
    api = ApiProcess(data_dir, _free_port())
    api.start()

    app = QApplication([sys.argv[0]])
    apply_theme(app)
    client = _client(ApiClient, api.url, token, Path(tmp.name) / "cache")
    county = client.health()["root_region"]
    win = WallWindow(client, region=county, retry_seconds=2, idle_seconds=0, animate=False)
    extras = _install_extras(win, client, api.url, token)
    win.resize(1920, 1080)
    win.show()
    if not win.wait_for_data(60):
        raise SystemExit(f"the wall did not load: {win.state.error}")
    year0 = win.state.map.year
    towns = [c["code"] for c in win.state.region["children"]]
    villages = {t: [c["code"] for c in client.region(t, year0)["children"]] for t in towns}
    cams = [c["id"] for c in client.cameras(county)]
    admin_client = ApiClient(api.url, admin)
    rng = random.Random(7)
    proc = psutil.Process()
    samples: list[dict] = []
    outages = drops = failed_drills = tours = monitors = 0
    t0 = time.monotonic()

    def sample(cycle: int) -> None:
        s = {"cycle": cycle, "t": time.monotonic() - t0, "rss": proc.memory_info().rss / 2**20,
             "threads": proc.num_threads(), "fds": proc.num_fds(), "api_down": outage_until is not None,
             "cpu_s": sum(proc.cpu_times()[:2]), "minflt_k": _minor_faults() / 1000}
        s.update(memory_breakdown(win, client))
        trim = getattr(extras.get("freshness"), "trim", None)
        if trim is not None:
            s["trims"], s["trim_ms"] = trim.trims, trim.last_ms
        samples.append(s)
        if tracemalloc.is_tracing():
            snap = tracemalloc.take_snapshot().filter_traces([tracemalloc.Filter(False, tracemalloc.__file__)])
            if snaps:
                for d in snap.compare_to(snaps[-1], "lineno")[:8]:
                    if abs(d.size_diff) > 100_000:
                        print(f"soak:   py {d}", file=sys.stderr, flush=True)
            snaps[:] = [snap]
        if args.objects:
            counts = _type_counts()
            s["py_objects_k"] = sum(counts.values()) / 1000
            if type_counts:
                grew = sorted(((n - type_counts[-1].get(t, 0), t) for t, n in counts.items()), reverse=True)[:8]
                print("soak:   types " + ", ".join(f"{t} {d:+d}" for d, t in grew if d > 0), file=sys.stderr, flush=True)
            if len(type_counts) > 1:  # since the warm-up ended: a cache growing by a few objects a cycle shows here
                grew = sorted(((n - type_counts[0].get(t, 0), t) for t, n in counts.items()), reverse=True)[:8]
                print("soak:   types since the warm-up " + ", ".join(f"{t} {d:+d}" for d, t in grew if d > 0),
                      file=sys.stderr, flush=True)
            if not type_counts or cycle <= args.warmup:
                type_counts[:] = [counts]
            else:
                type_counts[1:] = [counts]
        print("soak: " + " ".join(f"{k} {v:.1f}" if isinstance(v, float) else f"{k} {v}" for k, v in s.items()),
              file=sys.stderr, flush=True)

    outage_until = None
    snaps: list = []
    type_counts: list[dict] = []
    if args.tracemalloc:
        tracemalloc.start(1)
    tracker = None
    for cycle in range(args.cycles + 1):
        if args.memray and cycle == args.memray_from and tracker is None:
            import memray

            args.memray.unlink(missing_ok=True)
            tracker = memray.Tracker(str(args.memray), native_traces=True)
            tracker.__enter__()
        if cycle % args.sample_every == 0:
            sample(cycle)
            if args.max_minutes and samples[-1]["t"] > args.max_minutes * 60 and outage_until is None:
                args.cycles = cycle  # the report counts the cycles run
        if cycle == args.cycles:
            break
        if outage_until is None and cycle and cycle % args.outage_every == 0:
            api.kill()
            outages += 1
            outage_until = time.monotonic() + args.outage_s
        if outage_until is not None and time.monotonic() > outage_until:
            api.start()
            outage_until = None
        if cams and outage_until is None and cycle and cycle % args.drop_every == 0:
            drops += 1
            cam = rng.choice(cams)
            state = rng.choice(["stalled", "down"])
            try:
                admin_client.session.put(f"{api.url}/api/v1/demo/streams/{cam}/state", json={"state": state}, timeout=3)
                spin(app, 0.5)
                admin_client.session.put(f"{api.url}/api/v1/demo/streams/{cam}/state", json={"state": "live"}, timeout=3)
            except Exception:  # noqa: BLE001 - the API may be between restarts; the soak goes on
                pass
        town = rng.choice(towns)
        ok = True
        win.drill(town) if win.state.map.region_code == county else win.load(town, win.state.map.year)
        ok &= win.wait_for_data(12)
        if villages[town]:
            win.open_village(rng.choice(villages[town]))
            spin(app, 0.05)
            win.close_village()
        win.go_up()
        ok &= win.wait_for_data(12)
        win.set_year(rng.choice(range(2014, 2021)))
        ok &= win.wait_for_data(12)
        for step in extras.get("each_cycle", []):
            step()
        if args.tour_every and cycle and cycle % args.tour_every == 0 and outage_until is None:
            tours += play_tour(app, win, client, county)
        if args.monitor_every and cycle and cycle % args.monitor_every == 0:
            win.open_monitor()
            spin(app, args.monitor_s)
            win.close_monitor()
            monitors += 1
        failed_drills += not ok
        app.processEvents()
    if outage_until is not None:
        api.start()
    if tracker is not None:
        # End at a quiet moment: nothing in flight, freed memory handed back, so what the recording
        # still holds was kept, not merely on its way through.
        win.wait_for_data(12)
        spin(app, 2.0)
        import gc

        gc.collect()
        tracker.__exit__(None, None, None)

    win.close()
    win.deleteLater()
    app.processEvents()
    api.kill()
    names = extras.get("names", []) + ([f"{tours} tours"] if args.tour_every else []) + \
        ([f"{monitors} camera-wall openings"] if args.monitor_every else [])
    print(report(samples, args, outages, drops, failed_drills, names))
    return 0


def memray_report(path: Path, top: int = 25) -> str:
    """What a `--memray` window made and still held at its end, by the innermost frames of our code
    or the library that allocated it (native frames included): the growth between two cycles, by
    where it was allocated."""
    from memray import FileReader

    reader = FileReader(str(path))
    by_site: dict[str, list[int]] = {}
    for rec in reader.get_leaked_allocation_records(merge_threads=True):
        frames = [f"{fn} ({Path(file).name}:{line})" for fn, file, line in rec.hybrid_stack_trace(max_stacks=40)]
        ours = [f for f in frames if "sandbox" in f or "soak.py" in f]
        key = " ← ".join(frames[:3] if not ours else frames[:2] + ours[:2]) or "?"
        entry = by_site.setdefault(key, [0, 0])
        entry[0] += rec.size
        entry[1] += rec.n_allocations
    total = sum(v[0] for v in by_site.values())
    lines = [f"memray {path}: {total / 2**20:.1f} MB made in the window and still held, {len(by_site)} sites; the largest:"]
    for key, (size, n) in sorted(by_site.items(), key=lambda kv: -kv[1][0])[:top]:
        lines.append(f"{size / 2**20:8.2f} MB {n:7d}×  {key}")
    return "\n".join(lines)


def _site(rec) -> str:
    """An allocation's site: its innermost frames, and the innermost two of our code when there are any."""
    frames = [f"{fn} ({Path(file).name}:{line})" for fn, file, line in rec.hybrid_stack_trace(max_stacks=40)]
    ours = [f for f in frames if "sandbox" in f or "soak.py" in f]
    return " ← ".join(frames[:3] if not ours else frames[:2] + ours[:2]) or "?"


def memray_growth(path: Path, a: float, b: float, top: int = 30) -> str:
    """Live bytes by site at two points of a `--memray` recording (fractions of its snapshots), and the
    sites whose live bytes grew most between them: growth, not what was merely made in the window."""
    from memray import FileReader

    reader = FileReader(str(path))
    snaps = list(reader.get_memory_snapshots())
    n = len(snaps)
    ka, kb = min(n - 1, int(a * (n - 1))), min(n - 1, int(b * (n - 1)))
    grew: dict[str, list[int]] = {}
    for rec in reader.get_temporal_allocation_records(merge_threads=True):
        live = [0, 0]
        counts = [0, 0]
        for iv in rec.intervals:
            for i, k in enumerate((ka, kb)):
                if iv.allocated_before_snapshot <= k and (iv.deallocated_before_snapshot is None
                                                          or iv.deallocated_before_snapshot > k):
                    live[i] += iv.n_bytes
                    counts[i] += iv.n_allocations
        if live[0] or live[1]:
            entry = grew.setdefault(_site(rec), [0, 0])
            entry[0] += live[1] - live[0]
            entry[1] += counts[1] - counts[0]
    span_s = (snaps[kb].time - snaps[ka].time) / 1000 if n else 0.0
    total = sum(v[0] for v in grew.values())
    lines = [f"memray {path}: snapshots {ka} → {kb} of {n} ({span_s:.0f} s apart); heap tracked "
             f"{snaps[ka].heap / 2**20:.1f} → {snaps[kb].heap / 2**20:.1f} MB; live bytes grew by {total / 2**20:+.2f} MB "
             f"over {len(grew)} sites; the sites that grew most:"]
    for key, (size, cnt) in sorted(grew.items(), key=lambda kv: -kv[1][0])[:top]:
        lines.append(f"{size / 2**20:+8.3f} MB {cnt:+7d}×  {key}")
    return "\n".join(lines)


def play_tour(app, win, client, county: str, time_scale: float = 0.02, timeout: float = 120.0) -> int:
    """The shipped delegation tour once through, as the kiosk plays it (caption, layers, a camera)."""
    from sandbox.kiosk.tour import load_tour
    from sandbox.ui.kiosk.caption import CaptionOverlay
    from sandbox.ui.kiosk.tour_player import TourPlayer

    tour = load_tour(ROOT / "kiosk_config" / "tours" / "dushan-delegation.toml")
    caption = CaptionOverlay(win)
    player = TourPlayer(win, tour.steps, home_region=county, caption=caption, client=client, title=tour.title,
                        loop=False, time_scale=time_scale)
    done: list[bool] = []
    player.finished.connect(lambda: done.append(True))
    player.start()
    deadline = time.monotonic() + timeout
    while not done and time.monotonic() < deadline:
        spin(app, 0.05)
    player.stop()
    player.deleteLater()
    caption.deleteLater()
    win.load(county, win.state.map.year)
    win.wait_for_data(12)
    return 1 if done else 0


class _MallInfo2(ctypes.Structure):
    _fields_ = [(n, ctypes.c_size_t) for n in
                ("arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks", "fordblks",
                 "keepcost")]


def _jemalloc_stats() -> dict | None:
    """jemalloc's own account when the process runs on it (LD_PRELOAD): bytes in allocated blocks, and
    resident pages it holds beyond them (dirty pages waiting for decay, metadata); None under glibc."""
    try:
        mallctl = ctypes.CDLL(None).mallctl
    except AttributeError:
        return None
    mallctl.argtypes = [ctypes.c_char_p, ctypes.c_void_p, ctypes.POINTER(ctypes.c_size_t), ctypes.c_void_p,
                        ctypes.c_size_t]
    epoch = ctypes.c_uint64(1)
    mallctl(b"epoch", None, None, ctypes.byref(epoch), ctypes.sizeof(epoch))  # refresh the cached statistics
    out = {}
    for key in ("allocated", "active", "resident", "mapped", "retained"):
        value, size = ctypes.c_size_t(0), ctypes.c_size_t(ctypes.sizeof(ctypes.c_size_t))
        if mallctl(f"stats.{key}".encode(), ctypes.byref(value), ctypes.byref(size), None, 0) == 0:
            out[key] = value.value / 2**20
    if "allocated" not in out:
        return None
    return {"heap_used": out["allocated"], "heap_free": out.get("resident", out["allocated"]) - out["allocated"],
            "je_active": out.get("active", 0.0), "je_mapped": out.get("mapped", 0.0),
            "je_retained": out.get("retained", 0.0)}


def _pss_mb() -> float:
    try:
        for line in Path("/proc/self/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


def _heap() -> dict:
    """The allocator's account: under jemalloc its own statistics (glibc's mallinfo then sees only its
    idle arena); else glibc's, below."""
    je = _jemalloc_stats()
    return je if je is not None else _glibc_heap()


def _glibc_heap() -> dict:
    """glibc's own account over all arenas: bytes in use (QImage pixels, Qt, numpy: native memory)
    and bytes freed but kept. RSS also counts the kept pages that were touched again, which is why
    it saws between outages (the wall trims the heap on recovery) while what is held stays flat."""
    try:
        libc = ctypes.CDLL("libc.so.6")
        libc.mallinfo2.restype = _MallInfo2
        mi = libc.mallinfo2()
    except (OSError, AttributeError):
        return {}
    return {"heap_used": (mi.uordblks + mi.hblkhd) / 2**20, "heap_free": mi.fordblks / 2**20}


def _minor_faults() -> int:
    """Pages this process has touched for the first time since they were mapped (or handed back): the
    price of returning memory is paid here, a few µs each, when the pages are used again."""
    try:
        return int(Path("/proc/self/stat").read_text().rsplit(")", 1)[1].split()[7])
    except (OSError, IndexError, ValueError):
        return 0


def _anonymous_mb() -> float:
    try:
        for line in Path("/proc/self/smaps_rollup").read_text().splitlines():
            if line.startswith("Anonymous:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


def _python_arenas() -> int:
    """Python's small-object arenas held now (1 MiB each on 3.11, mapped outside glibc's heap): an
    arena goes back only when every block in it is free, so fragmentation shows here and not in the
    block count. Read from `sys._debugmallocstats()`, which writes to fd 2."""
    import re

    with tempfile.TemporaryFile() as f:
        sys.stderr.flush()
        saved = os.dup(2)
        try:
            os.dup2(f.fileno(), 2)
            sys._debugmallocstats()
        finally:
            os.dup2(saved, 2)
            os.close(saved)
        f.seek(0)
        m = re.search(rb"# arenas allocated current\s*=\s*([\d,]+)", f.read())
    return int(m.group(1).replace(b",", b"")) if m else -1


def memory_breakdown(win, client) -> dict:
    """Where the memory is, beside RSS: the pixel caches (QImage data is native: tracemalloc never
    sees it), glibc's heap, Python's own blocks, the offline cache on disk."""
    from sandbox.ui import map_layer, paint_cache

    canvas = win.canvas
    # The canvas's levels kept laid out and rendered (bounded by map_canvas.LAYER_CACHE + PREPARED_CACHE).
    layers = [*getattr(canvas, "_layers", {}).values(), *getattr(canvas, "_prepared", {}).values()]
    layer_bytes = sum(layer._base[1].image.sizeInBytes() for layer in layers if getattr(layer, "_base", None))
    out = {
        "anonymous": _anonymous_mb(),
        "pss": _pss_mb(),
        "py_blocks_k": sys.getallocatedblocks() / 1000,
        "py_arenas": _python_arenas(),
        "src_lines_k": sum(len(e[2]) for e in linecache.cache.values() if len(e) > 2) / 1000,
        "sprites": map_layer.sprite_cache_info()["size"],
        "sprites_mb": map_layer.sprite_cache_bytes() / 2**20,
        "glyphs": paint_cache.glyph_cache_info()["size"],
        "glyphs_mb": paint_cache.glyph_cache_bytes() / 2**20,
        "layers": len(layers),
        "layers_mb": layer_bytes / 2**20,
        "window": f"{win.width()}x{win.height()}",
    }
    out.update(_heap())
    out.update(_qt_counts(win))
    out.update(_kept_pictures(win))
    if tracemalloc.is_tracing():
        out["py_traced_mb"] = tracemalloc.get_traced_memory()[0] / 2**20
    cache = getattr(client, "cache", None)
    if cache is not None:
        files = cache.entries()
        out["disk_entries"] = len(files)
    return out


def _type_counts() -> dict[str, int]:
    """Live objects the collector tracks, by type name (what grows between samples names a leak)."""
    import gc

    gc.collect()
    counts: dict[str, int] = {}
    for o in gc.get_objects():
        name = type(o).__qualname__
        counts[name] = counts.get(name, 0) + 1
    return counts


def _kept_pictures(win) -> dict:
    """The pictures the painted widgets keep (WidgetCache, SnapshotEffect: the last N states each,
    painted ahead or shown before), in number and MB: native pixels, bounded per widget by count."""
    from PySide6.QtWidgets import QWidget

    from sandbox.ui.paint_cache import SnapshotEffect, WidgetCache

    n = size = 0
    for w in [win, *win.findChildren(QWidget)]:
        holders = [v for v in (getattr(w, "pixels", None), getattr(w, "still_pixels", None))
                   if isinstance(v, WidgetCache)]
        effect = w.graphicsEffect()
        if isinstance(effect, SnapshotEffect):
            holders.append(effect)
        for h in holders:
            images = list(h._kept._images.values())  # noqa: SLF001 - a bench's look inside
            n += len(images)
            size += sum(img.sizeInBytes() for img in images)
    return {"kept_pictures": n, "kept_mb": size / 2**20}


def _qt_counts(win) -> dict:
    """Qt objects alive: the wall's descendants and every widget of the application (an overlay or
    a camera tile not deleted shows here, its pixels not in Python's count)."""
    from PySide6.QtCore import QObject
    from PySide6.QtWidgets import QApplication

    from sandbox.ui.worker import Worker

    # Channels the wall's workers remember (issue 20, ninth round: one per village and year was kept forever).
    channels = sum(len(getattr(w, "_latest", ())) for w in win.findChildren(Worker))
    return {"qobjects": len(win.findChildren(QObject)), "widgets": len(QApplication.allWidgets()),
            "worker_channels": channels}


def _client(ApiClient, url: str, token: str, cache_dir: Path):
    """The client as the kiosk builds it: with the offline cache when the client has one."""
    from sandbox.client.cache import ResponseCache

    return ApiClient(url, token, cache=ResponseCache(cache_dir))


def _install_extras(win, client, url: str, token: str) -> dict:
    """What the kiosk adds around the wall, when this checkout has it: the offline banner/refresh."""
    extras: dict = {"names": []}
    try:
        from sandbox.ui import freshness

        extras["freshness"] = freshness.install(win, client, refresh_seconds=5)
        extras["names"].append("offline banner + 5 s refresh")
    except ImportError:
        pass
    return extras


# What is bounded and counted at each sample: a cache that still grows after the warm-up is named
# in the report (the warm-up must not hide growth).
_CACHES = (("sprites", "label sprites"), ("glyphs", "glyph sprites"), ("layers", "map levels"),
           ("worker_channels", "workers' remembered channels"),
           ("disk_entries", "offline cache files (on disk, not RSS)"))


def warm_window(samples: list[dict], args) -> list[dict]:
    """The samples the slope is fitted over: from the first outage at or after `--warmup` cycles to
    the end. Starting on an outage makes the window whole outage periods (RSS saws within one: the
    wall trims the heap on recovery, then touches the freed pages again), so neither end of the
    fit sits on a tooth's top or bottom."""
    start = args.warmup
    if args.outage_every and start % args.outage_every:
        start += args.outage_every - start % args.outage_every
    return [s for s in samples if s["cycle"] >= start]


def last_growth(samples: list[dict], key: str) -> int | None:
    """The cycle of the last sample at which `key` was higher than ever before (None: never counted)."""
    best, at = None, None
    for s in samples:
        v = s.get(key)
        if v is None:
            return None
        if best is None or v > best:
            best, at = v, s["cycle"]
    return at


def report(samples: list[dict], args, outages: int, drops: int, failed: int, extras: list[str]) -> str:
    warm = warm_window(samples, args)
    w0 = warm[0] if warm else samples[-1]

    def fit(key: str) -> tuple[float, float]:
        return slope_fit([(s["cycle"], s[key]) for s in warm if key in s])

    def slope(key: str, unit: str = "MB", fmt: str = "+.2f") -> str:
        b, se = fit(key)
        return f"{b:{fmt}} ± {se:{fmt[1:]}} {unit}"

    def per_cycle(key: str, scale: float = 1.0) -> float:
        if len(warm) < 2 or key not in warm[0] or warm[-1]["cycle"] == w0["cycle"]:
            return float("nan")
        return (warm[-1][key] - w0[key]) * scale / (warm[-1]["cycle"] - w0["cycle"])

    thr = [s["threads"] for s in warm]
    fds = [s["fds"] for s in warm]
    qo = [s["qobjects"] for s in warm if "qobjects" in s]
    wd = [s["widgets"] for s in warm if "widgets" in s]
    hours = args.cycles / CYCLES_PER_HOUR
    ceiling = max(s["rss"] for s in samples)
    b, se = fit("rss")
    # Where RSS would be after a day of this use if it grew at the upper end of what was measured.
    projected = max(s["rss"] for s in warm) + 24 * max(0.0, b + 2 * se) if warm and se == se else float("nan")
    lines = [
        f"Soak — {time.strftime('%Y-%m-%d %H:%M')}, {os.cpu_count()} cores, {args.cycles} cycles "
        f"(≈ {hours:.1f} hour-equivalents at {CYCLES_PER_HOUR} cycles/h) in {samples[-1]['t'] / 60:.1f} min; "
        f"{outages} API outages of {args.outage_s:.0f} s (every {args.outage_every} cycles), {drops} camera "
        f"drops; drill cycles that ended in an error (during outages): {failed}; wall extras: "
        f"{', '.join(extras) or 'none'}; malloc arenas ≤ {args.arenas or 'glibc default'}; "
        f"mmap threshold {f'{args.mmap_threshold_mb:g} MB fixed' if args.mmap_threshold_mb else 'dynamic'}; "
        f"allocator {args.allocator}" + (" (heap figures: jemalloc's stats.allocated / resident − allocated)"
                                         if args.allocator == "jemalloc" else "")
        + (f"; label sprites bound lowered to {args.sprite_mb:g} MB" if args.sprite_mb else "")
        + (f"; {samples[-1]['trims']} idle heap trims (last {samples[-1]['trim_ms']:.0f} ms)" if "trims" in samples[-1]
           else "") + ".",
        "",
        "| cycle | minutes | RSS (MB) | heap in use / kept free (MB) | Python blocks (k) / arenas | label sprites (n / MB) "
        "| map levels (n / MB) | threads | fds |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    step = max(1, len(samples) // 14)
    for s in samples[::step] + ([samples[-1]] if (len(samples) - 1) % step else []):
        lines.append(
            f"| {s['cycle']} | {s['t'] / 60:.1f} | {s['rss']:.1f} | {s.get('heap_used', 0):.0f} / "
            f"{s.get('heap_free', 0):.0f} | {s['py_blocks_k']:.0f} / {s.get('py_arenas', '—')} | {s['sprites']} / {s['sprites_mb']:.1f} "
            f"| {s['layers']} / {s['layers_mb']:.1f} | {s['threads']} | {s['fds']} |")
    grown = []
    for key, name in _CACHES:
        at = last_growth(samples, key)
        if at is not None:
            grown.append((name, samples[-1][key], at))
    late = [f"{name} (cycle {at})" for name, _n, at in grown if at > w0["cycle"]]
    lines += [
        "",
        f"Warm-up: the first {w0['cycle']} cycles (`--warmup {args.warmup}`, rounded up to an outage so the fit "
        "covers whole outage periods). Each cache's size at the end and the last cycle it grew: "
        + "; ".join(f"{name} {n} at cycle {at}" for name, n, at in grown) + ". "
        + (f"STILL GROWING AFTER THE WARM-UP: {', '.join(late)}." if late else "None grew after the warm-up."),
        "",
        f"| after warm-up (cycle ≥ {w0['cycle']}, {len(warm)} samples"
        f"{'' if len(warm) > 1 else ': too few, run longer'}) | measured | goal |",
        "|---|---|---|",
        f"| RSS at start / end of warm-up / end | {samples[0]['rss']:.1f} / {w0['rss']:.1f} / {samples[-1]['rss']:.1f} MB "
        "| |",
        f"| RSS slope ± standard error | {slope('rss')} per hour-equivalent | ≤ 1 MB |",
        f"| PSS slope ± standard error | {slope('pss')} per hour-equivalent | |",
        f"| RSS ceiling: highest seen / after 24 h at slope + 2 errors | {ceiling:.0f} / {projected:.0f} MB | stated |",
        f"| heap in use ({args.allocator}) slope | {slope('heap_used')} per hour-equivalent | what is held natively |",
        f"| Python blocks slope | {slope('py_blocks_k', 'k', '+.1f')} per hour-equivalent | what is held by Python |",
        f"| Python arenas slope | {slope('py_arenas', 'MiB', '+.1f')} per hour-equivalent | Python's fragmentation |",
    ] + ([f"| Python objects the collector tracks (--objects) slope | {slope('py_objects_k', 'k', '+.2f')} per "
          "hour-equivalent | what is held by Python |"] if "py_objects_k" in samples[-1] else []) + [
        f"| {args.allocator} heap kept free slope | {slope('heap_free')} per hour-equivalent | {args.allocator}'s fragmentation |",
        f"| Qt objects under the wall / widgets min–max | {min(qo, default=0)}–{max(qo, default=0)} / "
        f"{min(wd, default=0)}–{max(wd, default=0)} | flat |",
        f"| CPU per cycle / minor page faults per cycle (this process) | {per_cycle('cpu_s', 1000):.0f} ms / "
        f"{per_cycle('minflt_k', 1000):.0f} | what handing memory back costs |",
        f"| threads min–max | {min(thr, default=0)}–{max(thr, default=0)} | flat |",
        f"| fds min–max | {min(fds, default=0)}–{max(fds, default=0)} | flat |",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
