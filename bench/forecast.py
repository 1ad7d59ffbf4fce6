"""The exit-year forecast's cost: reading the register, fitting, scoring and simulating the regions,
at county size and at N× the county (the county's register tiled N times in memory: the same
villages, N times the households); the backtest table (model against the two baselines) too.

`--db` may name any demo database already built (e.g. `sandbox demo build --scale 80`, 1.9 million
households): it is read as it is (built only when missing, as the county), and `--scales 1` measures
it untiled. Each phase is printed as it ends (stderr), so a run cut short still says what it reached.
`--max-gb` caps the process's address space: on a shared machine a run that would need more fails
with MemoryError instead of pushing the others' processes out.

    python bench/forecast.py [--scales 1,2,4] [--db /tmp/sandbox-bench/scale1.db] [--as-of 2016] [--backtest]
    python bench/forecast.py --db /tmp/x/sandbox.db --scales 1 --max-gb 12      # the scale-80 build
"""

from __future__ import annotations

import argparse
import copy
import datetime as dt
import os
import resource
import sys
import time
from pathlib import Path

import numpy as np
from sqlalchemy.orm import Session

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sandbox.analytics.forecast.backtest import backtest, markdown, reliability_markdown  # noqa: E402
from sandbox.analytics.forecast.frame import Register, load_register  # noqa: E402
from sandbox.analytics.forecast.model import fit, score, training_rows  # noqa: E402
from sandbox.analytics.forecast.regions import simulate  # noqa: E402
from sandbox.store.db import make_engine  # noqa: E402
from sandbox.store.demo.builder import build_demo  # noqa: E402
from sandbox.store.migrate import upgrade  # noqa: E402

AS_OF, HORIZON = 2016, 4


def tiled(reg: Register, n: int) -> Register:
    """The register N times over (household ids shifted), the villages' populations N times."""
    if n == 1:
        return reg
    out = copy.copy(reg)
    for name in ("village_code", "town_code", "attribute", "cause", "identified_year", "labour", "status",
                 "exited_this_year", "members", "per_capita", "helpers", "visits", "projects"):
        setattr(out, name, np.concatenate([getattr(reg, name)] * n))
    out.household_id = np.concatenate([reg.household_id + k * (int(reg.household_id.max()) + 1) for k in range(n)])
    out.income = {k: np.concatenate([v] * n) for k, v in reg.income.items()}
    out.gaps = {k: np.concatenate([v] * n) for k, v in reg.gaps.items()}
    out.village_population = {k: v * n for k, v in reg.village_population.items()}
    return out


def engine_for(path: Path) -> tuple[object, str]:
    """The database at `path` (the demo county built there when it holds none) and its demo scale."""
    path.parent.mkdir(parents=True, exist_ok=True)
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    with engine.connect() as conn:
        built = conn.exec_driver_sql("SELECT value FROM meta WHERE key = 'scale'").scalar()
    if built is None:
        print("  building the demo county…", file=sys.stderr)
        build_demo(engine, progress=False)
        built = "1"
    return engine, built


def peak_mb() -> float:
    """The process's RSS high-water mark (VmHWM) in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def say(text: str) -> None:
    print(f"  {dt.datetime.now(dt.UTC):%H:%M:%S} {text} (RSS high-water {peak_mb():.0f} MB)", file=sys.stderr, flush=True)


def load_avg() -> str:
    return " / ".join(f"{x:.1f}" for x in os.getloadavg())


CPU: list[float] = []  # the last timed call's CPU seconds (on a shared machine the wall clock mostly waits)


def timed(fn):
    t, c = time.perf_counter(), time.process_time()
    out = fn()
    CPU[:] = [time.process_time() - c]
    return out, time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--scales", default="1,2,4")
    ap.add_argument("--db", type=Path, default=Path("/tmp/sandbox-bench/scale1.db"))
    ap.add_argument("--as-of", type=int, default=AS_OF)
    ap.add_argument("--simulations", type=int, default=400)
    ap.add_argument("--max-gb", type=float, help="cap the address space (RLIMIT_AS) at this many GB")
    ap.add_argument("--backtest", action="store_true", help="also print the backtest table (as of 2015 … 2019)")
    args = ap.parse_args()
    if args.max_gb:
        cap = int(args.max_gb * 2**30)
        resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
    print(f"{dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC; {os.cpu_count()} cores, load (1/5/15 min) {load_avg()}; "
          f"as of {args.as_of}, {HORIZON} years ahead, {args.simulations} draws\n", flush=True)
    engine, built = engine_for(args.db)
    say(f"reading the register of {args.db} (demo scale {built})")
    with Session(engine) as s:
        reg, load_s = timed(lambda: load_register(s))
    load_peak, load_cpu = peak_mb(), CPU[0]
    say(f"read {len(reg.household_id):,} households × {len(reg.years)} years in {load_s:.1f} s (CPU {load_cpu:.1f} s)")
    rows = []
    for n in (int(x) for x in args.scales.split(",")):
        r = tiled(reg, n)
        # counted apart and dropped: the rows held through the fit would add to its peak
        n_rows = len(training_rows(r, args.as_of)[1])
        model, fit_s = timed(lambda: fit(r, args.as_of))
        cpus = [CPU[0]]
        say(f"×{n}: fit {fit_s:.1f} s (CPU {cpus[-1]:.1f} s) on {n_rows:,} rows")
        fc, score_s = timed(lambda: score(model, r, args.as_of, HORIZON))
        cpus.append(CPU[0])
        say(f"×{n}: scored {len(fc.rows):,} households in {score_s:.2f} s (CPU {cpus[-1]:.1f} s)")
        _, sim_s = timed(lambda: simulate(r, fc, args.simulations))
        cpus.append(CPU[0])
        say(f"×{n}: simulated the regions in {sim_s:.1f} s (CPU {cpus[-1]:.1f} s)")
        rows.append((n, len(r.household_id), n_rows, fit_s, len(fc.rows), score_s, sim_s, peak_mb(), cpus))
    label = "the county's" if built == "1" else f"the scale-{built} demo's"
    print(f"Reading {label} register from SQLite: {load_s:.1f} s, CPU {load_cpu:.1f} s ({len(reg.household_id):,} "
          f"households; RSS high-water after it {load_peak:.0f} MB)\n")
    print(f"| demo scale × tiling | households | training rows | fit s | scored households | score s | "
          f"simulate ({args.simulations}) s | CPU s (fit / score / simulate) | peak RSS MB |")
    print("|---:|---:|---:|---:|---:|---:|---:|---|---:|")
    for n, hh, tr, f, sc, s_s, sim, rss, cpus in rows:
        print(f"| {built} × {n} | {hh:,} | {tr:,} | {f:.1f} | {sc:,} | {s_s:.2f} | {sim:.1f} | "
              f"{' / '.join(f'{c:.1f}' for c in cpus)} | {rss:.0f} |")
    n, hh, tr, f, sc, s_s, sim, _, _ = rows[-1]
    k = 80 / (n * int(built))
    if k > 1:
        print(f"\nExtrapolated to scale 80 ({hh * k:,.0f} households, {tr * k:,.0f} training rows), linear in rows: "
              f"fit ≈ {f * k:.0f} s, score ≈ {s_s * k:.1f} s, simulate ≈ {sim * k:.0f} s (not measured)")
    print(f"\ndone {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC; load (1/5/15 min) {load_avg()}", flush=True)
    if args.backtest:
        scores = backtest(reg)
        print("\n" + markdown(scores))
        print("\n" + reliability_markdown(next(s for s in scores if s.method == "model" and s.as_of == args.as_of)))


if __name__ == "__main__":
    main()
