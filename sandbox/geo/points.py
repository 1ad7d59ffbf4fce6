"""Random points inside a geometry and label points for regions."""

from __future__ import annotations

import numpy as np
import shapely
from shapely.geometry import MultiPolygon, Polygon
from shapely.ops import polylabel

__all__ = ["random_points_in", "representative_point"]

# Batches are oversized by this factor over the expected need so one or two passes usually suffice.
_OVERSAMPLE = 1.15
_MIN_BATCH = 256


def _check_polygonal(area, what: str = "area") -> None:
    if not isinstance(area, (Polygon, MultiPolygon)):
        raise TypeError(f"'{what}' should be a shapely Polygon or MultiPolygon, got {type(area).__name__}")
    if area.is_empty or area.area <= 0:
        raise ValueError(f"'{what}' is empty or has no area")


def random_points_in(area, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """`n` points uniform (in lon/lat) inside `area`; returns (lons, lats) arrays of length n.

    Rejection sampling against each part's own bounding box, parts chosen in proportion to their
    area: a county with far-flung enclaves would otherwise waste most draws on the gaps between.
    """
    _check_polygonal(area)
    n = int(n)
    if n < 0:
        raise ValueError(f"n must be >= 0, got {n}")
    if n == 0:
        return np.empty(0), np.empty(0)
    parts = list(shapely.get_parts(area))
    part_areas = np.array([p.area for p in parts])
    counts = rng.multinomial(n, part_areas / part_areas.sum()) if len(parts) > 1 else np.array([n])
    lons_out, lats_out = [], []
    for part, count in zip(parts, counts):
        if count == 0:
            continue
        shapely.prepare(part)
        minx, miny, maxx, maxy = part.bounds
        accept = part.area / ((maxx - minx) * (maxy - miny))
        got_x, got_y, have = [], [], 0
        while have < count:
            batch = max(_MIN_BATCH, int((count - have) / accept * _OVERSAMPLE))
            x = rng.uniform(minx, maxx, batch)
            y = rng.uniform(miny, maxy, batch)
            inside = shapely.contains_xy(part, x, y)
            got_x.append(x[inside])
            got_y.append(y[inside])
            have += int(inside.sum())
        lons_out.append(np.concatenate(got_x)[:count])
        lats_out.append(np.concatenate(got_y)[:count])
    lons, lats = np.concatenate(lons_out), np.concatenate(lats_out)
    if len(parts) > 1:
        # Parts were filled one after another; shuffle so any prefix is still a uniform sample.
        order = rng.permutation(n)
        lons, lats = lons[order], lats[order]
    return lons, lats


def representative_point(geom) -> tuple[float, float]:
    """A label point (lon, lat) well inside the geometry: the pole of inaccessibility of its
    largest part, so labels sit in the visual middle rather than on a narrow neck."""
    if geom is None or geom.is_empty:
        raise ValueError("cannot place a label on an empty geometry")
    if isinstance(geom, MultiPolygon):
        geom = max(geom.geoms, key=lambda p: p.area)
    if isinstance(geom, Polygon) and geom.area > 0:
        minx, miny, maxx, maxy = geom.bounds
        try:
            p = polylabel(geom, tolerance=max(maxx - minx, maxy - miny) / 200.0)
            if geom.contains(p):
                return float(p.x), float(p.y)
        except Exception:  # noqa: BLE001 - polylabel fails on degenerate rings; fall back below
            pass
    p = geom.point_on_surface()
    return float(p.x), float(p.y)
