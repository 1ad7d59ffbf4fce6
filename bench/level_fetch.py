"""What a drill waits for on the network: the wall's `fetch` of a town, one GET /level against the three-request fan-out.

Against the real API in its own process (demo county, bench/api_process.py), on a worker thread as the
wall runs it, the two ways interleaved town by town in the same run (the fan-out is what the wall does
with an API that has no GET /level, i.e. the code before it). 'Cold': no series known (a first visit);
'not prefetched': the series known, the region alone. Prints a markdown table with the load average.

    python bench/level_fetch.py [--reps 10] [--data-dir DIR]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--reps", type=int, default=10, help="rounds over every town")
    p.add_argument("--data-dir", type=Path)
    args = p.parse_args()
    import numpy as np
    from api_process import start_api, stop_api

    from sandbox.client.api import ApiClient
    from sandbox.ui.loader import fetch

    tmp = tempfile.TemporaryDirectory(prefix="level-bench-")
    proc, url, token = start_api(args.data_dir or tmp.name, label="bench/level_fetch.py")
    load0 = os.getloadavg()[0]
    try:
        class Counting(ApiClient):
            def transport(self, path, params):
                self.n += 1
                code, body = super().transport(path, params)
                self.bytes += len(body)
                return code, body

        clients = {}
        for name, level in (("one GET /level", True), ("fan-out (3 requests)", False)):
            c = Counting(url, token)
            c.level_endpoint, c.n, c.bytes = level, 0, 0
            clients[name] = c
        county = next(iter(clients.values())).region("522726000000")
        towns, year = [t["code"] for t in county["children"]], county["year"]  # the wall always names the year
        for c in clients.values():  # warm: server caches and connections, as after a first visit
            for t in towns:
                fetch(c, t, year, False)
        rows: dict[tuple[str, str], list[float]] = {}
        counts: dict[tuple[str, str], tuple[int, int]] = {}
        known: dict = {}  # (way, town) → its series from the cold fetch just before

        def on_worker(fn):
            box = {}
            th = threading.Thread(target=lambda: box.setdefault("r", fn()))
            th.start()
            th.join()
            return box["r"]

        for _ in range(args.reps):
            for t in towns:
                for name, c in clients.items():
                    for kind in ("cold", "not prefetched"):
                        series = None if kind == "cold" else known[(name, t)]
                        n0, b0 = c.n, c.bytes
                        t0 = time.perf_counter()
                        result = on_worker(lambda c=c, t=t, s=series: fetch(c, t, year, False, s))
                        rows.setdefault((name, kind), []).append(time.perf_counter() - t0)
                        counts[(name, kind)] = (c.n - n0, c.bytes - b0)
                        known[(name, t)] = result.series
    finally:
        stop_api(proc)
    load1 = os.getloadavg()[0]
    print(f"`fetch` of a town on a worker thread, {time.strftime('%Y-%m-%d %H:%M')} UTC, {args.reps} rounds × "
          f"{len(towns)} towns, load average {load0:.1f} → {load1:.1f} on {os.cpu_count()} cores\n")
    print("| drill | way | requests | bytes | p50 | p95 |\n|---|---|---|---|---|---|")
    for (name, kind), v in sorted(rows.items(), key=lambda kv: (kv[0][1], kv[0][0])):
        n, b = counts[(name, kind)]
        print(f"| {kind} | {name} | {n} | {b / 1024:.0f} KB | {np.percentile(v, 50) * 1000:.1f} ms | "
              f"{np.percentile(v, 95) * 1000:.1f} ms |")
    tmp.cleanup()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
