"""Check-in layer: the last 30 days of cadre check-ins (points when few, else one circle per village sized by
its count, so the choropleth stays readable), a pulse for each new one, month visit rates."""

from __future__ import annotations

import math
import time

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFontMetricsF, QPainter, QPen

from sandbox.domain.regions import InvalidRegionCode, RegionCode
from sandbox.ui.layers.base import MapView, Overlay, dot_sprite
from sandbox.ui.layers.chips import Chip, ChipPlacer, chip_size, paint_chips
from sandbox.ui.layers.data import CheckinPoint, markers_drawn
from sandbox.ui.theme import ui_font

__all__ = ["CheckinLayer", "PULSE_S", "EFFECTIVE_COLOUR", "MISSED_COLOUR", "PULSE_COLOUR", "region_prefix",
           "POINTS_AT_MOST", "village_counts"]

PULSE_S = 3.0
EFFECTIVE_COLOUR = "#7fe9ff"
MISSED_COLOUR = "#ffb020"  # too far from the household: not an effective visit
PULSE_COLOUR = "#ffffff"
POINTS_AT_MOST = 150  # more check-ins than this on screen: drawn as per-village counts, not points
COVER_SHARE = 0.09  # the circles, all at their largest, cover at most ≈ this share of the map


def village_counts(points) -> dict[str, tuple[int, int, float, float]]:
    """village code → (check-ins, effective ones, mean lon, mean lat)."""
    acc: dict[str, list[float]] = {}
    for c in points:
        a = acc.setdefault(c.village_code, [0, 0, 0.0, 0.0])
        a[0] += 1
        a[1] += 1 if c.effective else 0
        a[2] += c.lon
        a[3] += c.lat
    return {v: (int(n), int(e), x / n, y / n) for v, (n, e, x, y) in acc.items()}


def region_prefix(code: str) -> str:
    """The code prefix every region inside `code` shares (province 2 digits, prefecture 4, county 6, town 9,
    village 12); a code that is none of these is its own prefix."""
    try:
        return RegionCode.parse(code).prefix
    except InvalidRegionCode:
        return str(code)


def rate_colour(rate: float) -> str:
    return "#3ddc84" if rate >= 90 else ("#ffd24a" if rate >= 60 else "#ff7a6b")


