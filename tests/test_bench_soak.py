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


def _log(tmp_path, leak_per_cycle: float = 10.0 / CYCLES_PER_HOUR, events: bool = True) -> Path:
    """A soak's log as the soak writes it: 600 cycles sampled every 10, RSS sawing by 8 MB every 100 cycles
    over a leak, a types line, the allocator's line, and a last line cut short (the soak was stopped)."""
    from soak_report import sample_line

    lines = ["soak: kiosk allocator: jemalloc (/usr/lib/x86_64-linux-gnu/libjemalloc.so.2, MALLOC_CONF=…)"]
    for c in range(0, 610, 10):
        rss = 500.0 + leak_per_cycle * c + 8.0 * (c % 100) / 100
        s = {"cycle": c, "t": c * 2.0, "rss": rss, "threads": 19, "fds": 26, "api_down": c % 100 == 0 and c > 0,
             "cpu_s": c * 0.8, "minflt_k": c * 5.0, "pss": rss - 40, "py_blocks_k": 0.0, "py_arenas": -1,
             "sprites": min(800, c), "sprites_mb": 6.8, "glyphs": 0, "layers": 16, "layers_mb": 16.2,
             "window": "1920x1080", "heap_used": 340.0 + leak_per_cycle * c, "heap_free": 25.0, "qobjects": 642,
             "widgets": 446, "worker_channels": 0, "disk_entries": 1000 + c, "trims": c // 30, "trim_ms": 1.5,
             "outages": max(0, (c - 1) // 100), "drops": c // 60, "failed_drills": 1, "tours": c // 40,
             "monitors": c // 30, "py_objects_k": 380.0, "dead_wrappers": 0}
        if not events:  # as logs written before the soak counted its events
            for key in ("outages", "drops", "failed_drills", "tours", "monitors"):
                del s[key]
        lines.append(sample_line(s))
        if c > 300:
            lines.append("soak:   types since the warm-up QItemSelectionModel +12, dict +3")
    lines.append("soak: cycle 610 t 1220.0 rss 5")  # cut short
    path = tmp_path / "soak.log"
    path.write_text("\n".join(lines) + "\n")
    return path


def _args(**kw):
    import argparse

    base = dict(warmup=300, outage_every=100, drop_every=60, outage_s=6.0, arenas=2, mmap_threshold_mb=0,
                allocator="glibc", sprite_mb=0, cycles=0)
    return argparse.Namespace(**{**base, **kw})


def test_a_log_read_back_gives_the_samples_the_soak_printed(tmp_path):
    from soak_report import samples_from_log

    samples, meta = samples_from_log(_log(tmp_path).read_text().splitlines())
    assert [s["cycle"] for s in samples] == list(range(0, 610, 10))  # the cut line left out
    s = samples[32]
    assert s["cycle"] == 320 and isinstance(s["cycle"], int)
    assert s["api_down"] is False and samples[30]["api_down"] is True
    assert s["window"] == "1920x1080" and s["py_arenas"] == -1
    assert math.isclose(s["rss"], round(500.0 + 10.0 / CYCLES_PER_HOUR * 320 + 8.0 * 0.2, 1))
    assert meta["allocator"] == "jemalloc"
    assert meta["types_since_warmup"].startswith("QItemSelectionModel +12")


def test_the_report_from_a_log_gives_the_slope_after_the_warm_up_and_what_the_run_went_through(tmp_path):
    from soak_report import report_from_log

    out = report_from_log(_log(tmp_path), _args())
    rss_row = next(line for line in out.splitlines() if line.startswith("| RSS slope"))
    slope, err = (float(x) for x in rss_row.split("|")[2].split("MB")[0].split("±"))
    assert abs(slope - 10.0) < 2 * err + 0.5 and err < 5, rss_row  # the leak under the saw, per hour-equivalent
    assert "600 cycles" in out and "5 API outages" in out and "10 camera drops" in out
    assert "allocator jemalloc" in out and "15 tours" in out and "20 camera-wall openings" in out
    assert "cycle ≥ 300, 31 samples" in out
    assert "STILL GROWING AFTER THE WARM-UP: label sprites" in out
    assert "QItemSelectionModel +12" in out


def test_a_log_without_event_counts_still_reports(tmp_path):
    """A log written before the soak counted its events: the outages are the periods run through."""
    from soak_report import report_from_log

    path = _log(tmp_path, events=False)
    out = report_from_log(path, _args())
    assert "5 API outages" in out and "not in the log" in out and "| RSS slope" in out


def test_the_report_from_a_log_fits_every_series_so_the_one_that_follows_rss_shows(tmp_path):
    from soak_report import report_from_log

    out = report_from_log(_log(tmp_path), _args())
    rows = {line.split("|")[1].strip(): line for line in out.splitlines() if line.startswith("| ")}
    heap = float(rows["heap_used"].split("|")[4].split("±")[0])
    assert abs(heap - 10.0) < 0.1  # the leak, without the saw (the log keeps 0.1 MB)
    assert float(rows["qobjects"].split("|")[4].split("±")[0]) == 0
    assert "cpu_s" not in rows and "outages" not in rows  # running totals are not memory


def test_a_longer_run_is_reported_over_another_runs_cycles_and_names_the_containers_that_grew(tmp_path):
    from soak_report import report_from_log

    path = _log(tmp_path)
    text = path.read_text().replace("soak: cycle 400 t 800.0", "soak:   containers since the warm-up "
                                    "WallArranger._chosen OrderedDict +99 (100)\nsoak: cycle 400 t 800.0")
    for c in (400, 500):  # sampled every 100 cycles, after the warm-up
        head = f"soak: cycle {c} t "
        start = text.index(head)
        end = text.index("\n", start)
        text = text[:end] + f" containers {8000 + c}" + text[end:]
    path.write_text(text)
    out = report_from_log(path, _args(report_until=500))
    assert "500 cycles" in out and "cycle ≥ 300, 21 samples" in out
    assert "WallArranger._chosen OrderedDict +99" in out
    rows = {line.split("|")[1].strip(): line for line in out.splitlines() if line.startswith("| ")}
    assert "containers" in rows  # a sparser series than the rest is still fitted
