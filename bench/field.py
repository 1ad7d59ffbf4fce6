"""The phone app's numbers (issue 15), against the real API in a process of its own (`sandbox serve`):

1. first load: bytes over the wire and time until 我的帮扶户 shows, in headless Chromium (390×844) on an
   emulated 3G link (1.6 Mbps down, 750 kbps up, 150 ms RTT), cold (nothing cached) and warm (the
   service worker's cache), with the unthrottled link beside it in the same run;
2. check-in ingest: p50/p95 latency of POST /api/v1/field/checkins with a 400 KB JPEG, 20 concurrent
   senders (each its own enrolled phone), on SQLite and (with --pg URL) PostgreSQL;
3. an outage: 1,000 check-ins queued on 250 phones, all sent when the network returns (250 phones at
   once, 1 in 10 answers "lost" so the phone sends that check-in again): every one stored exactly
   once, and the time to drain.

    python bench/field.py [--workdir /tmp/sandbox-bench-field] [--pg postgresql://…] [--skip-browser]
"""

from __future__ import annotations

import argparse
import base64
import concurrent.futures as cf
import datetime as dt
import io
import os
import random
import socket
import statistics
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import requests
from sqlalchemy import func, select, text

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.api import pct  # noqa: E402
from sandbox.store.checkins import CHINA_TZ  # noqa: E402
from sandbox.store.db import make_engine, session_factory  # noqa: E402
from sandbox.store.field import create_invite  # noqa: E402
from sandbox.store.models import Checkin  # noqa: E402


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(db_url: str, data_dir: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = {**os.environ, "SANDBOX_DATA_DIR": str(data_dir)}
    proc = subprocess.Popen([sys.executable, "-m", "sandbox", "serve", "--db", db_url, "--port", str(port)],
                            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 600  # a first run builds the demo county
    while time.monotonic() < deadline:
        try:
            if requests.get(url + "/api/v1/health", timeout=2).status_code == 200:
                return proc, url
        except requests.RequestException:
            pass
        if proc.poll() is not None:
            raise SystemExit(f"sandbox serve exited ({proc.returncode})")
        time.sleep(0.5)
    raise SystemExit("sandbox serve did not start")


def stop_server(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()


def pairs(engine, n: int) -> list[dict]:
    """n cadres in office, each with one household in their care now."""
    with engine.connect() as conn:
        rows = conn.execute(text(
            "SELECT a.cadre_id, MIN(a.household_id) AS household_id FROM assignments a "
            "JOIN cadres c ON c.id = a.cadre_id WHERE a.end_year IS NULL AND c.end_year IS NULL "
            "GROUP BY a.cadre_id ORDER BY a.cadre_id LIMIT :n"), {"n": n}).all()
        where = {h.id: (h.lon, h.lat) for h in conn.execute(text(
            "SELECT id, lon, lat FROM households WHERE id IN ({})".format(",".join(str(r.household_id) for r in rows))))}
    return [{"cadre_id": r.cadre_id, "household_id": r.household_id, "lon": where[r.household_id][0],
             "lat": where[r.household_id][1]} for r in rows]


def enrol(engine, url: str, cadre_id: int) -> str:
    """A phone enrolled for this cadre: the Cookie header it sends."""
    with session_factory(engine)() as session:
        code, _ = create_invite(session, "cadre", cadre_id)
        session.commit()
    r = requests.post(url + "/api/v1/field/enrol", json={"invite": code}, timeout=30)
    r.raise_for_status()
    return "sbx_device=" + r.cookies["sbx_device"]


def photo_400kb() -> str:
    """A 1600×1200 JPEG of about 400 KB (noise, so it does not compress away), base64."""
    from PIL import Image

    rnd = random.Random(7)
    small = Image.frombytes("RGB", (400, 300), bytes(rnd.getrandbits(8) for _ in range(400 * 300 * 3)))
    img = small.resize((1600, 1200), Image.BILINEAR)
    for q in (80, 70, 60, 50, 40, 30):
        buf = io.BytesIO()
        img.save(buf, "JPEG", quality=q)
        if buf.tell() <= 420 * 1024:
            break
    return base64.b64encode(buf.getvalue()).decode()


def checkin(pair: dict, photos=()) -> dict:
    return {"client_id": str(uuid.uuid4()), "household_id": pair["household_id"],
            "at": dt.datetime.now(CHINA_TZ).isoformat(timespec="seconds"), "note": "走访",
            "point": {"lon": pair["lon"], "lat": pair["lat"], "crs": "WGS-84"}, "accuracy_m": 10.0,
            "photos": list(photos)}


# -- 1. first load -----------------------------------------------------------------------------------

class LinkProxy:
    """A TCP proxy in front of the API that is the phone's link: it counts every byte both ways (the
    service worker's own fetches too, which Chromium's network emulation neither throttles nor
    reports to the page) and, when `slow`, delays each chunk by half the RTT and paces it at the
    link's rate in its direction."""

    def __init__(self, target_port: int, down_bps: float, up_bps: float, rtt_s: float) -> None:
        import asyncio

        self.target_port, self.rates, self.half_rtt = target_port, {"down": down_bps / 8, "up": up_bps / 8}, rtt_s / 2
        self.bytes = {"down": 0, "up": 0}
        self.slow = False
        self.loop = asyncio.new_event_loop()
        self.port = free_port()
        threading.Thread(target=self.loop.run_forever, daemon=True).start()
        asyncio.run_coroutine_threadsafe(self._listen(), self.loop).result(10)

    async def _listen(self):
        import asyncio

        self.server = await asyncio.start_server(self._client, "127.0.0.1", self.port)

    async def _client(self, reader, writer):
        import asyncio

        up_r, up_w = await asyncio.open_connection("127.0.0.1", self.target_port)
        await asyncio.gather(self._pipe(reader, up_w, "up"), self._pipe(up_r, writer, "down"),
                             return_exceptions=True)

    async def _pipe(self, reader, writer, way: str):
        import asyncio

        queue: asyncio.Queue = asyncio.Queue()

        async def send():
            free_at = 0.0  # when the link in this direction is free again
            while True:
                item = await queue.get()
                if item is None:
                    break
                stamp, data = item
                if self.slow:
                    now = time.monotonic()
                    start = max(now, free_at, stamp + self.half_rtt)
                    free_at = start + len(data) / self.rates[way]
                    await asyncio.sleep(free_at - now)
                writer.write(data)
                await writer.drain()
            writer.close()

        sender = asyncio.ensure_future(send())
        try:
            while True:
                data = await reader.read(16384)
                if not data:
                    break
                self.bytes[way] += len(data)
                queue.put_nowait((time.monotonic(), data))
        finally:
            queue.put_nowait(None)
            await sender

    def reset(self) -> None:
        self.bytes = {"down": 0, "up": 0}

def first_load(engine, url: str, pair: dict) -> list[tuple]:
    """(link, visit, bytes down, bytes up, seconds until 我的帮扶户 shows) through LinkProxy."""
    from tests.field.browser import phone_browser, wait_for

    proxy = LinkProxy(int(url.rsplit(":", 1)[1]), 1_600_000, 750_000, 0.150)
    via = f"http://127.0.0.1:{proxy.port}"
    rows = []
    for link in ("3G", "unthrottled"):
        driver = phone_browser()
        try:
            proxy.slow = False
            driver.get(via + "/m/#invite=" + invite_code(engine, pair["cadre_id"]))  # enrol (not timed)
            wait_for(lambda: "我的帮扶户" in driver.find_element("id", "view").text, 60)
            for visit in ("cold", "warm"):
                if visit == "cold":  # nothing cached: no HTTP cache, no service worker, no Cache Storage
                    driver.execute_cdp_cmd("Network.clearBrowserCache", {})
                    driver.execute_cdp_cmd("Storage.clearDataForOrigin",
                                           {"origin": via, "storageTypes": "service_workers,cache_storage"})
                driver.get("about:blank")
                time.sleep(0.5)
                proxy.slow = link == "3G"
                proxy.reset()
                t0 = time.perf_counter()
                driver.get(via + "/m/")
                wait_for(lambda: "我的帮扶户 (" in driver.find_element("id", "view").text, 120)
                elapsed = time.perf_counter() - t0
                time.sleep(3.0)  # the service worker installs (fetching the shell again) after the page shows
                rows.append((link, visit, proxy.bytes["down"], proxy.bytes["up"], elapsed))
        finally:
            driver.quit()
    return rows


def invite_code(engine, cadre_id: int) -> str:
    with session_factory(engine)() as session:
        code, _ = create_invite(session, "cadre", cadre_id)
        session.commit()
    return code


# -- 2. ingest latency --------------------------------------------------------------------------------

def ingest(engine, url: str, with_photo: bool, senders: int = 20, per_sender: int = 10) -> dict:
    phones = [(p, enrol(engine, url, p["cadre_id"])) for p in pairs(engine, senders)]
    photo = photo_400kb() if with_photo else None
    latencies: list[float] = []
    lock = threading.Lock()
    failures = []

    def sender(pair, cookie):
        s = requests.Session()
        for _ in range(per_sender):
            body = checkin(pair, [photo] if photo else [])
            t0 = time.perf_counter()
            r = s.post(url + "/api/v1/field/checkins", json=body, headers={"Cookie": cookie}, timeout=120)
            dt_ = time.perf_counter() - t0
            with lock:
                (latencies if r.status_code == 201 else failures).append(dt_ if r.status_code == 201 else r.text[:200])

    t0 = time.perf_counter()
    with cf.ThreadPoolExecutor(senders) as pool:
        list(pool.map(lambda pc: sender(*pc), phones))
    wall = time.perf_counter() - t0
    return {"n": len(latencies), "failed": len(failures), "p50": pct(latencies, 0.5), "p95": pct(latencies, 0.95),
            "mean": statistics.mean(latencies), "per_s": len(latencies) / wall, "photo_kb": len(photo) * 3 / 4 / 1024 if photo else 0,
            "first_failure": failures[0] if failures else ""}


# -- 3. outage drain ------------------------------------------------------------------------------------

def drain(engine, url: str, phones_n: int = 250, each: int = 4, lose_every: int = 10) -> dict:
    phones = [(p, enrol(engine, url, p["cadre_id"])) for p in pairs(engine, phones_n)]
    queues = [[checkin(p) for _ in range(each)] for p, _ in phones]  # queued during the outage
    ids = {c["client_id"] for q in queues for c in q}
    sent = [0]
    lock = threading.Lock()

    def phone(i):
        (_pair, cookie), queue = phones[i], queues[i]
        s = requests.Session()
        while queue:
            body = queue[0]
            try:
                r = s.post(url + "/api/v1/field/checkins", json=body, headers={"Cookie": cookie}, timeout=120)
            except requests.RequestException:
                time.sleep(0.5)
                continue
            with lock:
                sent[0] += 1
                lost = sent[0] % lose_every == 0
            if r.status_code in (200, 201) and not lost:
                queue.pop(0)  # stored: off the phone
            elif r.status_code >= 500 or r.status_code == 429 or lost:
                time.sleep(0.2)  # try again (the lost answer: the same client_id goes again)
            else:
                raise SystemExit(f"refused: {r.status_code} {r.text[:200]}")

    t0 = time.perf_counter()
    with cf.ThreadPoolExecutor(phones_n) as pool:  # the network returns for every phone at once
        list(pool.map(phone, range(phones_n)))
    elapsed = time.perf_counter() - t0
    with engine.connect() as conn:
        stored = conn.execute(select(Checkin.client_id, func.count()).where(Checkin.client_id.in_(list(ids)))
                              .group_by(Checkin.client_id)).all()
    return {"queued": len(ids), "requests": sent[0], "stored": len(stored),
            "stored_twice": sum(1 for _, n in stored if n > 1), "drain_s": elapsed, "per_s": len(ids) / elapsed}


def run_db(name: str, db_url: str, workdir: Path, browser: bool) -> dict:
    engine = make_engine(db_url)
    proc, url = start_server(db_url, workdir / f"data-{name}")
    try:
        out = {"first_load": first_load(engine, url, pairs(engine, 400)[-1]) if browser else [],
               "ingest": ingest(engine, url, True), "peer": ingest(engine, url, False), "drain": drain(engine, url)}
    finally:
        stop_server(proc)
        engine.dispose()
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--workdir", type=Path, default=Path("/tmp/sandbox-bench-field"))
    ap.add_argument("--pg", help="PostgreSQL URL for the second run (its data is replaced by the demo county)")
    ap.add_argument("--skip-browser", action="store_true")
    args = ap.parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)
    runs = {"SQLite": run_db("sqlite", f"sqlite:///{args.workdir / 'field.db'}", args.workdir, not args.skip_browser)}
    if args.pg:
        runs["PostgreSQL"] = run_db("pg", args.pg, args.workdir, False)

    first = runs["SQLite"]["first_load"]
    if first:
        print("\nFirst load of the phone app (/m/ until 我的帮扶户 shows; headless Chromium 390×844)\n")
        print("| link | visit | bytes down (all, service worker's too) | bytes up | until 我的帮扶户 shows |")
        print("|---|---|---|---|---|")
        for link, visit, down, up, elapsed in first:
            print(f"| {link} | {visit} | {down / 1024:.1f} KB | {up / 1024:.1f} KB | {elapsed:.2f} s |")
    print("\nCheck-in ingest, 20 concurrent senders (10 check-ins each); peer: the same without a photo\n")
    print("| database | photo | stored | p50 | p95 | mean | check-ins/s |")
    print("|---|---|---|---|---|---|---|")
    for name, r in runs.items():
        for i in (r["ingest"], r["peer"]):
            photo = f"{i['photo_kb']:.0f} KB JPEG" if i["photo_kb"] else "none"
            print(f"| {name} | {photo} | {i['n']} (failed {i['failed']}) | {i['p50'] * 1000:.0f} ms | "
                  f"{i['p95'] * 1000:.0f} ms | {i['mean'] * 1000:.0f} ms | {i['per_s']:.1f} |")
            if i["first_failure"]:
                print("  first failure:", i["first_failure"])
    print("\nOutage drain: 1,000 check-ins queued on 250 phones, all sent at once (1 answer in 10 lost → resent)\n")
    print("| database | queued | requests | stored | stored twice | time to drain | check-ins/s |")
    print("|---|---|---|---|---|---|---|")
    for name, r in runs.items():
        d = r["drain"]
        print(f"| {name} | {d['queued']} | {d['requests']} | {d['stored']} | {d['stored_twice']} | "
              f"{d['drain_s']:.1f} s | {d['per_s']:.0f} |")


if __name__ == "__main__":
    main()
