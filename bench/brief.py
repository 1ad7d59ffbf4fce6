"""The 村情/镇情 briefing PDF: how long a town's brief takes, over real HTTP as the wall's 简报 button asks for it
(leader token), split into gathering (store) and drawing (reportlab), for every town in its busiest year (the
first: most households still poor) and the latest; the region's JSON answer timed in the same run as the peer.
Goal (issue 16): a town's brief in under 5 s.

    python bench/brief.py [--reps 3] [--workdir /tmp/sandbox-bench]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.api import pct, prepared_engine  # noqa: E402
from sandbox.domain.enums import Role  # noqa: E402
from sandbox.domain.regions import RegionCode  # noqa: E402
from sandbox.server.command.brief import brief_pdf, gather_brief  # noqa: E402
from sandbox.server.core.geometry import GeometryCache  # noqa: E402
from sandbox.server.runtime import EmbeddedServer, new_token  # noqa: E402
from sandbox.store import queries  # noqa: E402
from sandbox.store.db import session_factory  # noqa: E402

COUNTY = "522726000000"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()) / "sandbox-bench")
    args = ap.parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)
    engine, households, _ = prepared_engine(args.workdir, 1)
    sessions = session_factory(engine)
    with sessions() as s:
        towns = [(t.code, t.name) for t in queries.child_regions(s, RegionCode(COUNTY))]
        years = queries.years(s)
    token = new_token(engine, "leader", label="bench-brief")
    server = EmbeddedServer(engine).start()
    http = requests.Session()
    http.headers["Authorization"] = f"Bearer {token}"
    geometry = GeometryCache()
    rows = ["| town | year | pages | KB | gather p50 | draw p50 | HTTP brief.pdf p50 / p95 | peer: GET /regions/{code} p50 |",
            "|---|---|---|---|---|---|---|---|"]
    worst = 0.0
    try:
        for year in (years[0], years[-1]):
            for code, name in towns:
                gather, draw, whole, peer = [], [], [], []
                pages = size = 0
                for _ in range(args.reps):
                    with sessions() as s:
                        region = queries.get_region(s, RegionCode(code))
                        t0 = time.perf_counter()
                        data = gather_brief(s, RegionCode(code), region, year, Role.leader, geometry)
                        t1 = time.perf_counter()
                    body, pages = brief_pdf(data)
                    t2 = time.perf_counter()
                    gather.append((t1 - t0) * 1000)
                    draw.append((t2 - t1) * 1000)
                    t0 = time.perf_counter()
                    r = http.get(f"{server.url}/api/v1/regions/{code}/brief.pdf", params={"year": year})
                    r.raise_for_status()
                    whole.append((time.perf_counter() - t0) * 1000)
                    size = len(r.content)
                    t0 = time.perf_counter()
                    http.get(f"{server.url}/api/v1/regions/{code}", params={"year": year}).raise_for_status()
                    peer.append((time.perf_counter() - t0) * 1000)
                worst = max(worst, pct(whole, 0.95))
                rows.append(f"| {name} | {year} | {pages} | {size // 1024} | {pct(gather, 0.5):.0f} ms | "
                            f"{pct(draw, 0.5):.0f} ms | {pct(whole, 0.5):.0f} / {pct(whole, 0.95):.0f} ms | "
                            f"{pct(peer, 0.5):.1f} ms |")
    finally:
        server.stop()
    import os
    import platform

    print(f"Brief benchmark — {time.strftime('%Y-%m-%d %H:%M')}, {os.cpu_count()} cores, Python "
          f"{platform.python_version()}, demo county ({households:,} households), {args.reps} reps per row, "
          f"load average {os.getloadavg()[0]:.2f}; leader token (full names, masked ID numbers).\n")
    print("\n".join(rows))
    print(f"\nSlowest town brief over HTTP (p95): {worst / 1000:.2f} s — goal < 5 s. Gather = the store queries and "
          "masking (sandbox.server.command.brief.gather_brief); draw = reportlab with the CJK font subset embedded.")


if __name__ == "__main__":
    main()
