"""Route: GET /regions/{code}/forecast?as_of=Y — expected exits per year with a band, and the year
incidence falls below 3 %, for the region and each of its children (aggregates only)."""

from __future__ import annotations

import json
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import BaseModel, Field

from sandbox.analytics.forecast import MODEL_ZH
from sandbox.analytics.forecast.regions import RegionForecast
from sandbox.server.core.cache import Prepared
from sandbox.server.core.dataset import dataset_info
from sandbox.server.core.forecasts import Pending, forecast_for
from sandbox.server.deps import AGGREGATE_ROLES, Caller, PathRegionDep, SessionDep, allow
from sandbox.store import queries

router = APIRouter(prefix="/regions", tags=["regions"])
Reader = Annotated[Caller, Depends(allow(*AGGREGATE_ROLES))]

_STATS = ("exits_households", "exits_people", "poor_households", "poor_population", "poverty_incidence")
SYNTHETIC_NOTE = "演示数据为合成数据: 预测与回测只说明方法可用, 不代表能预测真实县的脱贫年度"


class Band(BaseModel):
    mean: float | None
    low: float | None = Field(description="模拟的第 10 百分位")
    high: float | None = Field(description="模拟的第 90 百分位")


class ForecastPoint(BaseModel):
    year: int
    exits_households: Band
    exits_people: Band
    poor_households: Band
    poor_population: Band
    poverty_incidence: Band


class BelowLine(BaseModel):
    year: int | None = Field(description="贫困发生率降至 3% 以下的年份 (模拟中位数); null: 预测期内不会")
    low: int | None
    high: int | None
    already: bool = Field(description="基准年末已低于 3%")


class ChildForecast(BaseModel):
    code: str
    name: str
    level: str
    expected_exits: dict[str, float] = Field(description="各年预计脱贫户数 (期望值)")
    below_line: BelowLine


class ForecastOut(BaseModel):
    status: str = Field(description="ready: 已算好; computing: 模型拟合中, 稍后 (Retry-After 秒) 再取; unavailable: 记录太少, 无法预测")
    code: str
    name: str
    level: str
    as_of: int | None = Field(description="预测基准年: 只用该年及以前的记录")
    years: list[int]
    model: str | None
    training_rows: int | None
    simulations: int | None
    band: str
    exit_line_pct: float
    now: dict[str, float | None]
    points: list[ForecastPoint]
    below_line: BelowLine | None
    children: list[ChildForecast]
    note: str | None
    demo: bool
    data_label: str | None
    data_as_of: str | None


def _empty(region, as_of: int | None, info: dict) -> dict:
    return {"status": "ready", "code": region.code, "name": region.name, "level": region.level,
            "as_of": as_of, "years": [], "model": None, "training_rows": None,
            "simulations": None, "band": "模拟的 10%–90% 区间", "exit_line_pct": 3.0,
            "now": {}, "points": [], "below_line": None, "children": [],
            "note": SYNTHETIC_NOTE if info["demo"] else None, "demo": info["demo"],
            "data_label": info["data_label"], "data_as_of": info["as_of"]}


def _r(v: float) -> float | None:
    return None if v != v else round(float(v), 3)


def _below(rf: RegionForecast, i: int) -> dict:
    med, low, high = (int(x) or None for x in rf.below[:, i])
    return {"year": med, "low": low, "high": high, "already": med == rf.as_of}


def _points(rf: RegionForecast, i: int) -> list[dict]:
    return [{"year": int(y), **{s: {"mean": _r(rf.stats[s][0, i, k]), "low": _r(rf.stats[s][1, i, k]),
                                    "high": _r(rf.stats[s][2, i, k])} for s in _STATS}}
            for k, y in enumerate(rf.years)]


@router.get("/{code}/forecast", response_model=None, summary="脱贫年度预测 (各年预计脱贫户数及区间, 贫困发生率降至 3% 以下的年份)",
            responses={200: {"model": ForecastOut}})
def get_forecast(request: Request, session: SessionDep, caller: Reader, scope: PathRegionDep,
                 as_of: Annotated[int | None, Query(description="预测基准年, 缺省为最新年份", ge=1900, le=2100)] = None,
                 ) -> Response:
    rc, region = scope.load(session)
    info = dataset_info(session)
    fc = forecast_for(request, session, as_of, info)
    if isinstance(fc, Pending):  # not cached: the next ask gets the answer
        body = ForecastOut.model_validate(_empty(region, as_of, info) | {"status": "computing",
                                                                         "note": "预测模型拟合中, 请稍后再取"})
        return Response(body.model_dump_json(), media_type="application/json",
                        headers={"Retry-After": str(fc.retry_after), "Cache-Control": "no-store"})

    def compute() -> Prepared:
        children = queries.child_regions(session, rc)
        body = _empty(region, fc.as_of if fc else as_of, info)
        if fc is None:
            body.update(status="unavailable", note="记录的年度太少, 无法拟合预测模型")
        else:
            rf = fc.regions
            body.update(years=[int(y) for y in rf.years], model=MODEL_ZH, training_rows=fc.model.rows,
                        simulations=rf.simulations)
            i = rf.index(region.code)
            if i is not None:
                pop = float(rf.population[i])
                body["now"] = {"poor_households": float(rf.poor_households_now[i]),
                               "poor_population": float(rf.poor_population_now[i]), "rural_population": pop,
                               "poverty_incidence": _r(rf.poor_population_now[i] / pop * 100) if pop else None}
                body["points"] = _points(rf, i)
                body["below_line"] = _below(rf, i)
            for c in children:
                j = rf.index(c.code)
                if j is None:
                    continue
                body["children"].append({
                    "code": c.code, "name": c.name, "level": c.level,
                    "expected_exits": {str(int(y)): _r(rf.stats["exits_households"][0, j, k])
                                       for k, y in enumerate(rf.years)},
                    "below_line": _below(rf, j)})
        out = ForecastOut.model_validate(body).model_dump(mode="json")
        return Prepared(json.dumps(out, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))

    key = ("forecast-region", info["build"], rc.value, fc.as_of if fc else as_of)
    return request.app.state.responses.get_or_compute(key, compute).respond(request)
