"""The 伪贫困户 rules over demo databases: time and peak memory per rule, recall and precision on the planted cases.

    python bench/risk_persons.py [--scales 1,4] [--workdir /tmp/sandbox-bench-risk]

Each scale's demo is built once (kept in the workdir, reused when its scale matches) and the time of
the demo's department step is reported beside the whole build's. The rules run in a child process so
its peak RSS is theirs alone. Scale 80 (1.9 million households) takes over half an hour to build on a
shared 2-core machine: the README extrapolates from the scales measured and says so.
"""

from __future__ import annotations

import argparse
import json
import resource
import sqlite3
import subprocess
import sys
import time
from pathlib import Path


def _build(workdir: Path, scale: int) -> tuple[Path, float | None, float | None, int]:
    from sqlalchemy import text

    from sandbox.store.db import make_engine
    from sandbox.store.demo import builder
    from sandbox.store.migrate import upgrade

    path = workdir / f"scale{scale}.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    with engine.connect() as conn:
        built = conn.execute(text("SELECT value FROM meta WHERE key = 'scale'")).scalar()
        planted = conn.execute(text("SELECT value FROM meta WHERE key = 'planted_persons'")).scalar()
    build_s = step_s = None
    if built != str(scale) or planted is None:
        real = builder.build_department_files
        spent = []

        def timed(*args, **kwargs):
            t0 = time.perf_counter()
            try:
                return real(*args, **kwargs)
            finally:
                spent.append(time.perf_counter() - t0)
        builder.build_department_files = timed
        try:
            t0 = time.perf_counter()
            builder.build_demo(engine, scale=scale, progress=True, files_dir=workdir / f"scale{scale}-department")
            build_s, step_s = time.perf_counter() - t0, spent[0]
        finally:
            builder.build_department_files = real
    with engine.connect() as conn:
        households = conn.execute(text("SELECT COUNT(*) FROM households")).scalar()
    engine.dispose()
    return path, build_s, step_s, households


def _peak_mb() -> float:
    """This process's peak RSS: VmHWM (ru_maxrss would count the parent's peak too: Linux keeps it across exec)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _run_rules(db: Path) -> None:
    """Child process: every persons rule once; prints JSON (seconds and hit ids per rule, peak RSS)."""
    from sqlalchemy.orm import Session

    from sandbox.store.db import make_engine
    from sandbox.store.risk.rules import all_rules, load_thresholds

    engine = make_engine(f"sqlite:///{db}")
    thresholds = load_thresholds("persons")
    out = {}
    with Session(engine) as session:
        for rid, rule in all_rules().items():
            if rule.family != "persons":
                continue
            t0 = time.perf_counter()
            hits = list(rule.run(session, thresholds))
            out[rid] = {"seconds": time.perf_counter() - t0, "hits": sorted(int(h.subject_id) for h in hits)}
    peak_mb = _peak_mb()
    print(json.dumps({"rules": out, "peak_mb": peak_mb}))


def _fmt(x: float | None) -> str:
    return "—" if x is None else f"{x:.1f}"


def _pct(x: float | None) -> str:
    return "—" if x is None else f"{x:.0%}"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--scales", default="1,4")
    ap.add_argument("--workdir", type=Path, default=Path("/tmp/sandbox-bench-risk"))
    ap.add_argument("--run-rules", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.run_rules:
        _run_rules(args.run_rules)
        return
    args.workdir.mkdir(parents=True, exist_ok=True)
    totals, per_rule = [], []
    for scale in (int(s) for s in args.scales.split(",")):
        db, build_s, step_s, households = _build(args.workdir, scale)
        child = subprocess.run([sys.executable, __file__, "--run-rules", str(db)], capture_output=True, text=True,
                               check=True)
        result = json.loads(child.stdout.strip().splitlines()[-1])
        with sqlite3.connect(db) as conn:
            planted = json.loads(conn.execute("SELECT value FROM meta WHERE key = 'planted_persons'").fetchone()[0])
        seconds = sum(r["seconds"] for r in result["rules"].values())
        totals.append((scale, households, build_s, step_s, seconds, result["peak_mb"]))
        for rid, r in result["rules"].items():
            want, got = set(planted.get(rid, ())), set(r["hits"])
            found = len(want & got)
            per_rule.append((scale, rid, len(want), len(got), found, found / len(want) if want else None,
                             found / len(got) if got else None, r["seconds"]))
    print("| scale | households | demo build (s) | of which department step (s) | all persons rules (s) | rules' peak RSS (MB) |")
    print("|---:|---:|---:|---:|---:|---:|")
    for scale, hh, build_s, step_s, seconds, peak in totals:
        print(f"| {scale} | {hh:,} | {_fmt(build_s)} | {_fmt(step_s)} | {seconds:.1f} | {peak:.0f} |")
    print()
    print("| scale | rule | planted | hits | planted found | recall | precision | seconds |")
    print("|---:|---|---:|---:|---:|---:|---:|---:|")
    for scale, rid, want, got, found, recall, precision, seconds in per_rule:
        print(f"| {scale} | {rid} | {want} | {got} | {found} | {_pct(recall)} | {_pct(precision)} | {seconds:.2f} |")


if __name__ == "__main__":
    main()
