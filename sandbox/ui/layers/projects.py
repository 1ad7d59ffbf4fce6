"""Industry projects layer: a marker per project, coloured by industry, with a progress ring coloured by stage."""

from __future__ import annotations

import math

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QPen

from sandbox.ui.layers.base import MapView, Overlay
from sandbox.ui.layers.data import ProjectPoint
from sandbox.ui.theme import ui_font

__all__ = ["ProjectsLayer", "INDUSTRY_STYLE", "STAGE_COLOURS", "industry_style"]

# Industry → (fill, one-character glyph). Hues kept away from the choropleth's green-yellow-red
# ramp where possible, and each carries a glyph so colour is never the only cue.
INDUSTRY_STYLE = {
    "dendrobium": ("#c77dff", "斛"),
    "tea": ("#2fbf8f", "茶"),
    "livestock": ("#e39a5c", "牧"),
    "vegetables": ("#7fcf3a", "菜"),
    "fruit": ("#ff6f91", "果"),
    "mushrooms": ("#b08968", "菌"),
    "herbs": ("#5e60ce", "药"),
    "aquaculture": ("#4cc9f0", "渔"),
    "solar": ("#e9c46a", "光"),
    "tourism": ("#9d4edd", "游"),
    "ecommerce": ("#3a86ff", "商"),
}
OTHER_STYLE = ("#7d9bd6", "")
STAGE_COLOURS = {
    "pool": "#8fa9c8", "approved": "#5b8def", "filed": "#b38cff",
    "in_progress": "#ffb020", "accepted": "#33d6ff", "handed_over": "#3ddc84",
}


def industry_style(p: ProjectPoint) -> tuple[str, str]:
    fill, glyph = INDUSTRY_STYLE.get(p.industry, OTHER_STYLE)
    return fill, glyph or (p.industry_zh[:1] if p.industry_zh else "项")


class ProjectsLayer(Overlay):
    above_county = False  # a marker each: a province's map would be covered
    name = "projects"
    title_zh = "项目"

    def __init__(self) -> None:
        super().__init__()
        self.projects: list[ProjectPoint] = []
        self.selected: int | None = None
        self._pos: dict[int, QPointF] = {}
        self.radius = 8.0
        self.ring = 3.0

    def set_data(self, region: str, projects: list[ProjectPoint]) -> None:
        self.region, self.projects = region, list(projects)
        self.changed()

    def set_selected(self, pid: int | None) -> None:
        if pid != self.selected:
            self.selected = pid
            self.changed()

    def position(self, pid: int) -> QPointF | None:
        """Widget position of a project's marker (tests, the flow layer's arrow heads)."""
        pos = self._pos.get(pid)
        return QPointF(pos) if pos is not None else None

    def reach(self) -> float:
        return self.radius + self.ring + 1.0

    # -- overlay -------------------------------------------------------------------------------
    def layout(self, view: MapView) -> None:
        m = view.metrics
        few = len(self.projects) <= 12  # a town's handful: bigger markers than the county's dozens
        self.radius = float(m.px(11 if few else 8))
        self.ring = float(m.px(4 if few else 3))
        self._pos = {p.id: view.project(p.lon, p.lat) for p in self.projects}

    def obstacles(self) -> list[QRectF]:
        reach = self.radius + self.ring + 1.5  # the dark backing disc
        return [QRectF(c.x() - reach, c.y() - reach, 2 * reach, 2 * reach) for c in self._pos.values()]

    def _order(self) -> list[ProjectPoint]:
        # Big budgets first, so small projects next to them stay visible on top; the selected one last.
        return sorted(self.projects, key=lambda p: (p.id == self.selected, -p.budget))

    def paint_static(self, p: QPainter, view: MapView) -> None:
        r, ring = self.radius, self.ring
        font = ui_font(max(7, round(r * 1.15)), bold=True)
        p.save()
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        for proj in self._order():
            c = self._pos.get(proj.id)
            if c is None:
                continue
            fill, glyph = industry_style(proj)
            outer = r + ring
            # dark backing disc: the marker stands out on any class colour of the choropleth
            p.setPen(Qt.PenStyle.NoPen)
            p.setBrush(QColor(2, 6, 13, 225))
            p.drawEllipse(c, outer + 1.5, outer + 1.5)
            # progress ring: the track, then the done part in the stage's colour (clockwise from 12 o'clock)
            mid = r + ring / 2.0
            box = QRectF(c.x() - mid, c.y() - mid, 2 * mid, 2 * mid)
            track = QColor("#33465e")
            p.setBrush(Qt.BrushStyle.NoBrush)
            p.setPen(QPen(track, ring, Qt.PenStyle.SolidLine, Qt.PenCapStyle.FlatCap))
            p.drawEllipse(box)
            done = proj.progress / 100.0
            if done > 0:
                p.setPen(QPen(QColor(STAGE_COLOURS.get(proj.stage, "#8fa9c8")), ring, Qt.PenStyle.SolidLine,
                              Qt.PenCapStyle.FlatCap))
                if done >= 0.999:
                    p.drawEllipse(box)
                else:
                    p.drawArc(box, 90 * 16, -round(done * 360 * 16))
            p.setPen(Qt.PenStyle.NoPen)
            p.setBrush(QColor(fill))
            p.drawEllipse(c, r - 0.5, r - 0.5)
            if r >= 7:
                p.setPen(QColor("#0b1526"))
                p.setFont(font)
                p.drawText(QRectF(c.x() - r, c.y() - r, 2 * r, 2 * r), Qt.AlignmentFlag.AlignCenter, glyph)
            if proj.id == self.selected:
                p.setBrush(Qt.BrushStyle.NoBrush)
                p.setPen(QPen(QColor("#ffffff"), max(2.0, ring * 0.6)))
                p.drawEllipse(c, outer + ring, outer + ring)
        p.restore()

    def hit(self, pos: QPointF):
        best, best_d = None, self.reach() + 2
        for proj in self.projects:
            c = self._pos.get(proj.id)
            if c is None:
                continue
            d = math.hypot(c.x() - pos.x(), c.y() - pos.y())
            if d <= best_d:
                best, best_d = proj, d
        return best

    def tooltip(self, item) -> str:
        if not isinstance(item, ProjectPoint):
            return ""
        return f"{item.name}\n{item.industry_zh} · {item.stage_zh} · 进度 {item.progress:.0f}%\n点击查看项目详情"

    def legend_rows(self) -> list[tuple[str, str, str]]:
        """(fill, glyph, text) for the map's small legend: the industries shown."""
        seen: dict[str, tuple[str, str, str]] = {}
        for proj in self.projects:
            fill, glyph = industry_style(proj)
            seen.setdefault(proj.industry, (fill, glyph, proj.industry_zh))
        order = list(INDUSTRY_STYLE)
        return sorted(seen.values(), key=lambda r: next((i for i, k in enumerate(order)
                                                         if INDUSTRY_STYLE[k][1] == r[1]), 99))
