"""bench/wall.py --province: the wall rooted at a province — drills province → prefecture → county, first paint, 4K frames.

    python bench/wall.py --province 52 [--counties 4] [--data-dir DIR] [--reps 3] [--frames 50] [--starts 3]

Builds the province slice (`sandbox demo build --province 52 --counties N`, SQLite) into DIR when its
database is empty (a DIR with a province already in it is reused as it is), serves it from the real API in
a process of its own, and measures on a wall whose root is the province:
  drills   province → prefecture and prefecture → county, each once the wall's background prefetch has
           the level and the wall has rendered it ahead, and each back up with Esc; click → data applied →
           one full synchronous paint of the window (as bench/wall.py's county drills).
  server   the same levels' three API reads (region, children.geojson, children/series) timed from this
           process: what of a cold drill is the server's.
  frames   the 3840×2160 window and its map canvas alone at the province level.
  zoom     one map-canvas frame during a drill's zoom (its first frame, a quarter and half way), in and back
           up, province ↔ prefecture ↔ county: where one level is blown up and drawn from its vectors.
  start    a fresh process against the running API (bench/wall.py's start rows): the province's first paint.
Timings are reported, never asserted. Goals (issue 18): drills p95 ≤ 50 ms prefetched, first paint of the
province ≤ 2 s, the 4K map canvas frame ≤ 8 ms at the province level.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
INDICATOR = "poverty_incidence"

__all__ = ["run_province"]


def _ensure_province(data_dir: Path, province: str, counties: int | None) -> tuple[float, str]:
    """Build the province slice into `data_dir`'s database unless it holds data already; (seconds, what)."""
    from sqlalchemy import func, select

    from sandbox.settings import Settings
    from sandbox.store.db import make_engine
    from sandbox.store.demo.province import build_province
    from sandbox.store.migrate import upgrade
    from sandbox.store.models import Region

    engine = make_engine(Settings(data_dir=data_dir).resolved_database_url)
    try:
        upgrade(engine)
        with engine.connect() as conn:
            levels = dict(conn.execute(select(Region.level, func.count()).group_by(Region.level)).all())
        if levels:
            return 0.0, f"reused ({', '.join(f'{k} {v}' for k, v in sorted(levels.items()))})"
        t0 = time.perf_counter()
        r = build_province(engine, province, counties, progress=False, files_dir=data_dir / "files")
        return time.perf_counter() - t0, (f"built: {r.prefectures} prefectures, {r.counties} counties, {r.towns} towns, "
                                          f"{r.villages} villages")
    finally:
        engine.dispose()


def _server_reads(client, codes: dict[str, str], year: int, reps: int) -> dict[str, list[float]]:
    """Seconds per API read of each level, from this process (HTTP, JSON decoded)."""
    out: dict[str, list[float]] = {}
    for level, code in codes.items():
        for name, call in (("GET /regions/{code}", lambda c=code: client.region(c, year)),
                           ("GET /regions/{code}/children.geojson", lambda c=code: client.children_geojson(c, year)),
                           ("GET /regions/{code}/children/series", lambda c=code: client.children_series(c))):
            samples = out.setdefault(f"{level}: {name}", [])
            for _ in range(reps):
                t0 = time.perf_counter()
                call()
                samples.append(time.perf_counter() - t0)
    return out


