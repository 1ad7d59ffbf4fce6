"""Title bar (region, year, 数据截至) and the error banner that says when the screen is stale."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QSizePolicy, QVBoxLayout, QWidget

from sandbox.ui.fmt import as_of_line, format_as_of
from sandbox.ui.state import WallState
from sandbox.ui.widgets import StrongLabel

__all__ = ["HeaderBar", "ErrorBanner", "CHILD_LEVEL_ZH"]

CHILD_LEVEL_ZH = {"province": "市州", "prefecture": "县（市、区）", "county": "乡镇", "town": "行政村", "village": ""}
COUNTIES_ZH = "县（市、区）"
APP_TITLE = "脱贫攻坚电子沙盘"


class HeaderBar(QFrame):
    """Shows what is on screen: region name, year and the data's as-of time."""

    def __init__(self, state: WallState, parent: QWidget | None = None):
        super().__init__(parent)
        self.state = state
        self.setObjectName("header")
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
        self.year_label = QLabel(objectName="yearLabel")
        self.title_label = StrongLabel(APP_TITLE, objectName="titleLabel")
        self.subtitle_label = QLabel(objectName="subtitleLabel")
        self.as_of_label = QLabel("数据更新于 —", objectName="asOfLabel")
        self.demo_label = QLabel(objectName="demoBadge")
        self.demo_label.hide()
        for lab in (self.title_label, self.subtitle_label):
            lab.setAlignment(Qt.AlignmentFlag.AlignCenter)
        centre = QVBoxLayout()
        centre.setSpacing(0)
        centre.addWidget(self.title_label)
        centre.addWidget(self.subtitle_label)
        right = QVBoxLayout()
        right.setSpacing(0)
        right.addWidget(self.as_of_label, alignment=Qt.AlignmentFlag.AlignRight)
        right.addWidget(self.demo_label, alignment=Qt.AlignmentFlag.AlignRight)
        lay = QHBoxLayout(self)
        lay.addWidget(self.year_label, 1, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        lay.addLayout(centre, 2)
        lay.addLayout(right, 1)
        state.events.region.connect(self._on_region)

    def paint_ahead(self, region: dict | None) -> None:
        """Paint the bar as `region` will show it into its snapshot's kept pictures (see SnapshotEffect),
        then put every label back: nothing on screen changes."""
        effect = self.graphicsEffect()
        if not region or not self.isVisible() or not hasattr(effect, "paint_ahead"):
            return
        labels = (self.year_label, self.title_label, self.subtitle_label, self.as_of_label, self.demo_label)
        saved = [(lab.text(), lab.isHidden()) for lab in labels]
        try:
            self._on_region(region)
            self.layout().activate()
            effect.paint_ahead()
        finally:
            for lab, (text, hidden) in zip(labels, saved):
                lab.setText(text)
                lab.setHidden(hidden)
            self.layout().activate()

    def _on_region(self, region: dict | None) -> None:
        if not region:
            return
        name = region.get("name") or region.get("code") or ""
        self.title_label.setText(f"{name}{APP_TITLE}")
        year = region.get("year")
        self.year_label.setText(f"{year} 年度" if year else "")
        child = CHILD_LEVEL_ZH.get(region.get("level", ""), "")
        # "县级", not the bare "县" the API names the level with: alone at the line's head it read as a cut word.
        level = region.get("level", "")
        parts = [LEVEL_RANK_ZH.get(level) or region.get("level_zh") or ""]
        ind = region.get("indicators") or {}
        if child:
            parts.append(_children_line(region, child))
        if ind.get("villages") is not None and child != "行政村":
            parts.append(f"{ind['villages']} 个行政村")
        if ind.get("poor_villages") is not None:
            parts.append(f"贫困村 {ind['poor_villages']} 个")
        self.subtitle_label.setText("  ·  ".join(p for p in parts if p))
        # The data's last update (and the import apart), said apart from the year's figures (each panel
        # says its year's as-of).
        self.as_of_label.setText(as_of_line(region.get("as_of"), region.get("imported_at"), lead="数据更新于"))
        label = region.get("data_label") or ("演示数据" if region.get("demo") else None)
        self.demo_label.setText(label or "")
        self.demo_label.setVisible(bool(label))


# The level as the subtitle's head says it (the rank of the region on screen).
LEVEL_RANK_ZH = {"province": "省级", "prefecture": "市州级", "county": "县级", "town": "乡镇级", "village": "村级"}


def _children_line(region: dict, child: str) -> str:
    """下辖 9 个市州、88 个县（市、区） / 下辖 12 个县（市、区） / 下辖 8 个乡镇: the API's county count above
    the county (a province's children are 市州), else the children listed."""
    n = len(region.get("children") or [])
    counties = region.get("counties")
    if not isinstance(counties, int) or isinstance(counties, bool) or counties < 0:
        return f"下辖 {n} 个{child}"
    if region.get("level") == "prefecture":
        return f"下辖 {counties} 个{COUNTIES_ZH}"
    return f"下辖 {n} 个{child}、{counties} 个{COUNTIES_ZH}"


class ErrorBanner(QLabel):
    """A red strip, hidden while all is well; says what failed and how old the screen is."""

    def __init__(self, state: WallState, parent: QWidget | None = None):
        super().__init__(parent)
        self.state = state
        self.setObjectName("errorBanner")
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setWordWrap(True)
        self.hide()
        state.events.error.connect(self._on_error)

    def _on_error(self, message: str | None) -> None:
        if not message:
            self.hide()
            return
        st = self.state
        if st.has_data and st.loaded_at is not None:
            as_of = format_as_of((st.region or {}).get("as_of"))
            tail = f"屏幕保持 {st.loaded_at:%H:%M} 获取的数据（数据截至 {as_of}），正在自动重试"
        else:
            tail = "暂无可显示的数据，正在自动重试"
        self.setText(f"【数据获取失败】{message}。{tail}")
        self.show()
