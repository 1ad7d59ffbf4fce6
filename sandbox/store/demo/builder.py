"""`sandbox demo build`: a deterministic demo county on a real outline, written to the database."""

from __future__ import annotations

import datetime as dt
import json
import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from sqlalchemy import func, select, update
from sqlalchemy.engine import Engine
from tqdm import tqdm

from sandbox.domain.rules import CHECKIN_EFFECTIVE_M, village_exit_years
from sandbox.geo.outline import county_outline
from sandbox.geo.points import random_points_in, representative_point
from sandbox.geo.simplify import geometry_to_geojson
from sandbox.store import models as m
from sandbox.store.bulk import bulk_insert, columns_rows
from sandbox.store.demo import exits, people
from sandbox.store.demo.command import build_command_history
from sandbox.store.demo.department import build_department_files
from sandbox.store.demo.households import allocate, household_year_values, plan_households
from sandbox.store.demo.local import ethnic_mix, fund_sources
from sandbox.store.demo.projects import plan_projects
from sandbox.store.demo.public import prepare_public
from sandbox.store.demo.regions import county_targets, plan_regions
from sandbox.store.demo.risk import plant_risk_cases, run_demo_register
from sandbox.store.demo.targets import POVERTY_LINES, YEARS
from sandbox.store.demo.work import plan_cadres, plan_checkins
from sandbox.store.records import clear_records
from sandbox.store.rollup import refresh_facts, refresh_totals

__all__ = ["build_demo", "BuildReport", "CountyPlan", "DEFAULT_SEED", "plan_county", "write_county", "add_county_history"]

log = logging.getLogger(__name__)
DEFAULT_SEED = 20171206  # the seed article's date

# Tables a rebuild replaces (children first); tokens and the schema stay.


@dataclass
class BuildReport:
    county: str
    name: str
    towns: int
    villages: int
    households: int
    household_years: int
    members: int
    cadres: int
    checkins: int
    projects: int
    seconds: float
    names_source: str = ""  # where the towns' and villages' names and codes come from; "" made up


@dataclass
class CountyPlan:
    """Everything a county's build decides before it writes (its generator goes on into the write)."""

    outline: object
    targets: object
    regions: object
    village_poor: np.ndarray
    village_pop: dict
    plan: object
    members: dict
    values: dict
    hh_lon: np.ndarray
    hh_lat: np.ndarray
    cad: object
    chk: dict
    projects: list
    sources: list
    rng: np.random.Generator


def build_demo(engine: Engine, county: str = "522726", scale: int = 1, seed: int = DEFAULT_SEED,
               progress: bool = True, effective_m: float = CHECKIN_EFFECTIVE_M,
               files_dir: Path | None = None) -> BuildReport:
    started = dt.datetime.now()
    steps = tqdm(total=10, desc="构建演示数据", unit="步", disable=not progress, leave=False)
    p = plan_county(county, scale, seed, effective_m, steps.update)
    outline = p.outline
    with engine.begin() as conn:
        clear_records(conn)
        bulk_insert(conn, m.PovertyLine.__table__, ("year", "line_yuan"), sorted(POVERTY_LINES.items()))
        n_chk = write_county(conn, p, steps.update)
        add_county_history(conn, outline.code, seed, files_dir)
        refresh_facts(conn)
        _mark_poor_village_exits(conn, p.regions.village_codes, p.village_poor)
        refresh_totals(conn)
        steps.update()
        meta = {
            "demo": "true", "county_code": outline.code, "county_name": outline.name,
            "province": outline.province, "prefecture": outline.prefecture,
            "boundary_source": outline.source, "names_source": p.regions.names_source, "seed": str(seed),
            "scale": str(scale), "built_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "data_as_of": DATA_AS_OF, "years": ",".join(map(str, YEARS)),
        }
        bulk_insert(conn, m.Meta.__table__, ("key", "value"), meta.items())
        steps.update()
    run_demo_register(engine)  # the risk register filled, as after `sandbox risk run` (issue 17)
    steps.close()
    return BuildReport(outline.code, outline.name, len(p.targets.towns), len(p.regions.village_codes),
                       len(p.plan.size), len(p.plan.row_h), len(p.members["household"]), len(p.cad.role), n_chk,
                       len(p.projects), (dt.datetime.now() - started).total_seconds(), p.regions.names_source)


DATA_AS_OF = "2020-12-31T00:00:00+08:00"


