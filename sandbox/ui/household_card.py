"""The household card: a household of the village panel's list as the server sent it (masked by the
wall's role), with its 预计脱贫年度 and that year's probability (issue 17)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import QFrame, QGridLayout, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from sandbox.ui.panels.paint import PanelColors
from sandbox.ui.panels.worker import BackgroundCall, client_for_worker
from sandbox.ui.theme import Metrics, ui_font

__all__ = ["exit_year", "exit_forecast_text", "card_rows", "HouseholdCard", "HouseholdCards"]


def _pct(p: Any) -> str:
    return f"{float(p) * 100:.0f}%"


def exit_year(detail: Mapping[str, Any]) -> int | None:
    """The year the household last left poverty: the last year it was 已脱贫 after a year it was not
    (a household that relapsed and exited again counts from its second exit); None if the history
    the record carries starts after it or it is not exited."""
    years = [y for y in detail.get("years") or [] if isinstance(y, Mapping) and isinstance(y.get("year"), int)]
    found, before = None, None
    for y in sorted(years, key=lambda r: r["year"]):
        if y.get("status") == "exited" and before is not None and before != "exited":
            found = y["year"]
        before = y.get("status")
    return found


def exit_forecast_text(detail: Mapping[str, Any]) -> str:
    """预计脱贫年度 as a leader reads it: the year and the chance of having exited by then."""
    status = detail.get("status")
    fc = detail.get("exit_forecast")
    if status == "exited":
        year = exit_year(detail)
        return f"已脱贫（{year}年）" if year else "已脱贫"
    if status == "closed":
        return "已销户"
    if not isinstance(fc, Mapping):
        return "暂无预测"
    if fc.get("status") == "computing":
        return "预测计算中…"
    by_year = fc.get("by_year") if isinstance(fc.get("by_year"), Mapping) else {}
    last = max((int(y) for y in by_year if str(y).isdigit()), default=None)
    if fc.get("year") is not None:
        # two lines: the year stands alone, the chance under it (in the card's narrow column the one-line
        # form broke inside "99%）")
        return f"{fc['year']}年\n到该年脱贫的可能性 {_pct(fc.get('probability') or 0)}"
    return f"{last}年前脱贫的可能性 {_pct(fc.get('probability') or 0)}，预计晚于{last}年" if last else "暂无预测"


def card_rows(detail: Mapping[str, Any]) -> list[tuple[str, str]]:
    """The card's (label, value) lines; whatever the server masked stays masked."""
    def text(v: Any) -> str:
        return "—" if v is None or v == "" else str(v)

    years = detail.get("years") if isinstance(detail.get("years"), list) else []
    last = years[-1] if years and isinstance(years[-1], Mapping) else {}
    checks = last.get("checks") if isinstance(last.get("checks"), Mapping) else {}
    names = {"food_clothing": "吃穿", "education": "义务教育", "medical": "基本医疗", "housing": "住房安全", "water": "饮水安全"}
    gaps = [zh for k, zh in names.items() if checks.get(k) is False]
    income = detail.get("per_capita_net_income")
    helpers = detail.get("helpers") if isinstance(detail.get("helpers"), list) else []
    return [
        ("户主", text(detail.get("head_name"))),
        ("户编号", text(detail.get("household_number"))),
        ("贫困户属性", text(detail.get("attribute_zh"))),
        ("识别年度", f"{detail['identified_year']}年" if isinstance(detail.get("identified_year"), int) else "—"),
        ("主要致贫原因", text(detail.get("main_cause_zh"))),
        (f"{text(detail.get('year'))}年末状态", text(detail.get("status_zh"))),
        ("家庭人口", f"{detail['members']} 人" if detail.get("members") is not None else "—"),
        ("人均纯收入", f"{float(income):,.0f} 元" if isinstance(income, (int, float)) else "—"),
        ("两不愁三保障", "均已保障" if checks and not gaps else ("未保障: " + "、".join(gaps) if gaps else "—")),
        ("帮扶干部", "、".join(text(h.get("name")) for h in helpers if isinstance(h, Mapping)) or "—"),
        ("预计脱贫年度", exit_forecast_text(detail)),
    ]


