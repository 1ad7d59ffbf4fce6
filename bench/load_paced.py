"""Check-ins at a rate without the load generator: threads posting at Poisson arrivals, each on a new connection,
against `sandbox serve --workers N` on PostgreSQL; the `Server-Timing` phases and the client's time, p50 / p95.

    python bench/load_paced.py --pg postgresql://… [--workers 4] [--rate 200] [--posts 100]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.field import checkin, enrol, pairs, photo_400kb, stop_server  # noqa: E402
from bench.load import start  # noqa: E402
from bench.load_one import server_timing  # noqa: E402
from sandbox.store.db import make_engine  # noqa: E402

PHASES = ("auth", "body", "queue", "validate", "photo", "save", "store", "publish", "total", "client")


def quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pg", required=True, help="PostgreSQL URL with the demo county built (bench/load.py builds it)")
    ap.add_argument("--workers", type=int, default=4)
    ap.add_argument("--rate", type=float, default=200, help="check-ins per minute")
    ap.add_argument("--posts", type=int, default=100)
    ap.add_argument("--workdir", default="/tmp/sandbox-bench-load-paced")
    a = ap.parse_args()
    engine = make_engine(a.pg)
    proc, url = start(a.pg, a.workers, Path(a.workdir) / "data")
    rows: list[dict] = []
    lock = threading.Lock()
    try:
        phones = pairs(engine, a.posts)
        cookies = [enrol(engine, url, p["cadre_id"]) for p in phones]
        photo = photo_400kb()
        host, port = url.split("//")[1].split(":")
        bodies = [json.dumps(checkin(p, [photo])).encode() for p in phones]

        def post(i: int) -> None:
            conn = http.client.HTTPConnection(host, int(port), timeout=60)
            t0 = time.perf_counter()
            conn.request("POST", "/api/v1/field/checkins", body=bodies[i],
                         headers={"Cookie": cookies[i], "Content-Type": "application/json"})
            answer = conn.getresponse()
            answer.read()
            client = (time.perf_counter() - t0) * 1000
            conn.close()
            with lock:
                rows.append({**server_timing(answer.getheader("Server-Timing", "")), "client": client,
                             "status": answer.status})

        load_before = os.getloadavg()[0]
        arrivals = random.Random(7)  # the same arrivals in every run
        threads = []
        for i in range(len(phones)):
            threads.append(threading.Thread(target=post, args=(i,)))
            threads[-1].start()
            time.sleep(arrivals.expovariate(a.rate / 60))
        for t in threads:
            t.join()
    finally:
        stop_server(proc)
    ok = sum(1 for r in rows if r["status"] in (200, 201))
    print(f"Check-ins at {a.rate:g} a minute (Poisson arrivals, a new connection each, no load generator), "
          f"{a.workers} workers: {ok} of {len(rows)} answered 2xx; load average {load_before:.1f} → "
          f"{os.getloadavg()[0]:.1f} (ms, p50 / p95)\n")
    print("| " + " | ".join(PHASES) + " |")
    print("|" + "---|" * len(PHASES))
    print("| " + " | ".join(f"{quantile([r.get(k, 0) for r in rows], .5):.0f} / {quantile([r.get(k, 0) for r in rows], .95):.0f}"
                            for k in PHASES) + " |")


if __name__ == "__main__":
    main()
