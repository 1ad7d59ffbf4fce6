"""Display-ready geometry: per-level simplification, GeoJSON in and out, bounds."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping

import numpy as np
import shapely
from shapely.geometry import MultiPolygon, Polygon, mapping, shape

from .outline import polygonal

__all__ = [
    "TOLERANCE_DEG",
    "simplify_for_level",
    "simplify_for_map",
    "DRAWN_PIXEL_DEG",
    "simplify_coverage",
    "geometry_to_geojson",
    "geojson_to_geometry",
    "bounds_of",
]

# Simplification tolerance in degrees, about one 4K-wall pixel at the zoom where a region of that
# level is drawn as a whole: the county (~0.8° across, ~2000 px wide) is 0.0004°/px; a town
# (~0.25°) about 0.00012°/px; a village (~0.05°) about 0.000025°/px; above the county, a prefecture
# (drawn whole inside its ~7° province) about 0.0035°/px, a province (~7°, for a country view) more.
TOLERANCE_DEG: dict[str, float] = {
    "province": 0.01,
    "prefecture": 0.004,
    "county": 0.0005,
    "town": 0.00015,
    "village": 0.00005,
}


def _tolerance(level: str) -> float:
    level = getattr(level, "value", level)  # accept sandbox.domain's RegionLevel enum as well
    try:
        return TOLERANCE_DEG[level]
    except KeyError:
        raise ValueError(f"unknown level {level!r}; expected one of {sorted(TOLERANCE_DEG)}") from None


def _valid_like(simplified, original):
    if simplified is None or simplified.is_empty:
        return original  # never let a small village vanish from the map
    if isinstance(original, (Polygon, MultiPolygon)) and not (
        simplified.is_valid and isinstance(simplified, (Polygon, MultiPolygon))
    ):
        fixed = polygonal(simplified)
        return original if fixed.is_empty else fixed
    return simplified


def simplify_for_level(geom, level: str):
    """Douglas-Peucker with topology preserved (no self-crossings, holes stay inside), at the
    tolerance of TOLERANCE_DEG[level]; the result is valid and never empty."""
    if geom is None or geom.is_empty:
        return geom
    return _valid_like(shapely.simplify(geom, _tolerance(level), preserve_topology=True), geom)


def simplify_coverage(geoms, level: str) -> list:
    """Simplify polygons that tile a region (e.g. the towns of the county) together, so that
    neighbours keep one shared border with no slivers or gaps between them.

    Needs a valid coverage (what ``partition`` returns); anything else is simplified piece by
    piece with ``simplify_for_level``.
    """
    geoms = list(geoms)
    if not geoms:
        return []
    arr = np.asarray(geoms, dtype=object)
    if all(isinstance(g, (Polygon, MultiPolygon)) and not g.is_empty for g in geoms) and shapely.coverage_is_valid(arr):
        # Visvalingam-Whyatt on shared edges; its tolerance is the square root of the triangle
        # area removed, on the same scale as a Douglas-Peucker distance.
        out = shapely.coverage_simplify(arr, _tolerance(level))
        return [_valid_like(s, g) for s, g in zip(out, geoms)]
    return [simplify_for_level(g, level) for g in geoms]


def _listify(obj):
    if isinstance(obj, (tuple, list)):
        return [_listify(o) for o in obj]
    if isinstance(obj, Mapping):
        return {k: _listify(v) for k, v in obj.items()}
    return obj


def geometry_to_geojson(geom, precision: int = 5) -> dict:
    """A GeoJSON geometry dict with coordinates rounded to `precision` decimals (5 ≈ 1 m).

    If rounding breaks a valid geometry (two vertices merge, a ring touches itself), it is
    snapped to the same grid with ``set_precision`` instead, which keeps it valid for the client.
    """
    if geom is None:
        raise ValueError("no geometry to convert")
    precision = int(precision)

    def rounded(g):
        return shapely.transform(g, lambda xy: np.round(xy, precision))

    out = rounded(geom)
    if geom.is_valid and not out.is_valid:
        snapped = shapely.set_precision(geom, 10.0**-precision)
        if not snapped.is_empty:  # empty: smaller than the grid; keep the rounded shape
            # Round again: the snapped grid prints as 107.12345000000001 otherwise.
            out = rounded(snapped)
    return _listify(mapping(out))


def geojson_to_geometry(d):
    """A shapely geometry from a GeoJSON geometry dict (or a Feature, or its JSON text)."""
    if isinstance(d, (str, bytes)):
        d = json.loads(d)
    if not isinstance(d, Mapping):
        raise TypeError(f"'d' should be a GeoJSON dict, got {type(d).__name__}")
    if d.get("type") == "Feature":
        d = d.get("geometry")
        if d is None:
            raise ValueError("the GeoJSON Feature has no geometry")
    if d.get("type") == "FeatureCollection":
        raise ValueError("expected a GeoJSON geometry or Feature, got a FeatureCollection")
    return shape(d)


def bounds_of(geoms) -> list[float]:
    """[minx, miny, maxx, maxy] over one geometry or an iterable of them (None/empty ignored)."""
    if isinstance(geoms, shapely.Geometry):
        geoms = [geoms]
    elif not isinstance(geoms, Iterable):
        raise TypeError(f"'geoms' should be a geometry or an iterable of them, got {type(geoms).__name__}")
    arr = np.asarray([g for g in geoms if g is not None and not g.is_empty], dtype=object)
    if arr.size == 0:
        raise ValueError("no non-empty geometry to take the bounds of")
    return [float(v) for v in shapely.total_bounds(arr)]


# About one 4K-wall pixel where a level above the county is the map: its children's outlines need no
# finer detail there (贵州, ~6.5° by 4.7°, fills ~2000 px: 0.0025°/px; a prefecture, ~2°, 0.001°/px). A
# county's map and below keep their children's own tolerances (TOLERANCE_DEG), as drawn today.
DRAWN_PIXEL_DEG: dict[str, float] = {"province": 0.0025, "prefecture": 0.001}


def simplify_for_map(geom, level: str, drawn: str | None):
    """`geom` of a region of `level` simplified for the map of a `drawn` level (its parent's): the
    coarser of its own tolerance and the drawn map's pixel, so a county at a prefecture's scale keeps
    a fraction of its points."""
    drawn = getattr(drawn, "value", drawn)
    tolerance = max(_tolerance(level), DRAWN_PIXEL_DEG.get(drawn, 0.0))
    if geom is None or geom.is_empty:
        return geom
    return _valid_like(shapely.simplify(geom, tolerance, preserve_topology=True), geom)
