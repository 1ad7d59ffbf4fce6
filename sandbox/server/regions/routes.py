"""Routes: GET /regions/{code}, /regions/{code}/children.geojson, /children/series, /level (all three in one), /trend."""

from __future__ import annotations

import json
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, Request, Response

from sandbox.domain.indicators import compute_indicators, compute_notes, indicator_keys
from sandbox.domain.regions import RegionLevel
from sandbox.server.core.cache import Prepared
from sandbox.server.core.dataset import dataset_info
from sandbox.server.deps import (
    AGGREGATE_ROLES,
    Caller,
    PathRegionDep,
    SessionDep,
    YearQuery,
    allow,
    resolve_year,
)
from sandbox.server.echo import cut
from sandbox.server.regions.schemas import LevelOut, RegionOut, TrendOut
from sandbox.store import queries

router = APIRouter(prefix="/regions", tags=["regions"])
Reader = Annotated[Caller, Depends(allow(*AGGREGATE_ROLES))]


# Counted from the year's facts; with no year of data at all (boundaries alone) they are unknown, not 0.
_COUNTS = ("villages", "poor_villages", "exited_poor_villages", "first_secretary_villages")


def _indicators(facts: dict, any_data: bool = True) -> dict:
    values = compute_indicators(facts)
    values["rural_population"] = None if facts.get("rural_population") is None else int(facts["rural_population"])
    for key in ("villages", "poor_villages", "exited_poor_villages"):
        values[key] = int(facts.get(key) or 0)
    # Unknown, not zero villages, when the database holds no cadres at all (their facts are NULL then,
    # see store.rollup)
    no_roster = bool(facts) and facts.get("cadres") is None
    values["first_secretary_villages"] = None if no_roster else int(facts.get("first_secretary_villages") or 0)
    if not any_data:
        values.update(dict.fromkeys(_COUNTS))
    return values


def _indicators_and_notes(facts: dict, any_data: bool = True) -> dict:
    return {"indicators": _indicators(facts, any_data), "indicator_notes": compute_notes(facts)}


def _breakdowns_and_notes(breakdowns: dict) -> dict:
    return {"breakdowns": breakdowns, "breakdown_notes": queries.breakdown_notes(breakdowns)}


_ABOVE_COUNTY = ("province", "prefecture")
_READY = {304: {"description": "If-None-Match 与当前 ETag 相同: 数据未变"}}


@router.get("/{code}", response_model=None, summary="一个地区的指标",
            responses={200: {"model": RegionOut, "description": "地区指标、分组及各年指标; 支持 gzip 与 ETag (304)"},
                       **_READY})
def get_region(request: Request, session: SessionDep, caller: Reader, scope: PathRegionDep,
               year: YearQuery = None) -> Response:
    info = dataset_info(session)
    ready = request.app.state.responses.peek(("region-asked", info["build"], scope.code.value, year))
    if ready is not None:  # asked for since the facts last changed: one read (their version), no lookup
        return ready.respond(request)
    rc, region = scope.load(session)
    y = resolve_year(session, year)
    prepared = _region_cached(request, session, rc, region, y, info)
    request.app.state.responses.put(("region-asked", info["build"], scope.code.value, year), prepared)
    return prepared.respond(request)


def _region_cached(request: Request, session, rc, region, y: int | None, info: dict) -> Prepared:
    """The answer validated against RegionOut once (as FastAPI would per request) and kept as bytes."""
    def compute() -> Prepared:
        own = RegionOut.model_validate(_region_body(session, rc, region, y, info)).model_dump(mode="json")
        return Prepared(_dumps(own).encode("utf-8"))

    return request.app.state.responses.get_or_compute(("region", info["build"], rc.value, y), compute)


