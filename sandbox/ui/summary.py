"""Side card with the on-screen region's own figures and the selected sub-region's value."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QGridLayout, QLabel, QVBoxLayout, QWidget

from sandbox.ui.fmt import format_value, note_of
from sandbox.ui.state import WallState
from sandbox.ui.widgets import StrongLabel

__all__ = ["SummaryPanel"]

# Figures worth a glance from across the room; the indicator on the map is shown large above them.
ROWS = (
    ("poor_population", "贫困人口", "人"),
    ("poor_households", "贫困户数", "户"),
    ("exited_population", "累计脱贫人口", "人"),
    ("rural_population", "农村户籍人口", "人"),
    ("poor_villages", "贫困村", "个"),
)


class SummaryPanel(QFrame):
    def __init__(self, state: WallState, parent: QWidget | None = None):
        super().__init__(parent)
        self.state = state
        self.setObjectName("summary")
        self.heading = QLabel("区域概况", objectName="panelTitle")
        self.kpi_label = QLabel(objectName="kpiLabel")
        self.kpi_value = StrongLabel("—", objectName="kpiValue")
        self.selected = QLabel(objectName="selectedLine")
        self.selected.setWordWrap(True)
        grid_host = QWidget()
        self._grid = QGridLayout(grid_host)
        self._grid.setContentsMargins(0, 0, 0, 0)
        self._values: dict[str, QLabel] = {}
        for row, (key, label, _unit) in enumerate(ROWS):
            name = QLabel(label, objectName="rowName")
            value = QLabel("—", objectName="rowValue")
            value.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            self._grid.addWidget(name, row, 0)
            self._grid.addWidget(value, row, 1)
            self._values[key] = value
        lay = QVBoxLayout(self)
        for w in (self.heading, self.kpi_label, self.kpi_value, grid_host, self.selected):
            lay.addWidget(w)
        state.events.region.connect(self._refresh)
        state.map.events.indicator.connect(self._refresh)
        state.map.events.indicators.connect(self._refresh)
        state.map.events.selection.connect(self._refresh)
        self._refresh()

    def _refresh(self, *_) -> None:
        st, ms = self.state, self.state.map
        region = st.region or {}
        ind = region.get("indicators") or {}
        notes = region.get("indicator_notes")
        info = ms.indicator
        name = region.get("name") or ""
        self.heading.setText(f"{name} 区域概况" if name else "区域概况")
        self.kpi_label.setText(info.label_zh)
        self.kpi_value.setText(format_value(ind.get(info.key), info.unit, note_of(notes, info.key)) if region else "—")
        for key, _label, unit in ROWS:
            self._values[key].setText(format_value(ind.get(key), unit, note_of(notes, key)) if region else "—")
        code = ms.selected_code
        f = ms.region_map.feature(code) if code and ms.region_map else None
        if f is None:
            self.selected.setText("点击地图上的区域查看")
        else:
            self.selected.setText(f"选中：{f.name}  {info.label_zh} {format_value(f.value(info.key), info.unit, f.note(info.key))}")
