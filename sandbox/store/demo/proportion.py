"""A demo province's figures in proportion to the real province's: its 2014 poor population spread over its counties."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sandbox.geo.outline import county_outline
from sandbox.store.demo.regions import DUSHAN
from sandbox.store.demo.targets import DUSHAN as DUSHAN_TARGETS

__all__ = ["CountyShare", "PROVINCE_POOR_2014", "county_shares", "poverty_weight", "dushan_poor_2014"]

# (rural poor population at the end of 2014, poverty incidence % that year) by province code. 贵州: 623万人,
# 18.0 % (国家统计局《中国农村贫困监测报告 2015》; 贵州省扶贫办: 2014 年建档立卡贫困人口 623 万).
PROVINCE_POOR_2014: dict[str, tuple[int, float]] = {"52": (6_230_000, 18.0)}


@dataclass(frozen=True)
class CountyShare:
    """A county's part of its province: poor people and incidence (%) in 2014."""

    poor_2014: int
    incidence_2014: float


def poverty_weight(name: str) -> float:
    """How poor a county is against its province's mean, from what kind of county it is: a city's
    district (区) far less, a county-level city (市) less, an autonomous county (自治县) more."""
    if name.endswith("自治县"):
        return 1.3
    if name.endswith("区"):
        return 0.35
    if name.endswith("市"):
        return 0.8
    return 1.0


def dushan_poor_2014() -> int:
    """The demo county's own 2014 poor population as its build makes it (incidence × rural population)."""
    t = DUSHAN_TARGETS
    return round(t.incidence[2014] / 100 * round(t.rural_population_2016 * 1.008))


def county_shares(province: str, counties: list[tuple[str, str, str, str]]) -> dict[str, CountyShare]:
    """Each county's share of the province's 2014 poor population, by area × poverty weight (all of the
    province's `counties`, so a slice's counties get the share they have in the whole); the demo county keeps
    its own figures and is left out. {} for a province without a known figure (its counties go by area)."""
    known = PROVINCE_POOR_2014.get(province)
    if known is None:
        return {}
    total, incidence = known
    others = [(code, name) for code, name, *_ in counties if code != DUSHAN]
    if not others:
        return {}
    area = np.array([_area_km2(county_outline(code).geometry) for code, _ in others])
    weight = np.array([poverty_weight(name) for _, name in others])
    rest = total - (dushan_poor_2014() if any(c[0] == DUSHAN for c in counties) else 0)
    poor = rest * area * weight / (area * weight).sum()
    # incidence follows the weight around the province's own (its area-weighted mean is the province's)
    inc = np.clip(incidence * weight / ((area * weight).sum() / area.sum()), 2.0, 45.0)
    return {code: CountyShare(int(round(p)), round(float(i), 2)) for (code, _), p, i in zip(others, poor, inc)}


def _area_km2(geom) -> float:
    return geom.area * (111.32 ** 2) * np.cos(np.radians(geom.centroid.y))