def add_county_history(conn, county: str, seed: int, files_dir: Path | None) -> None:
    """What the demo county has beyond its records, read from the records written so far."""
    prepare_public(conn, seed)  # link terms and QR slugs (sandbox.server.public)
    build_command_history(conn, seed)  # instructions, inspections, complaints, call-backs (issue 16)
    plant_risk_cases(conn, county, seed)  # what the funds and check-in rules read, planted cases (issue 17)
    build_department_files(conn, seed, files_dir)  # department files with planted 伪贫困户 cases (issue 17)


def plan_county(county: str, scale: int, seed: int, effective_m: float = CHECKIN_EFFECTIVE_M,
                step=lambda: None, poor_2014: tuple[int, float] | None = None) -> CountyPlan:
    """A county's towns, villages, households, members, cadres, check-ins and projects, in memory
    (`poor_2014`: its share of a real province's poor, as targets_for takes it)."""
    outline = county_outline(county)
    area_km2 = _area_km2(outline.geometry)
    targets, real = county_targets(outline.code, area_km2, poor_2014)
    t = targets.scaled(scale)
    rng = np.random.default_rng(seed)

    # Regions: towns partition the real outline; villages partition each town.
    regions = plan_regions(outline, t, rng, real)
    town_geoms, village_geoms, village_town = regions.town_geoms, regions.village_geoms, regions.village_town
    n_v = len(village_geoms)
    seat = t.towns.index(t.seat_town)
    seat_pt = np.array(representative_point(town_geoms[seat]))
    vpts = np.array([representative_point(g) for g in village_geoms])
    remoteness = np.hypot(*(vpts - seat_pt).T)
    poor_p = (remoteness + 0.05) / (remoteness + 0.05).sum()
    village_poor = np.zeros(n_v, dtype=bool)
    village_poor[rng.choice(n_v, t.poor_villages, replace=False, p=poor_p)] = True
    pop_w = np.sqrt([g.area for g in village_geoms]) * rng.lognormal(0, 0.25, n_v)
    pop16 = allocate(t.rural_population_2016, pop_w)
    village_pop = {y: (pop16 if y == 2016 else np.round(pop16 * (1 - 0.004 * (y - 2016))).astype(np.int64))
                   for y in YEARS}
    step()

    plan = plan_households(rng, t, village_pop, village_poor)
    n_h = len(plan.size)
    hh_lon = np.empty(n_h)
    hh_lat = np.empty(n_h)
    for v in range(n_v):
        idx = np.flatnonzero(plan.village_idx == v)
        if len(idx):
            hh_lon[idx], hh_lat[idx] = random_points_in(village_geoms[v], len(idx), rng)
    step()

    ethnic = t.ethnic_groups or ethnic_mix(outline.code, outline.prefecture, outline.name)
    members = _plan_members(rng, plan, outline.code, ethnic)
    school_age = np.zeros(n_h, dtype=bool)
    np.logical_or.at(school_age, members["household"], (members["age"] >= 6) & (members["age"] <= 15))
    values = household_year_values(rng, plan, school_age, exits.generator(seed))  # incomes exits follow (issue 17)
    step()

    poor_in = {}
    for y in YEARS:
        sel = plan.row_year == y
        mask = np.zeros(n_h, dtype=bool)
        mask[plan.row_h[sel]] = np.isin(plan.row_status[sel], ("poor", "relapsed"))
        poor_in[y] = mask
    status_2017 = poor_in[2017]
    cad = plan_cadres(rng, t, outline.name, list(t.towns), village_town, village_poor, plan.village_idx,
                      plan.identified_year, plan.closed_year, status_2017)
    chk = plan_checkins(rng, cad, hh_lon, hh_lat, poor_in, effective_m)
    step()

    def village_point(v: int) -> tuple[float, float]:
        x, y = random_points_in(village_geoms[v], 1, rng)
        return round(float(x[0]), 6), round(float(y[0]), 6)

    projects, sources = plan_projects(rng, t, list(t.towns), village_town, village_point, plan.village_idx,
                                      fund_sources(outline.code, outline.province, outline.prefecture, outline.name))
    step()
    return CountyPlan(outline, t, regions, village_poor, village_pop, plan, members, values, hh_lon, hh_lat, cad, chk,
                      projects, sources, rng)


