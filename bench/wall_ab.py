"""Wall A/B: this checkout and another commit, `bench/wall.py` run alternately on each, side by side.

    python bench/wall_ab.py --base main~3 --runs 2 --out /tmp/ab -- --reps 2 --peer-reps 2 --frames 30 --no-duty

The other commit is exported (`git archive`) and gets this checkout's `bench/` copied over its own, so both
sides are timed by the same bench code; each side runs its own copy of `bench/wall.py` from its own directory,
because the bench puts its own checkout first on `sys.path` (running this checkout's file from the exported
directory would import this checkout's code on both sides). Every report says which code it measured.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

__all__ = ["export_base", "parse_rows", "side_by_side"]

_ROW = re.compile(r"^\| (?P<name>[^|]+?) \| (?P<n>\d+)? ?\| (?P<p50>[^|]*?) \| (?P<p95>[^|]*?) \|")


def export_base(rev: str, into: Path, root: Path = ROOT) -> str:
    """Export `rev` of `root`'s repository into `into` with `root`'s bench/ over its own; its commit hash."""
    commit = subprocess.run(["git", "-C", str(root), "rev-parse", "--verify", f"{rev}^{{commit}}"],
                            capture_output=True, text=True)
    if commit.returncode != 0:
        raise SystemExit(f"wall_ab: no such commit: {rev}")
    into.mkdir(parents=True, exist_ok=True)
    archive = subprocess.Popen(["git", "-C", str(root), "archive", commit.stdout.strip()], stdout=subprocess.PIPE)
    subprocess.run(["tar", "-x", "-C", str(into)], stdin=archive.stdout, check=True)
    if archive.wait() != 0:
        raise SystemExit(f"wall_ab: git archive {rev} failed")
    shutil.copytree(root / "bench", into / "bench", dirs_exist_ok=True)
    return commit.stdout.strip()


def parse_rows(report: str) -> dict[str, tuple[str, str]]:
    """A wall report's measurement rows: name → (p50, p95) as printed."""
    rows: dict[str, tuple[str, str]] = {}
    head = ""
    for line in report.splitlines():
        m = _ROW.match(line)
        if not m or m["name"] == "measurement" or m["name"].startswith("---"):
            continue
        name = m["name"].replace("**", "").strip()
        if name.startswith("…") or name.startswith("ratio"):  # a row under the last one: named after it
            name = f"{head} {name.split(' (less')[0]}"
        else:
            head = name.split(":")[0] if name.startswith("drill ") else name
        rows.setdefault(name, (m["p50"].replace("**", ""), m["p95"]))
    return rows


def side_by_side(runs: list[tuple[str, str]]) -> str:
    """One markdown table: every measurement row, p50 / p95 per run (runs as (label, report))."""
    parsed = [(label, parse_rows(text)) for label, text in runs]
    names: list[str] = []
    for _, rows in parsed:
        names += [n for n in rows if n not in names]
    out = ["| measurement | " + " | ".join(label for label, _ in parsed) + " |",
           "|---|" + "---|" * len(parsed)]
    for name in names:
        cells = [" / ".join(rows[name]) if name in rows else "—" for _, rows in parsed]
        out.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(out)


def _run(side: Path, args: list[str], out: Path) -> str:
    load = os.getloadavg()[0]
    proc = subprocess.run([sys.executable, str(side / "bench" / "wall.py"), *args], cwd=side,
                          capture_output=True, text=True)
    out.write_text(proc.stdout)
    out.with_suffix(".err").write_text(proc.stderr)
    if proc.returncode != 0:
        raise SystemExit(f"wall_ab: {side} failed (exit {proc.returncode}); see {out.with_suffix('.err')}")
    print(f"wall_ab: {out.name} done, load average {load:.2f} → {os.getloadavg()[0]:.2f}", file=sys.stderr)
    return proc.stdout


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--base", required=True, help="the commit to compare with (e.g. main, a hash)")
    p.add_argument("--runs", type=int, default=2, help="runs per side, alternated (default 2)")
    p.add_argument("--out", type=Path, help="where the reports go (default: a new temp dir)")
    p.add_argument("--base-first", action="store_true", help="start with the base (default: this checkout)")
    p.add_argument("wall_args", nargs=argparse.REMAINDER, help="-- then bench/wall.py's own arguments")
    args = p.parse_args()
    wall_args = [a for a in args.wall_args if a != "--"]
    out = args.out or Path(tempfile.mkdtemp(prefix="wall-ab-"))
    out.mkdir(parents=True, exist_ok=True)
    base_dir = out / "base-code"
    if base_dir.exists():
        shutil.rmtree(base_dir)
    commit = export_base(args.base, base_dir)
    sides = [("this", ROOT), ("base", base_dir)]
    if args.base_first:
        sides.reverse()
    runs: list[tuple[str, str]] = []
    for i in range(1, args.runs + 1):
        for label, side in sides:
            runs.append((f"{label} {i} ({time.strftime('%H:%M')})", _run(side, wall_args, out / f"{label}-{i}.md")))
    print(f"A/B: this checkout ({ROOT}) against {args.base} ({commit[:10]}), alternated; reports in {out}\n")
    print(side_by_side(runs))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