class HouseholdCard(QFrame):
    """The card itself: a title, a close button and the lines of `card_rows`."""

    closeRequested = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("householdCard")
        self.setAutoFillBackground(True)
        self.setStyleSheet(f"#householdCard {{ background: {PanelColors.card}; border: 1px solid {PanelColors.border};"
                           f" border-radius: 6px; }} QLabel {{ color: {PanelColors.text}; }}")
        outer = QVBoxLayout(self)
        top = QHBoxLayout()
        self.title = QLabel("户档案")
        self.close_button = QPushButton("关闭")
        self.close_button.clicked.connect(self.closeRequested)
        top.addWidget(self.title, 1)
        top.addWidget(self.close_button, 0)
        outer.addLayout(top)
        self.grid = QGridLayout()
        outer.addLayout(self.grid)
        self.note = QLabel("")
        self.note.setWordWrap(True)
        outer.addWidget(self.note)
        self.values: dict[str, QLabel] = {}
        self.hide()

    def set_metrics(self, m: Metrics) -> None:
        self.title.setFont(ui_font(m.px(22), bold=True))
        for lab in self.findChildren(QLabel):
            if lab is not self.title:
                lab.setFont(ui_font(m.px(17)))
        self.setFixedWidth(m.px(460))

    def show_message(self, text: str) -> None:
        self._fill([])
        self.note.setText(text)
        self._fit()

    def _fit(self) -> None:
        """Tall enough for every line (a child widget over the map gets no size from a layout)."""
        self.show()
        self.raise_()
        self.layout().activate()
        self.resize(self.width(), self.layout().sizeHint().height())

    def show_detail(self, detail: Mapping[str, Any]) -> None:
        self._fill(card_rows(detail))
        fc = detail.get("exit_forecast")
        self.note.setText(f"模型按 {fc.get('as_of')} 年末的记录估计，仅供参考"
                          if isinstance(fc, Mapping) and fc.get("as_of") else "")
        self._fit()

    def text_of(self, label: str) -> str:
        return self.values[label].text() if label in self.values else ""

    def _fill(self, rows: list[tuple[str, str]]) -> None:
        while self.grid.count():
            item = self.grid.takeAt(0)
            if item.widget() is not None:
                item.widget().deleteLater()
        self.values = {}
        font = self.title.font()
        for r, (label, value) in enumerate(rows):
            name = QLabel(label)
            name.setStyleSheet(f"color: {PanelColors.muted};")
            val = QLabel(value)
            val.setWordWrap(True)
            if label == "预计脱贫年度":
                val.setStyleSheet("color: #ffc857; font-weight: bold;")
            for lab in (name, val):
                f = lab.font()
                f.setPixelSize(max(12, int(font.pixelSize() * 0.78)) if font.pixelSize() > 0 else f.pixelSize())
                lab.setFont(f)
            self.grid.addWidget(name, r, 0, Qt.AlignmentFlag.AlignTop)
            self.grid.addWidget(val, r, 1)
            name.show()  # a layout shows a new child of a visible card only later (queued): now, so it is measured
            val.show()
            self.values[label] = val


class HouseholdCards(QObject):
    """Clicking a row of the village panel's household list opens that household's card over the map;
    the detail is fetched on a worker of its own (GET /households/{id}, masked by the server)."""

    def __init__(self, wall: Any, client: Any):
        super().__init__(wall)
        self.wall = wall
        self.client = client_for_worker(client)
        self.card = HouseholdCard(wall.canvas)
        self.card.closeRequested.connect(self.close)
        self._call = BackgroundCall(self)
        self._call.done.connect(self._done)
        self._call.failed.connect(lambda msg: self.card.show_message(f"户档案加载失败：{msg}"))
        self._shown: int | None = None
        self._again = QTimer(self, singleShot=True, interval=3000)  # the forecast still being fitted: ask again
        self._again.timeout.connect(lambda: self._shown is not None and self.card.isVisible()
                                    and self._call.submit(self.client.household, self._shown))
        wall.village_panel.table.clicked.connect(lambda index: self.open_row(index.row(), index.column()))
        wall.village_panel.closeRequested.connect(self.close)

    def set_metrics(self, m: Metrics) -> None:
        self.card.set_metrics(m)
        self.card.move(m.px(16), m.px(64))  # under the map's layer bar

    def open_row(self, row: int, _column: int = 0) -> None:
        households = getattr(self.wall.village_panel.village, "households", None) or {}
        items = households.get("items") or []
        if 0 <= row < len(items) and items[row].get("id") is not None:
            self.open(int(items[row]["id"]))

    def open(self, household_id: int) -> None:
        self._shown = household_id
        self.card.show_message("正在加载户档案…")
        self._call.submit(self.client.household, household_id)

    def _done(self, detail: Any) -> None:
        if isinstance(detail, Mapping):
            self.card.show_detail(detail)
            fc = detail.get("exit_forecast")
            if isinstance(fc, Mapping) and fc.get("status") == "computing":
                self._again.start()

    def close(self) -> bool:
        """Esc: True when the card was open (and is now closed)."""
        was = self.card.isVisible()
        self.card.hide()
        return was

    def shutdown(self, timeout_ms: int = 15000) -> None:
        self._again.stop()
        self._call.shutdown(timeout_ms)
