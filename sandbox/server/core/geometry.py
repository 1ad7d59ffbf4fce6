"""Display geometry per region: simplified for its level once, then served from memory."""

from __future__ import annotations

import json
import threading

from sandbox.geo.simplify import geojson_to_geometry, geometry_to_geojson, simplify_for_level
from sandbox.store.models import Region

__all__ = ["GeometryCache"]


class GeometryCache:
    """Serialised, simplified geometries and their bounds, keyed by (dataset build, region code)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._items: dict[tuple[str, str], tuple[str, tuple[float, float, float, float] | None]] = {}

    def get(self, build: str, region: Region) -> tuple[str, tuple[float, float, float, float] | None]:
        key = (build, region.code)
        hit = self._items.get(key)
        if hit is not None:
            return hit
        if not region.boundary:
            item: tuple = ("null", None)
        else:
            geom = simplify_for_level(geojson_to_geometry(json.loads(region.boundary)), region.level)
            item = (json.dumps(geometry_to_geojson(geom, 5), separators=(",", ":")), tuple(geom.bounds))
        with self._lock:
            if len(self._items) > 50_000:
                self._items.clear()
            self._items[key] = item
        return item

    def bbox(self, build: str, regions: list[Region]) -> list[float] | None:
        boxes = [b for _, b in (self.get(build, r) for r in regions) if b]
        if not boxes:
            return None
        return [round(min(b[0] for b in boxes), 5), round(min(b[1] for b in boxes), 5),
                round(max(b[2] for b in boxes), 5), round(max(b[3] for b in boxes), 5)]