def zoom_frames(win, drill, codes: tuple[str, str], reps: int) -> dict[str, list[float]]:
    """GUI-thread CPU seconds of one map-canvas frame during a drill's zoom (its first frame, a quarter and
    half way), drill in (parent → child) and back up (child → parent): the frames in which one level is
    blown up and drawn from its vectors, not its pixels. The levels come from the wall's own loads."""
    from PySide6.QtGui import QImage

    parent, child = codes
    canvas, st = win.canvas, win.state.map
    levels = {}
    for code in (parent, child):
        drill.reset(code)
        levels[code] = (st.year, st.region_map, st.series)
    img = QImage(canvas.width(), canvas.height(), QImage.Format.Format_ARGB32_Premultiplied)
    out: dict[str, list[float]] = {}
    was = canvas.animate
    canvas.animate = True
    try:
        for _ in range(reps):
            for name, (a, b) in (("in", (parent, child)), ("back", (child, parent))):
                canvas.finish_transition()
                st.show(a, *levels[a])
                canvas.finish_transition()
                canvas.render(img)
                st.show(b, *levels[b])
                for progress in (0.0, 0.25, 0.5):
                    canvas._progress = progress  # the frame at that point of the zoom
                    c0 = time.thread_time()
                    canvas.render(img)
                    out.setdefault(f"{name}, {progress:.0%}", []).append(time.thread_time() - c0)
                canvas.finish_transition()
    finally:
        canvas.animate = was
    drill.reset(parent)
    return out


