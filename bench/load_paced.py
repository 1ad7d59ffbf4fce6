"""Check-ins at a rate without the load generator: threads posting at Poisson arrivals, each on a new connection,
against `sandbox serve --workers N` on PostgreSQL; the `Server-Timing` phases and the client's time, p50 / p95.

    python bench/load_paced.py --pg postgresql://… [--workers 4] [--rate 200] [--posts 100] [--keep-alive]
        [--walls N] [--sample]

The options add, one at a time, what bench/load.py's run has besides its phones: connections kept alive (one per
phone, reused), the walls' SSE streams (bench/load_walls.py) and bench/load.py's sampling of every process's CPU.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.field import checkin, enrol, pairs, photo_400kb, stop_server  # noqa: E402
from bench.load import WALLS, cpu_seconds, db_backends, start  # noqa: E402
from bench.load_one import server_timing  # noqa: E402
from sandbox.server.runtime import new_token  # noqa: E402
from sandbox.store.db import make_engine  # noqa: E402

PHASES = ("auth", "body", "queue", "validate", "photo", "save", "store", "publish", "total", "client")


def quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def sample(server: subprocess.Popen, dbname: str, done: threading.Event) -> None:
    """What bench/load.py's row does meanwhile: every process's CPU read twice a second, the database's scanned."""
    import psutil

    known: dict[int, psutil.Process] = {}
    tick = 0
    while not done.is_set():
        try:
            for p in psutil.Process(server.pid).children(recursive=True):
                known.setdefault(p.pid, p)
        except psutil.Error:
            pass
        tick += 1
        if tick % 4 == 0:
            for p in db_backends(dbname):
                known.setdefault(p.pid, p)
        for p in known.values():
            cpu_seconds([p])
        time.sleep(0.5)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pg", required=True, help="PostgreSQL URL with the demo county built (bench/load.py builds it)")
    ap.add_argument("--workers", type=int, default=4)
    ap.add_argument("--rate", type=float, default=200, help="check-ins per minute")
    ap.add_argument("--posts", type=int, default=100)
    ap.add_argument("--keep-alive", action="store_true", help="each phone posts on one connection kept alive")
    ap.add_argument("--no-nodelay", action="store_true", help="with --keep-alive: leave Nagle on (as locust does)")
    ap.add_argument("--phones", type=int, default=0, help="phones (connections) sharing the posts; 0: one per post")
    ap.add_argument("--periodic", action="store_true",
                    help="each of --phones posts at a fixed period with a random phase (locust's constant_throughput)")
    ap.add_argument("--walls", type=int, default=0, help="walls holding SSE streams beside the posts")
    ap.add_argument("--sample", action="store_true", help="sample every process's CPU as bench/load.py does")
    ap.add_argument("--workdir", default="/tmp/sandbox-bench-load-paced")
    a = ap.parse_args()
    engine = make_engine(a.pg)
    proc, url = start(a.pg, a.workers, Path(a.workdir) / "data")
    rows: list[dict] = []
    lock = threading.Lock()
    try:
        phones = pairs(engine, a.posts)
        cookies = [enrol(engine, url, p["cadre_id"]) for p in phones]
        photo = photo_400kb()
        host, port = url.split("//")[1].split(":")
        bodies = [json.dumps(checkin(p, [photo])).encode() for p in phones]

        n_conns = a.phones or len(phones)
        conns = [None] * n_conns  # a phone's kept-alive connection
        conn_locks = [threading.Lock() for _ in range(n_conns)]

        def connect() -> http.client.HTTPConnection:
            conn = http.client.HTTPConnection(host, int(port), timeout=60)
            conn.connect()  # http.client sets TCP_NODELAY here
            if a.no_nodelay:
                conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 0)
            return conn

        def post(i: int) -> None:
            k = i % n_conns
            with conn_locks[k]:
                conn = conns[k] if a.keep_alive and conns[k] is not None else connect()
                t0 = time.perf_counter()
                conn.request("POST", "/api/v1/field/checkins", body=bodies[i],
                             headers={"Cookie": cookies[i], "Content-Type": "application/json"})
                answer = conn.getresponse()
                data = answer.read()
                client = (time.perf_counter() - t0) * 1000
                if a.keep_alive:
                    conns[k] = conn
                else:
                    conn.close()
            with lock:
                rows.append({**server_timing(answer.getheader("Server-Timing", "")), "client": client,
                             "status": answer.status, "id": json.loads(data or b"{}").get("id")})

        walls = None
        if a.walls:
            display = new_token(engine, "display", label="load-walls")
            walls = subprocess.Popen([sys.executable, str(WALLS), url, display, str(a.walls),
                                      str(Path(a.workdir) / "delivery.json")],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=ROOT)
            if walls.stdout.readline().strip() != "ready":
                raise SystemExit("bench/load_walls.py: the walls' streams did not open")
        done = threading.Event()
        if a.sample:
            threading.Thread(target=sample, args=(proc, engine.url.database, done), daemon=True).start()
        load_before = os.getloadavg()[0]
        arrivals = random.Random(7)  # the same arrivals in every run
        threads = []
        if a.periodic:  # as locust's phones: each one posts every phones ÷ rate, the next only after its answer
            period = n_conns / (a.rate / 60)
            t_start = time.monotonic()

            def phone(k: int, phase: float) -> None:
                for n, i in enumerate(range(k, len(phones), n_conns)):
                    time.sleep(max(0.0, t_start + phase + n * period - time.monotonic()))
                    post(i)

            threads = [threading.Thread(target=phone, args=(k, arrivals.uniform(0, period))) for k in range(n_conns)]
            for t in threads:
                t.start()
        for i in range(0 if a.periodic else len(phones)):
            threads.append(threading.Thread(target=post, args=(i,)))
            threads[-1].start()
            time.sleep(arrivals.expovariate(a.rate / 60))
        for t in threads:
            t.join()
        done.set()
        if walls is not None:
            walls.communicate(json.dumps([r["id"] for r in rows]) + "\n", timeout=120)
            delivery = json.loads((Path(a.workdir) / "delivery.json").read_text(encoding="utf-8"))
            posted = {r["id"] for r in rows}
            missing = sum(len(posted - set(w["ids"])) for w in delivery["walls"])
            twice = sum(len(w["ids"]) - len(set(w["ids"])) for w in delivery["walls"])
    finally:
        stop_server(proc)
    ok = sum(1 for r in rows if r["status"] in (200, 201))
    how = (f"{'periodic phones, ' if a.periodic else 'Poisson arrivals, '}{'kept-alive connections' if a.keep_alive else 'a new connection each'}"
           f"{', Nagle on' if a.no_nodelay else ''}, {a.phones or 'one per post'} phones, "
           f"{a.walls} walls' streams{f' ({missing} missing / {twice} twice)' if a.walls else ''}"
           f"{', CPU sampled' if a.sample else ''}")
    print(f"Check-ins at {a.rate:g} a minute ({how}; no load generator), "
          f"{a.workers} workers: {ok} of {len(rows)} answered 2xx; load average {load_before:.1f} → "
          f"{os.getloadavg()[0]:.1f} (ms, p50 / p95)\n")
    print("| " + " | ".join(PHASES) + " |")
    print("|" + "---|" * len(PHASES))
    print("| " + " | ".join(f"{quantile([r.get(k, 0) for r in rows], .5):.0f} / {quantile([r.get(k, 0) for r in rows], .95):.0f}"
                            for k in PHASES) + " |")


if __name__ == "__main__":
    main()