def _region_body(session, rc, region, y: int | None, info: dict) -> dict:
    children = queries.child_regions(session, rc)
    years = queries.years(session)  # none yet: boundaries alone, every figure unknown (null), not 0
    return {
        "code": region.code, "name": region.name, "level": region.level,
        "level_zh": RegionLevel(region.level).label_zh, "parent_code": region.parent_code, "year": y,
        "years": years,
        "children": [{"code": c.code, "name": c.name, "level": c.level} for c in children],
        # above the county the header says how many 县（市、区） (a province's children are 市州)
        "counties": queries.county_count(session, rc) if region.level in _ABOVE_COUNTY else None,
        **_indicators_and_notes(queries.summed_facts(session, rc, y), bool(years)),
        **(_breakdowns_and_notes(queries.breakdowns(session, rc, y)) if years
           else {"breakdowns": None, "breakdown_notes": {}}),  # boundaries alone: 无数据, not 0
        # a boundary file says nothing of 贫困村: unknown until a register or village sheet does
        "is_poor_village": region.is_poor_village if region.level == "village" and years else None,
        "poor_village_exit_year": region.poor_village_exit_year,
        "synthetic_boundary": region.synthetic,
        # The region's own figures in every year: the 较上年 line and the trend chart come with the
        # region, so a drill asks for nothing more (GET /trend stays for other clients).
        "series": _own_series(session, rc, years),
        **info,
    }


def _own_series(session, rc, years: list[int]) -> dict[str, dict]:
    """{year: indicators (+ indicator_notes when any)} of the region itself, every year of data."""
    if not years:
        return {}
    by_year = queries.facts_by_year(session, rc, years[0], years[-1])
    return {str(y): _series_values(by_year.get(y, {})) for y in years}


@router.get("/{code}/children.geojson", summary="下级地区边界及指标 (GeoJSON)",
            responses={200: {"content": {"application/geo+json": {}}}})
def get_children(request: Request, session: SessionDep, caller: Reader, scope: PathRegionDep,
                 year: YearQuery = None) -> Response:
    rc, region = scope.load(session)
    y = resolve_year(session, year)
    body = _children_cached(request, session, rc, region, y, dataset_info(session))
    return Response(body, media_type="application/geo+json")


def _children_cached(request: Request, session, rc, region, y: int | None, info: dict) -> str:
    return request.app.state.responses.get_or_compute(
        ("children", info["build"], rc.value, y), lambda: _children_body(request, session, rc, region, y, info))


def _children_body(request: Request, session, rc, region, y: int | None, info: dict) -> str:
    children = queries.child_regions(session, rc)
    facts = queries.facts_by_child(session, rc, y)
    cache = request.app.state.geometry
    build = info.get("build") or ""
    any_data = bool(queries.years(session))
    features = []
    for child in children:
        props = {"code": child.code, "name": child.name, "level": child.level,
                 "label_point": [child.label_lon, child.label_lat]}
        if child.level == "village":
            props["is_poor_village"] = child.is_poor_village if any_data else None
            props["poor_village_exit_year"] = child.poor_village_exit_year
        props.update(_indicators(facts.get(child.code, {}), any_data))
        props["indicator_notes"] = compute_notes(facts.get(child.code, {}))
        geometry, _ = cache.get(build, child, region.level)  # simplified for this map's scale
        # Geometry text is pre-serialised: only the small properties are encoded per request.
        features.append(f'{{"type":"Feature","id":"{child.code}","geometry":{geometry},'
                        f'"properties":{json.dumps(props, ensure_ascii=False, separators=(",", ":"))}}}')
    top = {"year": y, "parent": {"code": region.code, "name": region.name, "level": region.level},
           "bbox": cache.bbox(build, children, region.level), **info}
    return ('{"type":"FeatureCollection",' + json.dumps(top, ensure_ascii=False)[1:-1]
            + ',"features":[' + ",".join(features) + "]}")


def _series_values(facts: dict) -> dict:
    values = _indicators(facts)
    notes = compute_notes(facts)
    if notes:  # most children in most years have none: kept out of the one big answer
        values["indicator_notes"] = notes
    return values


