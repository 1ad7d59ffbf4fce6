"""What a level costs the API above the county: GET /regions/{code}/level and /regions/{code} at the
province, a prefecture and a county, cold (nothing kept: the first ask after a build or a check-in)
and warm (asked again: the ready bytes), against the same database with another checkout of the code
as the peer (e.g. the code before a change: `git archive main | tar -x -C /tmp/main`), the two run
round by round in the same run, each in its own process. In-process TestClient, gzip accepted as the
wall does; prints a markdown table with the load average.

    python bench/level_reads.py --db sqlite:////tmp/prov.db [--peer /tmp/main] [--codes 52,5227,522726]

'After a check-in': the facts version moved (the bench writes it into --db: use a copy), the caches kept;
what the wall's next ask costs after each check-in.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _worker(root: Path, db: str, codes: list[str], warm_reps: int) -> dict:
    """One round in this process, importing the code under `root`: each code's answers cold, then warm."""
    sys.path.insert(0, str(root))
    from fastapi.testclient import TestClient

    from sandbox.server.app import create_app
    from sandbox.server.core.cache import ResponseCache
    from sandbox.server.core.geometry import GeometryCache
    from sandbox.server.runtime import new_token
    from sandbox.store.db import make_engine

    engine = make_engine(db)
    headers = {"Authorization": f"Bearer {new_token(engine, 'display')}", "Accept-Encoding": "gzip"}
    out: dict = {}
    with TestClient(create_app(engine)) as client:
        client.get("/api/v1/health")
        for code in codes:
            for what, path in (("level", f"/api/v1/regions/{code}/level"), ("region", f"/api/v1/regions/{code}")):
                client.app.state.responses, client.app.state.geometry = ResponseCache(), GeometryCache()
                t = time.perf_counter()
                r = client.get(path, headers=headers)
                cold = (time.perf_counter() - t) * 1000
                assert r.status_code == 200, (path, r.status_code, r.text[:300])
                warm = []
                for _ in range(warm_reps):
                    t = time.perf_counter()
                    again = client.get(path, headers=headers)
                    warm.append((time.perf_counter() - t) * 1000)
                    assert again.content == r.content  # the same bytes on repeat
                # after a check-in: a new facts version (as rollup.refresh_totals sets it), the caches kept
                with engine.begin() as conn:
                    conn.exec_driver_sql(f"UPDATE meta SET value = '{uuid.uuid4().hex}' WHERE key = 'facts_version'")
                t = time.perf_counter()
                assert client.get(path, headers=headers).status_code == 200
                moved = (time.perf_counter() - t) * 1000
                out[f"{code} {what}"] = {"cold": cold, "warm": statistics.median(warm), "moved": moved,
                                         "bytes": len(r.content), "gzip": r.num_bytes_downloaded}
    engine.dispose()
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", required=True)
    ap.add_argument("--peer", type=Path, help="another checkout of the code to time beside this one")
    ap.add_argument("--codes", default="52,5227,522726")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--warm-reps", type=int, default=30)
    ap.add_argument("--worker", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args()
    codes = args.codes.split(",")
    if args.worker:
        print(json.dumps(_worker(args.worker, args.db, codes, args.warm_reps)))
        return 0
    trees = {"this": ROOT, **({"peer": args.peer} if args.peer else {})}
    runs: dict[str, list[dict]] = {name: [] for name in trees}
    load0 = os.getloadavg()[0]
    for _ in range(args.rounds):
        for name, root in trees.items():
            done = subprocess.run([sys.executable, __file__, "--worker", str(root), "--db", args.db, "--codes",
                                   args.codes, "--warm-reps", str(args.warm_reps)],
                                  capture_output=True, text=True, check=True, cwd=root)
            runs[name].append(json.loads(done.stdout.strip().splitlines()[-1]))
    load1 = os.getloadavg()[0]
    print(f"\nLevels on {args.db}: medians of {args.rounds} rounds (cold: the first ask, caches empty; warm: p50 "
          f"of {args.warm_reps} asks again), ms; load average {load0:.1f} → {load1:.1f}\n")
    cols = [n for n in trees]
    print("| request | " + " | ".join(f"{n} cold | {n} after a check-in | {n} warm | {n} bytes (gzip)"
                                     for n in cols) + " |")
    print("|---|" + "---:|---:|---:|---:|" * len(cols))
    for key in runs["this"][0]:
        cells = []
        for n in cols:
            rs = [r[key] for r in runs[n]]
            cells.append(f"{statistics.median(r['cold'] for r in rs):.0f} | {statistics.median(r['moved'] for r in rs):.0f}"
                         f" | {statistics.median(r['warm'] for r in rs):.1f} | {rs[0]['bytes']:,} ({rs[0]['gzip']:,})")
        print(f"| `{key}` | " + " | ".join(cells) + " |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
