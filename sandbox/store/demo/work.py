"""Cadres (帮扶干部), their 一帮四 assignments and monthly check-ins (工作签到) for the demo."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sandbox.domain.rules import EARTH_RADIUS_M, is_effective_visit
from sandbox.store.demo import people
from sandbox.store.demo.households import allocate
from sandbox.store.demo.targets import CountyTargets

__all__ = ["CadrePlan", "plan_cadres", "plan_checkins", "haversine_m"]

_UNITS = ("人民政府办公室", "教育局", "卫生和计划生育局", "财政局", "农业局", "林业局", "水务局",
          "交通运输局", "住房和城乡建设局", "民政局", "人力资源和社会保障局", "扶贫开发办公室",
          "国土资源局", "环境保护局", "公安局", "人民法院", "人民检察院", "统计局", "审计局", "文化广电局")
_NOTES = ("走访了解家庭收入情况", "宣讲精准扶贫政策", "核实住房安全情况", "协助申报产业扶持项目",
          "落实医疗保险参保缴费", "了解子女就学情况", "帮助联系外出务工岗位", "核对帮扶台账信息",
          "征询对帮扶工作的意见", "指导发展林下养殖")


@dataclass
class CadrePlan:
    village_idx: np.ndarray  # -1 for town-level cadres
    town_idx: np.ndarray
    role: np.ndarray
    start_year: np.ndarray
    name: np.ndarray
    unit: np.ndarray
    phone: np.ndarray
    # assignments
    a_cadre: np.ndarray
    a_household: np.ndarray
    a_start: np.ndarray
    a_end: np.ndarray  # 0: still active
    example: int  # index of the seed's named cadre


def plan_cadres(rng: np.random.Generator, t: CountyTargets, county_name: str, towns: list[str],
                village_town: np.ndarray, village_poor: np.ndarray, hh_village: np.ndarray,
                hh_identified: np.ndarray, hh_closed: np.ndarray, hh_poor_2017: np.ndarray) -> CadrePlan:
    n_villages = len(village_town)
    active = hh_closed > 2017
    active_per_village = np.bincount(hh_village[active], minlength=n_villages)
    has = active_per_village > 0
    # One helper per village first, the rest in proportion to its households.
    helpers_v = has.astype(np.int64)
    helpers_v += allocate(t.helpers_2017 - int(has.sum()), active_per_village)
    helpers_v = np.minimum(helpers_v, active_per_village)
    h_village = np.repeat(np.arange(n_villages), helpers_v)
    n_h = len(h_village)
    role = np.full(n_h, "helper", dtype="<U16")
    # 第一书记: one of the helpers in chosen villages, poor villages first.
    order = np.r_[rng.permutation(np.flatnonzero(village_poor & has)), rng.permutation(np.flatnonzero(~village_poor & has))]
    fs_villages = order[: t.first_secretary_villages]
    first_of_village = np.r_[0, np.cumsum(helpers_v)[:-1]]
    role[first_of_village[fs_villages]] = "first_secretary"
    start = rng.choice([2014, 2015, 2016, 2017], n_h, p=[.35, .50, .10, .05])
    fs = role == "first_secretary"
    start[fs] = rng.choice([2015, 2016, 2017], int(fs.sum()), p=[.7, .2, .1])

    n_other = t.cadres_2017 - n_h
    n_town = int(round(n_other * 2 / 3))
    o_role = np.r_[np.full(n_town, "town_cadre"), np.full(n_other - n_town, "village_team")].astype("<U16")
    o_town = rng.integers(0, len(towns), n_other)
    o_village = np.where(o_role == "village_team", rng.choice(np.flatnonzero(village_poor), n_other), -1)
    o_town = np.where(o_village >= 0, village_town[np.maximum(o_village, 0)], o_town)
    o_start = rng.choice([2014, 2015, 2016, 2017], n_other)

    village_idx = np.r_[h_village, o_village]
    town_idx = np.r_[village_town[h_village], o_town]
    roles = np.r_[role, o_role]
    starts = np.r_[start, o_start]
    n = len(roles)
    male = rng.random(n) < .62
    names = people.names(rng, male)
    unit_names = np.char.add(county_name, rng.choice(np.array(_UNITS), n))
    unit_names = np.where(roles == "town_cadre", np.char.add(np.array(towns)[town_idx], "人民政府"), unit_names)
    phones = people.phones(rng, n)

    # 一帮四: active households of a village go round-robin to its helpers; closed ones after.
    a_cadre, a_household = [], []
    hh_order = np.lexsort((~active, hh_village))
    starts_of = np.r_[0, np.cumsum(np.bincount(hh_village, minlength=n_villages))]
    helper_first = np.r_[0, np.cumsum(helpers_v)]
    for v in range(n_villages):
        hh = hh_order[starts_of[v]: starts_of[v + 1]]
        k = helpers_v[v]
        if k == 0 or len(hh) == 0:
            continue
        a_household.append(hh)
        a_cadre.append(helper_first[v] + np.arange(len(hh)) % k)
    a_household = np.concatenate(a_household)
    a_cadre = np.concatenate(a_cadre)
    a_start = np.maximum(starts[a_cadre], hh_identified[a_household])
    a_end = np.where(hh_closed[a_household] < 9999, hh_closed[a_household], 0)
    keep = (a_end == 0) | (a_start < a_end)
    a_cadre, a_household, a_start, a_end = a_cadre[keep], a_household[keep], a_start[keep], a_end[keep]

    # The seed names a cadre whose check-ins run every month May-November 2017.
    with_poor = np.unique(a_cadre[hh_poor_2017[a_household] & (a_start <= 2017)])
    example = int(with_poor[np.argmax(roles[with_poor] == "helper")])
    if t.example_cadre:
        names[example] = t.example_cadre
    starts[example] = min(starts[example], 2015)
    a_start[a_cadre == example] = np.maximum(2015, hh_identified[a_household[a_cadre == example]])
    return CadrePlan(village_idx, town_idx, roles, starts, names, unit_names, phones,
                     a_cadre, a_household, a_start, a_end, example)


def haversine_m(lon1, lat1, lon2, lat2):
    lon1, lat1, lon2, lat2 = map(np.radians, (lon1, lat1, lon2, lat2))
    a = np.sin((lat2 - lat1) / 2) ** 2 + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    return 2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(a))


def plan_checkins(rng: np.random.Generator, plan: CadrePlan, hh_lon, hh_lat, poor_in: dict[int, np.ndarray],
                  effective_m: float) -> dict[str, np.ndarray]:
    """Months May-Nov 2017 for every poor household's helper, and each December 2018-2020."""
    months = [(2017, m) for m in range(5, 12)] + [(2018, 12), (2019, 12), (2020, 12)]
    active = plan.a_end == 0
    cols: dict[str, list] = {k: [] for k in ("cadre", "household", "at", "lon", "lat", "dist", "crs", "acc", "note")}
    for year, month in months:
        sel = active & (plan.a_start <= year) & poor_in[year][plan.a_household]
        p = .93 if year == 2017 else .95
        chosen = sel & ((rng.random(len(sel)) < p) | (plan.a_cadre == plan.example))
        idx = np.flatnonzero(chosen)
        if plan.example in plan.a_cadre[idx]:
            # one visit a month is what the example shows, not one per household
            ex = idx[plan.a_cadre[idx] == plan.example]
            idx = np.r_[idx[plan.a_cadre[idx] != plan.example], ex[:1]]
        m = len(idx)
        hh = plan.a_household[idx]
        near = (rng.random(m) < .96) | (plan.a_cadre[idx] == plan.example)
        dist_deg = np.where(near, np.abs(rng.normal(0, 0.0006, m)), rng.uniform(0.012, 0.03, m))
        angle = rng.uniform(0, 2 * np.pi, m)
        lon = hh_lon[hh] + dist_deg * np.cos(angle)
        lat = hh_lat[hh] + dist_deg * np.sin(angle)
        day = rng.integers(1, 29, m)
        secs = rng.integers(8 * 3600, 18 * 3600, m)
        base = np.datetime64(f"{year}-{month:02d}-01T00:00:00")
        at = base + (day - 1).astype("timedelta64[D]") + secs.astype("timedelta64[s]")
        cols["cadre"].append(plan.a_cadre[idx])
        cols["household"].append(hh)
        cols["at"].append(at)
        cols["lon"].append(np.round(lon, 6))
        cols["lat"].append(np.round(lat, 6))
        cols["dist"].append(np.round(haversine_m(hh_lon[hh], hh_lat[hh], lon, lat), 1))
        cols["crs"].append(np.where(rng.random(m) < .8, "GCJ-02", "WGS-84"))
        cols["acc"].append(np.round(rng.uniform(5, 40, m), 1))
        cols["note"].append(rng.choice(np.array(_NOTES), m))
    out = {k: np.concatenate(v) for k, v in cols.items()}
    out["effective"] = is_effective_visit(out["dist"], effective_m)
    return out


