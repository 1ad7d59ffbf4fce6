"""API payloads parsed into what the wall draws: indicator entries, a region's children map, its all-years series."""

# Validation happens here, once, on the worker thread: anything the API sends that cannot be drawn
# becomes a DataError (the wall keeps the previous picture), never a half-built map.

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sandbox.ui.fmt import note_of
from sandbox.ui.projection import GeometryError, Polygon, bounds_of, polygons_of

__all__ = ["IndicatorInfo", "MapFeature", "RegionMap", "RegionSeries", "DataError", "builtin_indicator"]



@dataclass(frozen=True)
class IndicatorInfo:
    """One entry of GET /indicators."""

    key: str
    label_zh: str
    unit: str = ""
    higher_is_better: bool = False
    classification: str = "natural_breaks"
    formula: str = ""

    @classmethod
    def from_api(cls, d: Mapping[str, Any]) -> IndicatorInfo:
        return cls(
            key=str(d["key"]), label_zh=str(d.get("label_zh") or d["key"]), unit=str(d.get("unit") or ""),
            higher_is_better=bool(d.get("higher_is_better", False)),
            classification=str(d.get("classification") or "natural_breaks"), formula=str(d.get("formula") or ""),
        )


def builtin_indicator(key: str) -> IndicatorInfo:
    from sandbox.domain import indicators as registry

    try:
        return IndicatorInfo.from_api(registry.get(key).as_dict())
    except KeyError:
        return IndicatorInfo(key, "未知指标")


class DataError(ValueError):
    """A payload from the API that cannot be drawn (the wall keeps the previous picture)."""


@dataclass(frozen=True)
class MapFeature:
    code: str
    name: str
    level: str
    polygons: tuple[Polygon, ...]  # lon/lat
    label_point: tuple[float, float]
    properties: Mapping[str, Any]

    @property
    def is_poor_village(self) -> bool:
        return bool(self.properties.get("is_poor_village"))

    def value(self, key: str) -> Any:
        return self.properties.get(key)

    def note(self, key: str) -> str | None:
        """Why `key` has no value although the records are there (the API's indicator_notes), or None."""
        return note_of(self.properties.get("indicator_notes"), key)


@dataclass(frozen=True)
class RegionMap:
    """A validated children FeatureCollection: everything the map needs to draw, or nothing."""

    features: tuple[MapFeature, ...]
    bbox: tuple[float, float, float, float]
    year: int | None = None
    as_of: str | None = None
    demo: bool = False
    data_label: str | None = None
    parent: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def from_geojson(cls, fc: Any) -> RegionMap:
        if not isinstance(fc, Mapping) or fc.get("type") != "FeatureCollection":
            raise DataError("children.geojson is not a FeatureCollection")
        raw = fc.get("features")
        if not isinstance(raw, list):
            raise DataError("FeatureCollection has no 'features' list")
        features = []
        for i, f in enumerate(raw):
            props = (f or {}).get("properties") or {}
            code = props.get("code")
            if not code:
                raise DataError(f"feature {i} has no properties.code")
            try:
                polys = tuple(polygons_of(f.get("geometry")))
            except GeometryError as exc:
                raise DataError(f"feature {code}: {exc}") from None
            features.append(MapFeature(
                code=str(code), name=str(props.get("name") or code), level=str(props.get("level") or ""),
                polygons=polys, label_point=_label_point(props.get("label_point"), polys),
                properties=dict(props),
            ))
        bbox = fc.get("bbox")
        if features and not (isinstance(bbox, (list, tuple)) and len(bbox) == 4):
            bbox = bounds_of(p for f in features for poly in f.polygons for p in poly[0])
        return cls(
            features=tuple(features), bbox=tuple(float(b) for b in bbox) if bbox else (0.0, 0.0, 1.0, 1.0),
            year=fc.get("year"), as_of=fc.get("as_of"), demo=bool(fc.get("demo")),
            data_label=fc.get("data_label"), parent=dict(fc.get("parent") or {}),
        )

    def feature(self, code: str) -> MapFeature | None:
        return next((f for f in self.features if f.code == code), None)


