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
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

# The bench folder is not a package: its modules import each other as run from it (and the tests add it to the path).
from soak_probes import (  # noqa: F401 - _heap: the tests read it
    _heap,
    _minor_faults,
    _type_counts,
    container_growth,
    container_lengths,
    memory_breakdown,
)
from soak_report import (  # noqa: F401 - slope_fit, CYCLES_PER_HOUR: the tests read them from here
    CYCLES_PER_HOUR,
    memray_growth,
    memray_report,
    report,
    report_from_log,
    sample_line,
    slope_fit,
)

ROOT = Path(__file__).resolve().parents[1]
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
    p.add_argument("--containers", type=int, default=0, metavar="N",
                   help="every N cycles after the warm-up: the containers (dicts, lists, sets) grown most since it, "
                        "by owner, and all containers' entries (`containers`): what `--objects` cannot see")
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
    p.add_argument("--report-from-log", type=Path, metavar="FILE",
                   help="print the report of a soak from its log (the `soak: cycle` lines it wrote to stderr) and "
                        "exit: a run stopped early still gives its slopes; pass the run's --warmup, --outage-every, "
                        "--drop-every")
    p.add_argument("--report-until", type=int, metavar="CYCLE",
                   help="with --report-from-log: only the samples up to this cycle (a longer run over another's window)")
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
    if args.report_from_log:
        print(report_from_log(args.report_from_log, args))
        return 0
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
        # The events so far, so that a log read back (--report-from-log) says what the run went through.
        s.update(outages=outages, drops=drops, failed_drills=failed_drills, tours=tours, monitors=monitors)
        samples.append(s)
        if tracemalloc.is_tracing():
            snap = tracemalloc.take_snapshot().filter_traces([tracemalloc.Filter(False, tracemalloc.__file__)])
            if snaps:
                for d in snap.compare_to(snaps[-1], "lineno")[:8]:
                    if abs(d.size_diff) > 100_000:
                        print(f"soak:   py {d}", file=sys.stderr, flush=True)
            snaps[:] = [snap]
        if args.objects:
            counts, s["dead_wrappers"] = _type_counts()
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
        if args.containers and cycle % args.containers == 0:
            if not containers or cycle <= args.warmup:
                containers[:] = [container_lengths()]
            else:
                s["containers"], grown = container_growth(containers[0])
                print("soak:   containers since the warm-up " + ", ".join(grown), file=sys.stderr, flush=True)
        print(sample_line(s), file=sys.stderr, flush=True)

    outage_until = None
    containers: list[dict] = []
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


if __name__ == "__main__":
    raise SystemExit(main())
