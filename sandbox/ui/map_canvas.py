"""The choropleth map: a raster QWidget painting a MapState's regions, with animated drill transitions.

Painting is cached: the background (per size), each level's base (fills, borders, glow), the label
sprites and the whole static picture (per size, pixel ratio and data/indicator/year/label version)
are rendered once; a frame blits the static picture and redraws only what moves: the hover and
selection highlight (inside their own rectangle), the note and loading pills. A drill animation
moves and fades the cached images of the two levels instead of re-stroking every path.

Live layers (`sandbox.ui.layers`: projects, fund flows, check-ins) paint over that picture without
touching its cache: their static pixels are one more cached image, composited with the static
picture into a second opaque image (labels stay on top, so markers never hide them); what moves
(flow dots, pulses) is blitted per frame inside its own rectangle, from a ~30 fps timer that runs
only while something moves and the canvas is shown.
"""

from __future__ import annotations

import math
import time
from collections import OrderedDict

from PySide6.QtCore import QPointF, QRectF, Qt, QTimer, QVariantAnimation, Signal
from PySide6.QtGui import (
    QColor,
    QFontMetricsF,
    QImage,
    QMouseEvent,
    QPainter,
    QPainterPath,
    QPaintEvent,
    QPen,
    QPolygonF,
    QRadialGradient,
    QTransform,
)
from PySide6.QtWidgets import QSizePolicy, QWidget

from sandbox.ui.classify import NO_DATA
from sandbox.ui.fmt import format_value
from sandbox.ui.frame_timing.animation import Box, Similarity, ZoomPath, ease_in_out
from sandbox.ui.free_fit import fit_clear
from sandbox.ui.labels import LabelCandidate, LabelVariant, PlacedLabel, Rect, place_labels
from sandbox.ui.layers.base import MapView, Overlay
from sandbox.ui.layers.legend import legend_rect, paint_legend
from sandbox.ui.map_layer import (
    MapLabel,
    MapLayer,
    edge_runs,
    halo_width,
    highlight_rect,
    paint_base,
    paint_highlight,
    runs_path,
)
from sandbox.ui.map_ready import READY_KEPT, ReadySizes
from sandbox.ui.payloads import MapFeature
from sandbox.ui.poor_villages import EXIT_TAG, EXITED_COLOUR, poor_state
from sandbox.ui.projection import Projection, ViewFit, bounds_of, fit_view, projection_for_bbox
from sandbox.ui.state import MapState
from sandbox.ui.theme import (
    NO_DATA_COLOR,
    Colors,
    Metrics,
    metrics_for_height,
    no_value_colour,
    ramp_qcolors,
    ui_font,
)

__all__ = ["MapCanvas", "MapLabel"]

_SMALL = 0.78  # shrink factor tried before a label is dropped
# Label nudges (fractions of its size): small enough that a label still reads as its region's.
_SHIFTS = ((0.0, 0.0), (0.3, 0.0), (-0.3, 0.0), (0.0, 0.35), (0.0, -0.35))
ZOOM_MS = 380  # drill in / out
FADE_MS = 260  # same region, new year or indicator data: the colours morph
BUSY_DELAY_MS = 180  # a quick answer never flashes the "loading" pill
LABEL_BUDGET_S = 0.006  # per animation frame: label sprites of the incoming level are made in slices
MAX_PIXEL_ZOOM = 1.25  # a level's cached pixels are drawn up to this zoom; beyond it, its vectors
LAYER_CACHE = 6  # levels shown lately kept laid out and rendered (the one on screen, the way back)
PREPARED_CACHE = 10  # prefetched levels rendered ahead of their drill (a county's towns)
FRAME_MS = 33  # live layers' animation: ~30 fps, only while something moves


def _qt(s: Similarity) -> QTransform:
    return QTransform(s.s, 0, 0, s.s, s.tx, s.ty)


def _box(r: QRectF) -> Box:
    return Box(r.x(), r.y(), r.width(), r.height())


