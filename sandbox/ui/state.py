"""Plain-Python wall state (napari style): the map's region, year, indicator, data and selection."""

# Widgets receive these objects, subscribe to their events and write back only through setters;
# nothing here imports Qt, so the logic is testable without a display.

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sandbox.ui.classify import NO_DATA, POLICY_THRESHOLDS, Classification, classify, fixed_breaks, reclass
from sandbox.ui.events import Event, Events
from sandbox.ui.fmt import note_of
from sandbox.ui.navigation import Crumb, Navigation
from sandbox.ui.projection import GeometryError, Polygon, bounds_of, polygons_of
from sandbox.ui.village import VillageState

__all__ = [
    "Event", "IndicatorInfo", "MapFeature", "RegionMap", "RegionSeries", "DataError", "MapState", "WallState",
]

log = logging.getLogger(__name__)


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


def _builtin_indicator(key: str) -> IndicatorInfo:
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


class MapState:
    """What the map shows: region, year, indicator, data; plus hover, selection and label toggle."""

    def __init__(self, indicator_key: str = "poverty_incidence", *, classes: int = 5):
        self.events = Events("data", "indicator", "indicators", "selection", "hover", "labels")
        self.region_code: str | None = None
        self.year: int | None = None
        self.region_map: RegionMap | None = None
        self.series: RegionSeries | None = None
        self.classes = classes
        self._indicator_key = indicator_key
        self._indicators: dict[str, IndicatorInfo] = {}
        self._selected: str | None = None
        self._hovered: str | None = None
        self._show_labels = True
        self._classification: Classification | None = None
        self._breaks: dict[tuple, Classification] = {}

    # -- data ---------------------------------------------------------------------------------
    def show(self, region_code: str, year: int | None, region_map: RegionMap,
             series: RegionSeries | None = None) -> None:
        """Replace the displayed region in one step (never a half-updated map).

        With a `series` of the same region, classes are fixed over all its years (see classification).
        """
        self.region_code, self.year, self.region_map = region_code, year, region_map
        series = series if series is not None and series.code == region_code else None
        if series is not self.series:
            self._breaks.clear()
        self.series = series
        self._classification = None
        if self._selected and not region_map.feature(self._selected):
            self._selected = None
        self._hovered = None
        self.events.data.emit(region_map)

    @property
    def indicators(self) -> dict[str, IndicatorInfo]:
        return dict(self._indicators)

    def set_indicators(self, infos: list[IndicatorInfo]) -> None:
        self._indicators = {i.key: i for i in infos}
        self._classification = None
        self.events.indicators.emit(self.indicators)

    # -- indicator ----------------------------------------------------------------------------
    @property
    def indicator_key(self) -> str:
        return self._indicator_key

    @indicator_key.setter
    def indicator_key(self, key: str) -> None:
        if key != self._indicator_key:
            self._indicator_key = key
            self._classification = None
            self.events.indicator.emit(key)

    @property
    def indicator(self) -> IndicatorInfo:
        """The API's registry entry; before it arrives, the built-in registry, so labels stay Chinese."""
        return self.info(self._indicator_key)

    def info(self, key: str) -> IndicatorInfo:
        """Registry entry of any indicator key (the API's, else the built-in one)."""
        return self._indicators.get(key) or _builtin_indicator(key)

    def value_of(self, code: str) -> Any:
        f = self.region_map.feature(code) if self.region_map else None
        return None if f is None else f.value(self._indicator_key)

    @property
    def classification(self) -> Classification:
        """Classes of the shown year under breaks that stay put while the year changes.

        Policy thresholds where the indicator has them (poverty incidence: 3-5-10-20-30 %);
        otherwise the indicator's scheme over the pooled values of every year in `series`; only
        without a series (a client that gives one year) are the breaks this year's own.
        """
        if self._classification is None:
            key, info = self._indicator_key, self.indicator
            values = [f.value(key) for f in (self.region_map.features if self.region_map else ())]
            thresholds = POLICY_THRESHOLDS.get(key)
            if thresholds is None and self.series is None:
                self._classification = classify(values, info.classification, self.classes)
            else:
                # Breaks depend on the region and indicator, never on the year: computed once.
                ck = (self.series.code if self.series else None, id(self.series), key, info.classification)
                base = self._breaks.get(ck)
                if base is None:
                    pool = self.series.pool(key) if self.series is not None else values
                    base = self._breaks[ck] = fixed_breaks(pool, info.classification, self.classes, thresholds)
                self._classification = reclass(base, values)
        return self._classification

    @property
    def breaks_fixed_over(self) -> tuple[int, int] | None:
        """(first, last) year the breaks are shared across, or None when they are this year's own."""
        if POLICY_THRESHOLDS.get(self._indicator_key) or self.series is None:
            return None
        years = self.series.years
        return (years[0], years[-1]) if len(years) > 1 else None

    def class_of(self, code: str) -> int:
        if not self.region_map:
            return NO_DATA
        for f, c in zip(self.region_map.features, self.classification.classes):
            if f.code == code:
                return c
        return NO_DATA

    # -- interaction --------------------------------------------------------------------------
    @property
    def selected_code(self) -> str | None:
        return self._selected

    @selected_code.setter
    def selected_code(self, code: str | None) -> None:
        if code != self._selected:
            self._selected = code
            self.events.selection.emit(code)

    @property
    def hovered_code(self) -> str | None:
        return self._hovered

    @hovered_code.setter
    def hovered_code(self, code: str | None) -> None:
        if code != self._hovered:
            self._hovered = code
            self.events.hover.emit(code)

    @property
    def show_labels(self) -> bool:
        return self._show_labels

    @show_labels.setter
    def show_labels(self, on: bool) -> None:
        if bool(on) != self._show_labels:
            self._show_labels = bool(on)
            self.events.labels.emit(self._show_labels)


