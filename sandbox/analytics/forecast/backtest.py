"""An honest backtest: fit on the register up to year Y, predict Y+1 … the last year, compare with
what happened; the model against two baselines on the same households and the same years."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.metrics import roc_auc_score

from sandbox.analytics.forecast.baselines import km_by_cause, village_rate
from sandbox.analytics.forecast.frame import CLOSED, Register
from sandbox.analytics.forecast.model import ExitForecast, fit, score
from sandbox.analytics.forecast.regions import EXIT_LINE_PCT, simulate

__all__ = ["Scores", "evaluate", "backtest", "reliability", "concordance_index", "METHODS", "markdown"]

METHODS = {"model": "模型 (离散时间风险, 逻辑回归)", "village_rate": "基线: 村历年脱贫率", "km_cause": "基线: 按致贫原因 Kaplan–Meier"}
_BINS = np.linspace(0, 1, 11)


@dataclass
class Scores:
    as_of: int
    method: str
    households: int
    brier: float
    auc_next_year: float | None
    c_index: float | None
    crossing_mae_years: float | None  # villages above the line at as_of: |predicted − actual| year under 3 %
    crossing_regions: int
    reliability: list[tuple[float, float, float, int]]  # (bin low, mean predicted, observed, pairs)


def _outcomes(reg: Register, fc: ExitForecast) -> tuple[np.ndarray, np.ndarray]:
    """[i, k] 1 where the household exited in years[k]; [i] kept: never closed after as_of."""
    t0, last = reg.t(fc.as_of), reg.t(int(fc.years[-1]))
    # the first exit after as_of (a relapsed household may have exited before)
    sub = reg.status[fc.rows, t0 + 1: last + 1]
    ex = (sub == 2) & reg.exited_this_year[fc.rows, t0 + 1: last + 1]
    after = np.where(ex.any(axis=1), fc.years[0] + ex.argmax(axis=1), 0)
    kept = ~(sub == CLOSED).any(axis=1)
    y = (after[:, None] == fc.years[None, :]).astype(float)
    return y, kept


def concordance_index(times: np.ndarray, predicted: np.ndarray, event: np.ndarray) -> float:
    """Harrell's C: of the pairs where one household's exit is known to come first, the share the
    prediction (expected exit time) orders the same way; ties in the prediction count one half."""
    conc = pairs = 0.0
    for t in np.unique(times[event]):
        first = predicted[event & (times == t)]
        later = np.sort(predicted[(times > t) | ((times == t) & ~event)])
        if not len(later):
            continue
        below = np.searchsorted(later, first, side="left")  # later ones predicted earlier: discordant
        ties = np.searchsorted(later, first, side="right") - below
        conc += (len(later) - below - ties).sum() + 0.5 * ties.sum()
        pairs += len(later) * len(first)
    return conc / pairs if pairs else float("nan")


def reliability(p: np.ndarray, y: np.ndarray) -> list[tuple[float, float, float, int]]:
    out = []
    which = np.clip(np.digitize(p, _BINS) - 1, 0, len(_BINS) - 2)
    for b in range(len(_BINS) - 1):
        sel = which == b
        if sel.any():
            out.append((float(_BINS[b]), float(p[sel].mean()), float(y[sel].mean()), int(sel.sum())))
    return out


def _actual_crossing(reg: Register, codes: list[str], as_of: int) -> np.ndarray:
    """The first year ≥ as_of each region's incidence was under the line in the register (inf: never)."""
    out = np.full(len(codes), np.inf)
    pos = {c: i for i, c in enumerate(codes)}
    village = reg.village_code.astype(str)
    town = reg.town_code.astype(str)
    for year in range(int(reg.years[-1]), as_of - 1, -1):
        t = reg.t(year)
        people = reg.members[:, t] * reg.poor(t)
        poor, pop = np.zeros(len(codes)), np.zeros(len(codes))
        for keys in (village, town, np.array([v[:6] + "000000" for v in village])):
            idx = np.array([pos.get(k, -1) for k in keys])
            ok = idx >= 0
            np.add.at(poor, idx[ok], people[ok])
        for (v, y), p in reg.village_population.items():
            if y == year:
                for k in (v, reg_town(reg, v), v[:6] + "000000"):
                    if k in pos:
                        pop[pos[k]] += p
        with np.errstate(divide="ignore", invalid="ignore"):
            under = (pop > 0) & (poor / np.where(pop > 0, pop, 1) * 100 < EXIT_LINE_PCT)
        out[under] = year
    return out


