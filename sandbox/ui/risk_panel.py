"""风险 panel: the region's open hits per family (伪贫困户 / 资金使用 / 挂名帮扶), open cases, the map's key, and (leader
walls) the top hits with their rule, place, reason and case state as the server masked them."""

from __future__ import annotations

from sandbox.ui.count_panel import CountPanel
from sandbox.ui.layers.errors import UNAVAILABLE
from sandbox.ui.layers.risk import RISK_COLOURS, RISK_KEY
from sandbox.ui.risk import RiskBoard

__all__ = ["RiskPanel", "REASON_CHARS"]

REASON_CHARS = 46  # a reason longer than this is cut on the wall (the console shows it whole)


class RiskPanel(CountPanel):
    prefix, title_zh, data_zh, key_zh = "risk", "风险线索", "风险", "在案线索"
    colours, key = RISK_COLOURS, RISK_KEY
    board: RiskBoard | None
    hit_lines = CountPanel.row_lines

    def build(self) -> list:
        self.hits_title, self.hits = self.rows_title, self.rows
        return []

    def set_unavailable(self, reason: str) -> None:
        """No board could be fetched and none was kept: said so, never an empty panel."""
        if self.board is not None:
            return  # the last board stays on screen (the client marks the wall offline)
        self.title.setText(self.title_zh)
        self.counts.setText(f"风险数据{UNAVAILABLE}（{reason}）")
        self.hide_details()

    def set_board(self, board: RiskBoard | None, loading: bool = False) -> None:
        super().set_board(board, loading)
        if board is None:
            return
        t = board.total
        self.title.setText(f"{board.name} 风险线索")
        lines = [f"在案线索 {t.total} 条" + (f"　在办核查 {board.open_cases} 件" if board.open_cases is not None else ""),
                 "　".join(f"{label} {t.families.get(key, 0)}" for key, label in board.families)]
        self.counts.setText("\n".join(lines))
        if board.hits is None:
            self.counts_only(f"线索明细{UNAVAILABLE}（{board.hits_error}）" if board.hits_error else "本屏按权限只显示数量")
            return
        rest = board.hits_total - len(board.hits)
        self.show_rows(f"得分最高的线索（共 {board.hits_total} 条）" if board.hits_total else "无在案线索",
                       [f"· {h.rule_zh} · {h.region_name} · {h.case_zh}\n　{_cut(h.reason)}" for h in board.hits],
                       f"另有 {rest} 条未列出，核查请到指挥调度台「风险线索核查」" if rest > 0 else "", not board.hits_total)


def _cut(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= REASON_CHARS else text[:REASON_CHARS - 1] + "…"
