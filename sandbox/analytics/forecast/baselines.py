"""The two baselines the model must beat: each village's past exit rate, and Kaplan–Meier by 致贫原因."""

from __future__ import annotations

import numpy as np

from sandbox.analytics.forecast.frame import CLOSED, EXITED, Register
from sandbox.analytics.forecast.model import ExitForecast

__all__ = ["village_rate", "km_by_cause", "first_exit_year", "kaplan_meier"]


def first_exit_year(reg: Register, upto: int) -> np.ndarray:
    """The first year ≤ upto a household exited (0: none)."""
    last = reg.t(upto)
    ex = (reg.status[:, : last + 1] == EXITED) & reg.exited_this_year[:, : last + 1]
    return np.where(ex.any(axis=1), reg.years[0] + ex.argmax(axis=1), 0)


def kaplan_meier(duration: np.ndarray, observed: np.ndarray, upto: int) -> np.ndarray:
    """S(0 … upto) for whole-year durations (the register's are): flat after the last observed time."""
    s = np.ones(upto + 1)
    for d in range(1, upto + 1):
        at_risk = (duration >= d).sum()
        events = ((duration == d) & observed).sum()
        s[d] = s[d - 1] * (1 - events / at_risk) if at_risk else s[d - 1]
    return s


def _at_risk_rows(reg: Register, as_of: int) -> np.ndarray:
    return np.flatnonzero(reg.poor(reg.t(as_of)))


def _from_hazard(h: np.ndarray, horizon: int) -> np.ndarray:
    """[i] a constant yearly hazard → [i, k] the chance of exiting in year k."""
    k = np.arange(horizon)
    return h[:, None] * (1 - h[:, None]) ** k[None, :]


def village_rate(reg: Register, as_of: int, horizon: int) -> ExitForecast:
    """Each village's exits per household-year at risk, years ≤ as_of, as a constant hazard."""
    last = reg.t(as_of)
    at_risk = np.zeros(len(reg.household_id))
    exits = np.zeros(len(reg.household_id))
    for t in range(1, last + 1):
        was_poor = reg.poor(t - 1)
        known = was_poor & (reg.status[:, t] != 0) & (reg.status[:, t] != CLOSED)
        at_risk += known
        exits += known & (reg.status[:, t] == EXITED)
    villages, inv = np.unique(reg.village_code.astype(str), return_inverse=True)
    num = np.bincount(inv, exits, len(villages))
    den = np.bincount(inv, at_risk, len(villages))
    county = exits.sum() / max(at_risk.sum(), 1)
    rate = np.where(den > 0, num / np.maximum(den, 1), county)
    rows = _at_risk_rows(reg, as_of)
    return ExitForecast(as_of, np.arange(as_of + 1, as_of + horizon + 1), rows,
                        _from_hazard(rate[inv[rows]], horizon))


def km_by_cause(reg: Register, as_of: int, horizon: int) -> ExitForecast:
    """Kaplan–Meier of years from registration to exit, one curve per 致贫原因 (censored at as_of),
    conditioned on the years a household has already been poor."""
    exit_y = first_exit_year(reg, as_of)
    t = reg.t(as_of)
    registered = (reg.identified_year <= as_of) & (reg.status[:, : t + 1] != 0).any(axis=1)
    closed_at = np.where((reg.status[:, : t + 1] == CLOSED).any(axis=1),
                         reg.years[0] + (reg.status[:, : t + 1] == CLOSED).argmax(axis=1), 0)
    observed = exit_y > 0
    end = np.where(observed, exit_y, np.where(closed_at > 0, closed_at, as_of))
    duration = np.maximum(end - reg.identified_year, 0)
    rows = _at_risk_rows(reg, as_of)
    prob = np.zeros((len(rows), horizon))
    causes = reg.cause.astype(str)
    for cause in np.unique(causes[rows]):
        fit_on = registered & (causes == cause)
        here = rows[causes[rows] == cause]
        if fit_on.sum() == 0:
            continue
        now = as_of - reg.identified_year[here]
        times = now[:, None] + np.arange(0, horizon + 1)[None, :]
        curve = kaplan_meier(duration[fit_on], observed[fit_on], int(times.max()))
        s = curve[np.clip(times, 0, len(curve) - 1)]
        with np.errstate(divide="ignore", invalid="ignore"):
            cond = np.where(s[:, :1] > 0, s / s[:, :1], 1.0)
        prob[np.searchsorted(rows, here)] = cond[:, :-1] - cond[:, 1:]
    return ExitForecast(as_of, np.arange(as_of + 1, as_of + horizon + 1), rows, np.clip(prob, 0, 1))
