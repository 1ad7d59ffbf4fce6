"""The exit-year forecast's cost: reading the register, fitting, scoring and simulating the regions,
at county size and at N× the county (the county's register tiled N times in memory: the same
villages, N times the households); the backtest table (model against the two baselines) too.

The scale-80 dataset (1.9 million households) is not built on a small shared machine: the largest
scales the machine allows are measured and the fit extrapolated linearly in training rows (said so
in the output).

    python bench/forecast.py [--scales 1,2,4] [--db /tmp/sandbox-bench/scale1.db] [--backtest]
"""

from __future__ import annotations

import argparse
import copy
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


def engine_for(path: Path):
    path.parent.mkdir(parents=True, exist_ok=True)
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    with engine.connect() as conn:
        built = conn.exec_driver_sql("SELECT value FROM meta WHERE key = 'scale'").scalar()
    if built != "1":
        print("  building the demo county…", file=sys.stderr)
        build_demo(engine, progress=False)
    return engine


def timed(fn):
    t = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--scales", default="1,2,4")
    ap.add_argument("--db", type=Path, default=Path("/tmp/sandbox-bench/scale1.db"))
    ap.add_argument("--backtest", action="store_true", help="also print the backtest table (as of 2015 … 2019)")
    args = ap.parse_args()
    engine = engine_for(args.db)
    with Session(engine) as s:
        reg, load_s = timed(lambda: load_register(s))
    rows = []
    for n in (int(x) for x in args.scales.split(",")):
        r = tiled(reg, n)
        (x, _y), _ = timed(lambda: training_rows(r, AS_OF))
        model, fit_s = timed(lambda: fit(r, AS_OF))
        fc, score_s = timed(lambda: score(model, r, AS_OF, HORIZON))
        _, sim_s = timed(lambda: simulate(r, fc, 400))
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        rows.append((n, len(r.household_id), len(x), fit_s, len(fc.rows), score_s, sim_s, rss))
        print(f"  ×{n}: fit {fit_s:.1f} s, score {score_s:.2f} s, simulate {sim_s:.1f} s", file=sys.stderr)
    print(f"Reading the county's register from SQLite: {load_s:.1f} s ({len(reg.household_id)} households)\n")
    print("| scale | households | training rows | fit s | scored households | score s | simulate (400) s | peak RSS MB |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|")
    for n, hh, tr, f, sc, s_s, sim, rss in rows:
        print(f"| ×{n} | {hh:,} | {tr:,} | {f:.1f} | {sc:,} | {s_s:.2f} | {sim:.1f} | {rss:.0f} |")
    n, hh, tr, f, sc, s_s, sim, _ = rows[-1]
    k = 80 / n
    print(f"\nExtrapolated to ×80 ({hh * k:,.0f} households, {tr * k:,.0f} training rows), linear in rows from ×{n}: "
          f"fit ≈ {f * k:.0f} s, score ≈ {s_s * k:.1f} s, simulate ≈ {sim * k:.0f} s (not measured)")
    if args.backtest:
        scores = backtest(reg)
        print("\n" + markdown(scores))
        print("\n" + reliability_markdown(next(s for s in scores if s.method == "model" and s.as_of == AS_OF)))


if __name__ == "__main__":
    main()
