"""The load test's phones as OS threads instead of locust's greenlets: each phone posts its check-in with a 400 KB
photo every phones ÷ rate seconds (a random phase; the next only after its answer, as locust's
`constant_throughput`), on a connection kept alive with TCP_NODELAY (as a phone's browser), and records each
check-in's id and `Server-Timing` phases. Locust's own phones (40 greenlets in one process) made the API's
phases 10-20× longer than the same posts from threads (README, "The load test")."""

from __future__ import annotations

import datetime as dt
import http.client
import json
import random
import threading
import time
import uuid

from bench.load_one import server_timing

BEIJING = dt.timezone(dt.timedelta(hours=8))


class Phones:
    """`users` phone threads posting together at `per_min` check-ins a minute for `seconds`."""

    def __init__(self, url: str, phones: list[dict], photo: str, per_min: float, users: int, seconds: float) -> None:
        self.host, port = url.split("//")[1].split(":")
        self.port = int(port)
        self.phones, self.photo, self.users, self.seconds = phones, photo, users, seconds
        self.period = users / (per_min / 60)
        self.posted: list[int] = []
        self.times: list[float] = []
        self.timings: list[dict[str, float]] = []
        self.failures = 0
        self._lock = threading.Lock()
        self._next = 0
        self._threads: list[threading.Thread] = []

    def _phone(self) -> dict:
        with self._lock:
            self._next += 1
            return self.phones[self._next % len(self.phones)]

    def _post(self, conn: http.client.HTTPConnection | None) -> http.client.HTTPConnection | None:
        phone = self._phone()
        body = json.dumps({"client_id": str(uuid.uuid4()), "household_id": phone["household_id"],
                           "at": dt.datetime.now(BEIJING).isoformat(timespec="seconds"), "note": "走访",
                           "point": {"lon": phone["lon"], "lat": phone["lat"], "crs": "WGS-84"}, "accuracy_m": 10.0,
                           "photos": [self.photo]}).encode()
        t0 = time.perf_counter()
        try:
            if conn is None:
                conn = http.client.HTTPConnection(self.host, self.port, timeout=60)  # sets TCP_NODELAY on connect
            conn.request("POST", "/api/v1/field/checkins", body=body,
                         headers={"Cookie": phone["cookie"], "Content-Type": "application/json"})
            answer = conn.getresponse()
            data = answer.read()
        except (OSError, http.client.HTTPException):
            with self._lock:
                self.failures += 1
            if conn is not None:
                conn.close()
            return None
        client = (time.perf_counter() - t0) * 1000
        with self._lock:
            if answer.status in (200, 201):
                self.posted.append(json.loads(data)["id"])
                self.times.append(time.time())
                self.timings.append({**server_timing(answer.getheader("Server-Timing", "")), "client": client, "ended": self.times[-1]})
            else:
                self.failures += 1
        return conn

    def _run(self, phase: float, start: float) -> None:
        conn = None
        n = 0
        while True:
            at = start + phase + n * self.period
            if at >= start + self.seconds:
                break
            time.sleep(max(0.0, at - time.monotonic()))
            conn = self._post(conn)
            n += 1
        if conn is not None:
            conn.close()

    def start(self) -> None:
        start, phases = time.monotonic(), random.Random(7)
        self._threads = [threading.Thread(target=self._run, args=(phases.uniform(0, self.period), start), daemon=True)
                         for _ in range(self.users)]
        for t in self._threads:
            t.start()

    def join(self) -> dict:
        """Once every phone is done: what locust's phones write (bench/locustfile_load.py's `_write_posted`)."""
        for t in self._threads:
            t.join()
        return {"posted": self.posted, "timings": self.timings, "failures": self.failures,
                "window_s": (max(self.times) - min(self.times)) if len(self.times) > 1 else 0}