def _next_ids(conn) -> dict[str, int]:
    """The highest id of each table the builder numbers itself: a county written after others goes on
    from there (0 each in an empty database, so a county's own build numbers from 1 as before)."""
    tables = {"household": m.Household, "cadre": m.Cadre, "project": m.Project, "source": m.FundSource,
              "allocation": m.FundAllocation, "payment": m.FundPayment, "camera": m.Camera, "progress": m.ProjectProgress}
    return {k: int(conn.execute(select(func.coalesce(func.max(t.id), 0))).scalar()) for k, t in tables.items()}


def write_county(conn, p: CountyPlan, step=lambda: None) -> int:
    """Write a planned county's regions and records; the number of check-ins written."""
    ids = _next_ids(conn)
    h0, c0 = ids["household"], ids["cadre"]
    outline, t, regions, plan, cad, chk = p.outline, p.targets, p.regions, p.plan, p.cad, p.chk
    village_codes, town_codes = regions.village_codes, regions.town_codes
    n_v = len(village_codes)
    _write_regions(conn, outline, outline.code + "000000", town_codes, t, regions.town_geoms, village_codes,
                   regions.village_names, regions.village_town, regions.village_geoms, p.village_poor)
    bulk_insert(conn, m.RegionPopulation.__table__, ("region_code", "year", "rural_population"),
                ((village_codes[v], y, int(p.village_pop[y][v])) for y in YEARS for v in range(n_v)))
    step()
    vc = np.array(village_codes)
    _write_households(conn, plan, p.members, p.values, vc, p.hh_lon, p.hh_lat, p.rng, h0)
    step()
    region_of_cadre = np.where(cad.village_idx >= 0, vc[np.maximum(cad.village_idx, 0)],
                               np.array(town_codes)[cad.town_idx])
    bulk_insert(conn, m.Cadre.__table__, ("id", "name", "unit", "phone", "role", "region_code", "start_year", "end_year"),
                zip(range(c0 + 1, c0 + len(cad.role) + 1), cad.name.tolist(), cad.unit.tolist(), cad.phone.tolist(),
                    cad.role.tolist(), region_of_cadre.tolist(), cad.start_year.tolist(), [None] * len(cad.role)))
    bulk_insert(conn, m.Assignment.__table__, ("cadre_id", "household_id", "start_year", "end_year"),
                zip((cad.a_cadre + c0 + 1).tolist(), (cad.a_household + h0 + 1).tolist(), cad.a_start.tolist(),
                    [None if e == 0 else e for e in cad.a_end.tolist()]))
    at = chk["at"].astype("datetime64[s]").astype(object)
    vcode = vc[plan.village_idx[chk["household"]]]
    n_chk = bulk_insert(
        conn, m.Checkin.__table__,
        ("cadre_id", "household_id", "village_code", "at", "lon", "lat", "source_crs", "accuracy_m",
         "distance_m", "effective", "note", "photos"),
        columns_rows(chk["cadre"] + c0 + 1, chk["household"] + h0 + 1, vcode, at, chk["lon"], chk["lat"], chk["crs"],
                     chk["acc"], chk["dist"], chk["effective"], chk["note"], np.full(len(at), "[]")),
    )
    step()
    _write_projects(conn, p.projects, p.sources, vc, town_codes, ids)
    return n_chk


def _area_km2(geom) -> float:
    lat = geom.centroid.y
    return geom.area * (111.32 ** 2) * np.cos(np.radians(lat))


def _write_regions(conn, outline, county_code, town_codes, t, town_geoms, village_codes, village_names,
                   village_town, village_geoms, village_poor) -> None:
    rows = []
    parent = outline.code[:4] + "00000000"
    lon, lat = representative_point(outline.geometry)
    rows.append((county_code, outline.name, "county", parent, False, False,
                 json.dumps(geometry_to_geojson(outline.geometry, 6)), "GCJ-02", lon, lat))
    for code, name, g in zip(town_codes, t.towns, town_geoms):
        lon, lat = representative_point(g)
        rows.append((code, name, "town", county_code, False, True, json.dumps(geometry_to_geojson(g, 6)),
                     "GCJ-02", lon, lat))
    for code, name, ti, g, poor in zip(village_codes, village_names, village_town, village_geoms, village_poor):
        lon, lat = representative_point(g)
        rows.append((code, name, "village", town_codes[ti], bool(poor), True,
                     json.dumps(geometry_to_geojson(g, 6)), "GCJ-02", lon, lat))
    bulk_insert(conn, m.Region.__table__, ("code", "name", "level", "parent_code", "is_poor_village", "synthetic",
                                            "boundary", "boundary_source_crs", "label_lon", "label_lat"), rows)