@router.get("/{code}/children/series", summary="下级地区各年全部指标 (一次取回时间轴所需数据)")
def get_children_series(request: Request, session: SessionDep, caller: Reader, scope: PathRegionDep) -> dict:
    """Every child's indicators for every year: the wall fixes its class breaks over the timeline
    from one answer instead of one children.geojson per year."""
    rc, _ = scope.load(session)
    return _series_cached(request, session, rc, dataset_info(session))


def _series_cached(request: Request, session, rc, info: dict) -> dict:
    def compute() -> dict:
        years = queries.years(session)
        by_year = {y: queries.facts_by_child(session, rc, y) for y in years}
        children = queries.child_regions(session, rc)
        return {
            "code": rc.value, "years": years, "as_of": info["as_of"],
            "children": {c.code: {str(y): _series_values(by_year[y].get(c.code, {})) for y in years}
                         for c in children},
        }

    return request.app.state.responses.get_or_compute(("series", info["build"], rc.value), compute)


@router.get("/{code}/level", response_model=None, summary="一级地图所需全部数据 (一次取回: 地区、下级边界、下级各年指标)",
            responses={200: {"model": LevelOut, "description": "地区 (同 GET /regions/{code}), 下级边界及指标 "
                             "(同 children.geojson), 下级各年指标 (同 children/series); 支持 gzip 与 ETag (304)"},
                       **_READY})
def get_level(request: Request, session: SessionDep, caller: Reader, scope: PathRegionDep,
              year: YearQuery = None) -> Response:
    """What the wall needs to show a level, in one read: the facts version (one small query, shared by
    every API worker through the database), then the answer kept for it as bytes (and gzip) ready to
    send. Only a level not asked for since the facts last changed is looked up and put together (its
    three parts cached per facts version like the others)."""
    info = dataset_info(session)
    responses = request.app.state.responses
    # The caller's region was checked against the token already (PathRegionDep); a kept answer proves
    # the region exists and the year was valid for this facts version.
    asked = ("level", info["build"], scope.code.value, year)
    ready = responses.peek(asked)
    if ready is not None:
        return ready.respond(request)
    rc, region = scope.load(session)
    y = resolve_year(session, year)

    def compute() -> Prepared:
        own = _region_cached(request, session, rc, region, y, info).body.decode("utf-8")
        children = _children_cached(request, session, rc, region, y, info)
        series = _series_cached(request, session, rc, info)
        body = ('{"region":' + own + ',"children":' + children
                + ',"children_series":' + _dumps(series) + "}")
        return Prepared(body.encode("utf-8"))

    prepared = responses.get_or_compute(("level", info["build"], rc.value, y), compute)
    responses.put(asked, prepared)  # the latest year asked for as "the latest" too
    return prepared.respond(request)


def _dumps(value) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


@router.get("/{code}/trend", response_model=TrendOut, summary="指标年度趋势")
def get_trend(session: SessionDep, caller: Reader, scope: PathRegionDep,
              indicator: Annotated[str, Query(description="指标代码, 见 /indicators")] = "poverty_incidence",
              from_: Annotated[int | None, Query(alias="from", ge=1900, le=2100)] = None,
              to: Annotated[int | None, Query(ge=1900, le=2100)] = None) -> dict:
    if indicator not in indicator_keys():
        raise HTTPException(422, f"未知指标 {cut(indicator)!r},可用指标见 /api/v1/indicators")
    rc, _ = scope.load(session)
    available = queries.years(session)
    first = from_ if from_ is not None else (available[0] if available else 0)
    last = to if to is not None else (available[-1] if available else 0)
    if first > last:
        raise HTTPException(422, f"起始年份 {first} 晚于结束年份 {last}")
    by_year = queries.facts_by_year(session, rc, first, last)
    points = [{"year": y, "value": compute_indicators(by_year[y])[indicator] if y in by_year else None}
              for y in available if first <= y <= last]
    return {"code": rc.value, "indicator": indicator, "points": points, "as_of": dataset_info(session)["as_of"]}
