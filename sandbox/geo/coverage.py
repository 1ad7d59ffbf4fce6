"""Coverage check: do the children (towns, villages) tile their parent, within a tolerance in metres?

Boundaries from different sources never match to the centimetre: slivers along shared borders
are normal. A gap, overlap or overhang is reported only where it is wider than the tolerance,
i.e. where it survives shrinking by half the tolerance, so long thin slivers pass and a missing
village or a misplaced town does not.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import shapely

__all__ = ["CoverageIssue", "check_coverage", "GAP", "OVERLAP", "OUTSIDE"]

GAP, OVERLAP, OUTSIDE = "gap", "overlap", "outside"
_M_PER_DEG_LAT = 110_574.0
_M_PER_DEG_LON_EQUATOR = 111_320.0
_MAX_NEIGHBOURS = 6


@dataclass(frozen=True)
class CoverageIssue:
    kind: str  # GAP: parent area no child covers; OVERLAP: two children; OUTSIDE: a child beyond the parent
    codes: tuple[str, ...]  # the parent and nearby children for a gap; the children otherwise
    area_m2: float
    lon: float  # a point inside the problem area, WGS-84
    lat: float

    def describe(self) -> str:
        area = f"{self.area_m2 / 1e6:.3f} 平方公里" if self.area_m2 >= 1e5 else f"{self.area_m2:.0f} 平方米"
        at = f"(约 {self.lon:.5f}, {self.lat:.5f})"
        if self.kind == GAP:
            near = f", 邻近 {'、'.join(self.codes[1:])}" if len(self.codes) > 1 else ""
            return f"{self.codes[0]} 内有 {area} 不属于任何下级区划{near} {at}"
        if self.kind == OVERLAP:
            return f"{self.codes[0]} 与 {self.codes[1]} 重叠 {area} {at}"
        return f"{self.codes[0]} 有 {area} 超出上级区划 {self.codes[1] if len(self.codes) > 1 else ''} {at}".replace("  ", " ")


class _Plane:
    """Lon/lat to metres around the parent's centre: equal-scale enough to measure widths in a county."""

    def __init__(self, geom) -> None:
        c = geom.centroid
        self.lon0, self.lat0 = c.x, c.y
        self.kx = _M_PER_DEG_LON_EQUATOR * math.cos(math.radians(self.lat0))

    def forward(self, geom):
        return shapely.transform(geom, lambda xy: np.column_stack([(xy[:, 0] - self.lon0) * self.kx,
                                                                   (xy[:, 1] - self.lat0) * _M_PER_DEG_LAT]))

    def lonlat(self, point) -> tuple[float, float]:
        return self.lon0 + point.x / self.kx, self.lat0 + point.y / _M_PER_DEG_LAT


def _wide_parts(geom, tolerance_m: float) -> list:
    """Parts of `geom` wider than the tolerance (they survive an inward buffer of half of it)."""
    if geom is None or geom.is_empty:
        return []
    parts = [p for p in shapely.get_parts(geom) if isinstance(p, shapely.Polygon) and not p.is_empty]
    min_area = math.pi * (tolerance_m / 2) ** 2
    out = []
    for p in parts:
        if p.area < min_area:
            continue
        if tolerance_m <= 0 or not p.buffer(-tolerance_m / 2).is_empty:
            out.append(p)
    return out


def check_coverage(parent_code: str, parent, children: dict[str, object], tolerance_m: float = 50.0
                   ) -> list[CoverageIssue]:
    """Gaps (parent area no child covers), overlaps between children, and children beyond the parent,
    each wider than `tolerance_m`. Geometries are WGS-84 lon/lat and valid (make_valid them first)."""
    if parent is None or parent.is_empty or not children:
        return []
    plane = _Plane(parent)
    codes = list(children)
    geoms = np.array([plane.forward(children[c]) for c in codes], dtype=object)
    p = plane.forward(parent)
    union = shapely.union_all(geoms)
    tree = shapely.STRtree(geoms)
    issues: list[CoverageIssue] = []

    def point(part) -> tuple[float, float]:
        return plane.lonlat(part.point_on_surface())

    for part in _wide_parts(shapely.difference(p, union), tolerance_m):
        near = tree.query(part, predicate="dwithin", distance=max(tolerance_m, 1.0))
        near_codes = tuple(codes[i] for i in sorted(near, key=lambda i: -shapely.length(
            shapely.intersection(geoms[i].boundary, part.buffer(max(tolerance_m, 1.0)))))[:_MAX_NEIGHBOURS])
        issues.append(CoverageIssue(GAP, (parent_code, *near_codes), part.area, *point(part)))
    left, right = tree.query(geoms, predicate="intersects")
    for i, j in zip(left, right):
        if i >= j:
            continue
        for part in _wide_parts(shapely.intersection(geoms[i], geoms[j]), tolerance_m):
            issues.append(CoverageIssue(OVERLAP, (codes[i], codes[j]), part.area, *point(part)))
    for i, g in enumerate(geoms):
        for part in _wide_parts(shapely.difference(g, p), tolerance_m):
            issues.append(CoverageIssue(OUTSIDE, (codes[i], parent_code), part.area, *point(part)))
    return issues