def _plan_members(rng, plan, county: str, ethnic_groups: tuple[tuple[str, float], ...]) -> dict[str, np.ndarray]:
    size = plan.size
    hh = np.repeat(np.arange(len(size)), size)
    pos = np.arange(len(hh)) - np.repeat(np.cumsum(size) - size, size)
    n = len(hh)
    head_age = rng.integers(28, 76, len(size))
    age = np.where(pos == 0, head_age[hh], 0)
    age = np.where(pos == 1, np.clip(head_age[hh] + rng.integers(-5, 4, n), 20, 90), age)
    child = np.clip(head_age[hh] - rng.integers(20, 36, n), 1, 60)
    age = np.where(pos >= 2, child, age)
    elder = (pos >= 5) & (head_age[hh] < 50)
    age = np.where(elder, head_age[hh] + rng.integers(22, 30, n), age)
    grandchild = (pos >= 5) & ~elder
    age = np.where(grandchild, rng.integers(1, 14, n), age)
    relation = np.select([pos == 0, pos == 1, elder, grandchild], ["户主", "配偶", "父母", "孙子女"], "子女")
    head_male = rng.random(len(size)) < .85
    male = np.where(pos == 0, head_male[hh], np.where(pos == 1, ~head_male[hh], rng.random(n) < .5))
    family = people.surnames(rng, len(size))
    surname = np.where(pos == 1, people.surnames(rng, n), family[hh])
    names = people.names(rng, male, surname)
    births = people.birth_dates(rng, age)
    ids = people.id_numbers(rng, county, births, male)
    groups, shares = zip(*ethnic_groups)
    ethnic = rng.choice(np.array(groups), len(size), p=list(shares))[hh]
    health = rng.choice(np.array(["健康", "长期慢性病", "患有大病", "残疾"]), n, p=[.75, .15, .05, .05])
    edu = np.select([age < 6, age < 13, age < 16, age < 19], ["学龄前", "小学", "初中", "高中"],
                    rng.choice(np.array(["文盲或半文盲", "小学", "初中", "高中"]), n, p=[.2, .4, .3, .1]))
    labour = np.where((age >= 16) & (age <= 60) & (health == "健康"), "普通劳动力",
                      np.where((age >= 16) & (age <= 64), "弱劳动力", "无劳动力"))
    migrant = (labour == "普通劳动力") & (rng.random(n) < .35)
    return {"household": hh, "pos": pos, "age": age, "relation": relation, "male": male, "name": names,
            "id": ids, "ethnic": ethnic, "health": health, "edu": edu, "labour": labour, "migrant": migrant}


def _write_households(conn, plan, members, values, vc, hh_lon, hh_lat, rng, h0: int = 0) -> None:
    n = len(plan.size)
    head = members["pos"] == 0
    heads = {k: members[k][head] for k in ("name", "id")}
    seq = np.zeros(n, dtype=np.int64)
    order = np.argsort(plan.village_idx, kind="stable")
    counts = np.bincount(plan.village_idx, minlength=len(vc))
    seq[order] = np.arange(n) - np.repeat(np.cumsum(counts) - counts, counts) + 1
    numbers = np.char.add(vc[plan.village_idx], np.char.zfill(seq.astype(str), 5))
    phones = people.phones(rng, n)
    accounts = np.char.add("6217", np.char.zfill(rng.integers(0, 10**12, n).astype(str), 12))
    bulk_insert(conn, m.Household.__table__,
                ("id", "household_number", "village_code", "head_name", "id_number", "phone", "bank_account",
                 "attribute", "identified_year", "main_cause", "exit_batch", "lon", "lat"),
                columns_rows(np.arange(h0 + 1, h0 + n + 1), numbers, vc[plan.village_idx], heads["name"], heads["id"], phones,
                             accounts, plan.attribute, plan.identified_year, plan.cause, plan.batch,
                             np.round(hh_lon, 6), np.round(hh_lat, 6)))
    v = values
    bulk_insert(conn, m.HouseholdYear.__table__,
                ("household_id", "year", "status", "exited_this_year", "members", "income_wage", "income_business",
                 "income_transfer", "income_property", "production_cost", "net_income", "per_capita_net_income",
                 "food_clothing_ok", "school_age_children", "dropout", "all_insured", "housing_grade", "relocated",
                 "water_safe", "survey_satisfied"),
                columns_rows(plan.row_h + h0 + 1, plan.row_year, plan.row_status, plan.row_exited_this_year, v["members"],
                             v["wage"], v["business"], v["transfer"], v["property"], v["cost"], v["net"],
                             v["per_capita"], v["food"], v["school_age"], v["dropout"], v["insured"], v["grade"],
                             v["relocated"], v["water"], v["satisfied"]))
    mm = members
    bulk_insert(conn, m.Member.__table__,
                ("household_id", "name", "id_number", "relation", "sex", "ethnicity", "education", "health",
                 "labour_capacity", "migrant_work"),
                columns_rows(mm["household"] + h0 + 1, mm["name"], mm["id"], mm["relation"], np.where(mm["male"], "男", "女"),
                             mm["ethnic"], mm["edu"], mm["health"], mm["labour"], mm["migrant"]))


