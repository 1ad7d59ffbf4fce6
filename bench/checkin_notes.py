"""What a display token's GET /checkins costs for the household names in notes: the whole request
(5,000 rows, in-process TestClient on the demo database) with this code's name matching (the rows'
households' names in one IN query, matched in Python) next to the peer it replaced (a SQL join of
member and head names against the notes, LIKE per pair), and with no name matching at all (a
leader's view of the same rows, as the floor). Interleaved round by round in the same run.

    python bench/checkin_notes.py [--reps 15] [--workdir /tmp/sandbox-bench]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import select, union

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.api import pct  # noqa: E402
from sandbox.server.app import create_app  # noqa: E402
from sandbox.server.checkins import routes  # noqa: E402
from sandbox.server.runtime import new_token  # noqa: E402
from sandbox.store.db import make_engine  # noqa: E402
from sandbox.store.demo.builder import build_demo  # noqa: E402
from sandbox.store.migrate import upgrade  # noqa: E402
from sandbox.store.models import Checkin, Household, Member  # noqa: E402

URL = "/api/v1/checkins?region=522726&since=2017-01-01T00:00:00%2B08:00&until=2021-01-01T00:00:00%2B08:00"


def _old_names_in_notes(session, rows) -> dict[int, list[str]]:
    """The replaced matching: names joined against notes in SQL."""
    checkin_ids = [r[0] for r in rows]
    out: dict[int, list[str]] = {}
    for start in range(0, len(checkin_ids), 1000):
        chunk = checkin_ids[start:start + 1000]
        members = select(Checkin.id, Member.name).join(Member, Member.household_id == Checkin.household_id) \
            .where(Checkin.id.in_(chunk), Checkin.note.contains(Member.name))
        heads = select(Checkin.id, Household.head_name).join(Household, Household.id == Checkin.household_id) \
            .where(Checkin.id.in_(chunk), Checkin.note.contains(Household.head_name))
        for checkin_id, name in session.execute(union(members, heads)):
            out.setdefault(checkin_id, []).append(name)
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--reps", type=int, default=15)
    ap.add_argument("--workdir", type=Path, default=Path("/tmp/sandbox-bench"))
    args = ap.parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)
    path = args.workdir / "checkin-notes.db"
    engine = make_engine(f"sqlite:///{path}")
    if not path.exists() or path.stat().st_size < 1_000_000:
        upgrade(engine)
        build_demo(engine, progress=False)
    display, leader = new_token(engine, "display"), new_token(engine, "leader")
    ours = routes._names_in_notes
    variants = {"this code (one row per household by IN, matched in Python)": (display, ours),
                "peer: SQL join of names against notes": (display, _old_names_in_notes),
                "floor: leader (no name matching)": (leader, ours)}
    times: dict[str, list[float]] = {k: [] for k in variants}
    bodies: dict[str, list] = {}
    with TestClient(create_app(engine)) as client:
        for name, (token, fn) in variants.items():  # warm-up, and every variant answers the same rows
            routes._names_in_notes = fn
            r = client.get(URL, headers={"Authorization": f"Bearer {token}"})
            assert r.status_code == 200 and len(r.json()) == routes.LIMIT, (r.status_code, len(r.json()))
            bodies[name] = r.json()
        assert bodies["this code (one row per household by IN, matched in Python)"] == bodies["peer: SQL join of names against notes"]
        masked = sum("*" in (c.get("note") or "") for c in bodies["peer: SQL join of names against notes"])
        for _ in range(args.reps):
            for name, (token, fn) in variants.items():
                routes._names_in_notes = fn
                t = time.perf_counter()
                client.get(URL, headers={"Authorization": f"Bearer {token}"})
                times[name].append((time.perf_counter() - t) * 1000)
    routes._names_in_notes = ours
    floor = statistics.median(times["floor: leader (no name matching)"])
    print(f"GET /checkins, {routes.LIMIT} rows ({masked} notes scrubbed, the same with both matchings), "
          f"{args.reps} rounds\n")
    print("| variant | p50 ms | p95 ms | over the floor |\n|---|---:|---:|---:|")
    for name, values in times.items():
        p50 = statistics.median(values)
        print(f"| {name} | {p50:.1f} | {pct(values, 0.95):.1f} | {(p50 / floor - 1) * 100:+.0f} % |")


if __name__ == "__main__":
    main()
