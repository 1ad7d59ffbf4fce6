"""Display geometry per region: simplified for the map it is drawn on once, then served from memory."""

from __future__ import annotations

import json
import threading

import shapely

from sandbox.geo.simplify import DRAWN_PIXEL_DEG, geometry_to_geojson, simplify_for_map
from sandbox.store.models import Region

__all__ = ["GeometryCache"]

Bounds = tuple[float, float, float, float]


def outline_stamp(build: str) -> str:
    """The part of a dataset's build stamp (`built_at/facts_version`) that outlines depend on: a build
    or a boundary import sets `built_at`; a check-in only moves the facts version, and re-simplifying
    a province's outlines after each one would make every level cold again."""
    return build.partition("/")[0]


class GeometryCache:
    """Serialised, simplified geometries and their bounds, keyed by (outline stamp, region code, the
    level of the map they are drawn on)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._items: dict[tuple[str, str, str | None], tuple[str, Bounds | None]] = {}

    def get(self, build: str, region: Region, drawn: str | None = None) -> tuple[str, Bounds | None]:
        """`region`'s outline as GeoJSON text and its bounds; `drawn` is the level of the map showing it
        (its parent's: a province's or prefecture's map needs far fewer points; None: its own level's)."""
        drawn = drawn if drawn in DRAWN_PIXEL_DEG else None
        key = (outline_stamp(build), region.code, drawn)
        hit = self._items.get(key)
        if hit is not None:
            return hit
        if not region.boundary:
            item: tuple = ("null", None)
        else:
            # GEOS reads the stored GeoJSON text itself: no Python list per point (a province's outline
            # is thousands of them)
            geom = simplify_for_map(shapely.from_geojson(region.boundary), region.level, drawn)
            # 4 decimals (≈ 10 m) where a pixel is 100 m or more; 5 (≈ 1 m) on a county's map and below
            item = (json.dumps(geometry_to_geojson(geom, 5 if drawn is None else 4), separators=(",", ":")),
                    tuple(geom.bounds))
        with self._lock:
            if len(self._items) > 50_000:
                self._items.clear()
            self._items[key] = item
        return item

    def bbox(self, build: str, regions: list[Region], drawn: str | None = None) -> list[float] | None:
        boxes = [b for _, b in (self.get(build, r, drawn) for r in regions) if b]
        if not boxes:
            return None
        return [round(min(b[0] for b in boxes), 5), round(min(b[1] for b in boxes), 5),
                round(max(b[2] for b in boxes), 5), round(max(b[3] for b in boxes), 5)]
