"""Is a point inside the dataset's county? The outline is read once per dataset build."""

from __future__ import annotations

import json
import threading

import shapely
from sqlalchemy import select
from sqlalchemy.orm import Session

from sandbox.geo.simplify import geojson_to_geometry
from sandbox.store import queries
from sandbox.store.checkins import county_boundary_geojson
from sandbox.store.models import Region

__all__ = ["CountyFence", "county_fence"]


class CountyFence:
    def __init__(self, code: str, name: str, geometry) -> None:
        self.code, self.name, self.geometry = code, name, geometry
        shapely.prepare(self.geometry)

    def contains(self, lon: float, lat: float) -> bool:
        return bool(shapely.intersects_xy(self.geometry, lon, lat))  # on the outline counts as inside


_lock = threading.Lock()
_cache: dict[tuple[int, str], CountyFence | None] = {}


def county_fence(session: Session, county: str | None = None) -> CountyFence | None:
    """The outline of `county` (a household's: a province's dataset holds many counties), else of the
    dataset's county; None if the dataset has none."""
    meta = queries.meta(session)
    county = (county or meta.get("county_code") or "")[:6]
    key = (id(session.get_bind()), f"{meta.get('built_at')}/{county}")
    with _lock:
        if key in _cache:
            return _cache[key]
    row = county_boundary_geojson(session, county or None)
    fence = None
    if row is not None:
        code, boundary = row
        name = meta.get("county_name") if code[:6] == meta.get("county_code") else None
        name = name or session.execute(select(Region.name).where(Region.code == code)).scalar() or code
        fence = CountyFence(code, name, geojson_to_geometry(json.loads(boundary)))
    with _lock:
        if len(_cache) > 128:  # a province's counties (88 in 贵州) and a few datasets
            _cache.clear()
        _cache[key] = fence
    return fence
