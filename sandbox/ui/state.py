"""Plain-Python wall state (napari style): the map's region, year, indicator, data and selection."""

# Widgets receive these objects, subscribe to their events and write back only through setters;
# nothing here imports Qt, so the logic is testable without a display.

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from sandbox.ui.classify import NO_DATA, POLICY_THRESHOLDS, Classification, classify, fixed_breaks, reclass
from sandbox.ui.events import Event, Events
from sandbox.ui.navigation import Crumb, Navigation
from sandbox.ui.payloads import DataError, IndicatorInfo, MapFeature, RegionMap, RegionSeries, builtin_indicator
from sandbox.ui.village import VillageState

__all__ = [
    "Event", "IndicatorInfo", "MapFeature", "RegionMap", "RegionSeries", "DataError", "MapState", "WallState",
]

log = logging.getLogger(__name__)


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
        return self._indicators.get(key) or builtin_indicator(key)

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
    """The whole wall: the map, the drill-down path, the open village, loading flag and last error;
    what the wall was asked to show (`target`) beside what it shows (`map`); the busy text, notes and
    placeholder over the map; which map layers are visible and which camera view is open."""

    def __init__(self, map_state: MapState | None = None):
        self.map = map_state or MapState()
        self.nav = Navigation()
        self.village = VillageState()
        self.events = Events("region", "error", "loading", "busy", "note", "placeholder", "layer", "camera_view")
        self.region: dict | None = None  # GET /regions/{code} of the map on screen
        self.loaded_at: datetime | None = None
        self._error: str | None = None
        self._loading = False
        # Asked for and not yet shown: a drill on its way. `settle()` makes it what is on screen again.
        self._target: tuple[str | None, int | None] = (None, None)
        self._busy: str | None = None
        self._placeholder = ""
        self.last_note: str | None = None
        self._layers: dict[str, bool] = {}
        self._monitor_open = False
        self._full_camera: int | None = None

    # -- what was asked for -------------------------------------------------------------------------
    @property
    def target(self) -> tuple[str | None, int | None]:
        """The region and year asked for last (on screen once its data arrived)."""
        return self._target

    def ask(self, region: str, year: int | None) -> None:
        self._target = (region, year)

    def settle(self) -> None:
        """Nothing is on its way any more: what is asked for is what is on screen."""
        self._target = (self.map.region_code, self.map.year)

    # -- messages over the map ----------------------------------------------------------------------
    @property
    def busy(self) -> str | None:
        """What is loading, said over the map (after a short delay), or None."""
        return self._busy

    @busy.setter
    def busy(self, text: str | None) -> None:
        self._busy = text
        self.events.busy.emit(text)

    def say(self, text: str, ms: int = 2800) -> None:
        """A transient note over the map (why a click did nothing, what is missing)."""
        self.last_note = text
        self.events.note.emit(text, ms)

    @property
    def placeholder(self) -> str:
        """What the map says when it has nothing to draw."""
        return self._placeholder

    @placeholder.setter
    def placeholder(self, text: str) -> None:
        if text != self._placeholder:
            self._placeholder = text
            self.events.placeholder.emit(text)

    # -- layers and cameras -------------------------------------------------------------------------
    def layer_visible(self, name: str) -> bool:
        return self._layers.get(name, True)

    def set_layer_visible(self, name: str, on: bool) -> None:
        self._layers[name] = bool(on)
        self.events.layer.emit(name, bool(on))

    @property
    def monitor_open(self) -> bool:
        """The 监控 view is in the map's place."""
        return self._monitor_open

    @property
    def full_camera(self) -> int | None:
        """The camera shown full screen over the wall, or None."""
        return self._full_camera

    def set_camera_view(self, monitor: bool | None = None, full: int | None | bool = False) -> None:
        """Record the camera view (`full=False`: unchanged); announced once per change."""
        changed = False
        if monitor is not None and bool(monitor) != self._monitor_open:
            self._monitor_open, changed = bool(monitor), True
        if full is not False and full != self._full_camera:
            self._full_camera, changed = full, True
        if changed:
            self.events.camera_view.emit(self._monitor_open, self._full_camera)

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
