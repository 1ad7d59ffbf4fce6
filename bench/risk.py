"""The risk register's rules over the demo at several scales: time and memory per rule and per family, the demo
step's own cost, and recall/precision on the demo's planted cases. Prints markdown tables; asserts nothing.

    python bench/risk.py [--scales 1,8] [--workdir /tmp/risk-bench]
    python bench/risk.py --db /tmp/x/sandbox.db [--db …]     # databases already built (`sandbox demo build --scale 80`)

Every registered rule of the three families runs through `run_rules` as `sandbox risk run` does (hits stored in
the register). Memory is the process's peak RSS above its level before the rule (sampled every 10 ms), and the
process's RSS high-water mark (VmHWM) after each family. A scale is built once per workdir and reused. Recall and
precision are reported for every database that carries the demo's planted cases (meta `risk_planted` for funds
and check-ins, `planted_persons` for the persons rules).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
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


def vm_hwm_mb() -> float:
    """This process's RSS high-water mark so far (VmHWM), in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return psutil.Process(os.getpid()).memory_info().rss / 2**20


def existing(path: Path):
    """An already-built database, as `prepared` returns it (no build times)."""
    if not path.exists():
        raise SystemExit(f"{path}: no such database")
    engine = make_engine(f"sqlite:///{path}")
    with Session(engine) as s:
        households = s.scalar(select(func.count()).select_from(m.Household))
        checkins = s.scalar(select(func.count()).select_from(m.Checkin))
        payments = s.scalar(select(func.count()).select_from(m.FundPayment))
        scale = s.get(m.Meta, "scale")
    return engine, (scale.value if scale else "?"), households, checkins, payments


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


def planted_quality(session: Session) -> list[tuple[str, int, int, int, int]]:
    """(rule, planted, planted found, all hits, look-alikes hit) for every rule with planted cases in this database."""
    from sandbox.store.demo.risk import planted
    from sandbox.store.risk.tables import RiskHit

    marks = planted(session)
    wanted = {rule_id: (set(map(str, ids)), set(map(str, marks.get("alike", {}).get(rule_id, ()))))
              for rule_id, ids in marks.get("planted", {}).items()}
    persons = session.get(m.Meta, "planted_persons")
    for rule_id, ids in (json.loads(persons.value) if persons else {}).items():
        full = rule_id if "." in rule_id else f"persons.{rule_id}"
        wanted[full] = (set(map(str, ids)), set())
    out = []
    for rule_id, (want, alike) in sorted(wanted.items()):
        hits = set(session.scalars(select(RiskHit.subject_id).where(RiskHit.rule == rule_id,
                                                                     RiskHit.active.is_(True))))
        out.append((rule_id, len(want), len(want & hits), len(hits), len(alike & hits)))
    return out


def measure(engine, label: str, households: int, checkins: int, payments: int) -> None:
    """Every rule once into the register: one table row per rule, a subtotal per family; then the planted cases."""
    from sandbox.store.risk.register import run_rules
    from sandbox.store.risk.rules import FAMILIES, all_rules

    print(f"### {label}: {households:,} households, {checkins:,} check-ins, {payments:,} payments\n", flush=True)
    # CPU seconds beside the wall clock: on a shared machine the wall clock is mostly waiting for a core
    print("| rule | hits | time (s) | CPU (s) | peak RSS above start (MB) |")
    print("|---|---:|---:|---:|---:|", flush=True)
    rules = all_rules()
    families = []
    with Session(engine) as session:
        for family in FAMILIES:
            family_s, family_cpu, family_mb = 0.0, 0.0, 0.0
            for rule_id in (r for r, rule in rules.items() if rule.family == family):
                cpu = time.process_time()
                with PeakRss() as mem:
                    (run,) = run_rules(session, [rule_id])
                cpu = time.process_time() - cpu
                family_s, family_cpu = family_s + run.seconds, family_cpu + cpu
                family_mb = max(family_mb, mem.mb)
                print(f"| {rule_id} | {run.found:,} | {run.seconds:.2f} | {cpu:.2f} | {mem.mb:.0f} |" +
                      (f" error: {run.error} |" if run.error else ""), flush=True)
            families.append((family, family_s, family_cpu, family_mb, vm_hwm_mb()))
        total_s, total_cpu = sum(f[1] for f in families), sum(f[2] for f in families)
        largest = max(f[3] for f in families)
        print(f"| **all {len(rules)} rules** | | **{total_s:.1f}** | **{total_cpu:.1f}** | **{largest:.0f}** (largest) |\n")
        print("| family | rules | time (s) | CPU (s) | largest peak above start (MB) | process RSS high-water after it (MB) |")
        print("|---|---:|---:|---:|---:|---:|")
        for family, fs, fcpu, fmb, hwm in families:
            n = sum(1 for r in rules.values() if r.family == family)
            print(f"| {family} ({FAMILIES[family]}) | {n} | {fs:.1f} | {fcpu:.1f} | {fmb:.0f} | {hwm:.0f} |")
        print(f"| all | {len(rules)} | {total_s:.1f} | {total_cpu:.1f} | {largest:.0f} | {vm_hwm_mb():.0f} |\n",
              flush=True)
        quality = planted_quality(session)
    if quality:
        print(f"#### planted cases ({label})\n")
        print("| rule | planted | found | all hits | recall | precision | look-alikes hit |")
        print("|---|---:|---:|---:|---:|---:|---:|")
        for rule_id, n, got, hits, alike in quality:
            print(f"| {rule_id} | {n} | {got} | {hits} | {got / n:.0%} | {got / hits:.0%} | {alike} |"
                  if hits else f"| {rule_id} | {n} | {got} | 0 | 0% | — | {alike} |")
        print("\nprecision = planted found ÷ all hits of the rule: a hit that was not planted counts against it "
              "(for the fund chain's rules those are the demo's own chain anomalies, which GET /funds/chain shows "
              "too).\n", flush=True)


def main() -> int:
    from sandbox.store.risk.rules import all_rules

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scales", default="1,8")
    ap.add_argument("--workdir", type=Path, default=Path("/tmp/risk-bench"))
    ap.add_argument("--db", type=Path, action="append", help="an already-built SQLite database (instead of --scales)")
    args = ap.parse_args()
    load = " / ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"{dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC; machine: {os.cpu_count()} cores, load (1/5/15 min) {load}; "
          f"SQLite; rules: {len(all_rules())}\n", flush=True)
    if args.db:
        for path in args.db:
            engine, scale, households, checkins, payments = existing(path)
            measure(engine, f"scale {scale} ({path})", households, checkins, payments)
    else:
        args.workdir.mkdir(parents=True, exist_ok=True)
        for scale in (int(x) for x in args.scales.split(",")):
            engine, households, checkins, payments, build_s, step_s = prepared(args.workdir, scale)
            if build_s is not None:
                print(f"scale {scale}: demo build {build_s:.1f} s, of which the risk step: planting {step_s[0]:.1f} s, "
                      f"running the rules into the register {step_s[1]:.1f} s\n")
            measure(engine, f"scale {scale}", households, checkins, payments)
    load = " / ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"done {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC; load (1/5/15 min) {load}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
