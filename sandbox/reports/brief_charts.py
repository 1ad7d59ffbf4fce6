"""The briefing's two drawings: the map of the region's children (coloured by poverty incidence) and the trend."""

from __future__ import annotations

import math

from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.platypus import Flowable

from sandbox.reports.brief_data import BriefChild

__all__ = ["ChildrenMap", "TrendChart", "INCIDENCE_CLASSES"]

# The policy thresholds the wall uses for poverty incidence (3-5-10-20-30 %), light to dark.
INCIDENCE_CLASSES = ((3.0, (0.85, 0.94, 0.85)), (5.0, (0.99, 0.93, 0.75)), (10.0, (0.99, 0.8, 0.55)),
                     (20.0, (0.96, 0.6, 0.42)), (30.0, (0.86, 0.36, 0.3)), (math.inf, (0.65, 0.15, 0.15)))
NO_DATA = (0.88, 0.88, 0.88)


def incidence_colour(v: float | None) -> tuple[float, float, float]:
    if v is None:
        return NO_DATA
    return next(c for limit, c in INCIDENCE_CLASSES if v < limit)


def _rings(geometry: dict | None) -> list[list[tuple[float, float]]]:
    if not geometry:
        return []
    kind, coords = geometry.get("type"), geometry.get("coordinates") or []
    polys = [coords] if kind == "Polygon" else (coords if kind == "MultiPolygon" else [])
    return [[(float(x), float(y)) for x, y, *_ in ring] for poly in polys for ring in poly if len(ring) >= 3]


class ChildrenMap(Flowable):
    """The children's outlines, filled by poverty incidence, named at their label points, with a legend."""

    def __init__(self, children: list[BriefChild], font: str, width: float, height: float):
        super().__init__()
        self.children, self.font, self.width, self.height = children, font, width, height

    def wrap(self, *_):
        return self.width, self.height

    def draw(self) -> None:
        c = self.canv
        rings = {ch.code: _rings(ch.geometry) for ch in self.children}
        xs = [x for rs in rings.values() for r in rs for x, _ in r]
        ys = [y for rs in rings.values() for r in rs for _, y in r]
        legend_h = 9 * mm
        if not xs:
            c.setFont(self.font, 10)
            c.drawString(0, self.height / 2, "无下级地区边界数据")
            return
        # Equirectangular at the region's latitude: shapes look right at county scale.
        k = math.cos(math.radians((min(ys) + max(ys)) / 2))
        w0, h0 = (max(xs) - min(xs)) * k or 1e-9, (max(ys) - min(ys)) or 1e-9
        avail_h = self.height - legend_h
        s = min(self.width / w0, avail_h / h0)
        ox = (self.width - w0 * s) / 2
        oy = legend_h + (avail_h - h0 * s) / 2

        def pt(x: float, y: float) -> tuple[float, float]:
            return ox + (x - min(xs)) * k * s, oy + (y - min(ys)) * s

        c.saveState()
        c.setLineWidth(0.6)
        c.setStrokeColorRGB(1, 1, 1)
        for ch in self.children:
            c.setFillColorRGB(*incidence_colour(ch.poverty_incidence))
            path = c.beginPath()
            for ring in rings[ch.code]:
                p0 = pt(*ring[0])
                path.moveTo(*p0)
                for x, y in ring[1:]:
                    path.lineTo(*pt(x, y))
                path.close()
            c.drawPath(path, stroke=1, fill=1, fillMode=1)  # even-odd: holes stay open
        size = 7 if len(self.children) > 12 else 9
        for ch in self.children:
            if ch.label_point is None or ch.label_point[0] is None:
                continue
            x, y = pt(*ch.label_point)
            c.setFillColorRGB(0.1, 0.1, 0.1)
            c.setFont(self.font, size)
            c.drawCentredString(x, y, ch.name)
            if ch.overdue:
                c.setFillColorRGB(0.75, 0.1, 0.1)
                c.setFont(self.font, size - 1)
                c.drawCentredString(x, y - size, f"超期{ch.overdue}")
        # the legend
        c.setFont(self.font, 8)
        x = 0.0
        lower = 0.0
        for limit, colour in INCIDENCE_CLASSES:
            c.setFillColorRGB(*colour)
            c.rect(x, 1 * mm, 5 * mm, 3.5 * mm, stroke=0, fill=1)
            label = f"{lower:g}–{limit:g}%" if limit != math.inf else f"≥{lower:g}%"
            c.setFillColorRGB(0.2, 0.2, 0.2)
            c.drawString(x + 6 * mm, 1.6 * mm, label)
            x += 6 * mm + stringWidth(label, self.font, 8) + 4 * mm
            lower = limit
        c.drawString(x, 1.6 * mm, "贫困发生率; 红字: 超期督办事项数")
        c.restoreState()


