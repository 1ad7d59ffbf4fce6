"""The soak's report: slopes with their errors after the warm-up, the ceiling, caches still growing; from a run or its log.

A soak prints one `soak: cycle …` line of key/value pairs per sample to stderr; `samples_from_log`
reads them back, so a soak stopped early (or one whose report was lost) still gives its slopes and
standard errors: `python bench/soak.py --report-from-log FILE --warmup N …` with the run's flags.
"""

from __future__ import annotations

import math
import os
import statistics
import time
from pathlib import Path

CYCLES_PER_HOUR = 360


def slope_per_hour(samples: list[tuple[int, float]]) -> float:
    """Least-squares slope of value over cycles, scaled to one hour-equivalent."""
    return slope_fit(samples)[0]


def slope_fit(samples: list[tuple[int, float]]) -> tuple[float, float]:
    """Least-squares slope of value over cycles per hour-equivalent, and its standard error.

    The samples are not independent (RSS saws between trims and outages), so the plain standard
    error is widened by the residuals' lag-1 autocorrelation r: n effective = n (1 − r) / (1 + r).
    Without that a short run's error bar would be too narrow to decide anything by."""
    n = len(samples)
    if n < 2:
        return float("nan"), float("nan")
    xs, ys = zip(*samples)
    slope = statistics.linear_regression(xs, ys).slope
    if n < 3:
        return slope * CYCLES_PER_HOUR, float("nan")
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    sxx = sum((x - mx) ** 2 for x in xs)
    res = [y - my - slope * (x - mx) for x, y in zip(xs, ys)]
    ss = sum(r * r for r in res)
    se = math.sqrt(ss / (n - 2) / sxx)
    r1 = sum(a * b for a, b in zip(res, res[1:])) / ss if ss else 0.0
    r1 = min(max(r1, 0.0), 0.95)  # negative autocorrelation would narrow it: keep the plain error
    return slope * CYCLES_PER_HOUR, se * math.sqrt((1 + r1) / (1 - r1)) * CYCLES_PER_HOUR


def memray_report(path: Path, top: int = 25) -> str:
    """What a `--memray` window made and still held at its end, by the innermost frames of our code
    or the library that allocated it (native frames included): the growth between two cycles, by
    where it was allocated."""
    from memray import FileReader

    reader = FileReader(str(path))
    by_site: dict[str, list[int]] = {}
    for rec in reader.get_leaked_allocation_records(merge_threads=True):
        entry = by_site.setdefault(_site(rec), [0, 0])
        entry[0] += rec.size
        entry[1] += rec.n_allocations
    total = sum(v[0] for v in by_site.values())
    lines = [f"memray {path}: {total / 2**20:.1f} MB made in the window and still held, {len(by_site)} sites; the largest:"]
    for key, (size, n) in sorted(by_site.items(), key=lambda kv: -kv[1][0])[:top]:
        lines.append(f"{size / 2**20:8.2f} MB {n:7d}×  {key}")
    return "\n".join(lines)


def _site(rec) -> str:
    """An allocation's site: its innermost frames, then the innermost three of our code (or of a Python
    library's, pyqtgraph's say) when there are any. Told apart by the frame's whole path: a bare file name
    never says "sandbox", so the sites once stopped at the soak's own loop."""
    stack = rec.hybrid_stack_trace(max_stacks=60)
    frames = [f"{fn} ({Path(file).name}:{line})" for fn, file, line in stack]
    ours = [f for f, (_, file, _) in zip(frames, stack) if "/sandbox/" in file]
    if not ours:
        ours = [f for f, (_, file, _) in zip(frames, stack) if file.endswith(".py") and "/bench/" not in file]
    return " ← ".join(frames[:3] if not ours else frames[:2] + ours[:3]) or "?"


