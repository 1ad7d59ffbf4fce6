"""The public QR pages: p50/p95 of a household's and a project's page over real HTTP, next to the API's own
JSON record of the same household or project (the peer: what a wall or app fetches), interleaved in the same
run; each page's size (raw and gzip); and the time and size of a village's cards and a project's poster.

The per-client rate limit is lifted for the run (it would stop a benchmark at 60 a minute).

    python bench/public.py [--reps 200] [--workdir /tmp/sandbox-bench]
"""

from __future__ import annotations

import argparse
import gzip
import sys
import tempfile
import time
from pathlib import Path

import requests
from sqlalchemy import func, select

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.api import pct, prepared_engine  # noqa: E402
from sandbox.reports.board import render_board  # noqa: E402
from sandbox.reports.cards import render_cards  # noqa: E402
from sandbox.server.public.views import project_view, site_of, village_cards  # noqa: E402
from sandbox.server.runtime import EmbeddedServer, new_token  # noqa: E402
from sandbox.store.db import session_factory  # noqa: E402
from sandbox.store.models import Household, ProjectBeneficiary, PublicSlug  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--reps", type=int, default=200)
    ap.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()) / "sandbox-bench")
    args = ap.parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)
    engine, households, _ = prepared_engine(args.workdir, 1)
    sessions = session_factory(engine)
    with sessions() as s:
        hh = s.execute(select(PublicSlug.slug, PublicSlug.subject_id).where(
            PublicSlug.kind == "household", PublicSlug.revoked_at.is_(None)).order_by(PublicSlug.subject_id).limit(50)).all()
        pp = s.execute(select(PublicSlug.slug, PublicSlug.subject_id).where(
            PublicSlug.kind == "project", PublicSlug.revoked_at.is_(None)).order_by(PublicSlug.subject_id)).all()
        village, linked = s.execute(
            select(Household.village_code, func.count(func.distinct(Household.id)))
            .join(ProjectBeneficiary, ProjectBeneficiary.household_id == Household.id)
            .group_by(Household.village_code).order_by(func.count(func.distinct(Household.id)).desc())).first()
    token = new_token(engine, "display", label="bench-public")
    server = EmbeddedServer(engine).start()
    server.server.config.app.state.rate_limits.limiter.hit = lambda *a, **k: True  # no limit for the run
    http = requests.Session()
    auth = {"Authorization": f"Bearer {token}"}
    cases = {
        "household page /q/<slug>": [f"{server.url}/q/{slug}" for slug, _ in hh],
        "peer: GET /api/v1/households/{id}": [f"{server.url}/api/v1/households/{i}" for _, i in hh],
        "project page /q/<slug>": [f"{server.url}/q/{slug}" for slug, _ in pp],
        "peer: GET /api/v1/projects/{id}": [f"{server.url}/api/v1/projects/{i}" for _, i in pp],
    }
    times: dict[str, list[float]] = {k: [] for k in cases}
    sizes: dict[str, list[tuple[int, int]]] = {k: [] for k in cases}
    for url in (u for urls in cases.values() for u in urls[:3]):  # warm-up
        http.get(url, headers=auth).raise_for_status()
    for rep in range(args.reps):
        for name, urls in cases.items():
            url = urls[rep % len(urls)]
            t0 = time.perf_counter()
            r = http.get(url, headers=auth)
            times[name].append((time.perf_counter() - t0) * 1000)
            r.raise_for_status()
            if rep < len(urls):
                sizes[name].append((len(r.content), len(gzip.compress(r.content))))
    server.stop()

    print(f"SQLite demo, {households} households; {args.reps} requests each, interleaved")
    print("| what | p50 ms | p95 ms | bytes (gzip) |\n|---|---|---|---|")
    for name in cases:
        raw = sorted(b for b, _ in sizes[name])[len(sizes[name]) // 2]
        gz = sorted(g for _, g in sizes[name])[len(sizes[name]) // 2]
        print(f"| {name} | {pct(times[name], .5):.1f} | {pct(times[name], .95):.1f} | {raw:,} ({gz:,}) |")

    with sessions() as s:
        t0 = time.perf_counter()
        cards = village_cards(s, village)
        s.commit()
        site = site_of(s)
        t_views = time.perf_counter() - t0
        project = project_view(s, pp[0][1], pp[0][0])
    out = args.workdir / "cards.pdf"
    t0 = time.perf_counter()
    pages = render_cards(str(out), cards, lambda slug: f"https://example.gov.cn/q/{slug}", county=site.county,
                         village=village, as_of=site.as_of, demo=site.demo)
    t_pdf = time.perf_counter() - t0
    print(f"\ncards of the village with the most links ({village}): {len(cards)} cards, {pages} A4 pages, "
          f"{out.stat().st_size / 1024:.0f} KB; read {t_views:.2f} s, rendered {t_pdf:.2f} s")
    board = args.workdir / "board.pdf"
    t0 = time.perf_counter()
    render_board(str(board), project, f"https://example.gov.cn/q/{pp[0][0]}", county=site.county, as_of=site.as_of,
                 demo=site.demo)
    print(f"poster of project {pp[0][1]}: {board.stat().st_size / 1024:.0f} KB, rendered "
          f"{time.perf_counter() - t0:.2f} s")


if __name__ == "__main__":
    main()
