"""What the region filter costs: every query that selects a region's records, with `queries.within`
(a code range an index serves) next to the peer it replaced (`code LIKE 'prefix%'`, which SQLite
cannot serve from an index), at county, town and village level, on the demo database. The API
requests go through an in-process TestClient; the facts refresh (what a check-in or an import runs)
in a transaction rolled back each time. Peers interleaved round by round in the same run.

    python bench/region_filter.py [--reps 7] [--workdir /tmp/sandbox-bench] [--db sqlite:////tmp/prov.db]

`--db`: an existing database instead of the demo county's, e.g. a province's slice (`sandbox demo build
--province 52 --counties 8`), where a county is a small part of the rows and its range is read by the index.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path
from unittest import mock

from fastapi.testclient import TestClient

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sandbox.domain.regions import RegionCode  # noqa: E402
from sandbox.server.app import create_app  # noqa: E402
from sandbox.server.runtime import new_token  # noqa: E402
from sandbox.store import rollup  # noqa: E402
from sandbox.store.db import make_engine  # noqa: E402
from sandbox.store.demo.builder import build_demo  # noqa: E402
from sandbox.store.migrate import upgrade  # noqa: E402

LEVELS = {"county": "522726000000", "town": "522726100000", "village": "522726100216"}
REQUESTS = {  # path with {code}
    "GET /households": "/households?region={code}",
    "GET /checkins (a year)": "/checkins?region={code}&since=2020-01-01T00:00:00%2B08:00&until=2021-01-01T00:00:00%2B08:00",
    "GET /checkins (since a month ago)": "/checkins?region={code}&since=2020-11-15T00:00:00%2B08:00",
    "GET /checkins (no time bound)": "/checkins?region={code}",
    "GET /checkins/visits": "/checkins/visits?region={code}&month=2020-12",
    "GET /projects": "/projects?region={code}",
    "GET /funds/flows": "/funds/flows?region={code}",
    "GET /funds/chain": "/funds/chain?region={code}",
    "GET /cameras": "/cameras?region={code}",
}
# where the filter is looked up by name (from sandbox.store.queries import within) or by module
_WITHIN_NAMES = ["sandbox.server.households.routes.within", "sandbox.server.checkins.routes.within",
                 "sandbox.server.projects.routes.within", "sandbox.server.funds.routes.within",
                 "sandbox.server.cameras.routes.within", "sandbox.store.checkins.within",
                 "sandbox.store.rollup.within", "sandbox.store.queries.within"]


def _like(column, code, **_):
    prefix = code.prefix if isinstance(code, RegionCode) else code
    return column.like(prefix + "%")


def _like_sql(column: str, prefix: str, **_) -> str:
    return f"{column} LIKE :lo || '%'"


def _peer():
    """The LIKE filter everywhere this code uses the range."""
    patches = [mock.patch(name, _like) for name in _WITHIN_NAMES]
    patches.append(mock.patch.object(rollup, "_under", _like_sql))
    return patches


def _timed(fn, peer: bool) -> float:
    patches = _peer() if peer else []
    for p in patches:
        p.start()
    try:
        t = time.perf_counter()
        fn()
        return (time.perf_counter() - t) * 1000
    finally:
        for p in patches:
            p.stop()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--reps", type=int, default=7)
    ap.add_argument("--workdir", type=Path, default=Path("/tmp/sandbox-bench"))
    ap.add_argument("--db", help="an existing database (default: the demo county, built in --workdir)")
    args = ap.parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)
    path = args.workdir / "region-filter.db"
    engine = make_engine(args.db or f"sqlite:///{path}")
    if not args.db and (not path.exists() or path.stat().st_size < 1_000_000):
        upgrade(engine)
        build_demo(engine, progress=False)
    headers = {"Authorization": f"Bearer {new_token(engine, 'admin')}"}

    def refresh(prefix: str):
        def run():
            with engine.connect() as conn:
                tx = conn.begin()
                rollup.refresh_facts(conn, prefix)
                tx.rollback()
        return run

    rows: list[tuple[str, str, object]] = []
    with TestClient(create_app(engine)) as client:
        for label, url in REQUESTS.items():
            for level, code in LEVELS.items():
                def call(u=url.format(code=code)):  # noqa: B008 - binds this request now
                    r = client.get("/api/v1" + u, headers=headers)
                    assert r.status_code == 200, (u, r.status_code, r.text[:200])
                    return r.json()
                # the same answer either way (the checked-in list: the same rows; an order among equal times may differ)
                ours, theirs = call(), None
                for p in _peer():
                    p.start()
                try:
                    theirs = call()
                finally:
                    mock.patch.stopall()
                if url.startswith("/checkins?"):  # newest first, cut at LIMIT: ties at the cut may differ
                    assert len(ours) == len(theirs), label
                elif url.startswith("/cameras"):  # signed stream URLs expire by the clock: a second apart differ
                    assert [c["id"] for c in ours] == [c["id"] for c in theirs], (label, level)
                else:
                    assert ours == theirs, (label, level)
                rows.append((label, level, call))
        for level, code in LEVELS.items():
            rows.append(("refresh_facts (a check-in, an import)", level, refresh(RegionCode(code).prefix)))

        times = {(label, level): ([], []) for label, level, _ in rows}
        for _ in range(args.reps):
            for label, level, fn in rows:
                ours, peer = times[(label, level)]
                ours.append(_timed(fn, peer=False))
                peer.append(_timed(fn, peer=True))

    # the fastest round too: on a shared, busy machine it is the steadiest view of the work itself
    print(f"Region filter on {args.db or 'the demo database'} (SQLite), {args.reps} rounds, ms; "
          f"load average {os.getloadavg()[0]:.1f}\n")
    print("| query | level | LIKE p50 | within p50 | change p50 | LIKE min | within min | change min |\n"
          "|---|---|---:|---:|---:|---:|---:|---:|")
    for (label, level), (ours, peer) in times.items():
        a, b = statistics.median(peer), statistics.median(ours)
        c, d = min(peer), min(ours)
        print(f"| {label} | {level} | {a:.1f} | {b:.1f} | {(b / a - 1) * 100:+.0f} % | {c:.1f} | {d:.1f} "
              f"| {(d / c - 1) * 100:+.0f} % |")


if __name__ == "__main__":
    main()
