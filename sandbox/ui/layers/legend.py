"""The small legend of the live layers, in the map's bottom-right corner: a row per visible layer, every
glyph on the map explained (the projects' industries take two rows when they need them)."""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFontMetricsF, QPainter, QPen

from sandbox.ui.layers.base import MapView, Overlay, paint_warning
from sandbox.ui.layers.cameras import LEGEND as CAMERA_LEGEND
from sandbox.ui.layers.cameras import CamerasLayer, health_colour, paint_camera_glyph
from sandbox.ui.layers.checkins import EFFECTIVE_COLOUR, MISSED_COLOUR, CheckinLayer
from sandbox.ui.layers.data import FUND_STAGES
from sandbox.ui.layers.funds import STAGE_COLOURS, FundFlowLayer
from sandbox.ui.layers.projects import ProjectsLayer
from sandbox.ui.theme import Colors, Metrics, ui_font

__all__ = ["legend_rect", "paint_legend"]

ROWS = 5  # projects (two rows: up to 14 industries), funds, check-ins, cameras
ROW_PX = 24  # five rows in little more than the four of 28 px the legend had: the map keeps its size
SHORT = {"铁皮石斛": "石斛", "生态畜牧": "畜牧", "精品水果": "水果", "食用菌": "菌菇", "中药材": "药材",
         "水产养殖": "水产", "光伏扶贫": "光伏", "乡村旅游": "旅游", "电商扶贫": "电商"}


def legend_rect(width: float, height: float, m: Metrics) -> QRectF:
    """Where the legend goes (reserved even when a layer is off, so labels never jump on a toggle)."""
    w, h = m.px(430), m.px(12) + ROWS * m.px(ROW_PX)
    return QRectF(width - w - m.px(14), height - h - m.px(14), w, h)


