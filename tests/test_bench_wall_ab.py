"""bench/wall_ab.py: the base exported with this bench, and two reports set side by side."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

from wall_ab import export_base, parse_rows, side_by_side  # noqa: E402

REPORT = """Wall benchmark — header

| measurement | n | p50 | p95 | goal |
|---|---|---|---|---|
| drill county→town, prefetched: click → data applied → painted | 16 | 26.4 ms | 33.1 ms | p95 ≤ 50 ms |
| … its CPU time on the GUI thread, click → painted (less sensitive to other processes) | 16 | 24.1 ms | 30.8 ms | |
| **ratio folium peer (county→town) / native** | | **3.6×** | 3.4× | ≥ 10× |
"""


def test_rows_are_read_with_their_p50_and_p95():
    rows = parse_rows(REPORT)
    assert rows["drill county→town, prefetched: click → data applied → painted"] == ("26.4 ms", "33.1 ms")
    assert rows["drill county→town, prefetched ratio folium peer (county→town) / native"] == ("3.6×", "3.4×")
    assert rows["drill county→town, prefetched … its CPU time on the GUI thread, click → painted"] == ("24.1 ms", "30.8 ms")
    again = parse_rows(REPORT + REPORT.replace("county→town, prefetched", "town→village, prefetched").split("\n", 1)[1])
    assert again["drill town→village, prefetched … its CPU time on the GUI thread, click → painted"] == ("24.1 ms", "30.8 ms")
    assert "measurement" not in rows


def test_two_runs_side_by_side_keep_every_row_and_mark_a_missing_one():
    other = REPORT.replace("26.4 ms", "30.0 ms").replace("| **ratio folium peer (county→town) / native** | | **3.6×** | 3.4× | ≥ 10× |\n", "")
    table = side_by_side([("this 1", REPORT), ("base 1", other)])
    lines = table.splitlines()
    assert lines[0] == "| measurement | this 1 | base 1 |"
    assert "| drill county→town, prefetched: click → data applied → painted | 26.4 ms / 33.1 ms | 30.0 ms / 33.1 ms |" in lines
    assert "| drill county→town, prefetched ratio folium peer (county→town) / native | 3.6× / 3.4× | — |" in lines


def test_the_base_is_the_commits_code_with_this_checkouts_bench(tmp_path):
    commit = subprocess.run(["git", "-C", str(ROOT), "rev-list", "--max-parents=0", "HEAD"], capture_output=True,
                            text=True, check=True).stdout.split()[0]  # the first commit: no bench/wall_ab.py
    export_base(commit, tmp_path / "base")
    assert (tmp_path / "base" / "bench" / "wall_ab.py").read_bytes() == (ROOT / "bench" / "wall_ab.py").read_bytes()
    tracked_then = subprocess.run(["git", "-C", str(ROOT), "ls-tree", "-r", "--name-only", commit],
                                  capture_output=True, text=True, check=True).stdout.split()
    assert all((tmp_path / "base" / name).exists() for name in tracked_then)