class WallState:
    """The whole wall: the map, the drill-down path, the open village, loading flag and last error."""

    def __init__(self, map_state: MapState | None = None):
        self.map = map_state or MapState()
        self.nav = Navigation()
        self.village = VillageState()
        self.events = Events("region", "error", "loading")
        self.region: dict | None = None  # GET /regions/{code} of the map on screen
        self.loaded_at: datetime | None = None
        self._error: str | None = None
        self._loading = False

    def apply(self, region: dict, region_map: RegionMap, series: RegionSeries | None = None,
              ancestors: list[Crumb] | None = None) -> None:
        """Show a region's children map; the path follows unless it is the same region again (a new year)."""
        code = str(region.get("code"))
        same_level = code == self.map.region_code
        self.region = dict(region)
        self.loaded_at = datetime.now()
        if not same_level or self.nav.current is None:
            self.nav.arrive(region, ancestors)
            if not (self.nav.current and self.nav.current.is_leaf):
                self.village.close()
        self.map.show(code, region.get("year", region_map.year), region_map, series)
        self.events.region.emit(self.region)
        self.error = None

    def open_village(self, region: dict, households: dict | None, note: str | None = None) -> None:
        """A village's panel is on screen: it joins the path and is selected on the map."""
        self.nav.arrive(region)
        self.village.show(region, households, note)
        self.map.selected_code = self.village.code
        self.error = None

    def close_village(self) -> bool:
        if not self.village.is_open:
            return False
        self.nav.leave_leaf()
        self.village.close()
        self.map.selected_code = None
        return True

    @property
    def years(self) -> list[int]:
        """The years the API has data for (the timeline's stops)."""
        ys = (self.region or {}).get("years") or []
        return sorted(int(y) for y in ys)

    @property
    def error(self) -> str | None:
        return self._error

    @error.setter
    def error(self, message: str | None) -> None:
        if message != self._error:
            self._error = message
            self.events.error.emit(message)

    @property
    def loading(self) -> bool:
        return self._loading

    @loading.setter
    def loading(self, on: bool) -> None:
        if on != self._loading:
            self._loading = on
            self.events.loading.emit(on)

    @property
    def has_data(self) -> bool:
        return self.map.region_map is not None