def memray_growth(path: Path, a: float, b: float, top: int = 30) -> str:
    """Live bytes by site at two points of a `--memray` recording (fractions of its snapshots), and the
    sites whose live bytes grew most between them: growth, not what was merely made in the window."""
    from memray import FileReader

    reader = FileReader(str(path))
    snaps = list(reader.get_memory_snapshots())
    n = len(snaps)
    ka, kb = min(n - 1, int(a * (n - 1))), min(n - 1, int(b * (n - 1)))
    grew: dict[str, list[int]] = {}
    for rec in reader.get_temporal_allocation_records(merge_threads=True):
        live = [0, 0]
        counts = [0, 0]
        for iv in rec.intervals:
            for i, k in enumerate((ka, kb)):
                if iv.allocated_before_snapshot <= k and (iv.deallocated_before_snapshot is None
                                                          or iv.deallocated_before_snapshot > k):
                    live[i] += iv.n_bytes
                    counts[i] += iv.n_allocations
        if live[0] or live[1]:
            entry = grew.setdefault(_site(rec), [0, 0])
            entry[0] += live[1] - live[0]
            entry[1] += counts[1] - counts[0]
    span_s = (snaps[kb].time - snaps[ka].time) / 1000 if n else 0.0
    total = sum(v[0] for v in grew.values())
    lines = [f"memray {path}: snapshots {ka} → {kb} of {n} ({span_s:.0f} s apart); heap tracked "
             f"{snaps[ka].heap / 2**20:.1f} → {snaps[kb].heap / 2**20:.1f} MB; live bytes grew by {total / 2**20:+.2f} MB "
             f"over {len(grew)} sites; the sites that grew most:"]
    for key, (size, cnt) in sorted(grew.items(), key=lambda kv: -kv[1][0])[:top]:
        lines.append(f"{size / 2**20:+8.3f} MB {cnt:+7d}×  {key}")
    return "\n".join(lines)


# What is bounded and counted at each sample: a cache that still grows after the warm-up is named
# in the report (the warm-up must not hide growth).
_CACHES = (("sprites", "label sprites"), ("glyphs", "glyph sprites"), ("layers", "map levels"),
           ("worker_channels", "workers' remembered channels"), ("atlas_n", "the trend's symbol-atlas pictures"),
           ("disk_entries", "offline cache files (on disk, not RSS)"))


def warm_window(samples: list[dict], args) -> list[dict]:
    """The samples the slope is fitted over: from the first outage at or after `--warmup` cycles to
    the end. Starting on an outage makes the window whole outage periods (RSS saws within one: the
    wall trims the heap on recovery, then touches the freed pages again), so neither end of the
    fit sits on a tooth's top or bottom."""
    start = args.warmup
    if args.outage_every and start % args.outage_every:
        start += args.outage_every - start % args.outage_every
    return [s for s in samples if s["cycle"] >= start]


def last_growth(samples: list[dict], key: str) -> int | None:
    """The cycle of the last sample at which `key` was higher than ever before (None: never counted)."""
    best, at = None, None
    for s in samples:
        v = s.get(key)
        if v is None:
            return None
        if best is None or v > best:
            best, at = v, s["cycle"]
    return at


