"""督办 panel: the region's open and overdue items by kind, the children with most overdue, and (leader walls) the
overdue items with their ages, oldest first, and the 简报 button."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QSizePolicy, QVBoxLayout, QWidget

from sandbox.ui.duty import DutyBoard, age_text, share_class
from sandbox.ui.layers.duty import SHARE_COLOURS
from sandbox.ui.theme import Colors, Metrics, metrics_for_height

__all__ = ["DutyPanel", "CHILDREN_SHOWN"]

CHILDREN_SHOWN = 4  # the children with the largest overdue share


class DutyPanel(QFrame):
    briefRequested = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("dutyPanel")
        self.metrics: Metrics = metrics_for_height(1080)
        self.board: DutyBoard | None = None
        self.title = QLabel("督办", objectName="panelTitle")
        self.brief = QPushButton("简报 PDF", objectName="dutyBrief")
        self.brief.setCursor(Qt.CursorShape.PointingHandCursor)
        self.brief.clicked.connect(lambda _=False: self.briefRequested.emit())
        self.brief.hide()  # leader walls only (the board says which role this wall has)
        head = QHBoxLayout()
        head.setContentsMargins(0, 0, 0, 0)
        head.addWidget(self.title, 1)
        head.addWidget(self.brief, 0)
        self.counts = QLabel(objectName="dutyCounts")
        self.counts.setWordWrap(True)
        # the map's colours, said once here: the indicator legend is hidden while this layer is on
        self.key = QLabel("地图颜色（超期占比）：" + "　".join(
            f"<span style='color:{SHARE_COLOURS[i]}'>■</span> {label}"
            for i, label in ((1, "10%以下"), (2, "10–30%"), (3, "30%及以上"), (0, "无待办"))), objectName="dutyKey")
        self.key.setWordWrap(True)
        self.worst = QLabel(objectName="dutyWorst")
        self.worst.setWordWrap(True)
        self.items_title = QLabel(objectName="dutyItemsTitle")
        self.items = QLabel(objectName="dutyItems")
        self.items.setWordWrap(True)
        self.items.setTextFormat(Qt.TextFormat.PlainText)  # item titles are the API's text: never markup
        self.note = QLabel(objectName="dutyNote")
        self.note.setWordWrap(True)
        lay = QVBoxLayout(self)
        lay.addLayout(head)
        for w in (self.counts, self.key, self.worst, self.items_title, self.items, self.note):
            lay.addWidget(w)
        lay.addStretch(1)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Minimum)
        self.set_metrics(self.metrics)
        self.set_board(None)

    def set_metrics(self, m: Metrics) -> None:
        self.metrics = m
        self.layout().setContentsMargins(m.px(12), m.px(10), m.px(12), m.px(10))
        self.layout().setSpacing(m.px(6))
        self.setStyleSheet(
            f"#dutyPanel {{ background: rgba(12,29,54,215); border: {m.px(1)}px solid {Colors.panel_border};"
            f" border-radius: {m.px(6)}px; }}"
            f"#dutyCounts {{ color: {Colors.text}; font-size: {m.px(16)}px; }}"
            f"#dutyWorst {{ color: {Colors.text}; font-size: {m.px(15)}px; }}"
            f"#dutyKey {{ color: {Colors.text_muted}; font-size: {m.px(14)}px; }}"
            f"#dutyItemsTitle {{ color: #ff7a6b; font-size: {m.px(16)}px; font-weight: bold; }}"
            f"#dutyItems {{ color: #ffd9a0; font-size: {m.px(14)}px; }}"
            f"#dutyNote {{ color: {Colors.text_muted}; font-size: {m.px(13)}px; }}"
            f"#dutyBrief {{ color: {Colors.accent}; background: #0c2a48; font-size: {m.px(15)}px; font-weight: bold;"
            f" border: {m.px(1)}px solid {Colors.accent_dim}; border-radius: {m.px(4)}px;"
            f" padding: {m.px(2)}px {m.px(10)}px; }}")

    def set_board(self, board: DutyBoard | None, loading: bool = False) -> None:
        self.board = board
        if board is None:
            self.title.setText("督办")
            self.counts.setText("正在获取督办数据…" if loading else "暂无督办数据")
            for w in (self.worst, self.items_title, self.items, self.note, self.brief):
                w.hide()
            return
        t = board.total
        self.title.setText(f"{board.name} 督办")
        share = "—" if t.overdue_share is None else f"{t.overdue_share:.0f}%"
        self.counts.setText(
            f"待办 {t.open} 件　超期 {t.overdue} 件　超期占比 {share}\n"
            f"指令 {t.open_instructions} (超期 {t.overdue_instructions})　督查问题 {t.open_findings}\n"
            f"整改 {t.open_rectifications} (超期 {t.overdue_rectifications})　本月投诉 {t.complaints_month}")
        ranked = sorted(((c, n) for c, n in board.children.items() if n.open),
                        key=lambda cn: (-(cn[1].overdue_share or 0), -cn[1].overdue, cn[0]))[:CHILDREN_SHOWN]
        if ranked:
            self.worst.setText("超期占比最高：" + "　".join(
                f"<span style='color:{SHARE_COLOURS[share_class(n.overdue_share)]}'>■</span> {board.names.get(c, c)} "
                f"{n.overdue}/{n.open}" for c, n in ranked))
            self.worst.show()
        else:
            self.worst.hide()
        self.brief.setVisible(board.may_brief)
        if board.items is None:  # display and delegation walls: counts only
            self.items_title.hide()
            self.items.hide()
            self.note.setText("本屏按权限只显示数量")
            self.note.show()
            return
        self.items_title.setText(f"超期事项 {board.overdue_total} 件（最久的在前）" if board.overdue_total
                                 else "无超期事项")
        self.items_title.setStyleSheet("" if board.overdue_total else "color: #3ddc84;")
        self.items_title.show()
        self.items.setText("\n".join(f"· [{i.kind_zh}] {i.region_name} {i.title}（{age_text(i)}）"
                                     for i in board.items))
        self.items.setVisible(bool(board.items))
        rest = board.overdue_total - len(board.items)
        self.note.setText(f"另有 {rest} 件未列出" if rest > 0 else "")
        self.note.setVisible(rest > 0)

    def item_lines(self) -> list[str]:
        return [line for line in self.items.text().split("\n") if line] if self.items.isVisible() else []

