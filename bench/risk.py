"""The risk register's rules over the demo at several scales: time and memory per rule, the demo step's own cost,
and recall/precision on the demo's planted cases. Prints markdown tables; asserts nothing.

    python bench/risk.py [--scales 1,8] [--workdir /tmp/risk-bench]

Every registered rule runs (the funds and check-in rules; the persons rules once they are registered), through
`run_rules` as `sandbox risk run` does (hits stored in the register). Memory is the process's peak RSS above its
level before the rule (sampled every 10 ms). A scale is built once per workdir and reused.
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
import time
from pathlib import Path

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import func, select  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from sandbox.store import models as m  # noqa: E402
from sandbox.store.db import make_engine  # noqa: E402
from sandbox.store.migrate import upgrade  # noqa: E402


class PeakRss:
    """Peak RSS while the block runs, sampled on a thread."""

    def __enter__(self):
        self.proc = psutil.Process(os.getpid())
        self.base = self.peak = self.proc.memory_info().rss
        self._stop = threading.Event()
        self._t = threading.Thread(target=self._run, daemon=True)
        self._t.start()
        return self

    def _run(self):
        while not self._stop.wait(0.01):
            self.peak = max(self.peak, self.proc.memory_info().rss)

    def __exit__(self, *exc):
        self._stop.set()
        self._t.join()
        self.peak = max(self.peak, self.proc.memory_info().rss)

    @property
    def mb(self) -> float:
        return (self.peak - self.base) / 2**20


def prepared(workdir: Path, scale: int):
    """The scale's database, built when missing; (engine, households, check-ins, build s or None, step s)."""
    import sandbox.store.demo.builder as builder


    path = workdir / f"scale{scale}.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    with Session(engine) as s:
        built = s.get(m.Meta, "scale")
    build_s = step_s = None
    if built is None or built.value != str(scale):
        spent = {"plant": 0.0, "run": 0.0}
        plant, run = builder.plant_risk_cases, builder.run_demo_register

        def timed_plant(*a, **k):
            t = time.perf_counter()
            try:
                return plant(*a, **k)
            finally:
                spent["plant"] += time.perf_counter() - t

        def timed_run(*a, **k):
            t = time.perf_counter()
            try:
                return run(*a, **k)
            finally:
                spent["run"] += time.perf_counter() - t

        builder.plant_risk_cases, builder.run_demo_register = timed_plant, timed_run
        try:
            t = time.perf_counter()
            builder.build_demo(engine, scale=scale, progress=True)
            build_s = time.perf_counter() - t
        finally:
            builder.plant_risk_cases, builder.run_demo_register = plant, run
        step_s = (spent["plant"], spent["run"])
    with Session(engine) as s:
        households = s.scalar(select(func.count()).select_from(m.Household))
        checkins = s.scalar(select(func.count()).select_from(m.Checkin))
        payments = s.scalar(select(func.count()).select_from(m.FundPayment))
    return engine, households, checkins, payments, build_s, step_s


def main() -> int:
    from sandbox.store.demo.risk import planted
    from sandbox.store.risk.register import run_rules
    from sandbox.store.risk.rules import all_rules
    from sandbox.store.risk.tables import RiskHit

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scales", default="1,8")
    ap.add_argument("--workdir", type=Path, default=Path("/tmp/risk-bench"))
    args = ap.parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)
    print(f"machine: {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}; SQLite; rules: {len(all_rules())}\n")
    quality = None
    for scale in (int(x) for x in args.scales.split(",")):
        engine, households, checkins, payments, build_s, step_s = prepared(args.workdir, scale)
        print(f"### scale {scale}: {households:,} households, {checkins:,} check-ins, {payments:,} payments")
        if build_s is not None:
            print(f"demo build {build_s:.1f} s, of which the risk step: planting {step_s[0]:.1f} s, "
                  f"running the rules into the register {step_s[1]:.1f} s")
        print()
        print("| rule | hits | time (s) | peak RSS above start (MB) |")
        print("|---|---:|---:|---:|")
        total_s, worst = 0.0, 0.0
        with Session(engine) as session:
            for rule_id in all_rules():
                with PeakRss() as mem:
                    (run,) = run_rules(session, [rule_id])
                total_s += run.seconds
                worst = max(worst, mem.mb)
                print(f"| {rule_id} | {run.found:,} | {run.seconds:.2f} | {mem.mb:.0f} |" +
                      (f" error: {run.error} |" if run.error else ""))
            print(f"| **all rules** | | **{total_s:.1f}** | **{worst:.0f}** (largest) |\n")
            if scale == 1:
                marks = planted(session)
                quality = []
                for rule_id, ids in marks.get("planted", {}).items():
                    hits = set(session.scalars(select(RiskHit.subject_id).where(RiskHit.rule == rule_id,
                                                                                 RiskHit.active.is_(True))))
                    want = set(ids)
                    alike = set(marks.get("alike", {}).get(rule_id, ()))
                    quality.append((rule_id, len(want), len(want & hits), len(hits), len(alike & hits)))
    if quality:
        print("### planted cases of the demo (scale 1)\n")
        print("| rule | planted | found | all hits | recall | precision | look-alikes hit |")
        print("|---|---:|---:|---:|---:|---:|---:|")
        for rule_id, n, got, hits, alike in quality:
            print(f"| {rule_id} | {n} | {got} | {hits} | {got / n:.0%} | {got / hits:.0%} | {alike} |"
                  if hits else f"| {rule_id} | {n} | {got} | 0 | 0% | — | {alike} |")
        print("\nprecision = planted found ÷ all hits of the rule: a hit that was not planted counts against it "
              "(for the fund chain's rules those are the demo's own chain anomalies, which GET /funds/chain shows too).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