def run_province(args, size: tuple[int, int]) -> str:
    """The whole --province run; returns the markdown report."""
    import wall as bench  # bench/wall.py, run as a script: its helpers
    from api_process import start_api, stop_api

    bench._qt_env()
    load_before = os.getloadavg()[0]
    t_all = time.perf_counter()
    tmp = tempfile.TemporaryDirectory(prefix="wall-province-")
    data_dir = args.data_dir or Path(tmp.name)
    data_dir.mkdir(parents=True, exist_ok=True)
    print(f"bench: the province {args.province} in {data_dir}", file=sys.stderr, flush=True)
    t_build, built = _ensure_province(data_dir, args.province, args.counties)
    import PySide6
    from PySide6.QtWidgets import QApplication

    from sandbox.client.api import ApiClient
    from sandbox.ui.theme import apply_theme
    from sandbox.ui.wall import WallWindow

    proc, url, token = start_api(data_dir, label="bench/wall.py --province")
    client = ApiClient(url, token)
    app = QApplication([sys.argv[0]])
    apply_theme(app)
    try:
        root = args.root or client.health()["root_region"]
        win = WallWindow(client, region=root, indicator=INDICATOR, retry_seconds=600)
        win.resize(*size)
        win.show()
        if not win.wait_for_data(120):
            raise SystemExit(f"the wall did not load: {win.state.error}")
        year = win.state.map.year
        root_region = win.state.region
        prefectures = [c["code"] for c in root_region["children"]]
        counties_of = {p: [c["code"] for c in client.region(p, year)["children"]] for p in prefectures}
        bench.settle_background(app)
        drill = bench.NativeDrill(win, size)
        res: dict[str, list] = {k: [] for k in ("province→prefecture, prefetched", "prefecture→county, prefetched",
                                                "county→prefecture (Esc)", "prefecture→province (Esc)")}
        hits = n_pre = 0
        print("bench: province drills", file=sys.stderr, flush=True)
        for _ in range(args.reps):
            for pref in prefectures:
                drill.reset(root)
                hits += drill.wait_prefetched(pref)
                n_pre += 1
                res["province→prefecture, prefetched"].append(drill.go(pref))
                for county in counties_of[pref][:3]:
                    drill.reset(pref)
                    hits += drill.wait_prefetched(county)
                    n_pre += 1
                    res["prefecture→county, prefetched"].append(drill.go(county))
                    res["county→prefecture (Esc)"].append(drill.go(pref, back=True))
                res["prefecture→province (Esc)"].append(drill.go(root, back=True))
        print("bench: 4K frames at the province level", file=sys.stderr, flush=True)
        drill.reset(root)
        canvas = (win.canvas.width(), win.canvas.height())
        frames = {"whole wall, province": bench.frame_times(win, size, args.frames),
                  "map canvas only, province": bench.frame_times(win.canvas, canvas, args.frames)}
        pref0 = prefectures[0]
        drill.reset(pref0)
        frames["map canvas only, prefecture"] = bench.frame_times(win.canvas, canvas, args.frames)
        n_features = {"province": len(root_region["children"]), "prefecture": len(counties_of[pref0])}
        print("bench: map canvas frames during a zoom", file=sys.stderr, flush=True)
        zooms = {f"prefecture ↔ county ({pref0} ↔ {counties_of[pref0][0]})":
                 zoom_frames(win, drill, (pref0, counties_of[pref0][0]), max(5, args.reps * 2)),
                 f"province ↔ prefecture ({pref0})": zoom_frames(win, drill, (root, pref0), max(5, args.reps * 2))}
        win.close()
        win.deleteLater()
        app.processEvents()
        print("bench: server reads", file=sys.stderr, flush=True)
        server = _server_reads(client, {"province": root, "prefecture": pref0, "county": counties_of[pref0][0]},
                               year, max(3, args.reps))
        print("bench: start-up (the province's first paint)", file=sys.stderr, flush=True)
        starts = bench.run_starts(url, token, size, args.starts)[bench.ROOT]
    finally:
        client.close()
        stop_api(proc)
    pm = bench.ms
    rows = ["| measurement | n | p50 | p95 | goal |", "|---|---|---|---|---|"]
    for name, samples in res.items():
        samples = [x for x in samples if x is not None]
        painted, applied = [x["painted"] for x in samples], [x["applied"] for x in samples]
        cpu = [x["cpu"] for x in samples]
        goal = "p95 ≤ 50 ms" if "prefetched" in name else ""
        rows += [f"| drill {name}: click → data applied → painted | {len(painted)} | {pm(bench.pct(painted, 50))} | "
                 f"{pm(bench.pct(painted, 95))} | {goal} |",
                 f"| … of which click → data applied | {len(applied)} | {pm(bench.pct(applied, 50))} | "
                 f"{pm(bench.pct(applied, 95))} | |",
                 f"| … its CPU time on the GUI thread | {len(cpu)} | {pm(bench.pct(cpu, 50))} | {pm(bench.pct(cpu, 95))} | |"]
    for name, (v, cpu) in frames.items():
        goal = "median ≤ 8 ms" if name == "map canvas only, province" else ""
        rows += [f"| 4K frame ({size[0]}×{size[1]} window), {name} | {len(v)} | {pm(bench.pct(v, 50))} | "
                 f"{pm(bench.pct(v, 95))} | {goal} |",
                 f"| … its CPU time (render thread) | {len(cpu)} | {pm(bench.pct(cpu, 50))} | {pm(bench.pct(cpu, 95))} | |"]
    for level, by in zooms.items():
        for name, v in by.items():
            rows.append(f"| map canvas frame during the zoom, {level}, {'drill in' if name.startswith('in') else 'back up'} "
                        f"at {name.split(', ')[1]}: GUI-thread CPU | {len(v)} | {pm(bench.pct(v, 50))} | "
                        f"{pm(bench.pct(v, 95))} | |")
    for name, v in server.items():
        rows.append(f"| server read, {name} | {len(v)} | {pm(bench.pct(v, 50))} | {pm(bench.pct(v, 95))} | |")
    rows += bench.start_rows(starts, goal="≤ 2 s")
    head = (f"Wall benchmark, province mode — {time.strftime('%Y-%m-%d %H:%M')}, {os.cpu_count()} cores; the API in its "
            f"own process on SQLite; PySide6 {PySide6.__version__}; window {size[0]}×{size[1]} (map canvas "
            f"{canvas[0]}×{canvas[1]}); province {args.province}: {built}"
            f"{f' in {t_build:.0f} s' if t_build else ''}; root {root}; {n_features['province']} prefectures on "
            f"the province's map, {n_features['prefecture']} counties on {pref0}'s; prefetch had the level ready for "
            f"{hits} of {n_pre} 'prefetched' clicks; {drill.failures} drills got no data within 30 s; whole run "
            f"{time.perf_counter() - t_all:.0f} s; load average {load_before:.2f} before, {os.getloadavg()[0]:.2f} after.")
    tmp.cleanup()
    return "\n".join([head, "", *rows])
