"""Locust scenarios for the load test (run by bench/load.py, which sets the environment): walls holding SSE
streams and polling their level, phones posting check-ins with a 400 KB photo at a set rate, leaders paging
households. At the end it writes what every wall received, so bench/load.py can check exactly-once delivery."""

from __future__ import annotations

import datetime as dt
import itertools
import json
import os
import random
import time
import uuid

import gevent
import requests
from locust import HttpUser, constant, constant_throughput, events, task

URL = os.environ["LOAD_URL"]
PHONES = json.loads(open(os.environ["LOAD_PHONES"], encoding="utf-8").read())
PHOTO = open(os.environ["LOAD_PHOTO"], encoding="ascii").read()
DISPLAY = os.environ["LOAD_DISPLAY_TOKEN"]
LEADER = os.environ["LOAD_LEADER_TOKEN"]
RATE_PER_S = float(os.environ["LOAD_PHONES_PER_MIN"]) / 60
PHONE_USERS = int(os.environ["LOAD_PHONE_USERS"])
COUNTY = os.environ.get("LOAD_COUNTY", "522726")
BEIJING = dt.timezone(dt.timedelta(hours=8))

posted: list[int] = []
post_times: list[float] = []
walls: list[dict] = []
_phones = itertools.cycle(PHONES)


def _hold_stream(state: dict) -> None:
    """One wall's SSE stream: every `checkin` event id it receives (reconnecting with Last-Event-ID)."""
    last = None
    while not state["stop"]:
        headers = {"Authorization": f"Bearer {DISPLAY}", **({"Last-Event-ID": str(last)} if last else {})}
        try:
            with requests.get(URL + "/api/v1/events", headers=headers, stream=True, timeout=(10, 60)) as r:
                kind = None
                state["connected"] = r.status_code == 200
                for line in r.iter_lines(decode_unicode=True):
                    if state["stop"]:
                        return
                    if line.startswith("id: "):
                        last = int(line[4:])
                    elif line.startswith("event: "):
                        kind = line[7:]
                    elif line.startswith("data: ") and kind == "checkin":
                        state["ids"].append(json.loads(line[6:])["id"])
                    elif line.startswith("data: ") and kind == "resync":
                        # the server dropped what this stream had not read (it fell behind): continue from the
                        # last id received, as the SSE contract allows — the missed ones come from the log
                        state["resyncs"] += 1
                        break
        except requests.RequestException:
            state["reconnects"] += 1
            gevent.sleep(1)


class Wall(HttpUser):
    """A command centre's wall: an SSE stream held open, its level polled every 30 s."""

    fixed_count = int(os.environ["LOAD_WALLS"])
    wait_time = constant(30)
    host = URL

    def on_start(self) -> None:
        self.state = {"ids": [], "reconnects": 0, "resyncs": 0, "stop": False, "connected": False}
        walls.append(self.state)
        gevent.spawn(_hold_stream, self.state)  # not the user's greenlet: it outlives the stop, to drain

    @task
    def poll_level(self) -> None:
        self.client.get(f"/api/v1/regions/{COUNTY}/level?year=2020", name="GET level (wall poll)",
                        headers={"Authorization": f"Bearer {DISPLAY}"})


class Leader(HttpUser):
    """A leader paging households on a laptop."""

    fixed_count = int(os.environ.get("LOAD_LEADERS", "5"))
    wait_time = constant(5)
    host = URL

    @task
    def page(self) -> None:
        self.client.get(f"/api/v1/households?region={COUNTY}&page={int(time.time()) % 40 + 1}",
                        name="GET households (leader)", headers={"Authorization": f"Bearer {LEADER}"})


class Phone(HttpUser):
    """Cadres' phones: each post is one cadre's check-in with a 400 KB photo; together at LOAD_PHONES_PER_MIN."""

    wait_time = constant_throughput(RATE_PER_S / PHONE_USERS)
    host = URL

    def on_start(self) -> None:
        # the first check-in only once every wall holds its stream: each wall must then get every one
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and (len(walls) < Wall.fixed_count
                                               or not all(w["connected"] for w in walls)):
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
        with self.client.post("/api/v1/field/checkins", json=body, headers={"Cookie": phone["cookie"]},
                              name="POST check-in (phone, 400 KB photo)", catch_response=True) as r:
            if r.status_code in (200, 201):
                posted.append(r.json()["id"])
                post_times.append(time.time())
            else:
                r.failure(f"{r.status_code}: {r.text[:120]}")


@events.quitting.add_listener
def _write_delivery(environment, **_kw) -> None:
    # the last check-ins' events are on their way: wait until every wall has every one, or the drain bound
    # passes (a saturated API answers a post seconds before its event is out; a fixed short wait counted
    # those as lost)
    want = set(posted)
    deadline = time.monotonic() + float(os.environ.get("LOAD_DRAIN_S", "60"))
    while time.monotonic() < deadline and not all(want <= set(w["ids"]) for w in walls):
        gevent.sleep(0.5)
    for w in walls:
        w["stop"] = True
    with open(os.environ["LOAD_OUT"], "w", encoding="utf-8") as f:
        json.dump({"posted": posted, "window_s": (max(post_times) - min(post_times)) if len(post_times) > 1 else 0,
                   "walls": [{"ids": w["ids"], "reconnects": w["reconnects"], "resyncs": w["resyncs"]}
                             for w in walls]}, f)
