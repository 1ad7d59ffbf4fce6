"""Is a point inside the dataset's county? The outline is read once per dataset build."""

from __future__ import annotations

import json
import threading

import shapely
from sqlalchemy.orm import Session

from sandbox.geo.simplify import geojson_to_geometry
from sandbox.store import queries
from sandbox.store.checkins import county_boundary_geojson

__all__ = ["CountyFence", "county_fence"]


class CountyFence:
    def __init__(self, code: str, name: str, geometry) -> None:
        self.code, self.name, self.geometry = code, name, geometry
        shapely.prepare(self.geometry)

    def contains(self, lon: float, lat: float) -> bool:
        return bool(shapely.intersects_xy(self.geometry, lon, lat))  # on the outline counts as inside


_lock = threading.Lock()
_cache: dict[tuple[int, str], CountyFence | None] = {}


def county_fence(session: Session) -> CountyFence | None:
    """The county outline of the dataset this session reads; None if the dataset has none."""
    meta = queries.meta(session)
    key = (id(session.get_bind()), f"{meta.get('built_at')}/{meta.get('county_code')}")
    with _lock:
        if key in _cache:
            return _cache[key]
    row = county_boundary_geojson(session)
    fence = None
    if row is not None:
        code, boundary = row
        fence = CountyFence(code, meta.get("county_name") or code, geojson_to_geometry(json.loads(boundary)))
    with _lock:
        if len(_cache) > 16:
            _cache.clear()
        _cache[key] = fence
    return fence