def _write_projects(conn, projects, sources, vc, town_codes, ids: dict[str, int]) -> None:
    source_ids = {}
    for i, s in enumerate(sources, start=ids["source"] + 1):
        source_ids[s["key"]] = i
    bulk_insert(conn, m.FundSource.__table__, ("id", "level", "fund_type", "document_number", "year", "amount"),
                ((source_ids[s["key"]], s["level"], s["fund_type"], s["document_number"], s["year"],
                  round(s["amount"], 2)) for s in sources))
    alloc_id, pay_id, cam_id, hist_id = ids["allocation"], ids["payment"], ids["camera"], ids["progress"]
    h0 = ids["household"]
    for pid, p in enumerate(projects, start=ids["project"] + 1):
        region = str(vc[p.village_idx])
        conn.execute(m.Project.__table__.insert().values(
            id=pid, name=p.name, industry=p.industry, batch=p.batch, region_code=region, lon=p.lon, lat=p.lat,
            budget=p.budget, stage=p.stage, progress=p.progress, planned_year=p.planned_year,
            started_year=p.started_year, description=p.description))
        for date, stage, prog in p.history:
            hist_id += 1
            conn.execute(m.ProjectProgress.__table__.insert().values(
                id=hist_id, project_id=pid, date=date, stage=stage, progress=prog))
        bulk_insert(conn, m.ProjectBeneficiary.__table__, ("project_id", "household_id"),
                    ((pid, int(h) + h0 + 1) for h in p.beneficiaries))
        for a in p.allocations:
            alloc_id += 1
            conn.execute(m.FundAllocation.__table__.insert().values(
                id=alloc_id, source_id=source_ids[a["source_key"]], project_id=pid, region_code=region,
                year=a["year"], allocated=a["allocated"], allocated_date=a["allocated_date"], arrived=a["arrived"],
                arrived_date=a["arrived_date"], filed=a["filed"], reimbursed=a["reimbursed"]))
            for pay in a["payments"]:
                pay_id += 1
                conn.execute(m.FundPayment.__table__.insert().values(id=pay_id, allocation_id=alloc_id, **pay))
        for k, cam in enumerate(p.cameras):
            cam_id += 1
            conn.execute(m.Camera.__table__.insert().values(
                id=cam_id, name=f"{p.name}·{cam}", site=p.name, project_id=pid, region_code=region,
                lon=round(p.lon + 0.0004 * k, 6), lat=round(p.lat + 0.0003 * k, 6),
                stream_url=f"/api/v1/demo/streams/{cam_id}.mjpeg",
                sub_stream_url=f"/api/v1/demo/streams/{cam_id}/sub.mjpeg", status="online"))


def _mark_poor_village_exits(conn, village_codes, village_poor) -> None:
    """A poor village exits (出列) in the first year its incidence is under the exit line."""
    rows = conn.execute(select(m.RegionYearFacts.region_code, m.RegionYearFacts.year,
                               m.RegionYearFacts.poor_population, m.RegionYearFacts.rural_population)).all()
    exit_year = village_exit_years(rows, (c for c, p in zip(village_codes, village_poor) if p))
    for code, year in exit_year.items():
        conn.execute(update(m.Region).where(m.Region.code == code).values(poor_village_exit_year=year))


