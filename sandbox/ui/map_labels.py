"""Where the map canvas's labels go: each region's label forms, placed around the canvas's furniture."""

# A mixin of sandbox.ui.map_canvas.MapCanvas (it reads the canvas's state, metrics, size and covers).

from __future__ import annotations

from PySide6.QtCore import QRectF
from PySide6.QtGui import QFontMetricsF

from sandbox.ui.fmt import format_value
from sandbox.ui.labels import LabelCandidate, LabelVariant, PlacedLabel, Rect, place_labels
from sandbox.ui.map_geometry import LevelGeometry as _Geometry
from sandbox.ui.map_layer import MapLabel
from sandbox.ui.paint_cache import advance, font_metrics
from sandbox.ui.payloads import MapFeature
from sandbox.ui.poor_villages import EXIT_TAG, EXITED_COLOUR, poor_state
from sandbox.ui.projection import ViewFit
from sandbox.ui.theme import Colors, ui_font

__all__ = ["LabelLayout"]

_SMALL = 0.78  # shrink factor tried before a label is dropped
# Label nudges (fractions of its size): small enough that a label still reads as its region's.
_SHIFTS = ((0.0, 0.0), (0.3, 0.0), (-0.3, 0.0), (0.0, 0.35), (0.0, -0.35))


class LabelLayout:
    """The level's labels laid out for the canvas's size (and the rects of the furniture they avoid)."""

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

    def demo_mark_rect(self) -> QRectF | None:
        return self._demo_rect(self.state.region_map)

    def _demo_rect(self, rm) -> QRectF | None:
        if rm is None or not (rm.demo or rm.data_label):
            return None
        m = self.metrics
        font = ui_font(m.body_px, bold=True)  # measured with the shared metrics: this runs in every drill frame
        fm = font_metrics(font)
        w, h = advance(rm.data_label or "演示数据", font) + 2 * m.px(14), fm.height() + 2 * m.px(6)
        rect = QRectF(self.width() - w - m.px(16), m.px(14), w, h)
        # A map made narrow (a village's panel open) has the layer control reach its right edge: the mark goes
        # below the control rather than under it, half hidden.
        for r in self.label_obstacles:
            if rect.intersects(r):
                rect.moveTop(r.bottom() + m.px(8))
        return rect

    # -- live layers ----------------------------------------------------------------------------
