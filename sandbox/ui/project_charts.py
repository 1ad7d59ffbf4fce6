"""The project card's painted parts: the stage stepper (项目库 → … → 移交) and the progress history."""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFontMetricsF, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from sandbox.ui.layers.data import STAGES
from sandbox.ui.layers.projects import STAGE_COLOURS
from sandbox.ui.theme import Colors, Metrics, metrics_for_height, ui_font

__all__ = ["StageStepper", "ProgressHistory"]


class StageStepper(QWidget):
    """项目库 → 批复 → 备案 → 实施中 → 验收 → 移交, the stages passed filled, the current one ringed."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.metrics: Metrics = metrics_for_height(1080)
        self.stage = ""
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)

    def set_metrics(self, m: Metrics) -> None:
        self.metrics = m
        self.setFixedHeight(m.px(52))

    def set_stage(self, stage: str) -> None:
        self.stage = stage
        self.update()

    def sizeHint(self) -> QSize:
        return QSize(self.metrics.px(360), self.metrics.px(52))

    def paintEvent(self, event) -> None:
        m = self.metrics
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        keys = [k for k, _ in STAGES]
        cur = keys.index(self.stage) if self.stage in keys else -1
        n = len(STAGES)
        step = self.width() / n
        r, cy = m.px(8), m.px(14)
        colour = QColor(STAGE_COLOURS.get(self.stage, Colors.accent))
        p.setPen(QPen(QColor("#33465e"), m.px(3)))
        p.drawLine(QPointF(step / 2, cy), QPointF(self.width() - step / 2, cy))
        if cur > 0:
            p.setPen(QPen(colour, m.px(3)))
            p.drawLine(QPointF(step / 2, cy), QPointF(step / 2 + step * cur, cy))
        p.setFont(ui_font(m.px(14), bold=False))
        for i, (_, label) in enumerate(STAGES):
            c = QPointF(step / 2 + step * i, cy)
            p.setPen(QPen(QColor("#02060d"), m.px(1.5)))
            p.setBrush(colour if i <= cur else QColor("#33465e"))
            p.drawEllipse(c, r, r)
            if i == cur:
                p.setBrush(Qt.BrushStyle.NoBrush)
                p.setPen(QPen(QColor("#ffffff"), m.px(2)))
                p.drawEllipse(c, r + m.px(3), r + m.px(3))
            p.setPen(QColor(Colors.text if i == cur else Colors.text_muted))
            f = ui_font(m.px(14), bold=i == cur)
            p.setFont(f)
            p.drawText(QRectF(c.x() - step / 2, cy + r + m.px(4), step, m.px(20)), Qt.AlignmentFlag.AlignCenter, label)
        p.end()


class ProgressHistory(QWidget):
    """Progress over time as a step line with a dot per report (dates along the bottom)."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.metrics: Metrics = metrics_for_height(1080)
        self.points: list[tuple[dt.date, float, str]] = []
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)

    def set_metrics(self, m: Metrics) -> None:
        self.metrics = m
        self.setFixedHeight(m.px(96))

    def set_history(self, history: list[dict]) -> None:
        pts = []
        for h in history or []:
            try:
                pts.append((dt.date.fromisoformat(str(h["date"])), float(h.get("progress") or 0), str(h.get("stage") or "")))
            except (KeyError, TypeError, ValueError):
                continue
        self.points = sorted(pts)
        self.update()

    def paintEvent(self, event) -> None:
        m = self.metrics
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        fm = QFontMetricsF(ui_font(m.px(13)))
        left, right, top, bottom = fm.horizontalAdvance("100%") + m.px(6), m.px(8), m.px(6), fm.height() + m.px(4)
        area = QRectF(left, top, max(10, self.width() - left - right), max(10, self.height() - top - bottom))
        p.setFont(ui_font(m.px(13)))
        for v in (0, 50, 100):
            y = area.bottom() - area.height() * v / 100
            p.setPen(QPen(QColor("#1f3552"), 1))
            p.drawLine(QPointF(area.left(), y), QPointF(area.right(), y))
            p.setPen(QColor(Colors.text_muted))
            p.drawText(QRectF(0, y - fm.height() / 2, left - m.px(4), fm.height()),
                       Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, f"{v}%")
        if not self.points:
            p.setPen(QColor(Colors.text_muted))
            p.drawText(area, Qt.AlignmentFlag.AlignCenter, "暂无进度记录")
            p.end()
            return
        t0, t1 = self.points[0][0].toordinal(), self.points[-1][0].toordinal()
        span = max(1, t1 - t0)

        def at(d: dt.date, v: float) -> QPointF:
            return QPointF(area.left() + area.width() * (d.toordinal() - t0) / span, area.bottom() - area.height() * v / 100)

        path = QPainterPath(at(self.points[0][0], self.points[0][1]))
        prev = self.points[0]
        for d, v, _ in self.points[1:]:
            path.lineTo(at(d, prev[1]))
            path.lineTo(at(d, v))
            prev = (d, v, "")
        p.setPen(QPen(QColor(Colors.accent), m.px(2.5)))
        p.setBrush(Qt.BrushStyle.NoBrush)
        p.drawPath(path)
        for d, v, stage in self.points:
            p.setPen(QPen(QColor("#02060d"), 1))
            p.setBrush(QColor(STAGE_COLOURS.get(stage, Colors.accent)))
            p.drawEllipse(at(d, v), m.px(4), m.px(4))
        p.setPen(QColor(Colors.text_muted))
        y = area.bottom() + m.px(2)
        p.drawText(QRectF(area.left(), y, area.width() / 2, fm.height()), Qt.AlignmentFlag.AlignLeft,
                   self.points[0][0].isoformat())
        p.drawText(QRectF(area.center().x(), y, area.width() / 2, fm.height()), Qt.AlignmentFlag.AlignRight,
                   self.points[-1][0].isoformat())
        p.end()