def paint_legend(p: QPainter, view: MapView, overlays: list[Overlay], where: QRectF | None = None) -> None:
    """The rows of the visible layers, bottom-aligned in `where` (default: legend_rect's corner)."""
    m = view.metrics
    rows = [ov for ov in overlays if isinstance(ov, (ProjectsLayer, FundFlowLayer, CheckinLayer, CamerasLayer))]
    if not rows:
        return
    box = QRectF(where) if where is not None else legend_rect(view.width, view.height, m)
    row_h = m.px(ROW_PX)
    font, bold = ui_font(m.px(15)), ui_font(m.px(15), bold=True)
    fm = QFontMetricsF(font)
    lines = sum(_project_lines(ov, fm, m, box.width()) if isinstance(ov, ProjectsLayer) else 1 for ov in rows)
    box.setTop(box.bottom() - m.px(12) - min(lines, ROWS) * row_h)
    p.save()
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    p.setPen(QPen(QColor(Colors.panel_border), m.px(1)))
    p.setBrush(QColor(6, 16, 31, 215))
    p.drawRoundedRect(box, m.px(6), m.px(6))
    y = box.top() + m.px(6)
    for ov in rows:
        x = box.left() + m.px(10)
        cy = y + row_h / 2
        p.setFont(bold)
        p.setPen(QColor(Colors.text))
        p.drawText(QRectF(x, y, m.px(56), row_h), Qt.AlignmentFlag.AlignVCenter, ov.title_zh)
        x += m.px(56)
        p.setFont(font)

        def swatch(colour: str, text: str, glyph: str = "") -> None:
            nonlocal x
            r = m.px(7)
            p.setPen(Qt.PenStyle.NoPen)
            p.setBrush(QColor(colour))
            p.drawEllipse(QPointF(x + r, cy), r, r)
            if glyph:
                p.setPen(QColor("#0b1526"))
                p.setFont(ui_font(m.px(10), bold=True))
                p.drawText(QRectF(x, cy - r, 2 * r, 2 * r), Qt.AlignmentFlag.AlignCenter, glyph)
                p.setFont(font)
            x += 2 * r + m.px(3)
            p.setPen(QColor(Colors.text_muted))
            tw = fm.horizontalAdvance(text)
            p.drawText(QRectF(x, y, tw + 2, row_h), Qt.AlignmentFlag.AlignVCenter, text)
            x += tw + m.px(8)

        if isinstance(ov, ProjectsLayer):
            for fill, glyph, text in ov.legend_rows():  # every industry shown: no glyph left unexplained
                if x + _swatch_width(fm, m, SHORT.get(text, text[:2])) > box.right() - m.px(6):
                    y += row_h  # the second row, under the first
                    cy = y + row_h / 2
                    x = box.left() + m.px(10) + m.px(56)
                swatch(fill, SHORT.get(text, text[:2]), glyph)
            p.setPen(QColor(Colors.text_muted))
            if x + fm.horizontalAdvance("环=进度") > box.right() - m.px(6):
                y += row_h
                cy = y + row_h / 2
                x = box.left() + m.px(10) + m.px(56)
            p.drawText(QRectF(x, y, box.right() - x - m.px(6), row_h), Qt.AlignmentFlag.AlignVCenter, "环=进度")
        elif isinstance(ov, CamerasLayer):
            gw, gh = m.px(16), m.px(11)
            for state, text in CAMERA_LEGEND:
                paint_camera_glyph(p, QRectF(x, cy - gh / 2, gw, gh), QColor(health_colour(state)), m.px(1.5),
                                   hollow=state == "unknown")
                x += gw + m.px(3)
                p.setPen(QColor(Colors.text_muted))
                tw = fm.horizontalAdvance(text)
                p.drawText(QRectF(x, y, tw + 2, row_h), Qt.AlignmentFlag.AlignVCenter, text)
                x += tw + m.px(7)
        elif isinstance(ov, FundFlowLayer):
            for key, label in FUND_STAGES:
                swatch(STAGE_COLOURS[key], label)
            paint_warning(p, QPointF(x + m.px(8), cy), m.px(16))
            x += m.px(20)
            p.setPen(QColor(Colors.text_muted))
            p.drawText(QRectF(x, y, box.right() - x, row_h), Qt.AlignmentFlag.AlignVCenter, "异常")
        elif ov.dense:  # per-village rings: their size and the amber arc explained
            r = m.px(7)
            p.setBrush(Qt.BrushStyle.NoBrush)
            p.setPen(QPen(QColor(EFFECTIVE_COLOUR), m.px(2)))
            p.drawEllipse(QPointF(x + r, cy), r, r)
            p.setPen(QPen(QColor(MISSED_COLOUR), m.px(2)))
            p.drawArc(QRectF(x, cy - r, 2 * r, 2 * r), 90 * 16, -90 * 16)
            x += 2 * r + m.px(3)
            p.setFont(font)
            p.setPen(QColor(Colors.text_muted))
            text = "圈=各村签到数 橙=超距"
            p.drawText(QRectF(x, y, box.right() - x - m.px(6), row_h), Qt.AlignmentFlag.AlignVCenter, text)
            x += fm.horizontalAdvance(text) + m.px(8)
            p.drawText(QRectF(x, y, box.right() - x - m.px(6), row_h), Qt.AlignmentFlag.AlignVCenter,
                       ov.summary_zh())
        else:
            swatch(EFFECTIVE_COLOUR, "有效")
            swatch(MISSED_COLOUR, "超距")
            p.setPen(QColor(Colors.text_muted))
            p.drawText(QRectF(x, y, box.right() - x - m.px(6), row_h), Qt.AlignmentFlag.AlignVCenter,
                       ov.summary_zh())
        y += row_h
    p.restore()


def _swatch_width(fm: QFontMetricsF, m: Metrics, text: str) -> float:
    return 2 * m.px(7) + m.px(3) + fm.horizontalAdvance(text) + m.px(8)


def _project_lines(ov: ProjectsLayer, fm: QFontMetricsF, m: Metrics, width: float) -> int:
    """How many rows the projects' industries (and 环=进度) take in a legend `width` wide."""
    room = width - m.px(10) - m.px(56) - m.px(6)
    x, lines = 0.0, 1
    items = [_swatch_width(fm, m, SHORT.get(t, t[:2])) for _, _, t in ov.legend_rows()]
    items.append(fm.horizontalAdvance("环=进度"))
    for w in items:
        if x + w > room and x > 0:
            lines += 1
            x = 0.0
        x += w
    return lines
