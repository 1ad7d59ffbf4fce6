"""The exit-year forecast as the features share it: fitted once per facts version and as-of year
(the region route and the household detail read the same fit), kept in the app's answer cache."""

from __future__ import annotations

import threading

from fastapi import HTTPException, Request
from sqlalchemy.orm import Session

from sandbox.analytics.forecast import Forecast, forecast
from sandbox.store import queries

__all__ = ["forecast_for", "HORIZON"]

HORIZON = 4  # years after the as-of year the wall and the household card look ahead
_fitting = threading.Lock()  # one fit at a time: two callers of one version wait for the first's answer


def forecast_for(request: Request, session: Session, as_of: int | None, info: dict) -> Forecast | None:
    """The forecast as of `as_of` (default the latest year); None when the register has too little
    history (one year alone) to fit anything; 422 for a year outside the data."""
    years = queries.years(session)
    if not years:
        return None
    if as_of is None:
        if len(years) < 2:
            return None
        as_of = years[-1]
    if as_of not in years:
        raise HTTPException(422, f"预测基准年 {as_of} 超出数据范围 {years[0]}-{years[-1]}")
    if as_of == years[0]:
        raise HTTPException(422, f"预测基准年须晚于首个数据年份 {years[0]} (至少需要一年的脱贫历史来拟合模型)")
    key = ("forecast", info["build"], as_of, HORIZON)
    cache = request.app.state.responses

    def compute() -> Forecast | None:
        try:
            return forecast(session, as_of, HORIZON)
        except ValueError:  # no household-year of history to fit on (e.g. an empty register)
            return None

    with _fitting:
        return cache.get_or_compute(key, compute)
