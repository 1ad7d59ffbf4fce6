"""Load test with locust (issue 18): walls holding SSE streams and polling their level, phones posting check-ins
with a 400 KB photo, leaders paging households — against `sandbox serve --workers N` on PostgreSQL, for each
number of workers and each check-in rate; then whether every wall got every check-in exactly once.

    python bench/load.py --pg postgresql://… [--workers 1,2,4] [--rates 200,400] [--seconds 90] [--walls 200]

The load generator (locust, one process) runs on the same machine as the API and the database: on a
2-core machine all three share the cores, which the table's load average shows.
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

from sqlalchemy import func, select

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.field import enrol, free_port, pairs, photo_400kb, stop_server  # noqa: E402
from sandbox.server.runtime import new_token  # noqa: E402
from sandbox.store.db import make_engine  # noqa: E402
from sandbox.store.migrate import upgrade  # noqa: E402
from sandbox.store.models import Region  # noqa: E402

LOCUSTFILE = ROOT / "bench" / "locustfile_load.py"
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


def one_run(url: str, rate: int, seconds: int, walls: int, files: dict, workdir: Path, tag: str) -> dict:
    prefix, out = workdir / f"locust-{tag}", workdir / f"delivery-{tag}.json"
    env = {**os.environ, "LOAD_URL": url, "LOAD_PHONES": str(files["phones"]), "LOAD_PHOTO": str(files["photo"]),
           "LOAD_DISPLAY_TOKEN": files["display"], "LOAD_LEADER_TOKEN": files["leader"],
           "LOAD_PHONES_PER_MIN": str(rate), "LOAD_PHONE_USERS": str(PHONE_USERS), "LOAD_WALLS": str(walls),
           "LOAD_LEADERS": str(LEADERS), "LOAD_OUT": str(out)}
    users = walls + LEADERS + PHONE_USERS
    subprocess.run([sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--headless", "-u", str(users),
                    "-r", "100", "-t", f"{seconds}s", "--csv", str(prefix), "--only-summary", "--stop-timeout", "15",
                    "--loglevel", "WARNING"], env=env, cwd=ROOT, check=False,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    s = stats(prefix)
    delivery = json.loads(out.read_text(encoding="utf-8"))
    posted = set(delivery["posted"])
    missing = sum(len(posted - set(w["ids"])) for w in delivery["walls"])
    twice = sum(len(w["ids"]) - len(set(w["ids"])) for w in delivery["walls"])
    post = s.get("POST check-in (phone, 400 KB photo)", {})
    level = s.get("GET level (wall poll)", {})
    pages = s.get("GET households (leader)", {})
    window = delivery["window_s"] or seconds
    return {"rate": rate, "posted": len(posted), "achieved": len(posted) / window * 60 if window else 0,
            "errors": int(post.get("Failure Count", 0) or 0),
            "other_errors": sum(int(v.get("Failure Count", 0) or 0) for k, v in s.items()
                                if k not in ("Aggregated", "POST check-in (phone, 400 KB photo)")), "p50": post.get("50%"), "p95": post.get("95%"),
            "level_p95": level.get("95%"), "pages_p95": pages.get("95%"),
            "walls": len(delivery["walls"]), "missing": missing, "twice": twice,
            "reconnects": sum(w["reconnects"] for w in delivery["walls"]),
            "resyncs": sum(w.get("resyncs", 0) for w in delivery["walls"])}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pg", required=True, help="PostgreSQL URL (the demo county is built there if empty)")
    ap.add_argument("--workers", default="1,2,4")
    ap.add_argument("--rates", default="200,400", help="check-ins per minute (2,000 phones in 10 min = 200)")
    ap.add_argument("--seconds", type=int, default=90)
    ap.add_argument("--walls", type=int, default=200)
    ap.add_argument("--phones", type=int, default=300, help="phones enrolled (each posts several check-ins)")
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
             "photo": workdir / "photo.b64", "phones": workdir / "phones.json"}
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
                row = one_run(url, rate, a.seconds, a.walls, files, workdir, f"w{workers}-r{rate}")
                rows.append({"workers": workers, **row, "load": os.getloadavg()[0]})
                print(f"workers {workers}, {rate}/min: {row}", file=sys.stderr, flush=True)
        finally:
            stop_server(proc)
    print(f"Load test — {started}, {os.cpu_count()} cores, Python {platform.python_version()}, PostgreSQL, "
          f"{a.walls} walls (SSE + a level poll every 30 s), {LEADERS} leaders paging households every 5 s, phones "
          f"posting one check-in with a 400 KB JPEG each at the rate given; {a.seconds} s per row; load average "
          f"{load_before:.1f} before.\n")
    print("| workers | check-ins/min asked / achieved | posted | errors | check-in p50 | p95 | wall poll p95 "
          "| households page p95 | walls × check-ins missing / twice | SSE reconnects / resyncs | other errors "
          "| load avg |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['workers']} | {r['rate']} / {r['achieved']:.0f} | {r['posted']} | {r['errors']} | {r['p50']} ms "
              f"| {r['p95']} ms | {r['level_p95']} ms | {r['pages_p95']} ms | {r['missing']} / {r['twice']} "
              f"| {r['reconnects']} / {r['resyncs']} | {r['other_errors']} | {r['load']:.1f} |")


if __name__ == "__main__":
    main()