class TrendChart(Flowable):
    """Poverty incidence by year: a line with its values, the 3 % exit line dashed."""

    def __init__(self, points: list[tuple[int, float | None]], font: str, width: float, height: float):
        super().__init__()
        self.points = [(y, v) for y, v in points if v is not None]
        self.font, self.width, self.height = font, width, height

    def wrap(self, *_):
        return self.width, self.height

    def draw(self) -> None:
        c = self.canv
        if not self.points:
            c.setFont(self.font, 10)
            c.drawString(0, self.height / 2, "无历年数据")
            return
        left, bottom = 12 * mm, 8 * mm
        w, h = self.width - left - 4 * mm, self.height - bottom - 4 * mm
        top = max(max(v for _, v in self.points), 3.0) * 1.15
        years = [y for y, _ in self.points]
        span = max(1, years[-1] - years[0])

        def pt(year: int, v: float) -> tuple[float, float]:
            return left + (year - years[0]) / span * w, bottom + v / top * h

        c.saveState()
        c.setStrokeColorRGB(0.5, 0.5, 0.5)
        c.setLineWidth(0.5)
        c.line(left, bottom, left + w, bottom)
        c.line(left, bottom, left, bottom + h)
        c.setFont(self.font, 8)
        c.setFillColorRGB(0.3, 0.3, 0.3)
        for y in years:
            c.drawCentredString(pt(y, 0)[0], bottom - 4 * mm, str(y))
        c.drawRightString(left - 1 * mm, bottom - 1 * mm, "0")
        c.setDash(3, 2)
        c.setStrokeColorRGB(0.1, 0.5, 0.2)
        c.line(left, pt(years[0], 3.0)[1], left + w, pt(years[0], 3.0)[1])
        c.setFillColorRGB(0.1, 0.5, 0.2)
        c.drawString(left + w - 18 * mm, pt(years[0], 3.0)[1] + 1 * mm, "出列线 3%")
        c.setDash()
        c.setStrokeColorRGB(0.65, 0.11, 0.11)
        c.setLineWidth(1.4)
        path = c.beginPath()
        path.moveTo(*pt(*self.points[0]))
        for y, v in self.points[1:]:
            path.lineTo(*pt(y, v))
        c.drawPath(path, stroke=1, fill=0)
        c.setFillColorRGB(0.65, 0.11, 0.11)
        for y, v in self.points:
            x0, y0 = pt(y, v)
            c.circle(x0, y0, 1.4, stroke=0, fill=1)
            c.drawCentredString(x0, y0 + 2 * mm, f"{v:.1f}%")
        c.restoreState()


class PlainRows(Flowable):
    """A long table of short plain-text cells drawn straight onto the canvas: one text object and one
    path of rules per page, the header repeated on each. reportlab's Table makes a text object per cell,
    which for the 1,500 households of a town in 2014 was most of the brief's time."""

    def __init__(self, header: list[str], rows: list[list[str]], widths: list[float], font: str, size: float = 7.5,
                 row_h: float | None = None):
        super().__init__()
        self.header, self.rows, self.widths, self.font, self.size = header, rows, widths, font, size
        self.row_h = row_h or size * 1.55
        self.width = sum(widths)

    def _height(self, n: int) -> float:
        return (n + 1) * self.row_h

    def wrap(self, avail_w, avail_h):
        return self.width, self._height(len(self.rows))

    def split(self, avail_w, avail_h):
        fit = int(avail_h // self.row_h) - 1
        if fit >= len(self.rows):
            return [self]
        if fit < 3:
            return []  # too little room: the whole thing goes to the next page
        return [PlainRows(self.header, self.rows[:fit], self.widths, self.font, self.size, self.row_h),
                PlainRows(self.header, self.rows[fit:], self.widths, self.font, self.size, self.row_h)]

    def draw(self) -> None:
        c, rh = self.canv, self.row_h
        top = self._height(len(self.rows))
        c.saveState()
        c.setFillColorRGB(0.93, 0.89, 0.87)
        c.rect(0, top - rh, self.width, rh, stroke=0, fill=1)
        c.setStrokeColorRGB(0.75, 0.75, 0.75)
        c.setLineWidth(0.3)
        rules = c.beginPath()
        for i in range(len(self.rows) + 2):
            rules.moveTo(0, top - i * rh)
            rules.lineTo(self.width, top - i * rh)
        x = 0.0
        for w in [0.0, *self.widths]:
            x += w
            rules.moveTo(x, 0)
            rules.lineTo(x, top)
        c.drawPath(rules, stroke=1, fill=0)
        c.setFillColorRGB(0, 0, 0)
        t = c.beginText()
        t.setFont(self.font, self.size)
        base = rh * 0.3
        for r, cells in enumerate([self.header, *self.rows]):
            y = top - (r + 1) * rh + base
            x = 2.0
            for w, cell in zip(self.widths, cells):
                t.setTextOrigin(x, y)
                t.textOut(cell)
                x += w
        c.drawText(t)
        c.restoreState()
