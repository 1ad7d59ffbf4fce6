"""Where the map's chips go: none over another chip, a label or a marker; the lower-priority one moves or gives way (+N)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFontMetricsF, QPainter, QPen

from sandbox.ui.layers.base import MapView, Overlay
from sandbox.ui.theme import ui_font

__all__ = ["Chip", "Placed", "ChipPlacer", "MORE_COLOUR", "chip_size", "paint_chips"]

MORE_COLOUR = "#cfe8ff"  # the "+N" badge: neutral, it says only that chips were left out here


@dataclass(frozen=True)
class Chip:
    """A chip a layer would like on the map: beside region `code`'s label, `below` it or above it."""

    code: str
    text: str
    colour: str
    size: tuple[float, float]  # width, height in widget pixels
    px: float  # its font's pixel size
    below: bool = False
    rank: float = 0.0  # within a layer, higher first (more open risks, a lower visit rate)


@dataclass(frozen=True)
class Placed:
    box: QRectF
    text: str
    colour: str
    px: float
    more: bool = False  # a "+N" badge for chips left out


def chip_size(text: str, px: float, pad: float, extra: float) -> tuple[float, float]:
    fm = QFontMetricsF(ui_font(px, bold=True))
    return fm.horizontalAdvance(text) + 2 * pad, fm.height() + extra


def paint_chips(p: QPainter, chips: Iterable[Placed], view: MapView, backing_alpha: int = 205) -> None:
    """Rounded chips: a dark backing, the colour's outline and text."""
    p.save()
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    px = None
    for c in chips:
        if c.px != px:
            px = c.px
            p.setFont(ui_font(px, bold=True))
        p.setPen(QPen(QColor(c.colour), max(1.0, view.metrics.px(1.2))))
        p.setBrush(QColor(2, 6, 13, backing_alpha))
        p.drawRoundedRect(c.box, c.box.height() / 2, c.box.height() / 2)
        p.setPen(QColor(c.colour))
        p.drawText(c.box, Qt.AlignmentFlag.AlignCenter, c.text)
    p.restore()


@dataclass
class _Source:
    layer: Overlay
    priority: int


