"""Fund-chain panel: 下达 → 到位 → 备案 → 报账 → 支付 amounts and rates of the region, and its anomalies explained."""

from __future__ import annotations

from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFontMetricsF, QPainter
from PySide6.QtWidgets import QFrame, QLabel, QSizePolicy, QVBoxLayout, QWidget

from sandbox.ui.layers.data import ANOMALY_ZH, FUND_STAGES
from sandbox.ui.layers.funds import STAGE_COLOURS
from sandbox.ui.text_fit import elide_lines
from sandbox.ui.theme import Colors, Metrics, metrics_for_height, ui_font

__all__ = ["FundChainBars", "FundChainPanel", "wan", "NO_ROOM_NOTE"]

NO_ROOM_NOTE = "点击地图上的 ⚠ 查看各处说明"  # the note when no line of the explanation has room


def wan(yuan: float) -> str:
    """Yuan as 万元 (what county finance reports use)."""
    return f"{yuan / 10000:,.1f} 万元"


class FundChainBars(QWidget):
    """Five rows: stage, a bar relative to 下达, the amount in 万元, the rate of the previous stage."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.metrics: Metrics = metrics_for_height(1080)
        self.steps: list[dict] = []
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setAttribute(Qt.WidgetAttribute.WA_TranslucentBackground, True)

    def set_metrics(self, m: Metrics) -> None:
        self.metrics = m
        self.setFixedHeight(self._height())
        self.update()

    def _row_h(self) -> int:
        return self.metrics.px(26)

    def _height(self) -> int:
        return self._row_h() * len(FUND_STAGES) + self.metrics.px(4)

    def sizeHint(self) -> QSize:
        return QSize(self.metrics.px(300), self._height())

    def set_steps(self, steps: list[dict]) -> None:
        self.steps = [s for s in steps or [] if isinstance(s, dict)]
        self.setFixedHeight(self._height())
        self.update()

    def amounts(self) -> dict[str, float]:
        return {str(s.get("stage")): float(s.get("amount") or 0) for s in self.steps}

    def snapshot_key(self) -> tuple:
        """What the bars show (the panel's snapshot is made again when it changes; see SnapshotEffect)."""
        return self.metrics, tuple(tuple(sorted((k, repr(v)) for k, v in s.items())) for s in self.steps)

    def paintEvent(self, event) -> None:
        m = self.metrics
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        by = {str(s.get("stage")): s for s in self.steps}
        top = float((by.get("allocated") or {}).get("amount") or 0) or max(
            (float(s.get("amount") or 0) for s in self.steps), default=0.0) or 1.0
        font, small = ui_font(m.px(16), bold=True), ui_font(m.px(15))
        fm = QFontMetricsF(small)
        label_w = m.px(40)
        amount_w = fm.horizontalAdvance("00,000.0 万元") + m.px(6)
        rate_w = fm.horizontalAdvance("100.0%") + m.px(4)
        bar_x = label_w
        bar_w = max(10.0, self.width() - label_w - amount_w - rate_w - m.px(8))
        rh = self._row_h()
        for i, (key, label) in enumerate(FUND_STAGES):
            y = i * rh + m.px(2)
            s = by.get(key) or {}
            amount = float(s.get("amount") or 0)
            p.setFont(font)
            p.setPen(QColor(Colors.text))
            p.drawText(QRectF(0, y, label_w, rh), Qt.AlignmentFlag.AlignVCenter, label)
            track = QRectF(bar_x, y + rh * 0.28, bar_w, rh * 0.44)
            p.setPen(Qt.PenStyle.NoPen)
            p.setBrush(QColor("#1a2c46"))
            p.drawRoundedRect(track, track.height() / 2, track.height() / 2)
            frac = min(1.0, amount / top) if top else 0.0
            if frac > 0:
                p.setBrush(QColor(STAGE_COLOURS[key]))
                p.drawRoundedRect(QRectF(track.x(), track.y(), max(track.height(), track.width() * frac),
                                         track.height()), track.height() / 2, track.height() / 2)
            over = amount > top * 1.0001 and key != "allocated"
            p.setFont(small)
            p.setPen(QColor("#ff7a6b" if over else Colors.text))
            p.drawText(QRectF(bar_x + bar_w + m.px(6), y, amount_w, rh),
                       Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignRight, wan(amount))
            rate = s.get("rate_of_previous")
            rate_bad = rate is not None and float(rate) > 100.0001
            p.setPen(QColor("#ff7a6b" if rate_bad else Colors.text_muted))
            p.drawText(QRectF(self.width() - rate_w, y, rate_w, rh),
                       Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignRight,
                       "" if i == 0 or rate is None else f"{float(rate):.1f}%")
        p.end()


_UNCAPPED = 16777215  # QWIDGETSIZE_MAX


class FundChainPanel(QFrame):
    """The side panel of the fund-flow layer: the region's chain, its rates, and why it does not reconcile."""

    MAX_LISTED = 1

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("fundChainPanel")
        self.metrics: Metrics = metrics_for_height(1080)
        self.chain: dict = {}
        self.selected: list[dict] = []
        self.title = QLabel("资金链", objectName="panelTitle")
        self.bars = FundChainBars()
        self.rates = QLabel(objectName="fundRates")
        self.anomaly_title = QLabel(objectName="fundAnomalyTitle")
        self.explanation = QLabel(objectName="fundExplanation")
        self.explanation_full = ""  # what the explanation says in full (the label may show it cut, with "…")
        self.note_full = ""  # the note under a listed explanation ("另有 N 处未列出；…")
        self.explanation.setWordWrap(True)
        self.explanation.setTextFormat(Qt.TextFormat.PlainText)
        self.explanation.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)  # capped: cut below
        self.note = QLabel(objectName="fundNote")
        self.note.setWordWrap(True)
        lay = QVBoxLayout(self)
        for w in (self.title, self.bars, self.rates, self.anomaly_title, self.explanation, self.note):
            lay.addWidget(w)
        lay.addStretch(1)
        self.anomaly_title.setWordWrap(True)
        policy = QSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Minimum)
        policy.setHeightForWidth(True)  # wrapped explanations: never squeezed under their text
        self.setSizePolicy(policy)
        self.set_metrics(self.metrics)
        self.set_chain({}, None)

    def hasHeightForWidth(self) -> bool:
        return True

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._fit_explanation()

    def _fit_explanation(self) -> None:
        # Less height than the panel wants (a long anomaly title, a banner showing on a 1080p wall): the long
        # explanation gives way, so the bars and rates never draw over each other — whole lines only (a line
        # cut through its glyphs reads as a fault on the wall), the last one kept ending in "…" (cut without
        # it, "…需核实多付款项的收款" read as the whole sentence). Worked out from the full text's natural
        # height, so it settles at once.
        lay, expl = self.layout(), self.explanation
        if expl.isHidden():
            return
        if expl.text() != self.explanation_full:
            expl.setText(self.explanation_full)
        if self.note.text() != self.note_full:
            self.note.setText(self.note_full)
        expl.setMaximumHeight(_UNCAPPED)
        need = lay.totalHeightForWidth(self.width())
        if need <= self.height():
            return
        margins = lay.contentsMargins()
        width = self.contentsRect().width() - margins.left() - margins.right()
        room = max(0, expl.heightForWidth(max(1, width)) - (need - self.height()))
        lines, height = room // max(1, expl.fontMetrics().lineSpacing()), 0
        while lines > 0:
            expl.setText(elide_lines(self.explanation_full, expl.font(), max(1, width - 1), lines))
            height = expl.heightForWidth(max(1, width))  # the last line's descent may pass the line spacing
            if height <= room:
                break
            lines -= 1
        if lines <= 0:
            expl.setText("")
            height = 0
            # nothing of the list is shown: "另有 N 处未列出" would count a listed one that is not there
            self.note.setText(NO_ROOM_NOTE)
        expl.setMaximumHeight(height)

    def heightForWidth(self, w: int) -> int:
        return self.layout().totalHeightForWidth(w)

    def set_metrics(self, m: Metrics) -> None:
        self.metrics = m
        self.bars.set_metrics(m)
        self.layout().setContentsMargins(m.px(12), m.px(10), m.px(12), m.px(10))
        self.layout().setSpacing(m.px(6))
        self.setStyleSheet(
            f"#fundChainPanel {{ background: rgba(12,29,54,215); border: {m.px(1)}px solid {Colors.panel_border};"
            f" border-radius: {m.px(6)}px; }}"
            f"#fundRates {{ color: {Colors.text}; font-size: {m.px(16)}px; }}"
            f"#fundAnomalyTitle {{ color: #ff7a6b; font-size: {m.px(17)}px; font-weight: bold; }}"
            f"#fundExplanation {{ color: #ffd9a0; font-size: {m.px(15)}px; }}"
            f"#fundNote {{ color: {Colors.text_muted}; font-size: {m.px(14)}px; }}")

    def set_chain(self, chain: dict, region_name: str | None, through: int | None = None) -> None:
        self.chain = dict(chain or {})
        if not _has_money(self.chain.get("total")):
            # No allocation on record is no data: zeros in every bar would read as a balanced chain.
            self.chain.pop("total", None)
        self.selected = []
        total = self.chain.get("total") or {}
        when = f"（截至{through}年）" if through else ""
        self.title.setText(f"{region_name or ''} 资金链{when}".strip())
        self.bars.set_steps(total.get("steps") or [])
        self.bars.setVisible(bool(total))  # no money on record: no bars of 0.0 万元 under 暂无资金数据
        if total:
            arr, spend = total.get("arrival_rate"), total.get("spend_rate")
            # cumulative (all allocations through the year): the KPI strip's 当年资金到位率 is that year's only
            self.rates.setText(f"累计到位率 {_pct(arr)}　累计支出率 {_pct(spend)}")
        else:
            self.rates.setText("暂无资金数据")
        self._show_anomalies()

    def anomalies(self) -> list[dict]:
        return [a for a in self.chain.get("anomalies") or [] if isinstance(a, dict)]

    def select(self, items: list[dict] | None) -> None:
        """Explain these anomalies in full (a click on a warning mark on the map)."""
        self.selected = [a for a in items or [] if isinstance(a, dict)]
        self._show_anomalies()

    def _show_anomalies(self) -> None:
        found = self.anomalies()
        if not found:
            self.anomaly_title.setText("资金链平衡，未发现异常" if self.chain.get("total") else "")
            self.anomaly_title.setStyleSheet("color: #3ddc84;")
            self.explanation_full = self.note_full = ""
            self.explanation.setText("")
            self.explanation.hide()
            self.note.hide()
            return
        self.anomaly_title.setStyleSheet("")
        counts: dict[str, int] = {}
        for a in found:
            counts[a.get("kind", "")] = counts.get(a.get("kind", ""), 0) + 1
        # one kind: its name says it (the count is in the title); several: how many of each
        parts = "、".join(ANOMALY_ZH.get(k, k) if len(counts) == 1 else f"{ANOMALY_ZH.get(k, k)} {n} 处"
                         for k, n in counts.items())
        self.anomaly_title.setText(f"⚠ 资金链异常 {len(found)} 处：{parts}")
        # The worst first: money paid beyond what arrived, then paid without progress, then idle money.
        severity = {"overpaid": 0, "paid_no_progress": 1, "idle": 2}
        shown = self.selected or sorted(found, key=lambda a: severity.get(a.get("kind"), 3))[: self.MAX_LISTED]
        self.explanation_full = "\n".join(f"· {a.get('explanation_zh') or a.get('kind_zh')}" for a in shown)
        self.explanation.setText(self.explanation_full)
        self.explanation.show()
        rest = len(found) - len(shown)
        self.note_full = ((f"另有 {rest} 处未列出；" if rest > 0 and not self.selected else "")
                          + "点击地图上的 ⚠ 查看该处说明")
        self.note.setText(self.note_full)
        self.note.show()
        if self.isVisible():  # a new text in the same room (a click on another ⚠): cut again if need be
            self._fit_explanation()


def _has_money(total) -> bool:
    """Whether a chain's total holds any allocation (an empty chain has a total of zeros)."""
    if not isinstance(total, dict):
        return False
    if total.get("allocations"):
        return True
    return any((step.get("amount") or 0) for step in total.get("steps") or [] if isinstance(step, dict))


def _pct(v) -> str:
    return "—" if v is None else f"{float(v):.1f}%"
