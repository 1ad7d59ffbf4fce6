"""The exit-year forecast as the features share it: fitted once per facts version and as-of year
(the region route and the household detail read the same fit), on a thread of its own — a fit
takes seconds, and no request waits for it longer than a moment: until it is ready the answer
says 计算中 and the client asks again."""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict

from fastapi import HTTPException, Request
from sqlalchemy.orm import Session

from sandbox.analytics.forecast import Forecast, forecast
from sandbox.store import queries

__all__ = ["forecast_for", "Pending", "PENDING", "HORIZON", "WAIT_SECONDS"]

log = logging.getLogger(__name__)

HORIZON = 4  # years after the as-of year the wall and the household card look ahead
WAIT_SECONDS = 2.0  # a request waits this long for a fit in progress before it answers 计算中
_KEEP = 8  # fitted forecasts kept (per facts version × as-of year)


class Pending:
    """The fit is running: ask again shortly."""

    retry_after = 3


PENDING = Pending()


class _Fits:
    """Per app: finished fits (a small LRU) and the ones running, one thread each."""

    def __init__(self) -> None:
        self.done: OrderedDict[tuple, Forecast | None] = OrderedDict()
        self.running: dict[tuple, threading.Event] = {}
        self.lock = threading.Lock()

    def get(self, key: tuple, sessions, as_of: int, wait: float) -> Forecast | None | Pending:
        with self.lock:
            if key in self.done:
                self.done.move_to_end(key)
                return self.done[key]
            event = self.running.get(key)
            if event is None:
                event = self.running[key] = threading.Event()
                # Not a daemon: a daemon thread killed at exit inside scikit-learn's compiled code aborts
                # the process ("terminate called without an active exception"); exit waits for the fit.
                threading.Thread(target=self._fit, args=(key, sessions, as_of, event), daemon=False,
                                 name=f"forecast-{as_of}").start()
        if event.wait(wait):
            with self.lock:
                return self.done.get(key)
        return PENDING

    def _fit(self, key: tuple, sessions, as_of: int, event: threading.Event) -> None:
        try:
            with sessions() as session:
                result: Forecast | None = forecast(session, as_of, HORIZON)
        except ValueError:  # no household-year of history to fit on (e.g. an empty register)
            result = None
        except Exception:  # never a dead thread holding the key: say so and answer "no forecast"
            log.exception("exit-year forecast as of %s failed", as_of)
            result = None
        with self.lock:
            self.done[key] = result
            while len(self.done) > _KEEP:
                self.done.popitem(last=False)
            self.running.pop(key, None)
        event.set()


def forecast_for(request: Request, session: Session, as_of: int | None, info: dict,
                 wait: float = WAIT_SECONDS) -> Forecast | None | Pending:
    """The forecast as of `as_of` (default the latest year), PENDING while it is being fitted; None
    when the register has too little history (one year alone) to fit anything; 422 for a year
    outside the data."""
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
    state = request.app.state
    fits = getattr(state, "forecasts", None)
    if fits is None:
        with _create_lock:
            fits = getattr(state, "forecasts", None)
            if fits is None:
                fits = state.forecasts = _Fits()
    return fits.get((info["build"], as_of), state.sessions, as_of, wait)


_create_lock = threading.Lock()
