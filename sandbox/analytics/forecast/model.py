"""The exit-year model: a discrete-time hazard, one classifier over (household, as-of year, horizon) rows.

For a household poor at the end of year s, the row (s, k) asks "does it exit in year s+k, given it
is still poor at the end of s+k-1?", from year-s features only. Fitted as of year Y on the rows
with s+k ≤ Y; scored for the households poor at the end of Y, k = 1…H; the chance of exiting in
Y+k is the hazard times the chance of lasting until then.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from threadpoolctl import threadpool_limits

from sandbox.analytics.forecast.frame import CLOSED, EXITED, Register

__all__ = ["features", "training_rows", "HazardModel", "fit", "ExitForecast", "score"]

_CATEGORICAL = ["cause", "attribute"]
_NUMERIC = ["income_ratio", "wage_share", "business_share", "transfer_share", "property_share", "members",
            "labour", "labour_share", "gap_food", "gap_education", "gap_medical", "gap_housing", "gap_water",
            "gaps", "helpers", "visits", "projects", "years_registered", "relapsed", "village_incidence",
            "horizon", "log_horizon"]


def village_incidence(reg: Register, t: int) -> np.ndarray:
    """[h] the poverty incidence (%) of the household's village at the end of year t: the village as
    a year-t figure, not a one-hot column per village (a fit in seconds, and a village new to the
    model still has its figure)."""
    villages, inv = np.unique(reg.village_code.astype(str), return_inverse=True)
    people = np.bincount(inv, reg.members[:, t] * reg.poor(t), len(villages))
    year = int(reg.years[t])
    pop = np.array([reg.village_population.get((v, year), 0) for v in villages], dtype=float)
    rate = np.where(pop > 0, people / np.where(pop > 0, pop, 1) * 100, 0.0)
    return rate[inv]


def features(reg: Register, t: int, rows: np.ndarray) -> pd.DataFrame:
    """Year-t features (column t of every array, nothing later) of the households `rows`."""
    inc = {k: np.maximum(v[rows, t], 0) for k, v in reg.income.items()}
    gross = sum(inc.values()) + 1e-9
    members = np.maximum(reg.members[rows, t], 1)
    gap = {k: v[rows, t].astype(float) for k, v in reg.gaps.items()}
    return pd.DataFrame({
        "cause": reg.cause[rows].astype(str), "attribute": reg.attribute[rows].astype(str),
        "income_ratio": reg.per_capita[rows, t] / reg.line[t],
        **{f"{k}_share": inc[k] / gross for k in inc},
        "members": members, "labour": reg.labour[rows], "labour_share": reg.labour[rows] / members,
        **{f"gap_{k}": v for k, v in gap.items()}, "gaps": sum(gap.values()),
        "helpers": reg.helpers[rows, t], "visits": reg.visits[rows, t], "projects": reg.projects[rows, t],
        "years_registered": reg.years[t] - reg.identified_year[rows],
        "relapsed": (reg.status[rows, t] == 4).astype(float),
        "village_incidence": village_incidence(reg, t)[rows],
    })


def training_rows(reg: Register, as_of: int) -> tuple[pd.DataFrame, np.ndarray]:
    """Every (s, k) row with s + k ≤ as_of: features of year s, label "exited in s + k"."""
    last = reg.t(as_of)
    frames, labels = [], []
    for s in range(0, last):
        at_risk = np.flatnonzero(reg.poor(s))
        if not len(at_risk):
            continue
        base = features(reg, s, at_risk)
        alive = np.ones(len(at_risk), dtype=bool)
        for k in range(1, last - s + 1):
            st = reg.status[at_risk, s + k]
            known = alive & (st != 0) & (st != CLOSED)  # gone from the register: censored, not "stayed poor"
            if not known.any():
                break
            exit_now = (st == EXITED) & reg.exited_this_year[at_risk, s + k]
            frame = base[known].copy()
            frame["horizon"], frame["log_horizon"] = float(k), float(np.log(k))
            frames.append(frame)
            labels.append(exit_now[known])
            alive &= reg.poor(s + k)[at_risk]
    if not frames:
        raise ValueError(f"{as_of} 年及以前没有可用于训练的贫困户年度记录 (至少需要两个年度)")
    return pd.concat(frames, ignore_index=True), np.concatenate(labels)


@dataclass
class HazardModel:
    pipeline: Pipeline
    as_of: int
    rows: int
    constant: float | None  # every training label the same: that rate, no classifier

    def hazard(self, x: pd.DataFrame) -> np.ndarray:
        if self.constant is not None:
            return np.full(len(x), self.constant)
        return self.pipeline.predict_proba(x)[:, 1]


def fit(reg: Register, as_of: int, c: float = 1.0) -> HazardModel:
    x, y = training_rows(reg, as_of)
    pipeline = Pipeline([
        ("prep", ColumnTransformer([("cat", OneHotEncoder(handle_unknown="ignore"), _CATEGORICAL),
                                    ("num", StandardScaler(), _NUMERIC)])),
        # Newton–Cholesky: few features, many rows — a handful of iterations (lbfgs needs ~100)
        ("clf", LogisticRegression(C=c, max_iter=100, solver="newton-cholesky")),
    ])
    if y.all() or not y.any():
        return HazardModel(pipeline, as_of, len(y), float(y.mean()))
    # one BLAS thread: on a busy server more threads fight over the cores (measured 4 s against 20 s)
    with threadpool_limits(1):
        pipeline.fit(x, y)
    return HazardModel(pipeline, as_of, len(y), None)


@dataclass
class ExitForecast:
    """Households poor at the end of `as_of`: the chance of exiting in each of `years`."""

    as_of: int
    years: np.ndarray  # as_of + 1 … as_of + H
    rows: np.ndarray  # indices into the register
    probability: np.ndarray  # [i, k]: exits in years[k]; 1 - row sum: still poor after the last year

    def cumulative(self) -> np.ndarray:
        return np.cumsum(self.probability, axis=1)


def score(model: HazardModel, reg: Register, as_of: int, horizon: int) -> ExitForecast:
    t = reg.t(as_of)
    rows = np.flatnonzero(reg.poor(t))
    base = features(reg, t, rows)
    prob = np.zeros((len(rows), horizon))
    surviving = np.ones(len(rows))
    for k in range(1, horizon + 1):
        x = base.copy()
        x["horizon"], x["log_horizon"] = float(k), float(np.log(k))
        h = model.hazard(x) if len(rows) else np.zeros(0)
        prob[:, k - 1] = surviving * h
        surviving = surviving * (1 - h)
    return ExitForecast(as_of, np.arange(as_of + 1, as_of + horizon + 1), rows, prob)
