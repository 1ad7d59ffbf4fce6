"""The wall's small layer control (图层: 项目 / 资金流 / 走访), floating over the map's top-left corner."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QWidget

from sandbox.ui.theme import Colors, Metrics, metrics_for_height

__all__ = ["LayerToggleBar"]


class LayerToggleBar(QFrame):
    toggled = Signal(str, bool)  # layer name, on

    def __init__(self, layers: list[tuple[str, str, bool]], parent: QWidget | None = None):
        """`layers`: (name, Chinese title, on by default)."""
        super().__init__(parent)
        self.setObjectName("layerBar")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.metrics: Metrics = metrics_for_height(1080)
        self.label = QLabel("图层", objectName="layerBarLabel")
        self.buttons: dict[str, QPushButton] = {}
        lay = QHBoxLayout(self)
        lay.addWidget(self.label)
        for name, title, on in layers:
            b = QPushButton(title, objectName="layerButton")
            b.setCheckable(True)
            b.setChecked(on)
            b.setCursor(Qt.CursorShape.PointingHandCursor)
            b.toggled.connect(lambda checked, n=name: self.toggled.emit(n, checked))
            lay.addWidget(b)
            self.buttons[name] = b
        self.set_metrics(self.metrics)

    def is_on(self, name: str) -> bool:
        b = self.buttons.get(name)
        return b is not None and b.isChecked()

    def set_metrics(self, m: Metrics) -> None:
        self.metrics = m
        self.layout().setContentsMargins(m.px(8), m.px(4), m.px(8), m.px(4))
        self.layout().setSpacing(m.px(6))
        self.setStyleSheet(
            f"#layerBar {{ background: rgba(6,16,31,215); border: {m.px(1)}px solid {Colors.panel_border};"
            f" border-radius: {m.px(6)}px; }}"
            f"#layerBarLabel {{ color: {Colors.text_muted}; font-size: {m.px(16)}px; }}"
            f"#layerButton {{ color: {Colors.text_muted}; background: transparent; font-size: {m.px(16)}px;"
            f" border: {m.px(1)}px solid {Colors.panel_border}; border-radius: {m.px(4)}px;"
            f" padding: {m.px(3)}px {m.px(10)}px; min-height: {m.px(28)}px; }}"
            f"#layerButton:checked {{ color: #02101f; background: {Colors.accent}; border-color: {Colors.accent};"
            f" font-weight: bold; }}")
        self.adjustSize()