def report(samples: list[dict], args, outages: int, drops: int, failed: int, extras: list[str]) -> str:
    warm = warm_window(samples, args)
    w0 = warm[0] if warm else samples[-1]

    def fit(key: str) -> tuple[float, float]:
        return slope_fit([(s["cycle"], s[key]) for s in warm if key in s])

    def slope(key: str, unit: str = "MB", fmt: str = "+.2f") -> str:
        b, se = fit(key)
        return f"{b:{fmt}} ± {se:{fmt[1:]}} {unit}"

    def per_cycle(key: str, scale: float = 1.0) -> float:
        if len(warm) < 2 or key not in warm[0] or warm[-1]["cycle"] == w0["cycle"]:
            return float("nan")
        return (warm[-1][key] - w0[key]) * scale / (warm[-1]["cycle"] - w0["cycle"])

    thr = [s["threads"] for s in warm]
    fds = [s["fds"] for s in warm]
    qo = [s["qobjects"] for s in warm if "qobjects" in s]
    wd = [s["widgets"] for s in warm if "widgets" in s]
    hours = args.cycles / CYCLES_PER_HOUR
    ceiling = max(s["rss"] for s in samples)
    b, se = fit("rss")
    # Where RSS would be after a day of this use if it grew at the upper end of what was measured.
    projected = max(s["rss"] for s in warm) + 24 * max(0.0, b + 2 * se) if warm and se == se else float("nan")
    lines = [
        f"Soak — {time.strftime('%Y-%m-%d %H:%M')}, {os.cpu_count()} cores, {args.cycles} cycles "
        f"(≈ {hours:.1f} hour-equivalents at {CYCLES_PER_HOUR} cycles/h) in {samples[-1]['t'] / 60:.1f} min; "
        f"{outages} API outages of {args.outage_s:.0f} s (every {args.outage_every} cycles), {drops} camera "
        f"drops; drill cycles that ended in an error (during outages): {failed}; wall extras: "
        f"{', '.join(extras) or 'none'}; malloc arenas ≤ {args.arenas or 'glibc default'}; "
        f"mmap threshold {f'{args.mmap_threshold_mb:g} MB fixed' if args.mmap_threshold_mb else 'dynamic'}; "
        f"allocator {args.allocator}" + (" (heap figures: jemalloc's stats.allocated / resident − allocated)"
                                         if args.allocator == "jemalloc" else "")
        + (f"; label sprites bound lowered to {args.sprite_mb:g} MB" if args.sprite_mb else "")
        + (f"; {samples[-1]['trims']} idle heap trims (last {samples[-1]['trim_ms']:.0f} ms)" if "trims" in samples[-1]
           else "") + ".",
        "",
        "| cycle | minutes | RSS (MB) | heap in use / kept free (MB) | Python blocks (k) / arenas | label sprites (n / MB) "
        "| map levels (n / MB) | threads | fds |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    step = max(1, len(samples) // 14)
    for s in samples[::step] + ([samples[-1]] if (len(samples) - 1) % step else []):
        lines.append(
            f"| {s['cycle']} | {s['t'] / 60:.1f} | {s['rss']:.1f} | {s.get('heap_used', 0):.0f} / "
            f"{s.get('heap_free', 0):.0f} | {s['py_blocks_k']:.0f} / {s.get('py_arenas', '—')} | {s['sprites']} / {s['sprites_mb']:.1f} "
            f"| {s['layers']} / {s['layers_mb']:.1f} | {s['threads']} | {s['fds']} |")
    grown = []
    for key, name in _CACHES:
        at = last_growth(samples, key)
        if at is not None:
            grown.append((name, samples[-1][key], at))
    late = [f"{name} (cycle {at})" for name, _n, at in grown if at > w0["cycle"]]
    lines += [
        "",
        f"Warm-up: the first {w0['cycle']} cycles (`--warmup {args.warmup}`, rounded up to an outage so the fit "
        "covers whole outage periods). Each cache's size at the end and the last cycle it grew: "
        + "; ".join(f"{name} {n} at cycle {at}" for name, n, at in grown) + ". "
        + (f"STILL GROWING AFTER THE WARM-UP: {', '.join(late)}." if late else "None grew after the warm-up."),
        "",
        f"| after warm-up (cycle ≥ {w0['cycle']}, {len(warm)} samples"
        f"{'' if len(warm) > 1 else ': too few, run longer'}) | measured | goal |",
        "|---|---|---|",
        f"| RSS at start / end of warm-up / end | {samples[0]['rss']:.1f} / {w0['rss']:.1f} / {samples[-1]['rss']:.1f} MB "
        "| |",
        f"| RSS slope ± standard error | {slope('rss')} per hour-equivalent | ≤ 1 MB |",
        f"| PSS slope ± standard error | {slope('pss')} per hour-equivalent | |",
        f"| RSS ceiling: highest seen / after 24 h at slope + 2 errors | {ceiling:.0f} / {projected:.0f} MB | stated |",
        f"| heap in use ({args.allocator}) slope | {slope('heap_used')} per hour-equivalent | what is held natively |",
        f"| Python blocks slope | {slope('py_blocks_k', 'k', '+.1f')} per hour-equivalent | what is held by Python |",
        f"| Python arenas slope | {slope('py_arenas', 'MiB', '+.1f')} per hour-equivalent | Python's fragmentation |",
    ]
    if "py_objects_k" in samples[-1]:
        lines.append(f"| Python objects the collector tracks (--objects) slope | {slope('py_objects_k', 'k', '+.2f')} "
                     "per hour-equivalent | what is held by Python |")
    if "dead_wrappers" in samples[-1]:
        lines.append(f"| Qt wrappers whose Qt object is gone (--objects): at the end / slope | "
                     f"{samples[-1]['dead_wrappers']} / {slope('dead_wrappers', '', '+.0f')} per hour-equivalent | none kept |")
    lines += [
        f"| {args.allocator} heap kept free slope | {slope('heap_free')} per hour-equivalent | {args.allocator}'s fragmentation |",
        f"| Qt objects under the wall / widgets min–max | {min(qo, default=0)}–{max(qo, default=0)} / "
        f"{min(wd, default=0)}–{max(wd, default=0)} | flat |",
        f"| CPU per cycle / minor page faults per cycle (this process) | {per_cycle('cpu_s', 1000):.0f} ms / "
        f"{per_cycle('minflt_k', 1000):.0f} | what handing memory back costs |",
        f"| threads min–max | {min(thr, default=0)}–{max(thr, default=0)} | flat |",
        f"| fds min–max | {min(fds, default=0)}–{max(fds, default=0)} | flat |",
    ]
    return "\n".join(lines)




def sample_line(sample: dict) -> str:
    """A sample as the soak's log line (floats to 0.1; `samples_from_log` reads it back)."""
    return "soak: " + " ".join(f"{k} {v:.1f}" if isinstance(v, float) else f"{k} {v}" for k, v in sample.items())


def _value(text: str):
    """A sample's value as the soak printed it: int, float (`.1f`), bool, else the text (e.g. 1920x1080)."""
    if text in ("True", "False"):
        return text == "True"
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


def samples_from_log(lines) -> tuple[list[dict], dict]:
    """The samples of a soak's log (its `soak: cycle …` lines) and what else the log says: the
    allocator the wall ran on and the last 'types since the warm-up' line (`--objects`)."""
    samples: list[dict] = []
    meta: dict = {}
    for line in lines:
        line = line.rstrip("\n")
        if line.startswith("soak: cycle "):
            words = line[len("soak: "):].split()
            s = {k: _value(v) for k, v in zip(words[::2], words[1::2])}
            if isinstance(s.get("cycle"), int) and "rss" in s and "t" in s:
                samples.append(s)
        elif line.startswith("soak: kiosk allocator: "):
            meta["allocator"] = line.split()[3]
        elif line.startswith("soak:   types since the warm-up "):
            meta["types_since_warmup"] = line[len("soak:   types since the warm-up "):]
        elif line.startswith("soak:   containers since the warm-up "):
            meta["containers_since_warmup"] = line[len("soak:   containers since the warm-up "):]
    if len(samples) > 1 and len(samples[-1]) < len(samples[-2]):
        samples.pop()  # the last line cut short: the soak was stopped while writing it
    return samples, meta


def events_in(samples: list[dict], every: int) -> int:
    """How many cycles that are multiples of `every` a run went through (outages, camera drops) when
    its log does not count them: the soak starts one at each, unless the API is down (a drop) or the
    run ended first."""
    if not every or not samples:
        return 0
    return (samples[-1]["cycle"] - 1) // every


# Running totals and the run's own clock: their slope says nothing about memory held.
_NOT_SERIES = {"cycle", "t", "cpu_s", "minflt_k", "trims", "trim_ms", "outages", "drops", "failed_drills", "tours",
               "monitors"}


def series_table(warm: list[dict]) -> str:
    """Every numeric series the samples carry, fitted after the warm-up: which one follows RSS."""
    # (a series sampled more sparsely than the rest, e.g. --containers, first appears after warm[0])
    keys = list(dict.fromkeys(k for s in warm for k, v in s.items() if k not in _NOT_SERIES
                              and isinstance(v, (int, float)) and not isinstance(v, bool)))
    lines = ["| series after the warm-up | first → last | min–max | slope ± error per hour-equivalent |",
             "|---|---:|---:|---:|"]
    for key in keys:
        values = [s[key] for s in warm if key in s]
        b, se = slope_fit([(s["cycle"], s[key]) for s in warm if key in s])
        lines.append(f"| {key} | {values[0]:g} → {values[-1]:g} | {min(values):g}–{max(values):g} | {b:+.2f} ± {se:.2f} |")
    return "\n".join(lines)


def report_from_log(path: Path, args) -> str:
    """The report of a soak from its log: `args` are the run's flags (warm-up, outage period, …)."""
    samples, meta = samples_from_log(Path(path).read_text(errors="replace").splitlines())
    until = getattr(args, "report_until", None)
    if until is not None:  # another run's cycle window: a longer run read over the same cycles
        samples = [s for s in samples if s["cycle"] <= until]
    if not samples:
        return f"{path}: no `soak: cycle` lines"
    args.cycles = samples[-1]["cycle"]
    args.allocator = meta.get("allocator", args.allocator)
    last = samples[-1]
    # Logs written since this change count the events; older ones give the number of periods run through.
    outages = last.get("outages", events_in(samples, args.outage_every))
    drops = last.get("drops", events_in(samples, args.drop_every))
    failed = last.get("failed_drills", "not in the log")
    extras = [f"{n} {name}" for key, name in (("tours", "tours"), ("monitors", "camera-wall openings"))
              if (n := last.get(key)) is not None]
    out = report(samples, args, outages, drops, failed, extras or [f"from the log {path}"])
    out += "\n\n" + series_table(warm_window(samples, args))
    if meta.get("types_since_warmup"):
        out += f"\n\nPython types grown since the warm-up (the log's last such line): {meta['types_since_warmup']}"
    if meta.get("containers_since_warmup"):
        out += f"\n\nContainers grown since the warm-up (the log's last such line): {meta['containers_since_warmup']}"
    return out