class RegionSeries:
    """One region's children in every year the API has: what fixes the class breaks across years,
    and what a new year of the same level is drawn from without fetching its map again.

    Built from one children.geojson (the geometry, any year) and GET /children/series (every child's
    indicators in every year), or from one children.geojson per year (`from_maps`, a client without
    the series endpoint). `map_for(year)` is that year's map: the geometry shared, the values its own.
    """

    def __init__(self, code: str, base: RegionMap, values: Mapping[str, Mapping[int, Mapping[str, Any]]],
                 years: list[int], as_of: str | None = None):
        self.code, self.as_of = code, as_of
        self.base = base
        self._values = values  # child code → year → indicator → value
        self._years = sorted(set(years))
        self._maps: dict[int, RegionMap] = {}
        if base.year is not None:
            self._maps[int(base.year)] = base
        elif not self._years:  # boundaries alone, no year of data yet: the map is its one "year"
            self._maps[None] = base
        self._keys: dict[str, set[str]] = {c: set().union(*(v.keys() for v in by_year.values()))
                                           for c, by_year in values.items()}

    @classmethod
    def from_api(cls, code: str, base: RegionMap, payload: Any) -> RegionSeries:
        """From GET /regions/{code}/children/series: {code, years, as_of, children: {child: {year: {k: v}}}}."""
        if not isinstance(payload, Mapping) or not isinstance(payload.get("children"), Mapping):
            raise DataError("children/series has no 'children' object")
        try:
            years = [int(y) for y in payload.get("years") or []]
            values: dict[str, dict[int, dict[str, Any]]] = {}
            for child, by_year in payload["children"].items():
                if not isinstance(by_year, Mapping):
                    raise DataError(f"children/series: {child} is not an object")
                values[str(child)] = {int(y): dict(v or {}) for y, v in by_year.items()}
        except (TypeError, ValueError, AttributeError) as exc:
            raise DataError(f"bad children/series payload: {exc}") from None
        years = years or sorted({y for by_year in values.values() for y in by_year})
        return cls(code, base, values, years, payload.get("as_of") or base.as_of)

    @classmethod
    def from_maps(cls, code: str, maps: Mapping[int, RegionMap], as_of: str | None = None) -> RegionSeries:
        """From one children.geojson per year (their geometry is taken to be the same)."""
        years = sorted(maps)
        values: dict[str, dict[int, dict[str, Any]]] = {}
        for y in years:
            for f in maps[y].features:
                values.setdefault(f.code, {})[y] = dict(f.properties)
        first = next(iter(maps.values()))
        out = cls(code, first, values, years, as_of)
        out._maps.update(maps)
        return out

    @property
    def years(self) -> list[int]:
        return list(self._years)

    @property
    def maps(self) -> Mapping[int, RegionMap]:
        """Every year's map (built on first use)."""
        return {y: self.map_for(y) for y in self._years}

    def has_year(self, year: int | None) -> bool:
        return year in self._maps or (year in self._years and all(year in v for v in self._values.values()))

    def map_for(self, year: int) -> RegionMap:
        """The map of `year`: the base's geometry (the very same objects) with that year's values."""
        hit = self._maps.get(year)
        if hit is not None:
            return hit
        if not self.has_year(year):
            raise KeyError(year)
        b = self.base
        features = []
        for f in b.features:
            by_year = self._values.get(f.code)
            props = dict(f.properties)
            for k in self._keys.get(f.code, ()):
                props[k] = None  # an indicator this year does not report is 无数据, never last year's
            if by_year is not None:
                props.update(by_year.get(year) or {})
            features.append(MapFeature(f.code, f.name, f.level, f.polygons, f.label_point, props))
        out = RegionMap(tuple(features), b.bbox, year, b.as_of, b.demo, b.data_label, b.parent)
        self._maps[year] = out
        return out

    def pool(self, key: str) -> list[Any]:
        """Every child's value of indicator `key` over every year (None where missing)."""
        codes = [f.code for f in self.base.features]
        return [(self._values.get(c) or {}).get(y, {}).get(key) for y in self._years for c in codes]


def _label_point(lp: Any, polys: tuple[Polygon, ...]) -> tuple[float, float]:
    try:
        return float(lp[0]), float(lp[1])
    except (TypeError, ValueError, IndexError):
        # No server hint: the centre of the largest part's bounding box.
        minx, miny, maxx, maxy = max(
            (bounds_of(p[0]) for p in polys), key=lambda b: (b[2] - b[0]) * (b[3] - b[1]))
        return (minx + maxx) / 2.0, (miny + maxy) / 2.0
