"""One check-in at a time over a real socket: `sandbox serve --workers N` on PostgreSQL, each post's `Server-Timing`
phases beside what the client measured, and a health check on the same connection after it (a small answer: a
wait near 40 ms there is Nagle against a delayed ACK). The load test's breakdown without its background.

    python bench/load_one.py --pg postgresql://… [--workers 4] [--posts 20]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.field import checkin, enrol, pairs, photo_400kb, stop_server  # noqa: E402
from bench.load import start  # noqa: E402
from sandbox.store.db import make_engine  # noqa: E402


def server_timing(header: str) -> dict[str, float]:
    out = {}
    for part in header.split(","):
        name, _, rest = part.strip().partition(";dur=")
        if name and rest:
            out[name] = float(rest)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pg", required=True, help="PostgreSQL URL with the demo county built (bench/load.py builds it)")
    ap.add_argument("--workers", type=int, default=4)
    ap.add_argument("--posts", type=int, default=20)
    ap.add_argument("--workdir", default="/tmp/sandbox-bench-load-one")
    a = ap.parse_args()
    engine = make_engine(a.pg)
    proc, url = start(a.pg, a.workers, Path(a.workdir) / "data")
    try:
        phones = pairs(engine, a.posts)
        cookies = [enrol(engine, url, p["cadre_id"]) for p in phones]
        photo = photo_400kb()
        host, port = url.split("//")[1].split(":")
        conn = http.client.HTTPConnection(host, int(port), timeout=60)  # sets TCP_NODELAY, as browsers do
        rows = []
        load_before = os.getloadavg()[0]
        for phone, cookie in zip(phones, cookies):
            body = json.dumps(checkin(phone, [photo])).encode()
            t0 = time.perf_counter()
            conn.request("POST", "/api/v1/field/checkins", body=body,
                         headers={"Cookie": cookie, "Content-Type": "application/json"})
            answer = conn.getresponse()
            answer.read()
            client = (time.perf_counter() - t0) * 1000
            if answer.status not in (200, 201):
                raise SystemExit(f"check-in answered {answer.status}")
            t0 = time.perf_counter()
            conn.request("GET", "/api/v1/health")
            health = conn.getresponse()
            health.read()
            rows.append({**server_timing(answer.getheader("Server-Timing", "")), "client": client,
                         "health after": (time.perf_counter() - t0) * 1000})
            time.sleep(0.3)  # one at a time: the photo's check after the answer ends before the next
    finally:
        stop_server(proc)
    print(f"One check-in at a time, {a.posts} posts, {a.workers} workers, load average {load_before:.1f} → "
          f"{os.getloadavg()[0]:.1f} (ms, p50 / max)\n")
    names = list(rows[0])
    print("| " + " | ".join(names) + " |")
    print("|" + "---|" * len(names))
    print("| " + " | ".join(f"{statistics.median(r.get(k, 0) for r in rows):.1f} / {max(r.get(k, 0) for r in rows):.1f}"
                            for k in names) + " |")


if __name__ == "__main__":
    main()