def reg_town(reg: Register, village: str) -> str:
    towns = getattr(reg, "_town_of", None)
    if towns is None:
        towns = dict(zip(reg.village_code.astype(str), reg.town_code.astype(str)))
        reg._town_of = towns  # type: ignore[attr-defined]
    return towns.get(village, village[:9] + "000")


def evaluate(reg: Register, fc: ExitForecast, method: str, simulations: int = 200) -> Scores:
    y, kept = _outcomes(reg, fc)
    p, yy = fc.probability[kept], y[kept]
    brier = float(np.mean((p - yy) ** 2)) if p.size else float("nan")
    first = yy[:, 0]
    auc = float(roc_auc_score(first, p[:, 0])) if 0 < first.sum() < len(first) else None
    horizon = len(fc.years)
    # C-index: the expected exit time (beyond the years: one year later) against the actual one
    expected = (p * np.arange(1, horizon + 1)).sum(axis=1) + (1 - p.sum(axis=1)) * (horizon + 1)
    event = yy.any(axis=1)
    actual = np.where(event, yy.argmax(axis=1) + 1, horizon)
    c = float(concordance_index(actual, expected, event)) if event.any() and len(event) > 1 else None
    rf = simulate(reg, fc, simulations)
    truth = _actual_crossing(reg, rf.codes, fc.as_of)
    villages = np.array([i for i, code in enumerate(rf.codes) if not code.endswith("000")])
    with np.errstate(divide="ignore", invalid="ignore"):
        now = rf.poor_population_now / np.where(rf.population > 0, rf.population, np.nan) * 100
    above = villages[(now[villages] >= EXIT_LINE_PCT)] if len(villages) else villages
    cap = fc.years[-1] + 1
    pred = np.where(rf.below[0] > 0, rf.below[0], cap).astype(float)
    act = np.where(np.isfinite(truth), truth, cap)
    mae = float(np.mean(np.abs(pred[above] - act[above]))) if len(above) else None
    return Scores(fc.as_of, method, int(kept.sum()), brier, auc, c, mae, len(above),
                  reliability(p.ravel(), yy.ravel()))


def backtest(reg: Register, as_of_years: list[int] | None = None, simulations: int = 200) -> list[Scores]:
    last = int(reg.years[-1])
    years = as_of_years or [y for y in range(int(reg.years[0]) + 1, last)]
    out = []
    for as_of in years:
        horizon = last - as_of
        model = fit(reg, as_of)
        for method, fc in (("model", score(model, reg, as_of, horizon)),
                           ("village_rate", village_rate(reg, as_of, horizon)),
                           ("km_cause", km_by_cause(reg, as_of, horizon))):
            out.append(evaluate(reg, fc, method, simulations))
    return out


def _f(v: float | None, digits: int = 3) -> str:
    return "—" if v is None or v != v else f"{v:.{digits}f}"


def markdown(scores: list[Scores]) -> str:
    lines = ["| as of | method | households | Brier | AUC (next year) | C-index | 3 % year MAE (villages) |",
             "|---|---|---:|---:|---:|---:|---:|"]
    for s in scores:
        lines.append(f"| {s.as_of} | {METHODS[s.method]} | {s.households} | {_f(s.brier, 4)} | {_f(s.auc_next_year)} "
                     f"| {_f(s.c_index)} | {_f(s.crossing_mae_years, 2)} ({s.crossing_regions}) |")
    return "\n".join(lines)


def reliability_markdown(s: Scores) -> str:
    lines = [f"Reliability, {METHODS[s.method]}, as of {s.as_of} (household × year pairs):", "",
             "| predicted bin | mean predicted | observed | pairs |", "|---|---:|---:|---:|"]
    for low, mp, ob, n in s.reliability:
        lines.append(f"| {low:.1f}–{low + .1:.1f} | {mp:.3f} | {ob:.3f} | {n} |")
    return "\n".join(lines)
