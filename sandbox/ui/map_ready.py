"""The map canvas's level kept rendered at a second size (the map beside an open village panel), so a resize to it blits."""

# A mixin of sandbox.ui.map_canvas.MapCanvas: it lays the level on screen out and renders it as if the
# canvas had another size (`_as_if`), and keeps those pictures, and the ones of the size a resize
# leaves, by (layer, pixel ratio); the canvas's picture getters look here before rendering.

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager

from PySide6.QtCore import QTimer
from PySide6.QtGui import QImage

from sandbox.ui.layers.base import Overlay
from sandbox.ui.map_layer import MapLayer

__all__ = ["ReadySizes", "READY_MS", "READY_KEPT"]

READY_MS = 120  # after a change, the level is rendered at the size kept ready (keep_ready) this much later
READY_KEPT = 2  # pictures kept per level and size: the size kept ready and the one on screen (the way back)
_UNSET = object()


class ReadySizes:
    """`keep_ready(size)`: the level on screen rendered at `size` too, ahead of a resize to it."""

    def _init_ready(self) -> None:
        # Another size the level on screen is kept rendered at: its pictures by (layer, pixel ratio).
        self._ready_size: tuple[int, int] | None = None
        self._ready: OrderedDict[tuple, dict] = OrderedDict()
        self._as_if_size: tuple[int, int] | None = None  # while rendering ahead: the size laid out for
        # The live layers' layouts at the size kept ready, by the same key: what each layer's layout()
        # set (its attributes), with the layer's data version then; handed back at the resize.
        self._ready_layouts: dict[tuple, dict[Overlay, tuple[int, dict]]] = {}
        self._ready_timer = QTimer(self, singleShot=True, interval=READY_MS)
        self._ready_timer.timeout.connect(self._render_ready)

    def width(self) -> int:  # while rendering ahead (`_as_if`), the size being laid out for
        s = self._as_if_size
        return s[0] if s is not None else super().width()

    def height(self) -> int:
        s = self._as_if_size
        return s[1] if s is not None else super().height()

    def keep_ready(self, size: tuple[int, int] | None) -> None:
        """Keep the level on screen laid out and rendered at `size` too (the map's size once a village
        panel opens beside it), rendered again a moment after anything changes, so a resize to it blits
        pictures that exist. None: no other size. Forgotten when another level comes."""
        self._ready_size = None if size is None else (int(size[0]), int(size[1]))
        if self._ready_size is None:
            self._ready_timer.stop()
        else:
            self._ready_timer.start()

    @property
    def readying(self) -> bool:
        """Pictures for the size kept ready are still to be rendered."""
        return self._ready_timer.isActive()

    def kept_bytes(self) -> int:
        """Pixel bytes of every picture the canvas keeps (levels' bases, the frame's pictures, those kept
        ready): native memory the soak and the README's memory figure count."""
        layers = (*self._layers.values(), *self._prepared.values(), self._layer, *(k[0] for k in self._ready))
        imgs = [layer._base[1].image for layer in layers if layer._base is not None]
        imgs += [c[1] for c in (self._static, self._overlay_img, self._composite) if c is not None]
        imgs += list(self._bgs.values())
        imgs += [img for entry in self._ready.values() for img in entry.values()]
        return sum({id(i): i.sizeInBytes() for i in imgs}.values())

    @contextmanager
    def _as_if(self, size: tuple[int, int], layer: MapLayer) -> Iterator[None]:
        """Lay out and paint as if the canvas were `size` showing `layer`; the frame's own pictures,
        view and counters are put back after."""
        saved = (self._layer, self._fit, self._view, self._static, self._overlay_img, self._composite,
                 dict(self.cache_stats), dict(self.overlay_stats))
        self._as_if_size, self._layer, self._fit, self._view = size, layer, layer.fit, None
        try:
            yield
        finally:
            (self._layer, self._fit, self._view, self._static, self._overlay_img, self._composite,
             self.cache_stats, self.overlay_stats) = saved
            self._as_if_size = None

    def _render_ready(self) -> None:
        """Render the level on screen at the size kept ready: its layout, base and labels, background,
        the layers' pixels and the frame picture (never mid-animation; once per change)."""
        size, rm, geo = self._ready_size, self.state.region_map, self._geo
        if size is None or geo is None or rm is None or size == (super().width(), super().height()) \
                or size[0] < 2 or size[1] < 2 or not self.isVisible():
            return
        if self._old is not None:
            self._ready_timer.start()
            return
        dpr = self._dpr()
        self._as_if_size = size
        try:
            layer = self._layer_for(self._shown_code, rm, geo, self._colours(), preparing=True)
        finally:
            self._as_if_size = None
        entry = self._ready.get((layer, dpr))
        before = {ov: dict(ov.__dict__) for ov in self.overlays}  # the layouts of the frame on screen
        with self._as_if(size, layer):
            overlays = self.active_overlays()
            versions = self._versions(overlays)
            if entry is not None and (("composite", versions) if overlays else "static") in entry:
                return
            layer.base(self.metrics, dpr)
            layer.label_sprites(self.metrics, dpr)
            v = self.view()
            for ov in overlays:
                ov.ensure_layout(v)
            laid = {}  # what each layer's layout set for the size kept ready (its painting's own state stays)
            for ov in self.overlays:
                old = before[ov]
                attrs = {k: x for k, x in ov.__dict__.items() if old.get(k, _UNSET) is not x}
                if attrs:
                    laid[ov] = (ov.version, attrs)
            pictures = {"background": self._background(dpr)}
            if overlays:
                pictures[("overlay", versions)] = self._overlay_image(dpr, overlays)
                pictures[("composite", versions)] = self._composite_image(dpr, overlays)
            else:
                pictures["static"] = self._static_image(dpr)
        self._keep_ready((layer, dpr), pictures)
        self.cache_stats["ready"] += 1
        for ov, (_, attrs) in laid.items():  # the frame's own layouts put back; the ready ones kept for the resize
            ov.__dict__.update({k: before[ov][k] for k in attrs if k in before[ov]})
        self._ready_layouts[(layer, dpr)] = laid

    def _take_ready_layouts(self) -> None:
        """After a resize to the size kept ready: the layers' layouts made there, where their data is
        unchanged since (a layer laid out again would cost the drill ≈ 5 ms at 4K)."""
        key = (self._layer, self._dpr())
        laid = self._ready_layouts.get(key) if key in self._ready else None
        v = self.view() if laid else None
        if v is None:
            return
        for ov, (version, attrs) in laid.items():
            if ov.version == version and ov in self.overlays:
                ov.__dict__.update(attrs)
                ov._laid_out = ov.layout_key(v)

    def _keep_ready(self, key: tuple, pictures: dict) -> None:
        self._ready[key] = pictures  # a newer render of this level and size replaces the older
        self._ready.move_to_end(key)
        while len(self._ready) > READY_KEPT:
            self._ready.popitem(last=False)
        for k in [k for k in self._ready_layouts if k not in self._ready]:
            del self._ready_layouts[k]

    def _stash_frame(self) -> None:
        """Keep the frame's pictures of the level on screen at this size (a resize is coming: going back
        to this size, when the village panel closes, then blits them)."""
        if not self._layer.paths or self._static is None and self._composite is None:
            return
        _, w, h, dpr = (self._static or self._composite)[0][:4]
        pictures: dict = {}
        if self._static is not None:
            pictures["static"] = self._static[1]
        for slot in (self._overlay_img, self._composite):
            if slot is not None:
                versions = (slot[0][0] if slot is self._overlay_img else slot[0][-1])[1]
                pictures[("overlay" if slot is self._overlay_img else "composite", versions)] = slot[1]
        bg = self._bgs.get((w, h, dpr))
        if bg is not None:
            pictures["background"] = bg
        self._keep_ready((self._layer, dpr), pictures)

    def _from_ready(self, kind, dpr: float) -> QImage | None:
        """A picture of `kind` rendered ahead (or kept) for the level on screen at this size, if any."""
        if self._as_if_size is not None:
            return None
        entry = self._ready.get((self._layer, dpr))
        return None if entry is None else entry.get(kind)

    @staticmethod
    def _versions(overlays: list[Overlay]) -> tuple:
        return tuple((ov.name, ov.version) for ov in overlays)
