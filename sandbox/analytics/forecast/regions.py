"""Per village, town and county: expected exits per year and the year incidence falls below 3 %,
with a band from simulating each household's exit year from its probabilities."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import sparse

from sandbox.analytics.forecast.frame import Register
from sandbox.analytics.forecast.model import ExitForecast

__all__ = ["RegionForecast", "simulate", "EXIT_LINE_PCT"]

EXIT_LINE_PCT = 3.0  # a poor village's / the county's exit line (west China)
_LOW, _HIGH = 10, 90  # the band: the 10th to the 90th percentile of the simulations


@dataclass
class RegionForecast:
    """Arrays per region (index r, codes in `codes`) and forecast year (index k)."""

    as_of: int
    years: np.ndarray
    codes: list[str]
    population: np.ndarray  # [r] rural registered population in the as-of year (held: no later figure is used)
    poor_households_now: np.ndarray  # [r]
    poor_population_now: np.ndarray  # [r]
    stats: dict[str, np.ndarray]  # name → [3, r, k]: mean, low, high
    below: np.ndarray  # [3, r]: median, low, high year incidence is under the line; 0: not within the years
    simulations: int

    def index(self, code: str) -> int | None:
        try:
            return self.codes.index(code)
        except ValueError:
            return None


def simulate(reg: Register, fc: ExitForecast, simulations: int = 400, seed: int = 17,
             exit_line: float = EXIT_LINE_PCT) -> RegionForecast:
    t = reg.t(fc.as_of)
    villages = sorted({str(v) for v in reg.village_code} | {c for c, y in reg.village_population if y == fc.as_of})
    towns = sorted({str(x) for x in reg.town_code} | {v[:9] + "000" for v in villages})
    county = sorted({v[:6] + "000000" for v in villages})
    codes = villages + towns + county
    pos = {c: i for i, c in enumerate(codes)}
    nv = len(villages)
    # region membership of each village (village, its town, its county): a sparse [village, region] map
    town_of = {v: v[:9] + "000" for v in villages}
    parents_seen = {str(v): str(tw) for v, tw in zip(reg.village_code, reg.town_code)}
    town_of.update(parents_seen)
    rows = np.repeat(np.arange(nv), 3)
    cols = np.array([[pos[v], pos[town_of[v]], pos[v[:6] + "000000"]] for v in villages]).ravel()
    up = sparse.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(nv, len(codes)))
    vpos = np.array([pos[str(v)] for v in reg.village_code[fc.rows]], dtype=np.int64)
    # households → villages, then villages → every region
    hv = sparse.csr_matrix((np.ones(len(fc.rows)), (np.arange(len(fc.rows)), vpos)), shape=(len(fc.rows), nv))
    to_region = (hv @ up).tocsr()

    vpop = np.array([reg.village_population.get((v, fc.as_of), 0) for v in villages], dtype=float)
    population = up.T @ vpop
    members = np.maximum(reg.members[fc.rows, t], 0)
    poor_households_now = np.asarray(to_region.T @ np.ones(len(fc.rows))).ravel()
    poor_population_now = np.asarray(to_region.T @ members).ravel()

    horizon = len(fc.years)
    cum = fc.cumulative()
    rng = np.random.default_rng(seed)
    names = ("exits_households", "exits_people", "poor_households", "poor_population", "poverty_incidence")
    draws = {k: np.zeros((simulations, len(codes), horizon)) for k in names}
    batch = max(1, min(simulations, 4_000_000 // max(1, len(fc.rows) * horizon)))
    for start in range(0, simulations, batch):
        b = min(batch, simulations - start)
        u = rng.random((b, len(fc.rows)))
        # exit year index per draw: the first k with u < cum[k]; horizon: not within the years
        k_exit = (u[:, :, None] >= cum[None, :, :]).sum(axis=2)
        for k in range(horizon):
            exits_now = (k_exit == k).astype(float)
            still = (k_exit > k).astype(float)
            draws["exits_households"][start:start + b, :, k] = exits_now @ to_region
            draws["exits_people"][start:start + b, :, k] = (exits_now * members) @ to_region
            draws["poor_households"][start:start + b, :, k] = still @ to_region
            draws["poor_population"][start:start + b, :, k] = (still * members) @ to_region
    with np.errstate(divide="ignore", invalid="ignore"):
        draws["poverty_incidence"] = np.where(population[None, :, None] > 0,
                                              draws["poor_population"] / population[None, :, None] * 100, np.nan)
    stats = {k: np.stack([np.nanmean(v, axis=0), np.nanpercentile(v, _LOW, axis=0), np.nanpercentile(v, _HIGH, axis=0)])
             for k, v in draws.items()}
    # The year each draw goes under the line: as-of year if it already is, inf if not within the years.
    with np.errstate(divide="ignore", invalid="ignore"):
        now_pct = np.where(population > 0, poor_population_now / population * 100, np.nan)
    under = draws["poverty_incidence"] < exit_line
    first = np.where(under.any(axis=2), fc.years[0] + under.argmax(axis=2), np.inf)
    first = np.where((now_pct < exit_line)[None, :], fc.as_of, first)
    q = np.percentile(first, [50, _LOW, _HIGH], axis=0, method="lower")
    below = np.where(np.isfinite(q), q, 0).astype(np.int64)
    return RegionForecast(fc.as_of, fc.years, codes, population, poor_households_now, poor_population_now,
                          stats, below, simulations)
