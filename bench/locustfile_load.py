"""Locust scenarios for the load test (run by bench/load.py, which sets the environment): walls polling their
level, phones posting check-ins with a 400 KB photo at a set rate, leaders paging households. The walls' SSE
streams are held by bench/load_walls.py, a light process of its own (parsing 200 streams here cost this
process a core and its scheduling delay counted as the API's latency). At the end it writes the check-ins
posted and each one's `Server-Timing` phases, for bench/load.py's table and breakdown."""

from __future__ import annotations

import datetime as dt
import itertools
import json
import os
import random
import socket
import time
import uuid

import gevent
from geventhttpclient.connectionpool import ConnectionPool
from locust import FastHttpUser, events, task

from bench.pacing import own_clock

URL = os.environ["LOAD_URL"]
PHONES = json.loads(open(os.environ["LOAD_PHONES"], encoding="utf-8").read())
PHOTO = open(os.environ["LOAD_PHOTO"], encoding="ascii").read()
DISPLAY = os.environ["LOAD_DISPLAY_TOKEN"]
LEADER = os.environ["LOAD_LEADER_TOKEN"]
RATE_PER_S = float(os.environ["LOAD_PHONES_PER_MIN"]) / 60
PHONE_USERS = int(os.environ["LOAD_PHONE_USERS"])
COUNTY = os.environ.get("LOAD_COUNTY", "522726")
# the phones' connections: "keep" (locust's own: kept alive, Nagle on), "close" (a new one per post) or "nodelay"
PHONE_SOCKET = os.environ.get("LOAD_PHONE_SOCKET", "keep")
BEIJING = dt.timezone(dt.timedelta(hours=8))

posted: list[int] = []
post_times: list[float] = []
timings: list[dict[str, float]] = []  # per check-in: the server's phases (ms) and what the phone saw ("client")
_phones = itertools.cycle(PHONES)
_ready = os.environ.get("LOAD_WALLS_READY", "")  # a file that exists once every wall holds its stream


def server_timing(header: str | None) -> dict[str, float]:
    """`a;dur=1.0, b;dur=2.5` → {"a": 1.0, "b": 2.5}."""
    out = {}
    for part in (header or "").split(","):
        name, _, rest = part.strip().partition(";dur=")
        if name and rest:
            out[name] = float(rest)
    return out


class Wall(FastHttpUser):
    """A command centre's wall: its level polled every 30 s (its SSE stream is bench/load_walls.py's)."""

    fixed_count = int(os.environ["LOAD_WALLS"])
    wait_time = own_clock(lambda: 30.0)  # a wall's timer, not 30 s after its last answer
    host = URL

    def on_start(self) -> None:
        gevent.sleep(random.uniform(0, 30))  # walls started together poll at different moments, as real ones do

    @task
    def poll_level(self) -> None:
        self.client.get(f"/api/v1/regions/{COUNTY}/level?year=2020", name="GET level (wall poll)",
                        headers={"Authorization": f"Bearer {DISPLAY}"})


class Leader(FastHttpUser):
    """A leader paging households on a laptop."""

    fixed_count = int(os.environ.get("LOAD_LEADERS", "5"))
    abstract = fixed_count == 0  # none: locust would otherwise share the users out by weight
    wait_time = own_clock(lambda: 5.0)
    host = URL

    @task
    def page(self) -> None:
        self.client.get(f"/api/v1/households?region={COUNTY}&page={int(time.time()) % 40 + 1}",
                        name="GET households (leader)", headers={"Authorization": f"Bearer {LEADER}"})


class Phone(FastHttpUser):
    """Cadres' phones: each post is one cadre's check-in with a 400 KB photo; together at LOAD_PHONES_PER_MIN."""

    abstract = PHONE_USERS == 0  # the phones posted by bench/load_phones.py's threads instead
    # each user's posts a Poisson stream (the phones' own moments); together the rate's Poisson arrivals
    wait_time = own_clock(lambda: random.expovariate(RATE_PER_S / max(1, PHONE_USERS)))
    host = URL

    def on_start(self) -> None:
        # the first check-in only once every wall holds its stream: each wall must then get every one
        deadline = time.monotonic() + 120
        while _ready and time.monotonic() < deadline and not os.path.exists(_ready):
            gevent.sleep(0.5)
        # spread the phones' first posts over one pacing interval: arrivals at the rate, not a burst
        gevent.sleep(random.uniform(0, PHONE_USERS / RATE_PER_S))

    @task
    def check_in(self) -> None:
        phone = next(_phones)
        body = {"client_id": str(uuid.uuid4()), "household_id": phone["household_id"],
                "at": dt.datetime.now(BEIJING).isoformat(timespec="seconds"), "note": "走访",
                "point": {"lon": phone["lon"], "lat": phone["lat"], "crs": "WGS-84"}, "accuracy_m": 10.0,
                "photos": [PHOTO]}
        headers = {"Cookie": phone["cookie"], **({"Connection": "close"} if PHONE_SOCKET == "close" else {})}
        with self.client.post("/api/v1/field/checkins", json=body, headers=headers,
                              name="POST check-in (phone, 400 KB photo)", catch_response=True) as r:
            if r.status_code in (200, 201):
                posted.append(r.json()["id"])
                post_times.append(time.time())
                timings.append({**server_timing(r.headers.get("Server-Timing")),
                                "client": r.request_meta["response_time"], "ended": post_times[-1]})
            else:
                r.failure(f"{r.status_code}: {r.text[:120]}")


if PHONE_SOCKET == "nodelay":  # every user's sockets (walls' polls and pages too): what a browser does
    _plain_socket = ConnectionPool._create_tcp_socket

    def _nodelay_socket(self, family, socktype, protocol):
        sock = _plain_socket(self, family, socktype, protocol)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return sock

    ConnectionPool._create_tcp_socket = _nodelay_socket


@events.quitting.add_listener
def _write_posted(environment, **_kw) -> None:
    with open(os.environ["LOAD_OUT"], "w", encoding="utf-8") as f:
        json.dump({"posted": posted, "timings": timings,
                   "window_s": (max(post_times) - min(post_times)) if len(post_times) > 1 else 0}, f)
