"""Central API latency: p50/p95 of /regions/{code} and children.geojson, next to a naive peer.

Ours: the real HTTP server (uvicorn, in-process thread) answering from SQL-rolled-up facts.
Peer: what a straightforward implementation does per request — load the households and their
year rows with pandas, then group by region — measured in-process (no HTTP, no geometry), so
the comparison favours the peer.

    python bench/api.py [--scales 1,80] [--reps 300] [--workdir /tmp/sandbox-bench]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import pandas as pd
import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sandbox.server.runtime import EmbeddedServer, new_token  # noqa: E402
from sandbox.store.db import make_engine  # noqa: E402
from sandbox.store.demo.builder import build_demo  # noqa: E402
from sandbox.store.migrate import upgrade  # noqa: E402

COUNTY, TOWN, YEAR = "522726000000", "522726103000", 2016


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))]


def prepared_engine(workdir: Path, scale: int):
    path = workdir / f"scale{scale}.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    with engine.connect() as conn:
        built = conn.exec_driver_sql("SELECT value FROM meta WHERE key = 'scale'").scalar()
    seconds = None
    if built != str(scale):
        t0 = time.perf_counter()
        build_demo(engine, scale=scale, progress=True)
        seconds = time.perf_counter() - t0
    with engine.connect() as conn:
        households = conn.exec_driver_sql("SELECT COUNT(*) FROM households").scalar()
    return engine, households, seconds


def time_http(session: requests.Session, url: str, reps: int) -> list[float]:
    for _ in range(10):
        session.get(url).raise_for_status()
    out = []
    for _ in range(reps):
        t0 = time.perf_counter()
        r = session.get(url)
        r.content  # noqa: B018 — the whole body, as a client reads it
        out.append((time.perf_counter() - t0) * 1000)
        r.raise_for_status()
    return out


def naive_region(engine, prefix: str, year: int, by_child: int | None) -> pd.DataFrame:
    """The peer: per request, load the rows with pandas and group in Python."""
    hh = pd.read_sql("SELECT hy.household_id, hy.year, hy.status, hy.members, h.village_code "
                     "FROM household_years hy JOIN households h ON h.id = hy.household_id", engine)
    pop = pd.read_sql("SELECT region_code, year, rural_population FROM region_populations", engine)
    hh = hh[(hh.year == year) & hh.village_code.str.startswith(prefix)]
    pop = pop[(pop.year == year) & pop.region_code.str.startswith(prefix)]
    key_h = hh.village_code.str[:by_child] if by_child else prefix
    key_p = pop.region_code.str[:by_child] if by_child else prefix
    poor = hh[hh.status.isin(["poor", "relapsed"])]
    out = pd.DataFrame({
        "poor_population": poor.groupby(key_h if by_child else [prefix] * len(poor)).members.sum(),
        "poor_households": poor.groupby(key_h if by_child else [prefix] * len(poor)).size(),
        "rural_population": pop.groupby(key_p if by_child else [prefix] * len(pop)).rural_population.sum(),
    })
    out["poverty_incidence"] = 100 * out.poor_population / out.rural_population
    return out


def time_peer(engine, prefix: str, by_child: int | None, reps: int) -> list[float]:
    out = []
    for _ in range(reps):
        t0 = time.perf_counter()
        naive_region(engine, prefix, YEAR, by_child)
        out.append((time.perf_counter() - t0) * 1000)
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scales", default="1,80")
    ap.add_argument("--reps", type=int, default=300)
    ap.add_argument("--workdir", type=Path, default=Path("/tmp/sandbox-bench"))
    args = ap.parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)
    rows = []
    for scale in (int(s) for s in args.scales.split(",")):
        engine, households, build_s = prepared_engine(args.workdir, scale)
        server = EmbeddedServer(engine).start()
        session = requests.Session()
        session.headers["Authorization"] = f"Bearer {new_token(engine, 'display')}"
        peer_reps = 15 if scale == 1 else 3
        cases = [
            ("GET /regions/{county}", f"/regions/{COUNTY}", "522726", None),
            ("GET /regions/{town}", f"/regions/{TOWN}", "522726103", None),
            ("GET /regions/{county}/children.geojson", f"/regions/{COUNTY}/children.geojson", "522726", 9),
            ("GET /regions/{town}/children.geojson", f"/regions/{TOWN}/children.geojson", "522726103", 12),
        ]
        for label, path, prefix, by_child in cases:
            ours = time_http(session, f"{server.url}/api/v1{path}?year={YEAR}", args.reps)
            peer = time_peer(engine, prefix, by_child, peer_reps)
            rows.append((scale, households, label, statistics.median(ours), pct(ours, .95),
                         statistics.median(peer), pct(peer, .95)))
            print(f"  scale {scale} {label}: ours p50 {rows[-1][3]:.2f} ms, peer p50 {rows[-1][5]:.0f} ms",
                  file=sys.stderr, flush=True)
        server.stop()
        engine.dispose()
        if build_s:
            print(f"  scale {scale}: build took {build_s:.0f} s", file=sys.stderr)
    print(f"\nAPI latency, year {YEAR} (ours: {args.reps} HTTP requests after 10 warm-up; peer: pandas per request)\n")
    print("| scale | households | request | ours p50 ms | ours p95 ms | peer p50 ms | peer p95 ms | peer/ours p50 |")
    print("|---|---|---|---|---|---|---|---|")
    for scale, hh, label, o50, o95, p50, p95 in rows:
        print(f"| {scale} | {hh:,} | `{label}` | {o50:.2f} | {o95:.2f} | {p50:.0f} | {p95:.0f} | {p50 / o50:,.0f}× |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