class CheckinLayer(Overlay):
    above_county = False  # a marker each: a province's map would be covered
    name = "checkins"
    title_zh = "走访"
    chip_priority = 1  # its chips give way to 风险 and 督办

    def __init__(self, clock=time.monotonic) -> None:
        super().__init__()
        self.clock = clock
        self.points: list[CheckinPoint] = []
        self.visits: dict = {}
        self.live = 0  # check-ins that arrived through GET /events while this region is on screen
        self._live_ids: set[int] = set()
        self.pulses: dict[int, float] = {}  # check-in id → when it arrived (clock)
        self._pos: dict[int, QPointF] = {}
        self._candidates: list[Chip] = []
        self._view: MapView | None = None
        ChipPlacer().add_chips(self)  # alone until the wall shares its placer
        self._rect = QRectF()
        self._pulse_r = 30.0
        self._bubbles: list[tuple[QPointF, float, int, int]] = []  # centre, radius, count, effective

    @property
    def dense(self) -> bool:
        """Too many check-ins for points: each village's are one circle sized by their count."""
        return len(self.points) > POINTS_AT_MOST

    def set_data(self, region: str, points: list[CheckinPoint], visits: dict) -> None:
        """The region's last 30 days. The same region loaded again (a refresh) keeps what arrived live
        meanwhile, counted and still pulsing, with those the new records do not hold yet."""
        same = region == self.region
        live = [p for p in self.points if p.id in self._live_ids] if same else []
        self.region, self.points, self.visits = region, list(points), dict(visits or {})
        self._candidates = []  # laid out again for the new rates on the next paint
        if live:
            ids = {p.id for p in self.points}
            self.points += [p for p in live if p.id not in ids]  # arrived after the records were read
            now = self.clock()
            self.pulses = {cid: t for cid, t in self.pulses.items() if cid in self._live_ids and now - t < PULSE_S}
        else:
            self._live_ids = set()
            self.pulses.clear()
        self.live = len(self._live_ids)
        self.changed()

    def add_live(self, c: CheckinPoint) -> bool:
        """A check-in that just arrived: a point, and a pulse ring for a few seconds. False if it is
        not inside the region on screen (or already shown)."""
        if self.region is None or not c.village_code.startswith(region_prefix(self.region)):
            return False
        if not markers_drawn(self.region):
            return False  # a province's or a prefecture's map draws no check-in: none is kept there either
        if any(x.id == c.id for x in self.points):
            return False
        self.points.append(c)
        self._live_ids.add(c.id)
        self.live = len(self._live_ids)
        self.pulses[c.id] = self.clock()
        self.changed()
        return True

    def position(self, cid: int) -> QPointF | None:
        pos = self._pos.get(cid)
        return QPointF(pos) if pos is not None else None

    def visit_rates(self) -> dict[str, dict]:
        # A month without a single check-in in the whole region is a month without records (the
        # demo's registers start in May 2017), not a month of 0% visits: no chips then.
        total = self.visits.get("total") if isinstance(self.visits.get("total"), dict) else {}
        if not total.get("checkins"):
            return {}
        return {str(c.get("code")): c for c in self.visits.get("children") or [] if isinstance(c, dict)}

    # -- overlay -------------------------------------------------------------------------------
    def layout(self, view: MapView) -> None:
        self._pos = {c.id: view.project(c.lon, c.lat) for c in self.points}
        self._pulse_r = float(view.metrics.px(34))
        self._bubbles = self._layout_bubbles(view) if self.dense else []
        self._place_chips(view)

    def _layout_bubbles(self, view: MapView) -> list[tuple[QPointF, float, int, int]]:
        """One circle per village, its area in proportion to its check-ins; the largest is sized so that
        all of them at that size would cover at most COVER_SHARE of the map (the colours stay readable)."""
        counts = village_counts(self.points)
        if not counts:
            return []
        area = max(1.0, view.bounds.width() * view.bounds.height()) if not view.bounds.isEmpty() \
            else float(view.width * view.height)
        r_max = max(3.0, math.sqrt(COVER_SHARE * area / (math.pi * len(counts))))
        r_max = min(r_max, float(view.metrics.px(22)))
        top = max(n for n, *_ in counts.values())
        out = []
        for n, eff, lon, lat in counts.values():
            r = max(view.metrics.px(2.5), r_max * math.sqrt(n / top))
            out.append((view.project(lon, lat), r, n, eff))
        out.sort(key=lambda b: -b[1])  # the small ones on top
        return out

    def bubbles(self) -> list[tuple[QPointF, float, int]]:
        """The per-village circles on screen (centre, radius, count); empty when drawn as points."""
        return [(QPointF(c), r, n) for c, r, n, _ in self._bubbles]

    def _place_chips(self, view: MapView) -> None:
        """'走访 86%' under each region's label (the placer finds it room among the other chips and markers)."""
        m = view.metrics
        px = m.px(15)
        self._view = view
        self._candidates = []
        for code, v in self.visit_rates().items():
            rate = v.get("visit_rate")
            if rate is None or code not in view.label_rects:
                continue
            text = f"走访 {float(rate):.0f}%"
            self._candidates.append(Chip(code, text, rate_colour(float(rate)), chip_size(text, px, m.px(6), m.px(2)),
                                         px, below=True, rank=-float(rate)))  # the lowest rates first

    def chip_candidates(self) -> list[Chip]:
        return list(self._candidates)

    def chips(self) -> list[tuple[QRectF, str]]:
        """The chips on screen (text and place), "+N" badges included."""
        if self._view is None or not self.active(self._view):
            return []
        return [(QRectF(c.box), c.text) for c in self.placer.placed(self, self._view)]

    def paint_static(self, p: QPainter, view: MapView) -> None:
        m, dpr = view.metrics, view.dpr
        points = self.points
        if self._bubbles:
            self._paint_bubbles(p, view)
            points = [c for c in self.points if c.id in self._live_ids]  # the few that just arrived stay points
        if points:
            r = max(1.5, m.px(3))
            ok, missed = dot_sprite(EFFECTIVE_COLOUR, r, dpr), dot_sprite(MISSED_COLOUR, r, dpr)
            half = ok.width() / dpr / 2.0
            for c in sorted(points, key=lambda c: c.at):  # newest on top
                pos = self._pos.get(c.id)
                if pos is not None:
                    p.drawImage(QPointF(pos.x() - half, pos.y() - half), ok if c.effective else missed)
        if not self.placer.on_canvas:  # else the wall's placer paints every layer's chips, on top
            paint_chips(p, self.placer.placed(self, view), view, 200)

    def _paint_bubbles(self, p: QPainter, view: MapView) -> None:
        """Hollow rings over the choropleth: a ring per village, the share too far from the household
        (超距) as an amber arc; a count inside when the ring is large enough to hold it."""
        m = view.metrics
        p.save()
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        font = ui_font(m.px(12), bold=True)
        fm = QFontMetricsF(font)
        p.setFont(font)
        for centre, r, n, eff in self._bubbles:
            box = QRectF(centre.x() - r, centre.y() - r, 2 * r, 2 * r)
            width = max(1.2, min(r * 0.35, m.px(3)))
            p.setBrush(QColor(2, 6, 13, 90))
            p.setPen(QPen(QColor(EFFECTIVE_COLOUR), width))
            p.drawEllipse(box)
            missed = n - eff
            if missed:
                p.setBrush(Qt.BrushStyle.NoBrush)
                p.setPen(QPen(QColor(MISSED_COLOUR), width))
                p.drawArc(box, 90 * 16, -int(round(5760 * missed / n)))
            text = str(n)
            if fm.horizontalAdvance(text) < 1.6 * r and fm.height() < 1.7 * r:
                p.setPen(QColor("#e8fbff"))
                p.drawText(box, Qt.AlignmentFlag.AlignCenter, text)
        p.restore()

    def _alive(self, now: float) -> list[tuple[int, float]]:
        return [(cid, now - t0) for cid, t0 in self.pulses.items() if 0 <= now - t0 < PULSE_S]

    def paint_frame(self, p: QPainter, view: MapView, now: float) -> None:
        alive = self._alive(now)
        if not alive:
            return
        m = view.metrics
        p.save()
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.setBrush(Qt.BrushStyle.NoBrush)
        for cid, age in alive:
            pos = self._pos.get(cid)
            if pos is None:
                continue
            for lag in (0.0, 0.45):  # two rings, the second trailing: reads as a pulse, not a circle
                a = (age - lag * PULSE_S / 3) / PULSE_S
                if a <= 0:
                    continue
                ease = 1 - (1 - a) ** 3
                radius = m.px(4) + (self._pulse_r - m.px(4)) * ease
                colour = QColor(PULSE_COLOUR)
                colour.setAlphaF(max(0.0, 0.95 * (1 - a)))
                p.setPen(QPen(colour, m.px(3)))
                p.drawEllipse(pos, radius, radius)
            core = QColor(EFFECTIVE_COLOUR)
            p.setPen(Qt.PenStyle.NoPen)
            p.setBrush(core)
            p.drawEllipse(pos, m.px(5), m.px(5))
            p.setBrush(Qt.BrushStyle.NoBrush)
        p.restore()

    def animating(self, now: float) -> bool:
        if not self.pulses:
            return False
        if not self._alive(now):
            self.pulses = {k: v for k, v in self.pulses.items() if now - v < PULSE_S}
            return bool(self.pulses)
        return True

    def frame_rect(self) -> QRectF:
        out = QRectF()
        reach = self._pulse_r + 6
        for cid in self.pulses:
            pos = self._pos.get(cid)
            if pos is not None:
                out = out.united(QRectF(pos.x() - reach, pos.y() - reach, 2 * reach, 2 * reach))
        return out

    error: str | None = None  # the check-ins could not be fetched: say so, never "0 次"

    def summary_zh(self) -> str:
        if self.error:
            return "近30天签到 暂时无法获取"
        n = len(self.points) - self.live
        text = f"近30天签到 {n} 次"
        if self.live:
            text += f" · 实时 {self.live} 次"
        return text
