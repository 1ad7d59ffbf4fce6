"""The titled card of the panels column: a painted frame, its title and 数据截至 line, and a body widget below."""

from __future__ import annotations

import math

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QLinearGradient, QPainter, QPen
from PySide6.QtWidgets import QSizePolicy, QVBoxLayout, QWidget

from sandbox.ui.paint_cache import WidgetCache, font_metrics
from sandbox.ui.panels.model import as_of_text
from sandbox.ui.panels.paint import PanelColors, TextItem, draw_text, text_width
from sandbox.ui.theme import Metrics, metrics_for_height, ui_font

__all__ = ["Panel"]


class Panel(QWidget):
    """A titled card of the right-hand column: painted frame, title and 数据截至 line, body below."""

    def __init__(self, title: str, body: QWidget, parent: QWidget | None = None):
        super().__init__(parent)
        self.metrics: Metrics = metrics_for_height(1080)
        self._title = title
        self._as_of: str | None = None
        self.body = body
        self.frame_pixels = WidgetCache()  # the card, title and 数据截至 line; the body paints itself
        self._backdrop = None
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Preferred)
        lay = QVBoxLayout(self)
        lay.addWidget(body, 1)
        self._apply_margins()

    # -- public ------------------------------------------------------------------------------------
    @property
    def title(self) -> str:
        return self._title

    def set_title(self, title: str) -> None:
        if title != self._title:
            self._title = title
            self._apply_margins()
            self.update()

    @property
    def as_of_label(self) -> str:
        """The small line in the corner: '数据截至 2020年12月31日'."""
        return as_of_text(self._as_of) if self._as_of else ""

    def set_as_of(self, iso: str | None) -> None:
        if iso != self._as_of:
            self._as_of = iso
            self._apply_margins()
            self.update()

    def set_metrics(self, metrics: Metrics) -> None:
        self.metrics = metrics
        self._apply_margins()
        setter = getattr(self.body, "set_metrics", None)
        if setter is not None:
            setter(metrics)
        self.update()

    # -- geometry ----------------------------------------------------------------------------------
    def _fonts(self) -> tuple[QFont, QFont]:
        m = self.metrics
        return ui_font(m.px(20), bold=True), ui_font(m.px(14))

    def _title_row_h(self) -> int:
        title, _ = self._fonts()
        return math.ceil(font_metrics(title).height()) + self.metrics.px(12)

    def _two_rows(self) -> bool:
        """A narrow panel puts 数据截至 under the title instead of squeezing it."""
        as_of = self.as_of_label
        if not as_of:
            return False
        m = self.metrics
        title_font, small_font = self._fonts()
        avail = self.width() - (2 * self._pad() + m.px(15))
        return text_width(self._title, title_font) + m.px(12) + text_width(as_of, small_font) > avail

    def header_height(self) -> int:
        h = self._title_row_h()
        if self._two_rows():
            _, small = self._fonts()
            h += math.ceil(font_metrics(small).height()) + self.metrics.px(4)
        return h

    def _pad(self) -> int:
        return self.metrics.px(11)

    def _apply_margins(self) -> None:
        pad = self._pad()
        top = self.header_height() + self.metrics.px(6)
        if self.layout().contentsMargins().top() != top or self.layout().contentsMargins().left() != pad:
            self.layout().setContentsMargins(pad, top, pad, pad)

    def resizeEvent(self, event) -> None:
        self._apply_margins()
        super().resizeEvent(event)

    def text_items(self) -> list[TextItem]:
        m, pad = self.metrics, self._pad()
        title_font, small_font = self._fonts()
        row = self._title_row_h()
        x0 = pad + m.px(5) + m.px(10)
        avail = max(1.0, self.width() - x0 - pad)
        as_of = self.as_of_label
        title_w = min(text_width(self._title, title_font), avail)
        items = [TextItem.fitted(self._title, title_font, QRectF(x0, 0, math.ceil(title_w) + 1, row),
                                 "#ffffff", name="title")]
        if not as_of:
            return items
        if self._two_rows():
            h = self.header_height() - row + m.px(2)
            items.append(TextItem.fitted(as_of, small_font, QRectF(x0, row - m.px(6), avail, h),
                                         PanelColors.muted, name="as_of"))
        else:
            x1 = x0 + items[0].rect.width() + m.px(12)
            items.append(TextItem.fitted(
                as_of, small_font, QRectF(x1, 0, max(1.0, self.width() - pad - x1), row), PanelColors.muted,
                Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, name="as_of"))
        return items

    def set_backdrop(self, backdrop) -> None:
        """Paint `backdrop` under the card into its cached pixels and be opaque (see PaintedWidget)."""
        self._backdrop = backdrop
        self.frame_pixels.opaque = backdrop is not None
        self.frame_pixels.invalidate()
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent, backdrop is not None)
        self.update()

    def paintEvent(self, event) -> None:
        p = QPainter(self)
        try:
            under = self._backdrop.under_key(self) if self._backdrop is not None else None
            self.frame_pixels.paint(self, p, self._paint_frame, (self._title, self._as_of, self.metrics, under))
        finally:
            p.end()

    def _paint_frame(self, p: QPainter) -> None:
        if self._backdrop is not None:
            self._backdrop.paint_under(p, self)
        m = self.metrics
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        r = QRectF(self.rect()).adjusted(0.5, 0.5, -0.5, -0.5)
        radius = m.px(6)
        g = QLinearGradient(r.topLeft(), r.bottomLeft())
        g.setColorAt(0.0, QColor(PanelColors.card_top))
        g.setColorAt(1.0, QColor(PanelColors.card))
        p.setPen(QPen(QColor(PanelColors.border), max(1, m.px(1.5))))
        p.setBrush(g)
        p.drawRoundedRect(r, radius, radius)
        hh = self.header_height()
        row = self._title_row_h()
        pad = self._pad()
        # title accent bar and the thin rule under the header
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(QColor(PanelColors.accent))
        bar_h = row * 0.5
        p.drawRect(QRectF(pad, (row - bar_h) / 2, m.px(5), bar_h))
        rule = QLinearGradient(QPointF(pad, hh), QPointF(self.width() - pad, hh))
        rule.setColorAt(0.0, QColor(PanelColors.accent))
        end = QColor(PanelColors.border)
        end.setAlpha(60)
        rule.setColorAt(1.0, end)
        p.setPen(QPen(rule, max(1, m.px(1))))
        p.drawLine(QPointF(pad, hh), QPointF(self.width() - pad, hh))
        corner = m.px(10)
        p.setPen(QPen(QColor(PanelColors.accent), max(1, m.px(2))))
        for (x, y, dx, dy) in ((r.left(), r.top(), 1, 1), (r.right(), r.top(), -1, 1),
                               (r.left(), r.bottom(), 1, -1), (r.right(), r.bottom(), -1, -1)):
            p.drawLine(QPointF(x + dx * radius / 2, y), QPointF(x + dx * (radius / 2 + corner), y))
            p.drawLine(QPointF(x, y + dy * radius / 2), QPointF(x, y + dy * (radius / 2 + corner)))
        for item in self.text_items():
            draw_text(p, item)
