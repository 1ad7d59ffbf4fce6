"""A level's shapes in projected units, built once per set of polygons: outlines, areas, bounds, edges."""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QPainterPath, QPolygonF

from sandbox.ui.map_layer import edge_runs, runs_path
from sandbox.ui.projection import bounds_of, projection_for_bbox

__all__ = ["LevelGeometry"]


class LevelGeometry:
    """A level's regions in projected units: outlines, areas, bounds, and its edges sorted into
    the outer outline (glow) and every shared edge once (borders)."""

    def __init__(self, rm):
        self.keep = tuple(f.polygons for f in rm.features)  # holds the objects the key names by id
        self.projection = projection_for_bbox(rm.bbox)
        self.paths: dict[str, QPainterPath] = {}
        self.areas: dict[str, float] = {}
        pts, rings = [], []
        for f in rm.features:
            path = QPainterPath()
            path.setFillRule(Qt.FillRule.OddEvenFill)
            area = 0.0
            for poly in f.polygons:
                for i, ring in enumerate(self.projection.project_polygon(poly)):
                    path.addPolygon(QPolygonF([QPointF(x, y) for x, y in ring]))
                    path.closeSubpath()
                    rings.append(ring)
                    area += _ring_area(ring) * (1 if i == 0 else -1)
                    if i == 0:
                        pts.extend(ring)
            self.paths[f.code] = path
            self.areas[f.code] = abs(area)
        self.bounds = bounds_of(pts)
        outer, borders = edge_runs(rings)
        self.outline, self.borders = runs_path(outer), runs_path(borders)
        self._path_bounds: dict[str, QRectF] | None = None

    def path_bounds(self) -> dict[str, QRectF]:
        """Each region's bounding box in projected units (a quick reject before the exact test)."""
        if self._path_bounds is None:
            self._path_bounds = {c: p.boundingRect() for c, p in self.paths.items()}
        return self._path_bounds

    @staticmethod
    def key_of(rm) -> tuple:
        return tuple(f.code for f in rm.features), tuple(id(f.polygons) for f in rm.features)


def _ring_area(ring) -> float:
    s = 0.0
    for (x1, y1), (x2, y2) in zip(ring, ring[1:] + ring[:1]):
        s += x1 * y2 - x2 * y1
    return abs(s) / 2.0
