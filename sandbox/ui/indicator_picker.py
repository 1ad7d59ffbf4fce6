"""Indicator switcher: a big button naming the map's indicator, opening a grouped touch menu of all of them."""

from __future__ import annotations

from PySide6.QtCore import QPoint, QRect, Qt, Signal
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QWidget,
)

from sandbox.ui.state import IndicatorInfo, MapState
from sandbox.ui.theme import Metrics, metrics_for_height

__all__ = ["IndicatorPicker", "IndicatorMenu", "INDICATOR_GROUPS", "group_indicators"]

# How a leader thinks about the registry; keys the API adds later land in "其他指标".
INDICATOR_GROUPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("贫困状况", ("poverty_incidence", "poor_population", "poor_households", "registered_households",
              "exited_population", "exits_in_year", "relapse_rate")),
    ("两不愁三保障", ("income_ok_rate", "housing_safe_rate", "water_safe_rate", "education_ok_rate",
                 "medical_ok_rate")),
    ("帮扶力量", ("help_coverage", "visit_rate", "cadres", "helpers")),
    ("资金与项目", ("fund_arrival_rate", "fund_spend_rate", "project_start_rate")),
    ("群众认可", ("satisfaction_rate",)),
)
OTHER_GROUP = "其他指标"
_COLUMNS = 4


def group_indicators(infos: list[IndicatorInfo]) -> list[tuple[str, list[IndicatorInfo]]]:
    """The registry in menu order: known groups first (in their order), then anything else."""
    by_key = {i.key: i for i in infos}
    out, used = [], set()
    for name, keys in INDICATOR_GROUPS:
        items = [by_key[k] for k in keys if k in by_key]
        used.update(i.key for i in items)
        if items:
            out.append((name, items))
    rest = [i for i in infos if i.key not in used]
    if rest:
        out.append((OTHER_GROUP, rest))
    return out


class IndicatorMenu(QWidget):
    """Covers its parent; a card of grouped buttons sits at `anchor`; a tap outside closes it."""

    picked = Signal(str)
    closed = Signal()

    def __init__(self, state: MapState, parent: QWidget):
        super().__init__(parent)
        self.state = state
        self.metrics: Metrics = metrics_for_height(1080)
        self.setObjectName("indicatorScrim")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.card = QFrame(self, objectName="indicatorMenu")
        self._grid = QGridLayout(self.card)
        self._buttons: dict[str, QPushButton] = {}
        self._anchor = QPoint(0, 0)
        self.hide()
        state.events.indicators.connect(self._rebuild)
        state.events.indicator.connect(self._mark_current)
        self._rebuild()

    def buttons(self) -> dict[str, QPushButton]:
        return dict(self._buttons)

    def set_metrics(self, m: Metrics) -> None:
        self.metrics = m
        self._rebuild()

    def open_at(self, top_right: QPoint) -> None:
        """Show with the card's top-right corner at `top_right` (parent coordinates)."""
        self._anchor = top_right
        self.setGeometry(self.parentWidget().rect())
        self._place_card()
        self.show()
        self.raise_()

    def close_menu(self) -> None:
        if self.isVisible():
            self.hide()
            self.closed.emit()

    def choose(self, key: str) -> None:
        self.close_menu()
        self.picked.emit(key)

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._place_card()

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if not self.card.geometry().contains(event.position().toPoint()):
            self.close_menu()
        event.accept()

    def _place_card(self) -> None:
        self.card.adjustSize()
        size = self.card.sizeHint()
        x = max(0, min(self._anchor.x() - size.width(), self.width() - size.width()))
        y = max(0, min(self._anchor.y(), self.height() - size.height()))
        self.card.setGeometry(QRect(x, y, size.width(), size.height()))

    def _rebuild(self, *_) -> None:
        while self._grid.count():
            w = self._grid.takeAt(0).widget()
            if w is not None:
                w.hide()
                w.setParent(None)
                w.deleteLater()
        m = self.metrics
        self._grid.setContentsMargins(m.px(20), m.px(16), m.px(20), m.px(20))
        self._grid.setHorizontalSpacing(m.px(10))
        self._grid.setVerticalSpacing(m.px(10))
        self._buttons = {}
        infos = list(self.state.indicators.values())
        title = QLabel("选择地图指标（点击空白处关闭）", objectName="indicatorMenuTitle")
        self._grid.addWidget(title, 0, 0, 1, _COLUMNS)
        row = 1
        for name, items in group_indicators(infos):
            self._grid.addWidget(QLabel(name, objectName="indicatorGroup"), row, 0, 1, _COLUMNS)
            row += 1
            for i, info in enumerate(items):
                b = QPushButton(info.label_zh, objectName="indicatorChoice")
                b.setCheckable(True)
                b.setFocusPolicy(Qt.FocusPolicy.NoFocus)
                b.setCursor(Qt.CursorShape.PointingHandCursor)
                b.setMinimumSize(m.px(190), m.px(54))
                b.setToolTip(f"{info.label_zh}（{info.unit}）：{info.formula}" if info.formula else info.label_zh)
                b.clicked.connect(lambda _=False, key=info.key: self.choose(key))
                self._grid.addWidget(b, row + i // _COLUMNS, i % _COLUMNS)
                self._buttons[info.key] = b
            row += (len(items) + _COLUMNS - 1) // _COLUMNS
        self._mark_current()
        if self.isVisible():
            self._place_card()

    def _mark_current(self, *_) -> None:
        for key, b in self._buttons.items():
            b.setChecked(key == self.state.indicator_key)


class IndicatorPicker(QPushButton):
    """'指标：贫困发生率 ▾'; opens the menu; a choice is written back to the state."""

    def __init__(self, state: MapState, menu: IndicatorMenu, parent: QWidget | None = None):
        super().__init__(parent)
        self.state = state
        self.menu = menu
        self.setObjectName("indicatorPicker")
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        self.clicked.connect(self.toggle_menu)
        menu.picked.connect(self._on_picked)
        state.events.indicator.connect(self._refresh)
        state.events.indicators.connect(self._refresh)
        self._refresh()

    def toggle_menu(self) -> None:
        if self.menu.isVisible():
            self.menu.close_menu()
            return
        host = self.menu.parentWidget()
        self.menu.open_at(self.mapTo(host, self.rect().bottomRight()) + QPoint(0, 6))

    def _on_picked(self, key: str) -> None:
        self.state.indicator_key = key

    def _refresh(self, *_) -> None:
        info = self.state.indicator
        unit = f"（{info.unit}）" if info.unit else ""
        self.setText(f"指标：{info.label_zh}{unit}  ▾")
