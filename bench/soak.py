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

    python bench/soak.py [--cycles 1000] [--warmup 200] [--sample-every 50] [--outage-every 300]
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CYCLES_PER_HOUR = 360


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ApiProcess:
    """The central API as a child process that can be killed and started again on its port."""

    def __init__(self, data_dir: Path, port: int):
        self.data_dir, self.port, self.proc = data_dir, port, None
        self.url = f"http://127.0.0.1:{port}"

    def start(self, timeout: float = 60.0) -> None:
        env = dict(os.environ, SANDBOX_DATA_DIR=str(self.data_dir))
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
    if len(samples) < 2:
        return float("nan")
    xs, ys = zip(*samples)
    return statistics.linear_regression(xs, ys).slope * CYCLES_PER_HOUR


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--cycles", type=int, default=1000)
    p.add_argument("--warmup", type=int, default=200, help="cycles before the slope is measured")
    p.add_argument("--sample-every", type=int, default=50)
    p.add_argument("--outage-every", type=int, default=300)
    p.add_argument("--outage-s", type=float, default=6.0)
    p.add_argument("--drop-every", type=int, default=100)
    p.add_argument("--data-dir", type=Path, help="reuse a demo database here (default: a new temp dir)")
    args = p.parse_args()

    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    sys.path.insert(0, str(ROOT))
    import logging

    import psutil

    logging.basicConfig(level=logging.ERROR)
    from PySide6.QtWidgets import QApplication

    from sandbox.client.api import ApiClient
    from sandbox.server.runtime import new_token, prepare_database
    from sandbox.settings import Settings
    from sandbox.ui.theme import apply_theme
    from sandbox.ui.wall import WallWindow

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
    outages = drops = failed_drills = 0
    t0 = time.monotonic()

    def sample(cycle: int) -> None:
        samples.append({"cycle": cycle, "t": time.monotonic() - t0, "rss": proc.memory_info().rss / 2**20,
                        "threads": proc.num_threads(), "fds": proc.num_fds()})
        print(f"soak: cycle {cycle} rss {samples[-1]['rss']:.1f} MB threads {samples[-1]['threads']} "
              f"fds {samples[-1]['fds']}", file=sys.stderr, flush=True)

    outage_until = None
    for cycle in range(args.cycles + 1):
        if cycle % args.sample_every == 0:
            sample(cycle)
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
        failed_drills += not ok
        app.processEvents()
    if outage_until is not None:
        api.start()

    win.close()
    win.deleteLater()
    app.processEvents()
    api.kill()
    print(report(samples, args, outages, drops, failed_drills, extras.get("names", [])))
    return 0


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


def report(samples: list[dict], args, outages: int, drops: int, failed: int, extras: list[str]) -> str:
    warm = [s for s in samples if s["cycle"] >= args.warmup]
    rss_slope = slope_per_hour([(s["cycle"], s["rss"]) for s in warm])
    thr = [s["threads"] for s in warm]
    fds = [s["fds"] for s in warm]
    hours = args.cycles / CYCLES_PER_HOUR
    lines = [
        f"Soak — {time.strftime('%Y-%m-%d %H:%M')}, {os.cpu_count()} cores, {args.cycles} cycles "
        f"(≈ {hours:.1f} hour-equivalents at {CYCLES_PER_HOUR} cycles/h) in {samples[-1]['t'] / 60:.1f} min; "
        f"{outages} API outages of {args.outage_s:.0f} s, {drops} camera drops; drill cycles that ended "
        f"in an error (during outages): {failed}; wall extras: {', '.join(extras) or 'none'}.",
        "",
        "| cycle | minutes | RSS (MB) | threads | fds |",
        "|---:|---:|---:|---:|---:|",
    ]
    step = max(1, len(samples) // 12)
    for s in samples[::step] + ([samples[-1]] if (len(samples) - 1) % step else []):
        lines.append(f"| {s['cycle']} | {s['t'] / 60:.1f} | {s['rss']:.1f} | {s['threads']} | {s['fds']} |")
    lines += [
        "",
        "| after warm-up (cycle ≥ %d) | measured | goal |" % args.warmup,
        "|---|---|---|",
        f"| RSS slope | {rss_slope:+.2f} MB per hour-equivalent | ≤ 1 MB |",
        f"| threads min–max | {min(thr, default=0)}–{max(thr, default=0)} | flat |",
        f"| fds min–max | {min(fds, default=0)}–{max(fds, default=0)} | flat |",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
