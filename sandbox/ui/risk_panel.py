"""风险 panel: the region's open hits per family (伪贫困户 / 资金使用 / 挂名帮扶), open cases, the map's key, and (leader
walls) the top hits with their rule, place, reason and case state as the server masked them."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QLabel, QSizePolicy, QVBoxLayout, QWidget

from sandbox.ui.layers.errors import UNAVAILABLE
from sandbox.ui.layers.risk import RISK_COLOURS, RISK_KEY
from sandbox.ui.risk import RiskBoard
from sandbox.ui.theme import Colors, Metrics, metrics_for_height

__all__ = ["RiskPanel", "REASON_CHARS"]

REASON_CHARS = 46  # a reason longer than this is cut on the wall (the console shows it whole)


class RiskPanel(QFrame):
    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("riskPanel")
        self.metrics: Metrics = metrics_for_height(1080)
        self.board: RiskBoard | None = None
        self.title = QLabel("风险线索", objectName="panelTitle")
        self.counts = QLabel(objectName="riskCounts")
        self.counts.setWordWrap(True)
        self.counts.setTextFormat(Qt.TextFormat.PlainText)
        self.key = QLabel("地图颜色（在案线索）：" + "　".join(
            f"<span style='color:{RISK_COLOURS[i]}'>■</span> {label}" for i, label in RISK_KEY), objectName="riskKey")
        self.key.setWordWrap(True)
        self.hits_title = QLabel(objectName="riskHitsTitle")
        self.hits = QLabel(objectName="riskHits")
        self.hits.setWordWrap(True)
        self.hits.setTextFormat(Qt.TextFormat.PlainText)  # reasons are the API's text: never markup
        self.note = QLabel(objectName="riskNote")
        self.note.setWordWrap(True)
        lay = QVBoxLayout(self)
        lay.addWidget(self.title)
        for w in (self.counts, self.key, self.hits_title, self.hits, self.note):
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
            f"#riskPanel {{ background: rgba(12,29,54,215); border: {m.px(1)}px solid {Colors.panel_border};"
            f" border-radius: {m.px(6)}px; }}"
            f"#riskCounts {{ color: {Colors.text}; font-size: {m.px(16)}px; }}"
            f"#riskKey {{ color: {Colors.text_muted}; font-size: {m.px(14)}px; }}"
            f"#riskHitsTitle {{ color: #ff7a6b; font-size: {m.px(16)}px; font-weight: bold; }}"
            f"#riskHits {{ color: #ffd9a0; font-size: {m.px(14)}px; }}"
            f"#riskNote {{ color: {Colors.text_muted}; font-size: {m.px(13)}px; }}")

    def set_unavailable(self, reason: str) -> None:
        """No board could be fetched and none was kept: said so, never an empty panel."""
        if self.board is not None:
            return  # the last board stays on screen (the client marks the wall offline)
        self.title.setText("风险线索")
        self.counts.setText(f"风险数据{UNAVAILABLE}（{reason}）")
        for w in (self.hits_title, self.hits, self.note):
            w.hide()

    def set_board(self, board: RiskBoard | None, loading: bool = False) -> None:
        self.board = board
        if board is None:
            self.title.setText("风险线索")
            self.counts.setText("正在获取风险数据…" if loading else "暂无风险数据")
            for w in (self.hits_title, self.hits, self.note):
                w.hide()
            return
        t = board.total
        self.title.setText(f"{board.name} 风险线索")
        lines = [f"在案线索 {t.total} 条" + (f"　在办核查 {board.open_cases} 件" if board.open_cases is not None else ""),
                 "　".join(f"{label} {t.families.get(key, 0)}" for key, label in board.families)]
        self.counts.setText("\n".join(lines))
        if board.hits is None:
            self.hits_title.hide()
            self.hits.hide()
            self.note.setText(f"线索明细{UNAVAILABLE}（{board.hits_error}）" if board.hits_error
                              else "本屏按权限只显示数量")
            self.note.show()
            return
        self.hits_title.setText(f"得分最高的线索（共 {board.hits_total} 条）" if board.hits_total else "无在案线索")
        self.hits_title.setStyleSheet("" if board.hits_total else "color: #3ddc84;")
        self.hits_title.show()
        self.hits.setText("\n".join(
            f"· {h.rule_zh} · {h.region_name} · {h.case_zh}\n　{_cut(h.reason)}"
            for h in board.hits))
        self.hits.setVisible(bool(board.hits))
        rest = board.hits_total - len(board.hits)
        self.note.setText(f"另有 {rest} 条未列出，核查请到指挥调度台「风险线索核查」" if rest > 0 else "")
        self.note.setVisible(rest > 0)

    def hit_lines(self) -> list[str]:
        return [line for line in self.hits.text().split("\n") if line] if self.hits.isVisible() else []


def _cut(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= REASON_CHARS else text[:REASON_CHARS - 1] + "…"
