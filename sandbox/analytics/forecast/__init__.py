"""The exit-year forecast: fit on the register up to an as-of year, score the households still poor."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sqlalchemy.orm import Session

from sandbox.analytics.forecast.frame import Register, load_register
from sandbox.analytics.forecast.model import ExitForecast, HazardModel, fit, score
from sandbox.analytics.forecast.regions import EXIT_LINE_PCT, RegionForecast, simulate

__all__ = ["Forecast", "forecast", "forecast_register", "Outlook", "MODEL_ZH", "EXIT_LINE_PCT"]

MODEL_ZH = "离散时间风险模型(逻辑回归, 以当年特征预测此后各年脱贫概率)"
DEFAULT_HORIZON = 4


@dataclass(frozen=True)
class Outlook:
    """One household's 预计脱贫年度: the first year its chance of having exited reaches one half."""

    year: int | None  # None: under one half within the forecast's years
    probability: float  # chance of having exited by `year` (or by the last year when None)
    by_year: dict[int, float]  # chance of exiting in each year


@dataclass
class Forecast:
    as_of: int
    model: HazardModel
    households: ExitForecast
    regions: RegionForecast
    register: Register

    def outlook(self, household_id: int) -> Outlook | None:
        """None when the household was not poor at the end of the as-of year."""
        where = np.searchsorted(self.register.household_id, household_id)
        if where >= len(self.register.household_id) or self.register.household_id[where] != household_id:
            return None
        i = np.searchsorted(self.households.rows, where)
        if i >= len(self.households.rows) or self.households.rows[i] != where:
            return None
        p = self.households.probability[i]
        cum = np.cumsum(p)
        hit = np.flatnonzero(cum >= 0.5)
        years = self.households.years
        k = int(hit[0]) if len(hit) else len(years) - 1
        return Outlook(int(years[k]) if len(hit) else None, round(float(cum[k]), 3),
                       {int(y): round(float(v), 3) for y, v in zip(years, p)})


def forecast_register(reg: Register, as_of: int, horizon: int = DEFAULT_HORIZON, simulations: int = 400) -> Forecast:
    if as_of not in reg.years:
        raise ValueError(f"库中没有 {as_of} 年的记录")
    model = fit(reg, as_of)
    households = score(model, reg, as_of, horizon)
    return Forecast(as_of, model, households, simulate(reg, households, simulations), reg)


def forecast(session: Session, as_of: int, horizon: int = DEFAULT_HORIZON, simulations: int = 400) -> Forecast:
    return forecast_register(load_register(session), as_of, horizon, simulations)
