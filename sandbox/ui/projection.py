"""Equirectangular projection with cos(lat) scaling, GeoJSON polygon parsing and fit-to-view (no Qt)."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

__all__ = [
    "Projection", "ViewFit", "Ring", "Polygon", "GeometryError",
    "polygons_of", "projection_for_bbox", "bounds_of", "fit_view", "KM_PER_DEGREE",
]

KM_PER_DEGREE = 111.32  # one degree of latitude; after cos(lat0) scaling one projected unit everywhere
Ring = list[tuple[float, float]]
Polygon = list[Ring]  # exterior first, then holes


class GeometryError(ValueError):
    """A GeoJSON geometry the map cannot draw."""


@dataclass(frozen=True)
class Projection:
    """x = lon·cos(lat0), y = −lat: angles stay true near lat0 and y grows downwards like the screen."""

    lat0: float

    @property
    def kx(self) -> float:
        return math.cos(math.radians(self.lat0))

    def forward(self, lon: float, lat: float) -> tuple[float, float]:
        return lon * self.kx, -lat

    def inverse(self, x: float, y: float) -> tuple[float, float]:
        return x / self.kx, -y

    def project_polygon(self, polygon: Polygon) -> Polygon:
        return [[self.forward(lon, lat) for lon, lat in ring] for ring in polygon]


def projection_for_bbox(bbox: Sequence[float]) -> Projection:
    minx, miny, maxx, maxy = bbox
    return Projection((miny + maxy) / 2.0)


def polygons_of(geometry: dict | None) -> list[Polygon]:
    """Polygon or MultiPolygon coordinates as lists of rings of (lon, lat); raises GeometryError."""
    if not isinstance(geometry, dict):
        raise GeometryError(f"geometry should be a GeoJSON object, got {type(geometry).__name__}")
    kind, coords = geometry.get("type"), geometry.get("coordinates")
    if kind == "Polygon":
        parts = [coords]
    elif kind == "MultiPolygon":
        parts = coords
    else:
        raise GeometryError(f"geometry should be Polygon or MultiPolygon, got {kind!r}")
    try:
        out = [[[(float(p[0]), float(p[1])) for p in ring] for ring in part] for part in parts]
    except (TypeError, ValueError, IndexError) as exc:
        raise GeometryError(f"malformed {kind} coordinates: {exc}") from None
    out = [poly for poly in out if poly and len(poly[0]) >= 3]
    if not out:
        raise GeometryError(f"{kind} has no ring with at least 3 points")
    return out


def bounds_of(points: Iterable[tuple[float, float]]) -> tuple[float, float, float, float]:
    xs, ys = [], []
    for x, y in points:
        xs.append(x)
        ys.append(y)
    if not xs:
        raise GeometryError("no points to bound")
    return min(xs), min(ys), max(xs), max(ys)


@dataclass(frozen=True)
class ViewFit:
    """Uniform scale and offset from projected units to widget pixels."""

    scale: float
    dx: float
    dy: float

    def to_screen(self, x: float, y: float) -> tuple[float, float]:
        return x * self.scale + self.dx, y * self.scale + self.dy

    def to_world(self, sx: float, sy: float) -> tuple[float, float]:
        return (sx - self.dx) / self.scale, (sy - self.dy) / self.scale

    def km_per_pixel(self) -> float:
        return KM_PER_DEGREE / self.scale


def fit_view(bounds: Sequence[float], width: float, height: float,
             margins: Sequence[float] = (0, 0, 0, 0)) -> ViewFit:
    """Largest uniform scale that fits `bounds` (projected) inside the box minus margins, centred."""
    minx, miny, maxx, maxy = bounds
    left, top, right, bottom = margins
    avail_w, avail_h = max(width - left - right, 1.0), max(height - top - bottom, 1.0)
    span_x, span_y = max(maxx - minx, 1e-9), max(maxy - miny, 1e-9)
    scale = min(avail_w / span_x, avail_h / span_y)
    dx = left + (avail_w - span_x * scale) / 2.0 - minx * scale
    dy = top + (avail_h - span_y * scale) / 2.0 - miny * scale
    return ViewFit(scale, dx, dy)
