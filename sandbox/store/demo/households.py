"""Poor households of the demo county: who they are and their state every year 2014-2020.

Each household gets a fixed poverty "depth"; every year the poorest households, by depth,
whose people add up to that year's target are the poor ones, so exits happen in a plausible
order and the end-2016 poor population is met exactly. A poor household's income follows its
depth (exits.py), so what a model sees in a year says who exits next.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sandbox.domain.enums import ExitBatch, HouseholdAttribute, PovertyCause
from sandbox.store.demo import exits
from sandbox.store.demo.targets import POVERTY_LINES, YEARS, CountyTargets

__all__ = ["HouseholdPlan", "plan_households", "allocate"]

_EXACT_YEAR = 2016

_CAUSES = [c.value for c in PovertyCause]
_CAUSE_P = [.25, .08, .07, .03, .06, .04, .15, .10, .12, .05, .04, .01]
_BATCHES = [b.value for b in ExitBatch]
_BATCH_P = [.55, .15, .08, .07, .15]
_ATTRS = [a.value for a in HouseholdAttribute]
_ATTR_P = [.75, .22, .03]
_SIZES = np.arange(1, 9)
_SIZE_P = [.10, .18, .22, .22, .14, .08, .04, .02]
_INCOME_OK = {2014: .25, 2015: .30, 2016: .38, 2017: .50, 2018: .60, 2019: .70, 2020: .80}
_SATISFIED = {2016: .82, 2017: .925, 2018: .953, 2019: .968, 2020: .982}


def allocate(total: int, weights: np.ndarray) -> np.ndarray:
    """Split an integer total in proportion to weights, exactly (largest remainder)."""
    w = np.asarray(weights, dtype=float)
    raw = total * w / w.sum()
    base = np.floor(raw).astype(np.int64)
    rest = total - base.sum()
    if rest:
        base[np.argsort(-(raw - base), kind="stable")[:rest]] += 1
    return base


@dataclass
class HouseholdPlan:
    """Arrays per household (index h) and per household-year row (index r)."""

    village_idx: np.ndarray
    identified_year: np.ndarray
    closed_year: np.ndarray  # 9999: never
    size: np.ndarray
    depth: np.ndarray
    attribute: np.ndarray
    cause: np.ndarray
    batch: np.ndarray
    exit_year: np.ndarray  # 9999: not exited by 2020
    # rows
    row_h: np.ndarray
    row_year: np.ndarray
    row_status: np.ndarray
    row_exited_this_year: np.ndarray


def _statuses(plan_depth, size, identified, closed, targets: dict[int, int]):
    years = list(YEARS)
    thresholds: dict[int, float] = {}

    def cut(y: int, adjust: bool) -> float:
        cand = np.flatnonzero((identified <= y) & (closed > y))
        order = cand[np.argsort(-plan_depth[cand], kind="stable")]
        cum = np.cumsum(size[order])
        k = int(np.searchsorted(cum, targets[y]))
        k = min(k, len(order) - 1)
        if adjust:
            before = cum[k - 1] if k > 0 else 0
            size[order[k]] = targets[y] - before  # makes the year's sum exact
        return float(plan_depth[order[k]])

    thresholds[_EXACT_YEAR] = cut(_EXACT_YEAR, adjust=True)
    for y in years:
        if y != _EXACT_YEAR:
            thresholds[y] = cut(y, adjust=False)
    # Exits are permanent (relapses are added separately), so thresholds never fall; the exact
    # year stays as it is and its neighbours give way.
    for y in range(_EXACT_YEAR - 1, years[0] - 1, -1):
        thresholds[y] = min(thresholds[y], thresholds[y + 1])
    for y in range(_EXACT_YEAR + 1, years[-1] + 1):
        thresholds[y] = max(thresholds[y], thresholds[y - 1])
    return thresholds


def plan_households(rng: np.random.Generator, t: CountyTargets, village_pop: dict[int, np.ndarray],
                    village_poor: np.ndarray) -> HouseholdPlan:
    n_villages = len(village_poor)
    n_closed = round(t.registered_households_2017 * 0.012)
    n = t.registered_households_2017 + n_closed

    closed_year = np.full(n, 9999)
    closed_year[:n_closed] = 2016  # misidentified (错评), removed after the 2016 assessment
    identified = rng.choice([2014, 2015, 2016, 2017], size=n, p=[.90, .05, .03, .02])
    identified[:n_closed] = 2014

    weights = village_pop[2016] * np.where(village_poor, 2.4, 1.0)
    per_village = allocate(n, weights)
    village_idx = np.repeat(np.arange(n_villages), per_village)
    perm = rng.permutation(n)  # closed households spread over villages
    village_idx = village_idx[perm]

    size = rng.choice(_SIZES, size=n, p=_SIZE_P)
    village_effect = rng.normal(0, 0.35, n_villages) + np.where(village_poor, 1.0, 0.0)
    depth = village_effect[village_idx] + rng.normal(0, 1, n)
    depth[identified > 2014] += 1.0  # late registrations are the harder cases

    rural_total = {y: int(village_pop[y].sum()) for y in YEARS}
    targets = {y: round(t.incidence[y] / 100 * rural_total[y]) for y in YEARS if y != _EXACT_YEAR}
    targets[_EXACT_YEAR] = t.poor_population_2016
    thresholds = _statuses(depth, size, identified, closed_year, targets)

    # Per household-year rows.
    years_n = 2020 - identified + 1
    row_h = np.repeat(np.arange(n), years_n)
    offsets = np.arange(len(row_h)) - np.repeat(np.cumsum(years_n) - years_n, years_n)
    row_year = identified[row_h] + offsets
    thr = np.array([thresholds[y] for y in YEARS])[row_year - 2014]
    poor = depth[row_h] >= thr
    status = np.where(poor, "poor", "exited").astype("<U8")
    status[row_year >= closed_year[row_h]] = "closed"

    exit_year = np.full(n, 9999)
    ex_rows = np.flatnonzero(status == "exited")
    # rows are ordered by household then year, so the first exited row per household wins
    first = np.unique(row_h[ex_rows], return_index=True)
    exit_year[first[0]] = row_year[ex_rows[first[1]]]

    _add_relapses(rng, status, row_h, row_year, exit_year)
    prev_poor = np.zeros(len(row_h), dtype=bool)
    same = np.r_[False, row_h[1:] == row_h[:-1]]
    prev_poor[1:] = np.isin(status[:-1], ("poor", "relapsed"))
    exited_this_year = (status == "exited") & (~same | prev_poor)

    attribute = rng.choice(_ATTRS, size=n, p=_ATTR_P)
    batch = rng.choice(_BATCHES, size=n, p=_BATCH_P)
    batch[attribute != "general"] = np.where(rng.random((attribute != "general").sum()) < .7,
                                             "social_security", batch[attribute != "general"])
    cause = rng.choice(_CAUSES, size=n, p=_CAUSE_P)
    return HouseholdPlan(village_idx, identified, closed_year, size, depth, attribute, cause, batch,
                         exit_year, row_h, row_year, status, exited_this_year)


def _add_relapses(rng, status, row_h, row_year, exit_year) -> None:
    """返贫: a few exited households fall back for a year (2017/2018) or, in 2020, stay monitored."""
    # The year after a relapse the row is "exited" again and counts as an exit in that year.
    for exit_by, year, share in ((2016, 2017, .006), (2017, 2018, .005), (2019, 2020, .002)):
        cand = np.flatnonzero(exit_year <= exit_by)
        chosen = rng.choice(cand, size=int(len(cand) * share), replace=False) if len(cand) else []
        mask = np.isin(row_h, chosen)
        status[mask & (row_year == year) & (status == "exited")] = "relapsed"


def household_year_values(rng: np.random.Generator, plan: HouseholdPlan, school_age: np.ndarray,
                          exit_rng: np.random.Generator) -> dict:
    """Income and 两不愁三保障 per row, consistent with the status (exits need all checks met).

    `exit_rng` draws only where a poor household's income sits (exits.income_position): `rng` is
    consumed exactly as before it existed, so every other figure of the demo stays as it was."""
    h, y, st = plan.row_h, plan.row_year, plan.row_status
    r = len(h)
    n = len(plan.size)
    members = plan.size[h]
    line = np.array([POVERTY_LINES[k] for k in YEARS], dtype=float)[y - 2014]
    ok_p = np.array([_INCOME_OK[k] for k in YEARS])[y - 2014]
    poor_row = np.isin(st, ("poor", "relapsed"))
    rng.random(r)  # once drew which poor rows were above the line: still drawn, so later draws keep their values
    above, _ = rng.uniform(1.0, 1.15, r), rng.uniform(0.5, 0.98, r)
    # the shallowest poor households of the year are the ones at or above the line, the rest below
    # it the nearer the shallower (issue 17: exits a model can learn from the year's income)
    place = exits.income_position(exit_rng, plan.depth[h], y, poor_row)
    income_ok = place >= 1 - ok_p
    below = np.clip(place / np.maximum(1 - ok_p, 1e-9), 0, 1)
    ratio = np.where(income_ok, above, 0.5 + 0.48 * below)
    since = np.clip(y - plan.exit_year[h], 0, 10)
    ratio = np.where(poor_row, ratio, rng.uniform(1.15, 2.6, r) * (1 + 0.06 * since))
    ratio = np.where(st == "relapsed", rng.uniform(0.6, 0.95, r), ratio)
    per_capita = np.round(line * ratio, 0)
    net = per_capita * members
    w, b, p = rng.uniform(.3, .6, r), rng.uniform(.1, .4, r), np.full(r, .02)
    tr = np.clip(1 - w - b - p, 0.02, None)
    s = w + b + tr + p
    w, b, tr, p = w / s, b / s, tr / s, p / s
    gross = net / (1 - 0.25 * b)
    cost = np.round(gross * b * 0.25, 2)
    wage, business, transfer = np.round(gross * w, 2), np.round(gross * b, 2), np.round(gross * tr, 2)
    prop = np.round(net - wage - business - transfer + cost, 2)

    exit_y = np.minimum(plan.exit_year, 2020)

    def fixed_by(initial_share: float, earliest: int, latest: int) -> np.ndarray:
        """Year from which a household's gap is closed (0: never had the gap); never after its exit."""
        had = rng.random(n) < initial_share
        year = rng.integers(earliest, latest + 1, n)
        year = np.minimum(year, exit_y)
        return np.where(had, year, 0)

    relocated_from = np.where(plan.batch == "relocation", np.minimum(rng.integers(2016, 2019, n), exit_y), 9999)
    housing_fix = fixed_by(.42, 2015, 2019)
    grade_bad = rng.choice(np.array(["C", "D"]), n, p=[.7, .3])
    grade_good = rng.choice(np.array(["A", "B"]), n, p=[.35, .65])
    unsafe = y < housing_fix[h]
    relocated = y >= relocated_from[h]
    grade = np.where(unsafe & ~relocated, grade_bad[h], grade_good[h])
    water_ok = y >= fixed_by(.30, 2015, 2019)[h]
    dropout = school_age[h] & (y < fixed_by(.07, 2015, 2018)[h])
    insured = y >= fixed_by(.12, 2015, 2017)[h]
    food_ok = y >= fixed_by(.05, 2015, 2016)[h]

    surveyed = (y >= 2016) & (rng.random(r) < .2)
    sat_p = np.array([_SATISFIED.get(k, 0) for k in YEARS])[y - 2014]
    satisfied = np.where(surveyed, rng.random(r) < sat_p, None)
    return dict(
        members=members, per_capita=per_capita, net=np.round(net, 2), wage=wage, business=business,
        transfer=transfer, property=prop, cost=cost, grade=grade, relocated=relocated, water=water_ok,
        school_age=school_age[h], dropout=dropout, insured=insured, food=food_ok, satisfied=satisfied,
    )
