"""The wall's small layer control (图层: 项目 / 资金流 / 走访 / 摄像头, and the 监控 button), over the map's top-left corner."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QWidget

from sandbox.ui.theme import Colors, Metrics, metrics_for_height

__all__ = ["LayerToggleBar"]


class LayerToggleBar(QFrame):
    toggled = Signal(str, bool)  # layer name, on
    triggered = Signal(str)  # an action button (not a layer) was clicked

    def __init__(self, layers: list[tuple[str, str, bool]], parent: QWidget | None = None,
                 actions: list[tuple[str, str]] = ()):
        """`layers`: (name, Chinese title, on by default); `actions`: (name, Chinese title) buttons after them."""
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
        self.actions: dict[str, QPushButton] = {}
        if actions:
            sep = QFrame(objectName="layerBarRule")
            sep.setFrameShape(QFrame.Shape.VLine)
            lay.addWidget(sep)
        for name, title in actions:
            b = QPushButton(title, objectName="layerAction")
            b.setCursor(Qt.CursorShape.PointingHandCursor)
            b.clicked.connect(lambda _=False, n=name: self.triggered.emit(n))
            lay.addWidget(b)
            self.actions[name] = b
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
            f" font-weight: bold; }}"
            f"#layerBarRule {{ color: {Colors.panel_border}; }}"
            f"#layerAction {{ color: {Colors.accent}; background: #0c2a48; font-size: {m.px(16)}px; font-weight: bold;"
            f" border: {m.px(1)}px solid {Colors.accent_dim}; border-radius: {m.px(4)}px;"
            f" padding: {m.px(3)}px {m.px(12)}px; min-height: {m.px(28)}px; }}")
        self.adjustSize()
