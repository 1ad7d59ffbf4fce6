"""The demo county's towns and villages: real names and codes where known, synthetic shapes inside the outline."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sandbox.geo.divisions import Town, county_divisions, divisions_source, short_name
from sandbox.geo.outline import polygonal
from sandbox.geo.partition import partition
from sandbox.store.demo.households import allocate
from sandbox.store.demo.targets import CountyTargets, targets_for

__all__ = ["RegionPlan", "county_targets", "plan_regions", "real_divisions"]

DUSHAN = "522726"

_V1 = "龙凤石金新青白平安和东西南北上下大小高岩花松柏竹桃梅兰茶河溪塘坝"
_V2 = "寨坪山田坡湾冲脚口场桥井坝沟岭林坳洞头屯堡"


@dataclass
class RegionPlan:
    town_codes: list[str]
    town_geoms: list
    village_codes: list[str]
    village_names: list[str]
    village_town: np.ndarray  # town index of each village
    village_geoms: list
    names_source: str  # "" when the names and codes are made up


def real_divisions(code: str) -> tuple[Town, ...]:
    """The county's real towns that have villages; () for Dushan, whose demo keeps the seed article's
    8 towns and 133 villages (the 2023 codes list 9 towns and 85 villages), and for counties the
    data does not hold."""
    if code == DUSHAN:
        return ()
    # 金门县 is listed as one town and one village under the county's own code: no real division
    return tuple(t for t in county_divisions(code) if t.villages and not t.code.endswith("000000"))


def county_targets(code: str, area_km2: float, poor_2014: tuple[int, float] | None = None
                   ) -> tuple[CountyTargets, tuple[Town, ...]]:
    """The build's targets, on the county's real towns and villages where known (`poor_2014`: targets_for)."""
    real = real_divisions(code)
    return targets_for(code, area_km2, tuple(t.name for t in real), sum(len(t.villages) for t in real),
                       poor_2014), real


def _village_names(rng: np.random.Generator, n: int) -> list[str]:
    pool = [a + b + "村" for a in _V1 for b in _V2]
    return [pool[i] for i in rng.permutation(len(pool))[:n]]


def _split(area, n: int, rng: np.random.Generator, weights=None) -> list:
    """partition(); where a piece carries a zero-width spike (宜都市's first town, out and back along one
    line) and a seed is left without a piece, the spike is opened away (±1e-6°, ≈ 0.1 m) and it is tried
    again: a county's real number of villages must not fail its build."""
    try:
        return partition(area, n, rng, weights=weights)
    except RuntimeError:
        opened = polygonal(area.buffer(-1e-6, join_style="mitre").buffer(1e-6, join_style="mitre"))
        return partition(opened, n, rng, weights=weights)


def plan_regions(outline, t: CountyTargets, rng: np.random.Generator, real: tuple[Town, ...] = ()) -> RegionPlan:
    """Towns partition the real outline, villages each town; with `real` divisions each town gets
    its real villages (areas in proportion to their number), names and codes."""
    if real:
        per_town = np.array([len(town.villages) for town in real])
        town_geoms = _split(outline.geometry, len(real), rng, weights=per_town)
    else:
        town_geoms = partition(outline.geometry, len(t.towns), rng)
        per_town = 5 + allocate(t.villages - 5 * len(t.towns), np.array([g.area for g in town_geoms]))
    village_geoms, village_town = [], []
    for ti, g in enumerate(town_geoms):
        parts = _split(g, int(per_town[ti]), rng)
        village_geoms += parts
        village_town += [ti] * len(parts)
    village_town = np.array(village_town)
    if real:
        town_codes = [town.code for town in real]
        villages = [v for town in real for v in town.villages]
        return RegionPlan(town_codes, town_geoms, [v.code for v in villages], [short_name(v.name) for v in villages],
                          village_town, village_geoms, divisions_source())
    town_codes = [f"{outline.code}{100 + i:03d}000" for i in range(len(t.towns))]
    village_codes, counters = [], {}
    for ti in village_town:
        counters[ti] = counters.get(ti, 0) + 1
        village_codes.append(f"{town_codes[ti][:9]}{200 + counters[ti]:03d}")
    return RegionPlan(town_codes, town_geoms, village_codes, _village_names(rng, len(village_geoms)), village_town,
                      village_geoms, "")