class ChipPlacer(Overlay):
    """Places every chip layer's chips together, once per view and data: by layer priority (风险 over 督办
    over 走访), each chip at its own place beside its region's label if free, else at the next free one
    still inside its region; a chip with no free place is left out, and its region gets a "+N" badge.
    Added to the canvas (the wall's, on top of every layer) it paints them all, over flow lines and
    check-in dots; a layer's own placer (alone, off the canvas) leaves the painting to its layer."""

    name = "chips"

    def __init__(self) -> None:
        super().__init__()
        self.chip_layers: list[_Source] = []
        self.marker_layers: list[Overlay] = []
        self.on_canvas = False
        # The map's furniture no chip may go under (the wall's canvas: the layers' legend, a tour's caption).
        self.keep_clear: Callable[[], list[QRectF]] = list
        self._key: tuple | None = None
        self._placed: dict[str, list[Placed]] = {}
        self.dropped = 0  # chips left out at the last placement

    def add_chips(self, layer: Overlay) -> None:
        """Place `layer`'s chips (its `chip_candidates()`, at its `chip_priority`) here, with the others'."""
        self.chip_layers.append(_Source(layer, int(getattr(layer, "chip_priority", 0))))
        layer.placer = self

    def add_markers(self, *layers: Overlay) -> None:
        self.marker_layers.extend(layers)

    def placed(self, layer: Overlay, view: MapView) -> list[Placed]:
        """`layer`'s chips and badges on `view` (all layers placed again when any of them changed)."""
        active = [s for s in self.chip_layers if s.layer.active(view)]
        markers = [ov for ov in self.marker_layers if ov.active(view)]
        clear = [QRectF(r) for r in self.keep_clear()]
        key = (view.key, tuple((id(s.layer), s.layer.version) for s in active),
               tuple((id(ov), ov.version) for ov in markers), tuple(r.getRect() for r in clear))
        if key != self._key:
            for ov in (*markers, *(s.layer for s in active)):
                ov.ensure_layout(view)
            obstacles = [r for ov in markers for r in ov.obstacles()] + clear
            self._placed = self._place(view, [(s.layer, s.priority, s.layer.chip_candidates()) for s in active],
                                       obstacles)
            self._key = key
        return self._placed.get(layer.name, [])

    # -- overlay (on the wall's canvas: the chips over every layer) --------------------------------
    def active(self, view: MapView | None) -> bool:
        return self.on_canvas and any(s.layer.active(view) for s in self.chip_layers)

    def ensure_layout(self, view: MapView) -> None:
        pass  # placed on demand (`placed`), when any chip or marker layer changed

    def paint_static(self, p: QPainter, view: MapView) -> None:
        for s in self.chip_layers:
            if s.layer.active(view):
                paint_chips(p, self.placed(s.layer, view), view, 210)

    # -- the placement itself --------------------------------------------------------------------
    def _place(self, view: MapView, sources: Iterable[tuple[Overlay, int, list[Chip]]],
               obstacles: list[QRectF]) -> dict[str, list[Placed]]:
        m = view.metrics
        bounds = QRectF(0, 0, view.width, view.height)
        gap = float(m.px(1))
        taken = [r.adjusted(-1, -1, 1, 1) for r in view.label_rects.values()] + list(obstacles)
        queue = sorted(((-prio, -chip.rank, i, layer, chip) for layer, prio, chips in sources
                        for i, chip in enumerate(chips)), key=lambda t: t[:3])
        out: dict[str, list[Placed]] = {}
        left_out: dict[str, tuple[int, Overlay]] = {}  # region → (chips left out, the first one's layer)
        for _, _, _, layer, chip in queue:
            lr = view.label_rects.get(chip.code)
            if lr is None:
                continue
            box = self._free(view, chip.code, lr, chip.size, chip.below, taken, bounds, gap)
            if box is None:
                n, first = left_out.get(chip.code, (0, layer))
                left_out[chip.code] = (n + 1, first)
                continue
            taken.append(box)
            out.setdefault(layer.name, []).append(Placed(box, chip.text, chip.colour, chip.px))
        self.dropped = sum(n for n, _ in left_out.values())
        for code, (n, layer) in left_out.items():
            text, px = f"+{n}", m.px(13)
            size = chip_size(text, px, m.px(5), m.px(2))
            box = self._free(view, code, view.label_rects[code], size, False, taken, bounds, gap, badge=True)
            if box is not None:
                taken.append(box)
                out.setdefault(layer.name, []).append(Placed(box, text, MORE_COLOUR, px, more=True))
        return out

    @staticmethod
    def _free(view: MapView, code: str, lr: QRectF, size: tuple[float, float], below: bool, taken: list[QRectF],
              bounds: QRectF, gap: float, *, badge: bool = False) -> QRectF | None:
        """The first free place for a chip of `size` beside label `lr`: its own side, the other side, left,
        right, its own side slid aside, then a second row out; an offset place must stay inside the region (it says whose it is)."""
        w, h = size
        cx, cy = lr.center().x(), lr.center().y()
        above_y, below_y = lr.top() - h - gap, lr.bottom() + gap
        rows = (below_y, above_y) if below else (above_y, below_y)
        places = [QRectF(cx - w / 2, rows[0], w, h), QRectF(cx - w / 2, rows[1], w, h),
                  QRectF(lr.left() - w - 2 * gap, cy - h / 2, w, h), QRectF(lr.right() + 2 * gap, cy - h / 2, w, h),
                  # its own side again, slid off the label's centre to the right, then the left
                  QRectF(lr.right() - w / 3, rows[0], w, h), QRectF(lr.left() - 2 * w / 3, rows[0], w, h),
                  QRectF(cx - w / 2, rows[0] + (h + gap) * (1 if below else -1), w, h),
                  QRectF(cx - w / 2, rows[1] + (h + gap) * (-1 if below else 1), w, h)]
        if badge:  # a small "+N": beside the label first, where it reads as belonging to it
            places = places[2:4] + places[:2] + places[4:]
        path = view.paths.get(code)
        for i, box in enumerate(places):
            if not bounds.contains(box) or any(box.intersects(t) for t in taken):
                continue
            moved = i > 0 if not badge else i > 1
            if moved and path is not None and not path.contains(QPointF(box.center())):
                continue
            return box
        return None