class MapCanvas(ReadySizes, QWidget):
    """Draws `state.region_map` coloured by `state.indicator`; writes hover/selection back to state.

    When the data changes to a child of what is shown (a drill) or to the parent (going back), the
    old picture zooms into (out of) the clicked region while the new one grows out of (into) it;
    the new data is complete before the first frame, so no frame shows a half-drawn map.
    """

    regionClicked = Signal(str)
    overlayClicked = Signal(str, object)  # layer name, the item clicked (a project, an anomaly mark)
    backRequested = Signal()  # right click
    transitionFinished = Signal()

    def __init__(self, state: MapState, parent: QWidget | None = None):
        super().__init__(parent)
        self.state = state
        self.metrics: Metrics = metrics_for_height(1080)
        self.placeholder = "正在连接中心数据接口…"
        self.animate = True  # False: every change is a cut (tests of static frames, screenshots)
        self.setObjectName("mapCanvas")
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent, True)  # every pixel is painted, from caches
        self.setMouseTracking(True)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(320, 240)
        self._geo: _Geometry | None = None  # the level on screen, in projected units
        self._geos: OrderedDict[tuple, _Geometry] = OrderedDict()  # recent levels' geometry
        self._layers: OrderedDict[tuple, MapLayer] = OrderedDict()  # levels shown lately, laid out and rendered
        self._prepared: OrderedDict[tuple, MapLayer] = OrderedDict()  # levels rendered ahead of a drill
        self._fit: ViewFit | None = None
        self._layer = MapLayer()
        self._shown_code: str | None = None
        self._press_code: str | None = None
        # transition
        self._old: MapLayer | None = None
        self._zoom: ZoomPath | None = None
        self._zoom_in = True
        self._progress = 1.0
        self._anim = QVariantAnimation(self)
        self._anim.setStartValue(0.0)
        self._anim.setEndValue(1.0)
        self._anim.valueChanged.connect(self._on_progress)
        self._anim.finished.connect(self._end_transition)
        # transient note and loading pill
        self._note: str | None = None
        self._note_timer = QTimer(self, singleShot=True)
        self._note_timer.timeout.connect(self.clear_note)
        self._busy_text: str | None = None
        self._busy_shown = False
        self._busy_timer = QTimer(self, singleShot=True, interval=BUSY_DELAY_MS)
        self._busy_timer.timeout.connect(self._show_busy)
        # pixel caches (see the module docstring)
        self._bgs: OrderedDict[tuple, QImage] = OrderedDict()  # per size: the one on screen and the one kept ready
        self._static: tuple[tuple, QImage] | None = None
        self._version = 0  # bumped whenever the static picture changes
        self.cache_stats = {"static": 0, "background": 0, "ready": 0}  # renders, for tests and the bench
        self._init_ready()  # another size the level on screen is kept rendered at (map_ready)
        state.events.data.connect(self._on_data)
        state.events.indicator.connect(self._on_indicator)
        state.events.indicators.connect(self._on_indicator)
        state.events.hover.connect(self._on_highlight)
        state.events.selection.connect(self._on_highlight)
        self._lit: QRectF = QRectF()  # where the hover/selection highlight is drawn now
        state.events.labels.connect(self._on_indicator)
        # live layers (see the module docstring)
        self.overlays: list[Overlay] = []
        self.label_obstacles: list[QRectF] = []  # widgets floating over the map (the layer toggles)
        self.reserve_legend = False  # keep the layers' legend corner free of labels and regions
        self._covers: dict[str, QRectF] = {}  # furniture over the map (tour caption, cards): no region under it
        self.clock = time.monotonic
        self._view: MapView | None = None
        self._overlay_img: tuple[tuple, QImage] | None = None
        self._composite: tuple[tuple, QImage] | None = None
        self._frame_rect = QRectF()
        self._press_item: tuple[str, object] | None = None
        self._tick = QTimer(self, interval=FRAME_MS)
        self._tick.timeout.connect(self._on_tick)
        self.overlay_stats = {"overlay": 0, "composite": 0, "frames": 0}
        if state.region_map is not None:
            self._on_data(state.region_map)

    # -- public ---------------------------------------------------------------------------------
    def set_metrics(self, metrics: Metrics) -> None:
        if metrics == self.metrics and self._fit is not None:
            return
        self.metrics = metrics
        self._relayout()

    def set_cover(self, name: str, rect: QRectF | None) -> None:
        """Something of `name` covers `rect` of the map (None: it went): the map is fitted to the rest."""
        old = self._covers.get(name)
        if rect is None or rect.isEmpty():
            if old is None:
                return
            del self._covers[name]
        else:
            if old == rect:
                return
            self._covers[name] = QRectF(rect)
        self._relayout()

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

    def set_placeholder(self, text: str) -> None:
        if text != self.placeholder:
            self.placeholder = text
            self._invalidate()

    @property
    def animating(self) -> bool:
        return self._old is not None

    def finish_transition(self) -> None:
        """Jump to the end of a running transition."""
        if self._anim.state() == QVariantAnimation.State.Running:
            self._anim.stop()
        self._end_transition()

    def show_note(self, text: str, ms: int = 2800) -> None:
        """A transient message over the map (e.g. that a village cannot be drilled)."""
        self._note = text
        self._note_timer.start(ms)
        self.update()

    def clear_note(self) -> None:
        self._note = None
        self.update()

    def note(self) -> str | None:
        return self._note

    def set_busy(self, text: str | None) -> None:
        """Say that a request is on its way (after a short delay), or stop saying it."""
        self._busy_text = text
        if text:
            if not self._busy_shown:
                self._busy_timer.start()
        else:
            self._busy_timer.stop()
            self._busy_shown = False
        self.update()

    def region_at(self, pos: QPointF) -> str | None:
        """Code of the region under a widget position, topmost first."""
        paths = self._layer.paths
        for code in reversed(list(paths)):
            if paths[code].contains(pos):
                return code
        return None

    def region_center(self, code: str) -> QPointF:
        """Widget position of a region's label point (for tests and animations)."""
        f = self.state.region_map.feature(code) if self.state.region_map else None
        if f is None or self._fit is None or self._projection is None:
            raise KeyError(code)
        return QPointF(*self._fit.to_screen(*self._projection.forward(*f.label_point)))

    def drill_point(self, code: str) -> QPointF:
        """A widget position whose click drills into `code`: its label point, or when a marker or mark
        covers that, the nearest free point of the region (a click on a marker opens the marker's card)."""
        centre = self.region_center(code)
        path = self._layer.paths.get(code)
        if path is None:
            raise KeyError(code)
        box = path.boundingRect()
        step = max(4.0, min(box.width(), box.height()) / 24)
        for ring in range(0, 48):
            for i in range(-ring, ring + 1):
                for j in (-ring, ring) if abs(i) != ring else range(-ring, ring + 1):
                    p = QPointF(QPointF(centre.x() + i * step, centre.y() + j * step).toPoint())  # a pixel: clicks are
                    if self.region_at(p) == code and self.overlay_at(p) is None:
                        return p
        raise KeyError(code)

    def region_path(self, code: str) -> QPainterPath:
        return QPainterPath(self._layer.paths[code])

    def region_colour(self, code: str) -> QColor:
        return QColor(self._layer.colours.get(code, QColor(NO_DATA_COLOR)))

    def labels(self) -> list[MapLabel]:
        return list(self._layer.labels)

    def demo_mark_rect(self) -> QRectF | None:
        return self._demo_rect(self.state.region_map)

    def _demo_rect(self, rm) -> QRectF | None:
        if rm is None or not (rm.demo or rm.data_label):
            return None
        m = self.metrics
        fm = QFontMetricsF(ui_font(m.body_px, bold=True))
        w, h = fm.horizontalAdvance(rm.data_label or "演示数据") + 2 * m.px(14), fm.height() + 2 * m.px(6)
        return QRectF(self.width() - w - m.px(16), m.px(14), w, h)

    # -- live layers ----------------------------------------------------------------------------
    def add_overlay(self, overlay: Overlay) -> None:
        overlay.on_change = self._on_overlay_change
        self.overlays.append(overlay)
        self._on_overlay_change()

    def view(self) -> MapView | None:
        """The level on screen in widget pixels (what overlays lay out in); None without a map."""
        if self._view is None and self._fit is not None and self._geo is not None and self.state.region_map:
            fit, proj, rm = self._fit, self._geo.projection, self.state.region_map

            def project(lon: float, lat: float) -> QPointF:
                return QPointF(*fit.to_screen(*proj.forward(lon, lat)))

            labels: dict[str, QRectF] = {}
            for lab in self._layer.labels:
                labels[lab.code] = QRectF(lab.rect)
            self._view = MapView(
                self._shown_code, self.width(), self.height(), self.metrics, project,
                anchors={f.code: project(*f.label_point) for f in rm.features}, label_rects=labels,
                paths=self._layer.paths, names={f.code: f.name for f in rm.features}, bounds=self._layer.bounds(),
                child_level=rm.features[0].level if rm.features else "", dpr=self._dpr(),
                key=(self._version, self.width(), self.height(), self._dpr(), self.metrics, self._shown_code))
        return self._view

    def to_screen(self, lon: float, lat: float) -> QPointF | None:
        """Widget position of a lon/lat on the level shown (None without a map)."""
        v = self.view()
        return v.project(lon, lat) if v is not None else None

    def active_overlays(self) -> list[Overlay]:
        v = self.view()
        return [ov for ov in self.overlays if ov.active(v)] if v is not None and self._old is None else []

    def _on_overlay_change(self) -> None:
        self._overlay_img = None
        self._composite = None
        if self._ready_size is not None:
            self._ready_timer.start()
        self.update()
        self._sync_timer()

    def _sync_timer(self) -> None:
        """Run the frame timer only while a visible layer moves, the canvas is shown and no drill runs."""
        want = False
        if self.isVisible() and self._old is None:
            v, now = self.view(), self.clock()
            for ov in self.active_overlays():
                ov.ensure_layout(v)  # what moves is known once laid out (cheap, and needed for the frame anyway)
                want = want or ov.animating(now)
        if want and not self._tick.isActive():
            self._tick.start()
        elif not want and self._tick.isActive():
            self._tick.stop()
            self.update(self._frame_rect.toAlignedRect().adjusted(-1, -1, 1, 1))  # the last dots go

    def _on_tick(self) -> None:
        overlays = self.active_overlays()
        now = self.clock()
        if not self.isVisible() or not any(ov.animating(now) for ov in overlays):
            self._sync_timer()
            return
        rect = QRectF()
        for ov in overlays:
            rect = rect.united(ov.frame_rect())
        dirty = rect.united(self._frame_rect)
        self._frame_rect = rect
        if not dirty.isEmpty():
            self.update(dirty.toAlignedRect().adjusted(-1, -1, 1, 1))

    def overlay_at(self, pos: QPointF) -> tuple[str, object] | None:
        """(layer name, item) under a widget position, the topmost layer first."""
        v = self.view()
        for ov in reversed(self.active_overlays()):
            ov.ensure_layout(v)
            item = ov.hit(pos)
            if item is not None:
                return ov.name, item
        return None

    def showEvent(self, event) -> None:
        super().showEvent(event)
        self._sync_timer()

    def hideEvent(self, event) -> None:
        super().hideEvent(event)
        self._tick.stop()

    # -- state events ---------------------------------------------------------------------------
    def _on_data(self, _region_map=None) -> None:
        self.finish_transition()
        self.keep_ready(None)  # the size kept ready was for the level on screen until now
        code = self.state.region_code
        for key in [k for k in self._ready if k[0].code != code]:  # another level's: its pictures go
            del self._ready[key]
            self._ready_layouts.pop(key, None)
        old, old_code = self._layer, self._shown_code
        rm = self.state.region_map
        self._geo = self._geometry_for(rm) if rm is not None and rm.features else None
        self._shown_code = self.state.region_code
        self._relayout()
        self._start_transition(old, old_code)

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

    def _on_indicator(self, *_):
        self.finish_transition()
        self._relayout()

    def _repaint(self, *_):
        self.update()

    def _on_highlight(self, *_):
        """Hover or selection moved: repaint only where the highlight was and where it is now."""
        lit = self._highlight_area()
        dirty = lit.united(self._lit)
        self._lit = lit
        if self._old is not None:
            return  # the running animation repaints everything anyway
        if not dirty.isEmpty():
            self.update(dirty.toAlignedRect().adjusted(-1, -1, 1, 1))

    def _highlight_area(self) -> QRectF:
        st, m = self.state, self.metrics
        return highlight_rect(self._layer, m, st.hovered_code).united(highlight_rect(self._layer, m, st.selected_code))

    def _invalidate(self) -> None:
        """The static picture changed (data, indicator, year, labels, size, placeholder)."""
        self._version += 1
        self._static = None
        self._view = None  # overlays lay out again for the new picture
        self._overlay_img = None
        self._composite = None
        self._lit = self._highlight_area()
        if self._ready_size is not None:
            self._ready_timer.start()
        self.update()

    # -- transitions ----------------------------------------------------------------------------
    def _start_transition(self, old: MapLayer, old_code: str | None) -> None:
        new, new_code = self._layer, self._shown_code
        if not (self.animate and self.isVisible() and old.paths and new.paths):
            return
        if new_code in old.paths and new_code != old_code:  # drill in: the clicked region opens up
            self._zoom, self._zoom_in = ZoomPath(_box(old.paths[new_code].boundingRect()), _box(new.bounds())), True
        elif old_code in new.paths and new_code != old_code:  # back up: the level shrinks into its region
            self._zoom, self._zoom_in = ZoomPath(_box(old.bounds()), _box(new.paths[old_code].boundingRect())), False
        else:
            self._zoom = None  # a new year, a refresh, or a jump: cross-fade
        self._old = old
        self._progress = 0.0
        self._anim.setDuration(ZOOM_MS if self._zoom else FADE_MS)
        self._anim.start()

    def _on_progress(self, value) -> None:
        self._progress = float(value)
        self._warm_labels(LABEL_BUDGET_S)  # the incoming labels are needed from mid-way: make them now
        self.update()

    def _warm_labels(self, budget: float) -> None:
        """Render the current level's label sprites for up to `budget` seconds (all when budget <= 0)."""
        halo, dpr = halo_width(self.metrics), self._dpr()
        stop = time.perf_counter() + budget
        for lab in self._layer.labels:
            if budget > 0 and time.perf_counter() > stop:
                return
            lab.sprites(halo, dpr)

    def _end_transition(self) -> None:
        if self._old is not None:
            self._old, self._zoom, self._progress = None, None, 1.0
            self._lit = self._highlight_area()
            self.update()
            self._sync_timer()
            self.transitionFinished.emit()

    def _paint_transition(self, p: QPainter, dpr: float) -> None:
        """Both levels from their cached pixels, moved and faded (a level blown up beyond
        MAX_PIXEL_ZOOM from its vectors). The incoming level is opaque from the first frame (a drill
        shows the new data at once, inside the clicked region); its labels fade in once the zoom has
        settled."""
        e = ease_in_out(self._progress)
        old, new = self._old, self._layer
        p.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        if self._zoom is None:
            self._paint_cached(p, old, dpr)
            self._paint_cached(p, new, dpr, opacity=e)
            return
        t_old, t_new = _qt(self._zoom.old_view(e)), _qt(self._zoom.new_view(e))
        labels_in = min(1.0, max(0.0, (e - 0.55) / 0.45))  # text only once the zoom has settled
        old_labels = max(0.0, 1.0 - 3 * e)
        if self._zoom_in:
            self._paint_cached(p, old, dpr, transform=t_old, opacity=1.0 - e, label_opacity=old_labels)
            self._paint_cached(p, new, dpr, transform=t_new, label_opacity=labels_in)
        else:
            self._paint_cached(p, new, dpr, transform=t_new, label_opacity=labels_in)
            self._paint_cached(p, old, dpr, transform=t_old, opacity=1.0 - e, label_opacity=old_labels)

    def _paint_cached(self, p: QPainter, layer: MapLayer, dpr: float, *, transform: QTransform | None = None,
                      opacity: float = 1.0, label_opacity: float = 1.0) -> None:
        if opacity <= 0.0 or not layer.paths:
            return
        m = self.metrics
        p.save()
        if transform is not None:
            p.setTransform(transform, True)
        p.setOpacity(opacity)
        if transform is not None and transform.m11() > MAX_PIXEL_ZOOM:
            # Blown up, the cached pixels would thicken the borders, glow and base edge with the zoom:
            # those keep their screen widths (cosmetic pens), so this level is drawn with vectors.
            paint_base(p, layer, m)
        else:
            layer.base(m, dpr).draw(p)
        lo = opacity * label_opacity
        if lo > 0.0 and layer.labels:
            p.setOpacity(lo)
            for sprite in layer.label_sprites(m, dpr):
                sprite.draw(p)
        p.restore()

    # -- geometry, colour, labels ------------------------------------------------------------------
    def _colours(self, state: MapState | None = None) -> dict[str, QColor]:
        st = state or self.state
        if st.region_map is None:
            return {}
        cls = st.classification
        palette = ramp_qcolors(cls.k, st.indicator.higher_is_better)
        key = st.indicator_key
        return {f.code: palette[c] if c != NO_DATA else QColor(no_value_colour(f.note(key)))
                for f, c in zip(st.region_map.features, cls.classes)}

    def _margins(self) -> tuple[float, float, float, float]:
        m = self.metrics
        side = max(self.width() * 0.03, m.px(24))
        return side, m.px(70), side, m.px(64)  # top: demo mark and north arrow; bottom: scale bar

    def _layer_key(self, code, rm, geo: _Geometry, colours: dict[str, QColor]) -> tuple:
        return (code, id(rm), id(geo), self.state.indicator_key, self.state.indicator.unit,
                tuple(c.rgba() for c in colours.values()), self.width(), self.height(), self.metrics,
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
        if key in self._layers or key in self._prepared:
            return False
        layer = self._layer_for(code, region_map, geo, colours, preparing=True)
        dpr = self._dpr()
        layer.base(self.metrics, dpr)
        layer.label_sprites(self.metrics, dpr)
        return True

    def _label_lines(self, f: MapFeature, small: bool, with_value: bool) -> list[tuple[str, int, bool, str]]:
        m, k = self.metrics, (_SMALL if small else 1.0)
        lines = [(f.name, round(m.map_label_px * k), True, Colors.text)]
        if with_value:
            key = self.state.indicator_key
            value = format_value(f.value(key), self.state.indicator.unit, f.note(key))
            if poor_state(f, self.state.year) == "exiting":  # the year a poor village leaves the list:
                # tagged on the value's line (no taller label to crowd the map's glyphs), in the exit green
                lines.append((f"{value} {EXIT_TAG}", round(m.map_value_px * k), True, EXITED_COLOUR))
            else:
                lines.append((value, round(m.map_value_px * k), False, "#bff0ff"))
        return lines

    @staticmethod
    def _lines_size(lines) -> tuple[float, float]:
        w = h = 0.0
        for text, px, bold, _ in lines:
            fm = QFontMetricsF(ui_font(px, bold=bold))
            w = max(w, fm.horizontalAdvance(text))
            h += fm.height()
        return w + 6, h + 2  # room for the halo

    def _place_labels(self, rm, geo: _Geometry, fit: ViewFit) -> list[MapLabel]:
        variants_of: dict[str, dict[str, list]] = {}
        cands = []
        for f in rm.features:
            forms = {
                "full": self._label_lines(f, False, True),
                "small": self._label_lines(f, True, True),
                "name": self._label_lines(f, True, False),
            }
            variants_of[f.code] = forms
            anchor = fit.to_screen(*geo.projection.forward(*f.label_point))
            cands.append(LabelCandidate(
                f.code, geo.areas.get(f.code, 0.0), anchor,
                tuple(LabelVariant(name, *self._lines_size(lines)) for name, lines in forms.items()),
            ))
        bounds = Rect(2, 2, self.width() - 4, self.height() - 4)
        obstacles = [self._scale_bar_rect(), self._north_arrow_rect()]
        obstacles += [Rect(r.x(), r.y(), r.width(), r.height()) for r in self.label_obstacles]
        obstacles += [Rect(r.x(), r.y(), r.width(), r.height()) for r in self.covers()]
        demo = self._demo_rect(rm)
        if demo is not None:
            obstacles.append(Rect(demo.x(), demo.y(), demo.width(), demo.height()))
        placed: list[PlacedLabel] = place_labels(cands, bounds, obstacles, padding=self.metrics.px(3),
                                                  shifts=_SHIFTS)
        return [
            MapLabel(p.key, QRectF(p.rect.x, p.rect.y, p.rect.w, p.rect.h), p.variant, variants_of[p.key][p.variant])
            for p in placed
        ]

    def _scale_bar_rect(self) -> Rect:
        m = self.metrics
        return Rect(m.px(20), self.height() - m.px(56), m.px(220), m.px(44))

    def _north_arrow_rect(self) -> Rect:
        m = self.metrics
        return Rect(m.px(28), m.px(18), m.px(80), m.px(48))

    def _demo_text(self) -> str:
        rm = self.state.region_map
        return (rm.data_label or "演示数据") if rm else ""

    # -- Qt events ------------------------------------------------------------------------------
    def resizeEvent(self, event) -> None:
        self._stash_frame()  # the way back to the size left (the village panel closing) blits them
        super().resizeEvent(event)
        self.finish_transition()
        self._relayout()
        self._take_ready_layouts()  # the live layers as laid out ahead for this size

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        hit = None if self.animating else self.overlay_at(event.position())
        code = None if self.animating else self.region_at(event.position())
        self.state.hovered_code = code
        self.setCursor(Qt.CursorShape.PointingHandCursor if (code or hit) else Qt.CursorShape.ArrowCursor)
        tip = ""
        if hit is not None:
            ov = next((o for o in self.overlays if o.name == hit[0]), None)
            tip = ov.tooltip(hit[1]) if ov is not None else ""
        if tip != self.toolTip():
            self.setToolTip(tip)
        super().mouseMoveEvent(event)

    def leaveEvent(self, event) -> None:
        self.state.hovered_code = None
        super().leaveEvent(event)

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self._press_code = None if self.animating else self.region_at(event.position())
            self._press_item = None if self.animating else self.overlay_at(event.position())
        super().mousePressEvent(event)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            code = self.region_at(event.position())
            item = self.overlay_at(event.position()) if self._press_item is not None else None
            if item is not None and not self.animating and _same_item(item, self._press_item):
                # a project marker or an anomaly mark, not the region under it
                self._press_item = self._press_code = None
                self.overlayClicked.emit(*item)
                super().mouseReleaseEvent(event)
                return
            if code is not None and code == self._press_code and not self.animating:
                self.state.selected_code = code
                self.regionClicked.emit(code)
            self._press_code = None
        elif event.button() == Qt.MouseButton.RightButton:
            self.backRequested.emit()
        super().mouseReleaseEvent(event)

    def contextMenuEvent(self, event) -> None:
        event.accept()  # right click means "back", never a context menu

    # -- painting -------------------------------------------------------------------------------
    def _dpr(self) -> float:
        return self.devicePixelRatioF()

    def paintEvent(self, event: QPaintEvent) -> None:
        p = QPainter(self)
        try:
            dpr = p.device().devicePixelRatioF()  # the screen's, or 1 when rendered into an image
            p.setRenderHint(QPainter.RenderHint.Antialiasing)
            p.setRenderHint(QPainter.RenderHint.TextAntialiasing)
            if self._old is not None:
                p.drawImage(0, 0, self._background(dpr))
                self._paint_transition(p, dpr)
                p.setOpacity(1.0)
                p.resetTransform()
                self._paint_chrome(p)
            else:
                overlays = self.active_overlays()
                if overlays and self._busy_text and not self._busy_shown and self._composite is None:
                    # A drill's data is on its way: this level is about to go, so its layers' pixels are
                    # not rendered again for the frame its click shows (≈ 30-50 ms at 4K), only once the
                    # wait is long enough to say 正在载入 (a slow answer keeps the layers on screen).
                    self._paint_plain(p, dpr)
                elif overlays:
                    self._paint_live(p, dpr, overlays)
                else:
                    p.drawImage(0, 0, self._static_image(dpr))
                    self._paint_highlight(p, dpr)
            self._paint_pills(p)
        finally:
            p.end()  # an exception must never leave the backing store with an active painter

    def _paint_plain(self, p: QPainter, dpr: float) -> None:
        """The level without its layers, from its cached pixels (no 4K picture rendered)."""
        p.drawImage(0, 0, self._background(dpr))
        if self._layer.paths:
            self._paint_cached(p, self._layer, dpr)
        else:
            self._paint_placeholder(p)
        self._paint_chrome(p)
        self._paint_highlight(p, dpr)

    def _paint_chrome(self, p: QPainter) -> None:
        if self._layer.paths:
            self._paint_north_arrow(p)
            self._paint_scale_bar(p)
        self._paint_demo_mark(p)

    def _static_image(self, dpr: float) -> QImage:
        """Background, the level (base and labels), north arrow, scale bar and demo mark: opaque, one blit."""
        key = (self._version, self.width(), self.height(), dpr, self.metrics)
        if self._static is None or self._static[0] != key:
            img = self._from_ready("static", dpr)
            if img is None:
                img = self._render_static(dpr)
                self.cache_stats["static"] += 1
            self._static = (key, img)
        return self._static[1]

    def _render_static(self, dpr: float, overlay: QImage | None = None) -> QImage:
        img = QImage(max(1, round(self.width() * dpr)), max(1, round(self.height() * dpr)),
                     QImage.Format.Format_RGB32)  # opaque: blitted as a plain copy
        img.setDevicePixelRatio(dpr)
        p = QPainter(img)
        try:
            p.drawImage(0, 0, self._background(dpr))
            p.setRenderHint(QPainter.RenderHint.Antialiasing)
            p.setRenderHint(QPainter.RenderHint.TextAntialiasing)
            if self._layer.paths:
                if overlay is None:
                    self._paint_cached(p, self._layer, dpr)
                else:  # the layers go between the regions and their labels: text always stays readable
                    self._paint_cached(p, self._layer, dpr, label_opacity=0.0)
                    p.drawImage(0, 0, overlay)
                    for sprite in self._layer.label_sprites(self.metrics, dpr):
                        sprite.draw(p)
            else:
                self._paint_placeholder(p)
            self._paint_chrome(p)
        finally:
            p.end()
        return img

    # -- live layers' painting ------------------------------------------------------------------
    def _overlay_key(self, overlays: list[Overlay]) -> tuple:
        v = self.view()
        return (v.key if v else None, tuple((ov.name, ov.version) for ov in overlays))

    def _overlay_image(self, dpr: float, overlays: list[Overlay]) -> QImage:
        """The static pixels of the visible layers (markers, curves, points, legend), transparent elsewhere."""
        key = (self._overlay_key(overlays), dpr)
        if self._overlay_img is None or self._overlay_img[0] != key:
            img = self._from_ready(("overlay", self._versions(overlays)), dpr)
            if img is not None:
                self._overlay_img = (key, img)
                return img
            v = self.view()
            img = QImage(max(1, round(self.width() * dpr)), max(1, round(self.height() * dpr)),
                         QImage.Format.Format_ARGB32_Premultiplied)
            img.setDevicePixelRatio(dpr)
            img.fill(0)
            p = QPainter(img)
            try:
                p.setRenderHint(QPainter.RenderHint.Antialiasing)
                p.setRenderHint(QPainter.RenderHint.TextAntialiasing)
                for ov in overlays:
                    ov.ensure_layout(v)
                    ov.paint_static(p, v)
                paint_legend(p, v, overlays, self.legend_rect())
            finally:
                p.end()
            self._overlay_img = (key, img)
            self.overlay_stats["overlay"] += 1
        return self._overlay_img[1]

    def _composite_image(self, dpr: float, overlays: list[Overlay]) -> QImage:
        """The static picture with the layers' static pixels under its labels: one opaque blit per frame."""
        key = (self._version, self.width(), self.height(), dpr, self.metrics, self._overlay_key(overlays))
        if self._composite is None or self._composite[0] != key:
            img = self._from_ready(("composite", self._versions(overlays)), dpr)
            if img is None:
                img = self._render_static(dpr, self._overlay_image(dpr, overlays))
                self.overlay_stats["composite"] += 1
            self._composite = (key, img)
        return self._composite[1]

    def _paint_live(self, p: QPainter, dpr: float, overlays: list[Overlay]) -> None:
        p.drawImage(0, 0, self._composite_image(dpr, overlays))
        self._paint_highlight(p, dpr, self._overlay_image(dpr, overlays))
        v, now = self.view(), self.clock()
        for ov in overlays:
            ov.ensure_layout(v)
            ov.paint_frame(p, v, now)
        self.overlay_stats["frames"] += 1

    def _paint_highlight(self, p: QPainter, dpr: float, overlay: QImage | None = None) -> None:
        """Hover and selection, in the same order as a full repaint (background, base, highlight, labels,
        marks) but only inside their own rectangle, over the static picture."""
        layer, st, m = self._layer, self.state, self.metrics
        area = self._highlight_area()
        if area.isEmpty():
            return
        p.save()
        p.setClipRect(area)
        p.drawImage(0, 0, self._background(dpr))
        layer.base(m, dpr).draw(p)
        paint_highlight(p, layer, m, st.hovered_code, st.selected_code)
        if overlay is not None:
            p.drawImage(0, 0, overlay)
        for sprite in layer.label_sprites(m, dpr):
            if sprite.rect().intersects(area):
                sprite.draw(p)
        self._paint_chrome(p)
        p.restore()

    def _background(self, dpr: float) -> QImage:
        key = (self.width(), self.height(), dpr)
        img = self._bgs.get(key)
        if img is None:
            img = QImage(max(1, round(self.width() * dpr)), max(1, round(self.height() * dpr)),
                         QImage.Format.Format_RGB32)
            img.setDevicePixelRatio(dpr)
            p = QPainter(img)
            r = QRectF(0, 0, self.width(), self.height())
            g = QRadialGradient(r.center(), max(r.width(), r.height()) * 0.6)
            g.setColorAt(0.0, QColor("#0e2748"))
            g.setColorAt(1.0, QColor(Colors.background))
            p.fillRect(r, g)
            p.end()
            self.cache_stats["background"] += 1
        self._bgs[key] = img
        self._bgs.move_to_end(key)
        while len(self._bgs) > READY_KEPT:
            self._bgs.popitem(last=False)
        return img

    def _paint_placeholder(self, p: QPainter) -> None:
        p.setPen(QColor(Colors.text_muted))
        p.setFont(ui_font(self.metrics.title_px))
        p.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap, self.placeholder)

    def _show_busy(self) -> None:
        self._busy_shown = bool(self._busy_text)
        self.update()

    def _paint_pills(self, p: QPainter) -> None:
        """Top-centre messages: the transient note (amber) above the loading pill (cyan)."""
        m = self.metrics
        y = m.px(16)
        for text, colour in ((self._note, Colors.demo),
                             (self._busy_text if self._busy_shown else None, Colors.accent)):
            if not text:
                continue
            font = ui_font(m.body_px, bold=True)
            fm = QFontMetricsF(font)
            w, h = fm.horizontalAdvance(text) + 2 * m.px(24), fm.height() + 2 * m.px(10)
            rect = QRectF((self.width() - w) / 2.0, y, w, h)
            fill = QColor("#081a30")
            fill.setAlpha(235)
            p.setBrush(fill)
            p.setPen(QPen(QColor(colour), m.px(2)))
            p.drawRoundedRect(rect, h / 2.0, h / 2.0)
            p.setPen(QColor(colour))
            p.setFont(font)
            p.drawText(rect, Qt.AlignmentFlag.AlignCenter, text)
            y += h + m.px(8)

    def _paint_demo_mark(self, p: QPainter) -> None:
        rect = self.demo_mark_rect()
        if rect is None:
            return
        m = self.metrics
        fill = QColor(Colors.demo)
        fill.setAlpha(40)
        p.setBrush(fill)
        p.setPen(QPen(QColor(Colors.demo), m.px(2)))
        p.drawRoundedRect(rect, m.px(6), m.px(6))
        p.setPen(QColor(Colors.demo))
        p.setFont(ui_font(m.body_px, bold=True))
        p.drawText(rect, Qt.AlignmentFlag.AlignCenter, self._demo_text())

    def _paint_north_arrow(self, p: QPainter) -> None:
        m = self.metrics
        x, y, h = m.px(44), m.px(22), m.px(40)
        arrow = QPolygonF([QPointF(x, y), QPointF(x + h * 0.32, y + h), QPointF(x, y + h * 0.75),
                           QPointF(x - h * 0.32, y + h)])
        p.setPen(QPen(QColor(Colors.accent), m.px(1.5)))
        p.setBrush(QColor(Colors.accent_dim))
        p.drawPolygon(arrow)
        p.setPen(QColor(Colors.text))
        p.setFont(ui_font(m.small_px, bold=True))
        p.drawText(QRectF(x + h * 0.4, y, m.px(40), h * 0.7), Qt.AlignmentFlag.AlignVCenter, "北")

    def _paint_scale_bar(self, p: QPainter) -> None:
        if self._fit is None:
            return
        m = self.metrics
        r = self._scale_bar_rect()
        km = _nice_length(self._fit.km_per_pixel() * m.px(160))
        length = km / self._fit.km_per_pixel()
        x0, y0 = r.x + m.px(4), r.y + r.h - m.px(10)
        p.setPen(QPen(QColor(Colors.text), m.px(2)))
        p.drawLine(QPointF(x0, y0), QPointF(x0 + length, y0))
        for x in (x0, x0 + length):
            p.drawLine(QPointF(x, y0), QPointF(x, y0 - m.px(8)))
        p.setFont(ui_font(m.small_px))
        text = f"{km:g} 公里"
        p.drawText(QRectF(x0, r.y, max(length, m.px(120)), r.h - m.px(16)),
                   Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignBottom, text)


def _same_item(a: tuple[str, object] | None, b: tuple[str, object] | None) -> bool:
    if a is None or b is None or a[0] != b[0]:
        return False
    x, y = a[1], b[1]
    if isinstance(x, dict) and isinstance(y, dict):
        return x.get("target") == y.get("target")
    return x == y


class _Geometry:
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


def _nice_length(km: float) -> float:
    """Largest 1-2-5 × 10ⁿ length not above km."""
    if km <= 0:
        return 1.0
    e = 10 ** math.floor(math.log10(km))
    return max(n * e for n in (1, 2, 5) if n * e <= km)
