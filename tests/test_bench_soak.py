"""The soak's slope: per hour-equivalent, with an error bar that a short, sawing run does not make too narrow."""

from __future__ import annotations

import math
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
from soak import CYCLES_PER_HOUR, slope_fit  # noqa: E402 - the bench folder is not a package


def test_a_straight_line_gives_its_slope_per_hour_equivalent_and_no_error():
    samples = [(c, 500 + 0.01 * c) for c in range(0, 400, 10)]
    slope, se = slope_fit(samples)
    assert math.isclose(slope, 0.01 * CYCLES_PER_HOUR, rel_tol=1e-9)
    assert se < 1e-9


def test_a_leak_under_a_sawtooth_is_found_within_its_error():
    # RSS saws by 20 MB every 100 cycles (trims after outages) over a leak of 1 MB per hour-equivalent.
    leak = 1.0 / CYCLES_PER_HOUR
    samples = [(c, 500 + leak * c + 2.0 * (c % 100) / 10) for c in range(0, 1000, 10)]
    slope, se = slope_fit(samples)
    assert se > 0
    assert abs(slope - 1.0) < 2 * se + 0.5


def test_autocorrelated_residuals_widen_the_error():
    # The same residuals, once alternating (independent-looking) and once in long runs (what a saw
    # sampled often looks like): the second error bar is wider, the slope the same.
    n = 40
    alternating = [(i * 10, 1.0 if i % 2 else -1.0) for i in range(n)]
    runs = [(i * 10, 1.0 if (i // 5) % 2 else -1.0) for i in range(n)]
    s1, e1 = slope_fit(alternating)
    s2, e2 = slope_fit(runs)
    assert abs(s1) < e1 * 2 and abs(s2) < e2 * 2
    assert e2 > 1.5 * e1


def test_too_few_samples_give_no_error_bar():
    assert math.isnan(slope_fit([(0, 1.0)])[0])
    slope, se = slope_fit([(0, 1.0), (10, 2.0)])
    assert math.isclose(slope, 0.1 * CYCLES_PER_HOUR) and math.isnan(se)


def test_the_heap_figures_come_from_the_allocator_the_process_runs_on():
    """Under glibc mallinfo's figures; under jemalloc (preloaded as the kiosk does) jemalloc's own, which
    see a 64 MB block that glibc's mallinfo would not."""
    import json
    import subprocess

    from sandbox.kiosk.allocator import allocator_env, find_jemalloc

    bench = str(Path(__file__).resolve().parents[1] / "bench")
    probe = (f"import sys, ctypes, json; sys.path.insert(0, {bench!r}); import soak; "
             "buf = ctypes.create_string_buffer(64 * 2**20); print(json.dumps(soak._heap()))")

    def heap(extra: dict) -> dict:
        import os

        out = subprocess.run([sys.executable, "-c", probe], env=dict(os.environ, **extra), capture_output=True,
                             text=True, check=True, timeout=60)
        return json.loads(out.stdout.strip().splitlines()[-1])

    glibc = heap({})
    assert "je_mapped" not in glibc and glibc["heap_used"] >= 64
    if find_jemalloc() is None:
        return  # scripts/setup installs libjemalloc2; without it there is nothing else to read
    je = heap(allocator_env("jemalloc", {})[0])
    assert "je_mapped" in je and je["heap_used"] >= 64 and je["heap_free"] >= 0


def test_memray_growth_counts_what_grew_between_two_points_not_what_was_replaced(tmp_path):
    """A list that keeps 100 kB a step grows by what the second half added; a buffer made and freed
    every step (a bounded cache replacing its entry) nets out, though the window made it many times."""
    import subprocess

    pytest = __import__("pytest")
    pytest.importorskip("memray")  # pip install -e ".[bench]"
    bench = str(Path(__file__).resolve().parents[1] / "bench")
    out = tmp_path / "rec.bin"
    code = (f"import sys, time, memray; sys.path.insert(0, {bench!r}); import soak\n"
            f"keep, slot = [], [None]\n"
            f"with memray.Tracker({str(out)!r}, memory_interval_ms=10):\n"
            f"    for i in range(40):\n"
            f"        keep.append(bytearray(100_000))\n"
            f"        slot[0] = bytearray(1_000_000)\n"
            f"        time.sleep(0.02)\n"
            f"print(soak.memray_growth(__import__('pathlib').Path({str(out)!r}), 0.5, 1.0, top=5))\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    head, *sites = done.stdout.strip().splitlines()
    grown = float(head.split("live bytes grew by ")[1].split(" MB")[0])
    assert 1.2 < grown < 2.8, done.stdout  # ≈ 20 × 100 kB; the 1 MB slot replaced 20 times adds nothing
    assert "keep.append" in done.stdout or "<string>:5" in sites[0], done.stdout
