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

import time
from collections import OrderedDict

from PySide6.QtCore import QPointF, QRectF, Qt, QTimer, QVariantAnimation, Signal
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QSizePolicy, QWidget

from sandbox.ui.frame_timing.animation import ZoomPath
from sandbox.ui.layers.base import MapView, Overlay
from sandbox.ui.map_geometry import LevelGeometry as _Geometry
from sandbox.ui.map_hit import HitTesting
from sandbox.ui.map_labels import LabelLayout
from sandbox.ui.map_layer import MapLabel, MapLayer, highlight_rect
from sandbox.ui.map_levels import LAYER_CACHE, PREPARED_CACHE, KeptLevels
from sandbox.ui.map_paint import MapPainting
from sandbox.ui.map_ready import ReadySizes
from sandbox.ui.map_transition import FADE_MS, ZOOM_MS, Transitions
from sandbox.ui.projection import ViewFit
from sandbox.ui.state import MapState
from sandbox.ui.theme import Metrics, metrics_for_height

__all__ = ["MapCanvas", "MapLabel", "LAYER_CACHE", "PREPARED_CACHE", "ZOOM_MS", "FADE_MS"]

BUSY_DELAY_MS = 180  # a quick answer never flashes the "loading" pill
FRAME_MS = 33  # live layers' animation: ~30 fps, only while something moves
MOTION_HOLD_MAX_MS = 1000  # a held animation moves again after this even if its answer never came


class MapCanvas(ReadySizes, KeptLevels, Transitions, MapPainting, HitTesting, LabelLayout, QWidget):
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
        self._kept_colours: OrderedDict[tuple, tuple] = OrderedDict()  # see KeptLevels._colours
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
        self._shown_image: QImage | None = None  # the opaque picture the last full frame blitted (map_paint)
        self._left_image: QImage | None = None  # that picture of the level a drill left, for its first frame
        self._anim = QVariantAnimation(self)
        self._anim.setStartValue(0.0)
        self._anim.setEndValue(1.0)
        self._anim.valueChanged.connect(self._on_progress)
        self._anim.finished.connect(self._end_transition)
        self._base_timer = QTimer(self, singleShot=True, interval=0)  # a level's picture after its first frame
        self._base_timer.timeout.connect(self._render_base)
        # transient note and loading pill
        self._note: str | None = None
        self._note_timer = QTimer(self, singleShot=True)
        self._note_timer.timeout.connect(self.clear_note)
        self._busy_text: str | None = None
        self._busy_shown = False
        self._layers_stale = False  # the frame on screen lacks the layers as they are (a drill's request was out)
        self._busy_timer = QTimer(self, singleShot=True, interval=BUSY_DELAY_MS)
        self._busy_timer.timeout.connect(self._show_busy)
        # pixel caches (see the module docstring)
        self._bgs: OrderedDict[tuple, QImage] = OrderedDict()  # per size: the one on screen and the one kept ready
        self._chrome: OrderedDict[tuple, list] = OrderedDict()  # the furniture's pictures (see _chrome_pictures)
        self._static: tuple[tuple, QImage] | None = None
        self._version = 0  # bumped whenever the static picture changes
        self._lit_image: tuple[tuple, QPointF, QImage] | None = None  # the highlight's rectangle (map_paint)
        self.cache_stats = {"static": 0, "background": 0, "ready": 0, "highlight": 0}  # renders: tests, bench
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
        self._sync_later = QTimer(self, singleShot=True, interval=0)
        self._sync_later.timeout.connect(self._sync_timer)
        self._motion_held = False  # see hold_motion
        self._hold_cap = QTimer(self, singleShot=True, interval=MOTION_HOLD_MAX_MS)
        self._hold_cap.timeout.connect(self._release_motion)
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

    def hold_motion(self, on: bool) -> None:
        """Stop the live layers' frames (flow dots, pulses stay where they are) while an answer the user
        waits for is on its way (a village's list, issue 19): each frame is GUI-thread time taken ahead
        of the answer. They move again when it is released, or after MOTION_HOLD_MAX_MS at the latest."""
        on = bool(on)
        if on == self._motion_held:
            return
        self._motion_held = on
        if on:
            self._hold_cap.start()
        else:
            self._hold_cap.stop()
        self._sync_timer()

    def _release_motion(self) -> None:
        self.hold_motion(False)

    @property
    def motion_held(self) -> bool:
        return self._motion_held

    def set_placeholder(self, text: str) -> None:
        if text != self.placeholder:
            self.placeholder = text
            self._invalidate()

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
        shown = self._busy_shown
        if text:
            if not shown:
                self._busy_timer.start()
        else:
            self._busy_timer.stop()
            self._busy_shown = False
        # Repaint only when the pill on screen changes: a click's request going out (the pill not
        # yet due) or its answer arriving changes no pixel, and a 4K repaint of the level about to go
        # would hold back the answer's frame (issue 19). Layers that changed while the request was
        # out (or a level drawn without them) are laid out and painted when the wait ends.
        if shown or (not text and self._layers_stale):
            self._layers_stale = False
            self.update()
            self._sync_later.start()  # not now: an answer is applied next, laying out this level is moot

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
        if self._holding():
            # The level on screen is about to go: its new layers would be painted without them (see
            # paintEvent), the same pixels as now, and laid out for nothing. They are when the wait ends.
            self._layers_stale = True
            return
        self.update()
        self._sync_timer()

    def _holding(self) -> bool:
        """A drill's request is out and the 正在载入 pill not yet due (issue 19): the level on screen is
        about to go, so its layers' changes are neither laid out nor painted until the answer, a failure
        or the pill."""
        return bool(self._busy_text) and not self._busy_shown

    def _sync_timer(self) -> None:
        """Run the frame timer only while a visible layer moves, the canvas is shown, no drill runs and
        the motion is not held."""
        want = False
        if self.isVisible() and self._old is None and not self._motion_held:
            v, now = self.view(), self.clock()
            for ov in self.active_overlays():
                ov.ensure_layout(v)  # what moves is known once laid out (cheap, and needed for the frame anyway)
                want = want or ov.animating(now)
        if want and not self._tick.isActive():
            self._tick.start()
        elif not want and self._tick.isActive():
            self._tick.stop()
            if not self._motion_held:  # (held: the dots stay as they are, no frame)
                self.update(self._frame_rect.toAlignedRect().adjusted(-1, -1, 1, 1))  # the last dots go

    def _on_tick(self) -> None:
        if self._holding() and self._composite is None:
            return  # drawn without its layers while the drill's request is out (see paintEvent): no dots move
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
        old, old_code, left = self._layer, self._shown_code, self._shown_image
        rm = self.state.region_map
        self._geo = self._geometry_for(rm) if rm is not None and rm.features else None
        self._shown_code = self.state.region_code
        self._relayout()
        self._start_transition(old, old_code, left)

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

    # -- Qt events ------------------------------------------------------------------------------
    def resizeEvent(self, event) -> None:
        self._stash_frame()  # the way back to the size left (the village panel closing) blits them
        super().resizeEvent(event)
        self.finish_transition()
        self._relayout()
        self._take_ready_layouts()  # the live layers as laid out ahead for this size

