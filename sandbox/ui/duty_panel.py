"""督办 panel: the region's open and overdue items by kind, the children with most overdue, and (leader walls) the
overdue items with their ages, oldest first, and the 简报 button."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QPushButton, QWidget

from sandbox.ui.count_panel import CountPanel
from sandbox.ui.duty import DutyBoard, age_text, share_class
from sandbox.ui.layers.duty import SHARE_COLOURS
from sandbox.ui.theme import Colors, Metrics

__all__ = ["DutyPanel", "CHILDREN_SHOWN"]

CHILDREN_SHOWN = 4  # the children with the largest overdue share


class DutyPanel(CountPanel):
    briefRequested = Signal()
    prefix, title_zh, data_zh, key_zh = "duty", "督办", "督办", "超期占比"
    colours, key = SHARE_COLOURS, ((1, "10%以下"), (2, "10–30%"), (3, "30%及以上"), (0, "无待办"))
    board: DutyBoard | None
    item_lines = CountPanel.row_lines

    def build(self) -> list[QWidget]:
        self.brief = QPushButton("简报 PDF", objectName="dutyBrief")
        self.brief.setCursor(Qt.CursorShape.PointingHandCursor)
        self.brief.clicked.connect(lambda _=False: self.briefRequested.emit())
        self.head.addWidget(self.brief, 0)  # leader walls only (the board says which role this wall has)
        self.worst = self._label("Worst")
        self.items = self.rows
        return [self.worst]

    def extra_style(self, m: Metrics) -> str:
        return (f"#dutyWorst {{ color: {Colors.text}; font-size: {m.px(15)}px; }}"
                f"#dutyBrief {{ color: {Colors.accent}; background: #0c2a48; font-size: {m.px(15)}px; font-weight: bold;"
                f" border: {m.px(1)}px solid {Colors.accent_dim}; border-radius: {m.px(4)}px;"
                f" padding: {m.px(2)}px {m.px(10)}px; }}")

    def set_board(self, board: DutyBoard | None, loading: bool = False) -> None:
        super().set_board(board, loading)
        if board is None:
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
        self.worst.setText("超期占比最高：" + "　".join(
            f"<span style='color:{SHARE_COLOURS[share_class(n.overdue_share)]}'>■</span> {board.names.get(c, c)} "
            f"{n.overdue}/{n.open}" for c, n in ranked))
        self.worst.setVisible(bool(ranked))
        self.brief.setVisible(board.may_brief)
        if board.items is None:  # display and delegation walls: counts only
            self.counts_only("本屏按权限只显示数量")
            return
        rest = board.overdue_total - len(board.items)
        self.show_rows(f"超期事项 {board.overdue_total} 件（最久的在前）" if board.overdue_total else "无超期事项",
                       [f"· [{i.kind_zh}] {i.region_name} {i.title}（{age_text(i)}）" for i in board.items],
                       f"另有 {rest} 件未列出" if rest > 0 else "", not board.overdue_total)
