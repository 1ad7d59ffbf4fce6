"""The tour's caption: a translucent card over the timeline and the map's foot: heading, text and progress."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QRect, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from sandbox.ui.palette import Colors

__all__ = ["CaptionOverlay", "POSITIONS"]

WIDTH_FRACTION = 0.5
BOTTOM_FRACTION = 0.17  # clear of the timeline under the map
SIDE_FRACTION = 0.34  # "left": a column over the map's left third
# bottom: over the timeline band and the map's foot; top: over the map's head; left: the map's lower left
POSITIONS = ("bottom", "top", "left")


class CaptionOverlay(QWidget):
    """Never takes input: touches go through to the map (and pause the tour). `placed` gives the rect
    it covers in its parent after each layout (an empty rect when hidden): the map is fitted around it."""

    placed = Signal(QRect)

    def __init__(self, parent: QWidget, position: str = "bottom"):
        super().__init__(parent)
        self.setObjectName("tourCaption")
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents, True)
        self.title = QLabel(self)
        self.text = QLabel(self)
        self.text.setWordWrap(True)
        self.footer = QLabel(self)
        for lab in (self.title, self.text, self.footer):
            lab.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents, True)
        lay = QVBoxLayout(self)
        lay.addWidget(self.title)
        lay.addWidget(self.text)
        lay.addWidget(self.footer)
        self.paused = False
        if position not in POSITIONS:
            raise ValueError(f"字幕位置应为 {' / '.join(POSITIONS)}, 实际为 \"{position}\"")
        self.position = position
        self._anchor: Callable[[str], QRect | None] | None = None
        self.hide()

    def hideEvent(self, event) -> None:
        super().hideEvent(event)
        self.placed.emit(QRect())

    def show_step(self, title: str, caption: str, index: int, total: int, *, paused: bool = False,
                  tour_title: str = "") -> None:
        self.title.setText(title)
        self.title.setVisible(bool(title))
        self.text.setText(caption)
        self.text.setVisible(bool(caption))
        self.set_footer(index, total, paused=paused, tour_title=tour_title)
        self.show()
        self.relayout()
        self.raise_()

    def set_footer(self, index: int, total: int, *, paused: bool, tour_title: str = "") -> None:
        self.paused = paused
        head = f"{tour_title} · " if tour_title else ""
        state = "已暂停 · 无人操作时自动继续" if paused else "翻页键 上一步 / 下一步 · B 暂停"
        self.footer.setText(f"{head}第 {index + 1} / {total} 步 · {state}")
        self.update()

    def set_anchor(self, anchor: Callable[[str], QRect | None]) -> None:
        """Where the card goes, for a position: a rect in the parent ("bottom": the timeline's band, the
        card takes its width and bottom edge; "top" / "left": the map's rect); None: centred low."""
        self._anchor = anchor

    def relayout(self) -> None:
        host = self.parentWidget()
        if host is None:
            return
        area = self._anchor(self.position) if self._anchor is not None else None
        s = max(0.45, host.height() / 1080)
        px = lambda v: max(1, round(v * s))  # noqa: E731
        self.title.setStyleSheet(f"color: {Colors.accent}; font-size: {px(30)}px; font-weight: bold;")
        self.text.setStyleSheet(f"color: {Colors.text}; font-size: {px(26)}px;")
        self.footer.setStyleSheet(f"color: {Colors.demo if self.paused else Colors.text_muted}; font-size: {px(17)}px;")
        self.layout().setContentsMargins(px(32), px(20), px(32), px(18))
        self.layout().setSpacing(px(8))
        if area is None:
            w = int(host.width() * WIDTH_FRACTION)
        else:
            w = int(area.width() * SIDE_FRACTION) if self.position == "left" else area.width()
        self.setFixedWidth(w)
        h = self.layout().heightForWidth(w) if self.layout().hasHeightForWidth() else self.sizeHint().height()
        h = max(h, self.sizeHint().height())
        self.setFixedHeight(h)
        if area is None:
            self.move((host.width() - w) // 2, host.height() - h - int(host.height() * BOTTOM_FRACTION))
        elif self.position == "top":
            self.move(area.left(), area.top())
        else:
            self.move(area.left(), area.bottom() + 1 - h)
        self.placed.emit(self.geometry() if self.isVisible() else QRect())

    def paintEvent(self, event) -> None:
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        r = QRectF(self.rect()).adjusted(1, 1, -1, -1)
        radius = max(6.0, self.height() * 0.08)
        path = QPainterPath()
        path.addRoundedRect(r, radius, radius)
        p.fillPath(path, QColor(6, 16, 31))  # opaque: the timeline underneath must not show through the text
        p.setPen(QPen(QColor(Colors.panel_border), max(1.0, self.height() / 120)))
        p.drawPath(path)
        bar = QRectF(r.left(), r.top() + radius, max(3.0, self.height() / 40), r.height() - 2 * radius)
        p.fillRect(bar, QColor(Colors.demo if self.paused else Colors.accent))  # the accent rule on the left
        p.end()
