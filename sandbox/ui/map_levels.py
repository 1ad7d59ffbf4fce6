"""The levels the map canvas keeps laid out and rendered: the one on screen, the way back, those prepared ahead."""

# A mixin of sandbox.ui.map_canvas.MapCanvas: a level's geometry (per set of polygons), its fit, colours
# and layout at the canvas's size, cached by what they depend on, so a drill to a level shown or
# prepared a moment ago only blits its pixels.

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF
from PySide6.QtGui import QColor, QTransform

from sandbox.ui.classify import NO_DATA
from sandbox.ui.free_fit import fit_clear
from sandbox.ui.layers.legend import legend_rect
from sandbox.ui.map_geometry import LevelGeometry as _Geometry
from sandbox.ui.map_layer import MapLayer
from sandbox.ui.projection import Projection, ViewFit, fit_view
from sandbox.ui.state import MapState
from sandbox.ui.theme import no_value_colour, ramp_qcolors

__all__ = ["KeptLevels", "LAYER_CACHE", "PREPARED_CACHE"]

LAYER_CACHE = 6  # levels shown lately kept laid out and rendered (the one on screen, the way back)
PREPARED_CACHE = 10  # prefetched levels rendered ahead of their drill (a county's towns)


class KeptLevels:
    """Lays a level out at the canvas's size and keeps it (`prepare`: ahead of its drill)."""

    def covers(self) -> list[QRectF]:
        """Every rect of the map under furniture: the layers' legend (when reserved) and `set_cover`'s."""
        out = list(self._covers.values())
        if self.reserve_legend:
            out.append(self.legend_rect())
        return out

    def legend_rect(self) -> QRectF:
        """The layers' legend: the bottom-right corner, or above the furniture covering that corner
        (a tour caption), so that it is always seen."""
        r = legend_rect(self.width(), self.height(), self.metrics)
        for c in self._covers.values():
            if c.intersects(r) and c.top() > self.height() / 2:
                r.moveBottom(c.top() - self.metrics.px(10))
        return r

    def _fit_for(self, geo: _Geometry) -> ViewFit:
        """The largest fit under which no region lies beneath the legend, the caption or a card."""
        boxes = [(r.left(), r.top(), r.right(), r.bottom()) for r in self.covers()]
        if not boxes:
            return fit_view(geo.bounds, self.width(), self.height(), self._margins())
        bounds = geo.path_bounds()

        def clear(fit: ViewFit, box) -> bool:
            x0, y0 = fit.to_world(box[0], box[1])
            x1, y1 = fit.to_world(box[2], box[3])
            world = QRectF(QPointF(min(x0, x1), min(y0, y1)), QPointF(max(x0, x1), max(y0, y1)))
            return not any(bounds[c].intersects(world) and path.intersects(world) for c, path in geo.paths.items())

        return fit_clear(geo.bounds, self.width(), self.height(), self._margins(), boxes, clear)

    def _geometry_for(self, rm) -> _Geometry:
        """The level's shapes, built once per set of polygons (a new year of a level reuses them)."""
        key = _Geometry.key_of(rm)
        geo = self._geos.get(key)
        if geo is None:
            geo = self._geos[key] = _Geometry(rm)
            while len(self._geos) > LAYER_CACHE + PREPARED_CACHE:
                self._geos.popitem(last=False)
        else:
            self._geos.move_to_end(key)
        return geo

    @property
    def _projection(self) -> Projection | None:
        return self._geo.projection if self._geo is not None else None

    @property
    def _areas(self) -> dict[str, float]:
        return self._geo.areas if self._geo is not None else {}

    def _colours(self, state: MapState | None = None) -> dict[str, QColor]:
        """Each region's fill, kept per map and classification: a level prepared ahead of its drill is
        coloured once, not again when the drill shows it (issue 19). The key is all the colours depend
        on; the entry holds its map, so the map's id is not reused while it is kept."""
        st = state or self.state
        rm = st.region_map
        if rm is None:
            return {}
        cls = st.classification
        hib, key = st.indicator.higher_is_better, st.indicator_key
        ck = (id(rm), key, hib, cls.k, tuple(cls.classes))
        kept = self._kept_colours.get(ck)
        if kept is not None and kept[0] is rm:
            self._kept_colours.move_to_end(ck)
            return kept[1]
        palette = ramp_qcolors(cls.k, hib)
        colours = {f.code: palette[c] if c != NO_DATA else QColor(no_value_colour(f.note(key)))
                   for f, c in zip(rm.features, cls.classes)}
        self._kept_colours[ck] = (rm, colours, tuple(c.rgba() for c in colours.values()))
        while len(self._kept_colours) > LAYER_CACHE + PREPARED_CACHE:
            self._kept_colours.popitem(last=False)
        return colours

    def _rgba(self, colours: dict[str, QColor]) -> tuple:
        """The colours as a key: the tuple made with them when they are kept (see _colours)."""
        for kept in reversed(self._kept_colours.values()):
            if kept[1] is colours:
                return kept[2]
        return tuple(c.rgba() for c in colours.values())

    def _margins(self) -> tuple[float, float, float, float]:
        m = self.metrics
        side = max(self.width() * 0.03, m.px(24))
        return side, m.px(70), side, m.px(64)  # top: demo mark and north arrow; bottom: scale bar

    def _layer_key(self, code, rm, geo: _Geometry, colours: dict[str, QColor]) -> tuple:
        return (code, id(rm), id(geo), self.state.indicator_key, self.state.indicator.unit,
                self._rgba(colours), self.width(), self.height(), self.metrics,
                self.state.show_labels, tuple(tuple(r.getRect()) for r in self._covers.values()))

    def _relayout(self) -> None:
        rm, geo = self.state.region_map, self._geo
        if geo is None:
            self._fit = None
            self._layer = MapLayer(self._shown_code)
            self._invalidate()
            return
        colours = self._colours()
        self._layer = self._layer_for(self._shown_code, rm, geo, colours)
        self._fit = self._layer.fit
        self._invalidate()

    def _layer_for(self, code, rm, geo: _Geometry, colours: dict[str, QColor], *,
                   preparing: bool = False) -> MapLayer:
        """The level laid out at this size: from the caches (a level shown or prepared a moment ago
        keeps its rendered pixels) or built now. Levels shown and levels prepared ahead of a drill
        are kept apart, so preparing a county's towns never pushes out the way back."""
        key = self._layer_key(code, rm, geo, colours)
        layer = self._layers.get(key) or self._prepared.pop(key, None)
        if layer is not None:
            self._layers[key] = layer
            self._layers.move_to_end(key)
            while len(self._layers) > LAYER_CACHE:
                self._layers.popitem(last=False)
            return layer
        fit = self._fit_for(geo)
        t = QTransform(fit.scale, 0, 0, fit.scale, fit.dx, fit.dy)
        old = self._layer
        layer = MapLayer(code)
        if old.paths and old.fit == fit and old.geometry is geo:
            layer.paths, layer.outline, layer.borders = old.paths, old.outline, old.borders  # same shapes
        else:
            for c, path in geo.paths.items():
                layer.paths[c] = t.map(path)
            layer.outline, layer.borders = t.map(geo.outline), t.map(geo.borders)
        layer.fit, layer.geometry, layer.source = fit, geo, rm
        layer.colours = colours
        if self.state.show_labels:
            layer.labels = self._place_labels(rm, geo, fit)
        cache, limit = (self._prepared, PREPARED_CACHE) if preparing else (self._layers, LAYER_CACHE)
        cache[key] = layer
        while len(cache) > limit:
            cache.popitem(last=False)
        return layer

    def prepare(self, code: str, region_map, series=None) -> bool:
        """Lay out and render, ahead of time, the level a drill into `code` would show (the wall calls
        this for prefetched levels while idle): the drill then only blits. False if nothing to do."""
        if not region_map.features or self.width() < 2 or self.height() < 2:
            return False
        ms = MapState(self.state.indicator_key, classes=self.state.classes)
        ms.set_indicators(list(self.state.indicators.values()))  # the same registry: the same colours
        ms.show(code, region_map.year, region_map, series)
        geo = self._geometry_for(region_map)
        colours = self._colours(ms)
        key = self._layer_key(code, region_map, geo, colours)
        dpr = self._dpr()
        if key in self._layers or key in self._prepared:
            kept = self._layers.get(key) or self._prepared[key]
            self._chrome_pictures(dpr, kept.fit)  # its scale bar (see below), if it left the cache since
            return False
        layer = self._layer_for(code, region_map, geo, colours, preparing=True)
        layer.base(self.metrics, dpr)
        layer.label_sprites(self.metrics, dpr)
        self._chrome_pictures(dpr, layer.fit)  # its scale bar: the drill's frames blit it
        return True

