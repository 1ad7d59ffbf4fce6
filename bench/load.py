"""Load test with locust (issue 18): walls holding SSE streams and polling their level, phones posting check-ins
with a 400 KB photo, leaders paging households — against `sandbox serve --workers N` on PostgreSQL, for each
number of workers and each check-in rate; then whether every wall got every check-in exactly once.

    python bench/load.py --pg postgresql://… [--workers 1,2,4] [--rates 200,400] [--seconds 90] [--walls 200]

The load generator (locust for phones, leaders and the walls' polls; bench/load_walls.py, an asyncio process,
for the walls' 200 SSE streams) runs on the same machine as the API and the database: on a 2-core machine all
share the cores, so each row says how many cores each used (generator, API workers, the rest: PostgreSQL and
whatever else ran), and where one check-in's time went (the API's `Server-Timing` phases, p50 and p95).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

import psutil
from sqlalchemy import func, select

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.field import enrol, free_port, pairs, photo_400kb, stop_server  # noqa: E402
from sandbox.server.runtime import new_token  # noqa: E402
from sandbox.store.db import make_engine  # noqa: E402
from sandbox.store.migrate import upgrade  # noqa: E402
from sandbox.store.models import Region  # noqa: E402

LOCUSTFILE = ROOT / "bench" / "locustfile_load.py"
WALLS = ROOT / "bench" / "load_walls.py"
PHASES = ("auth", "body", "queue", "validate", "photo", "save", "store", "publish", "total", "client")
PHONE_USERS = 40
LEADERS = 5


def start(db_url: str, workers: int, data_dir: Path) -> tuple[subprocess.Popen, str]:
    import requests

    port = free_port()
    env = {**os.environ, "SANDBOX_DATA_DIR": str(data_dir)}
    proc = subprocess.Popen([sys.executable, "-m", "sandbox", "serve", "--db", db_url, "--port", str(port),
                             "--workers", str(workers)], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        try:
            if requests.get(url + "/api/v1/health", timeout=2).status_code == 200:
                time.sleep(2)  # every worker up, not only the first to answer
                return proc, url
        except requests.RequestException:
            pass
        if proc.poll() is not None:
            raise SystemExit(f"sandbox serve exited ({proc.returncode})")
        time.sleep(0.5)
    raise SystemExit("sandbox serve did not start")


def stats(prefix: Path) -> dict[str, dict]:
    with open(f"{prefix}_stats.csv", encoding="utf-8") as f:
        return {row["Name"]: row for row in csv.DictReader(f)}


def cpu_seconds(procs: list[psutil.Process]) -> float:
    """User + system CPU seconds of these processes so far (0 for one that is gone)."""
    total = 0.0
    for p in procs:
        try:
            t = p.cpu_times()
            total += t.user + t.system
        except psutil.Error:
            pass
    return total


def db_backends(dbname: str) -> list[psutil.Process]:
    """PostgreSQL's server processes serving this database (same machine): their CPU is the database's share."""
    out = []
    for p in psutil.process_iter(["cmdline"]):
        cmd = " ".join(p.info["cmdline"] or [])
        if cmd.startswith("postgres: ") and f" {dbname} " in cmd:
            out.append(p)
    return out


def machine_busy() -> float:
    """CPU seconds the whole machine spent busy so far (every core, every process)."""
    t = psutil.cpu_times()
    return t.user + t.nice + t.system + t.irq + t.softirq + getattr(t, "steal", 0.0)


def pct(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))]


def one_run(url: str, server: subprocess.Popen, rate: int, seconds: int, walls: int, files: dict, workdir: Path,
            tag: str, phone_users: int = PHONE_USERS, leaders: int = LEADERS, phone_socket: str = "keep",
            phones_by: str = "locust") -> dict:
    prefix, out, streams = workdir / f"locust-{tag}", workdir / f"posted-{tag}.json", workdir / f"delivery-{tag}.json"
    ready = workdir / f"walls-ready-{tag}"
    ready.unlink(missing_ok=True)
    env = {**os.environ, "LOAD_URL": url, "LOAD_PHONES": str(files["phones"]), "LOAD_PHOTO": str(files["photo"]),
           "LOAD_DISPLAY_TOKEN": files["display"], "LOAD_LEADER_TOKEN": files["leader"],
           "LOAD_PHONES_PER_MIN": str(rate), "LOAD_WALLS": str(walls),
           "LOAD_PHONE_USERS": str(phone_users if phones_by == "locust" else 0),
           "LOAD_LEADERS": str(leaders), "LOAD_OUT": str(out), "LOAD_WALLS_READY": str(ready),
           "LOAD_PHONE_SOCKET": phone_socket}
    wall_proc = subprocess.Popen([sys.executable, str(WALLS), url, files["display"], str(walls), str(streams)],
                                 stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=ROOT)
    if wall_proc.stdout.readline().strip() != "ready":
        raise SystemExit("bench/load_walls.py: the walls' streams did not open")
    ready.touch()
    walls_ps = psutil.Process(wall_proc.pid)
    users = walls + leaders + (phone_users if phones_by == "locust" else 0)
    locust = subprocess.Popen([sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--headless", "-u", str(users),
                               "-r", "100", "-t", f"{seconds}s", "--csv", str(prefix), "--only-summary",
                               "--stop-timeout", "15", "--loglevel", "WARNING"], env=env, cwd=ROOT,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    locust_ps = psutil.Process(locust.pid)
    phones = None
    if phones_by == "threads":
        from bench.load_phones import Phones  # here: it imports bench.load_one, which imports this module

        phones = Phones(url, json.loads(files["phones"].read_text(encoding="utf-8")),
                        files["photo"].read_text(encoding="ascii"), rate, phone_users, seconds)
        phones.start()
    t0, busy0 = time.monotonic(), machine_busy()
    walls0 = cpu_seconds([walls_ps])
    # per process: its CPU seconds at the start, and the last seen (a worker restarted by uvicorn's supervisor
    # is a new pid: its CPU counts from 0, and the restart is reported)
    server_ps = [psutil.Process(server.pid), *psutil.Process(server.pid).children(recursive=True)]
    first = {p.pid: cpu_seconds([p]) for p in server_ps}
    last = dict(first)
    known = {p.pid: p for p in server_ps}
    dbname = files["dbname"]
    for p in db_backends(dbname):
        known.setdefault(p.pid, p)
        first[p.pid] = last[p.pid] = cpu_seconds([p])
    db_pids = set(p.pid for p in db_backends(dbname))
    locust_cpu, tick = 0.0, 0
    while locust.poll() is None:  # sampled: a process's times are gone with it
        locust_cpu = cpu_seconds([locust_ps]) or locust_cpu
        try:
            for p in psutil.Process(server.pid).children(recursive=True):
                known.setdefault(p.pid, p)
        except psutil.Error:
            pass
        tick += 1
        if tick % 4 == 0:  # new database connections (a scan of every process: not twice a second)
            for p in db_backends(dbname):
                if p.pid not in known:
                    known[p.pid], first[p.pid] = p, 0.0
                db_pids.add(p.pid)
        for pid, p in known.items():
            last[pid] = cpu_seconds([p]) or last.get(pid, 0.0)
        time.sleep(0.5)
    elapsed, busy = time.monotonic() - t0, machine_busy() - busy0
    used = {pid: last[pid] - first.get(pid, 0.0) for pid in last}
    cores = {"workers": sum(v for pid, v in used.items() if pid not in db_pids) / elapsed,
             "database": sum(v for pid, v in used.items() if pid in db_pids) / elapsed,
             "generator": (locust_cpu + cpu_seconds([walls_ps]) - walls0) / elapsed,
             "machine": busy / elapsed}
    cores["rest"] = max(0.0, cores["machine"] - cores["workers"] - cores["generator"] - cores["database"])
    restarts = len([pid for pid in known if pid not in db_pids and pid not in first])
    if phones is not None:  # in locust's place: its file then says what the threads posted
        out.write_text(json.dumps(phones.join()), encoding="utf-8")
    result = json.loads(out.read_text(encoding="utf-8"))
    wall_proc.communicate(json.dumps(result["posted"]) + "\n", timeout=120)  # drain: every wall gets every one
    delivery = json.loads(streams.read_text(encoding="utf-8"))
    s = stats(prefix)
    posted = set(result["posted"])
    missing = sum(len(posted - set(w["ids"])) for w in delivery["walls"])
    twice = sum(len(w["ids"]) - len(set(w["ids"])) for w in delivery["walls"])
    post = s.get("POST check-in (phone, 400 KB photo)", {})
    level = s.get("GET level (wall poll)", {})
    pages = s.get("GET households (leader)", {})
    window = result["window_s"] or seconds
    phases = {k: (pct([t.get(k, 0.0) for t in result["timings"]], 0.5), pct([t.get(k, 0.0) for t in result["timings"]], 0.95))
              for k in PHASES}
    return {"rate": rate, "posted": len(posted), "achieved": len(posted) / window * 60 if window else 0,
            "errors": int(post.get("Failure Count", 0) or 0) if phones is None else result["failures"],  # noqa: E501
            "other_errors": sum(int(v.get("Failure Count", 0) or 0) for k, v in s.items()
                                if k not in ("Aggregated", "POST check-in (phone, 400 KB photo)")), "p50": post.get("50%") if phones is None else round(phases["client"][0]),
            "p95": post.get("95%") if phones is None else round(phases["client"][1]),
            "level_p95": level.get("95%"), "pages_p95": pages.get("95%"),
            "walls": len(delivery["walls"]), "missing": missing, "twice": twice,
            "reconnects": sum(w["reconnects"] for w in delivery["walls"]),
            "resyncs": sum(w.get("resyncs", 0) for w in delivery["walls"]), "cores": cores, "phases": phases,
            "restarts": restarts, "elapsed": elapsed}


def photo_verdicts(engine, posted_file: Path) -> dict[str, int]:
    """How the row's check-ins' photos stand when it ends (decoded after the answer): {"pending": n, "ok": n, …}."""
    from sandbox.store.models import Checkin

    ids = json.loads(posted_file.read_text(encoding="utf-8"))["posted"]
    with engine.connect() as conn:
        rows = conn.execute(select(Checkin.photo_check, func.count()).where(Checkin.id.in_(ids))
                            .group_by(Checkin.photo_check)).all()
    return {str(k): n for k, n in rows}


def per(row: dict, *parts: str) -> float:
    """CPU seconds per check-in posted of these parts (each part's cores × the row's seconds ÷ check-ins)."""
    return sum(row["cores"][p] for p in parts) * row["elapsed"] / max(1, row["posted"])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pg", required=True, help="PostgreSQL URL (the demo county is built there if empty)")
    ap.add_argument("--workers", default="1,2,4")
    ap.add_argument("--rates", default="200,400", help="check-ins per minute (2,000 phones in 10 min = 200)")
    ap.add_argument("--seconds", type=int, default=90)
    ap.add_argument("--walls", type=int, default=200)
    ap.add_argument("--phones", type=int, default=300, help="phones enrolled (each posts several check-ins)")
    ap.add_argument("--phone-users", type=int, default=PHONE_USERS, help="locust users posting (together at the rate)")
    ap.add_argument("--leaders", type=int, default=LEADERS)
    ap.add_argument("--phones-by", choices=("locust", "threads"), default="locust",
                    help="who posts the check-ins: locust's users (greenlets) or bench/load_phones.py's threads")
    ap.add_argument("--phone-socket", choices=("keep", "close", "nodelay"), default="keep",
                    help="the phones' connections: kept alive (locust's default), a new one per post "
                         "(Connection: close), or kept alive with TCP_NODELAY set")
    ap.add_argument("--workdir", default="/tmp/sandbox-bench-load")
    a = ap.parse_args()
    workdir = Path(a.workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    engine = make_engine(a.pg)
    upgrade(engine)
    with engine.connect() as conn:
        empty = conn.execute(select(func.count()).select_from(Region)).scalar() == 0
    if empty:
        subprocess.run([sys.executable, "-m", "sandbox", "demo", "build", "--db", a.pg], cwd=ROOT, check=True)
    files = {"display": new_token(engine, "display", label="load-walls"),
             "leader": new_token(engine, "leader", label="load-leaders"),
             "photo": workdir / "photo.b64", "phones": workdir / "phones.json", "dbname": engine.url.database}
    files["photo"].write_text(photo_400kb(), encoding="ascii")
    load_before = os.getloadavg()[0]
    started = time.strftime("%Y-%m-%d %H:%M")
    rows = []
    enrolled = False
    for workers in [int(w) for w in a.workers.split(",")]:
        proc, url = start(a.pg, workers, workdir / "data")
        try:
            if not enrolled:
                phones = [{**p, "cookie": enrol(engine, url, p["cadre_id"])} for p in pairs(engine, a.phones)]
                files["phones"].write_text(json.dumps(phones), encoding="utf-8")
                enrolled = True
            for rate in [int(r) for r in a.rates.split(",")]:
                row = one_run(url, proc, rate, a.seconds, a.walls, files, workdir, f"w{workers}-r{rate}",
                              a.phone_users, a.leaders, a.phone_socket, a.phones_by)
                row["photos"] = photo_verdicts(engine, workdir / f"posted-w{workers}-r{rate}.json")
                rows.append({"workers": workers, **row, "load": os.getloadavg()[0]})
                print(f"workers {workers}, {rate}/min: {row}", file=sys.stderr, flush=True)
        finally:
            stop_server(proc)
    print(f"Load test — {started}, {os.cpu_count()} cores, Python {platform.python_version()}, PostgreSQL, "
          f"{a.walls} walls (SSE + a level poll every 30 s), {a.leaders} leaders paging households every 5 s, phones "
          f"({a.phone_users} locust users, connections: {a.phone_socket}) posting one check-in with a 400 KB JPEG each at the rate given; {a.seconds} s per row; load average "
          f"{load_before:.1f} before. Cores: CPU seconds per second of the row — the load generator (locust and "
          f"the walls' stream process), the API workers, and the rest of the machine (PostgreSQL, other jobs).\n")
    print("| workers | check-ins/min asked / achieved | posted | errors | check-in p50 | p95 | wall poll p95 "
          "| households page p95 | walls × check-ins missing / twice | SSE reconnects / resyncs | other errors "
          "| workers restarted | cores: generator / workers / database / rest | CPU s per check-in: generator / workers + database | load avg |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['workers']} | {r['rate']} / {r['achieved']:.0f} | {r['posted']} | {r['errors']} | {r['p50']} ms "
              f"| {r['p95']} ms | {r['level_p95']} ms | {r['pages_p95']} ms | {r['missing']} / {r['twice']} "
              f"| {r['reconnects']} / {r['resyncs']} | {r['other_errors']} | {r['restarts']} "
              f"| {r['cores']['generator']:.2f} / {r['cores']['workers']:.2f} / {r['cores']['database']:.2f} / "
              f"{r['cores']['rest']:.2f} | {per(r, 'generator'):.3f} / {per(r, 'workers', 'database'):.3f} | {r['load']:.1f} |")
    print("\nPhotos decoded after the answer, as they stood when each row ended (check-ins by verdict): "
          + "; ".join(f"{r['workers']} × {r['rate']}: {r['photos']}" for r in rows))
    print("\nWhere a check-in's time went: the API's Server-Timing phases (ms, p50 / p95 over the row's check-ins; "
          "`client` is what the phone measured, the rest of it is the network, the request's authentication and "
          "the load generator's own delay).\n")
    print("| workers | rate | " + " | ".join(PHASES) + " |")
    print("|---|---|" + "---|" * len(PHASES))
    for r in rows:
        print(f"| {r['workers']} | {r['rate']} | " + " | ".join(f"{a:.0f} / {b:.0f}" for a, b in
                                                          (r["phases"][k] for k in PHASES)) + " |")


if __name__ == "__main__":
    main()
