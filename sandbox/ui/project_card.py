"""Project card over the map: budget, stage, progress history, beneficiaries (利益联结), fund chain and camera."""

from __future__ import annotations

from PySide6.QtCore import QRectF, Qt, Signal
from PySide6.QtWidgets import (
    QBoxLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from sandbox.ui.fund_panel import FundChainBars, wan
from sandbox.ui.layers.data import ProjectDetail
from sandbox.ui.project_charts import ProgressHistory, StageStepper
from sandbox.ui.theme import Colors, Metrics, metrics_for_height

__all__ = ["ProjectCard"]

COLUMNS_WIDTH = 680  # the two-column card's width at 1080p: the site's column about 375 px, the money's 250
MAP_KEEPS = 300  # the width (at 1080p) the map must keep beside a two-column card


class ProjectCard(QFrame):
    """A project's card, floating over the right of the map. `camera_slot` (a QVBoxLayout) holds the
    site's camera: `set_camera_widget(widget)` puts a live tile there (the wall makes a CameraTile of
    the project's first camera and removes it when the card closes); without one it lists the cameras by name."""

    closeRequested = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("projectCard")
        self.metrics: Metrics = metrics_for_height(1080)
        self.project_id: int | None = None
        self.detail: ProjectDetail | None = None
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)

        self.title = QLabel(objectName="cardTitle")
        self.title.setWordWrap(True)
        self.close_button = QPushButton("✕", objectName="cardClose")
        self.close_button.setCursor(Qt.CursorShape.PointingHandCursor)
        self.close_button.clicked.connect(self.closeRequested)
        self.subtitle = QLabel(objectName="cardMuted")
        self.subtitle.setWordWrap(True)
        self.budget = QLabel(objectName="cardFigure")
        self.progress = QLabel(objectName="cardFigure")
        self.as_of = QLabel(objectName="cardMuted")  # the year the stage and progress stand at
        self.stepper = StageStepper()
        self.history = ProgressHistory()
        self.beneficiaries = QLabel(objectName="cardText")
        self.beneficiaries.setWordWrap(True)
        self.funds = FundChainBars()
        self.fund_rates = QLabel(objectName="cardMuted")
        self.anomalies = QLabel(objectName="cardWarning")
        self.anomalies.setWordWrap(True)
        self.camera_slot = QVBoxLayout()
        self.camera_placeholder = QLabel(objectName="cardMuted")
        self.camera_placeholder.setWordWrap(True)
        self.camera_slot.addWidget(self.camera_placeholder)
        self.camera_widget: QWidget | None = None
        self.keep_clear: list[QWidget] = []  # the host's bars the card must not cover (the wall's layer bar)
        self.status = QLabel(objectName="cardMuted")

        head = QHBoxLayout()
        head.addWidget(self.title, 1)
        head.addWidget(self.close_button, 0, Qt.AlignmentFlag.AlignTop)
        figures = QHBoxLayout()
        figures.addWidget(self.budget)
        figures.addStretch(1)
        figures.addWidget(self.progress)
        # Two columns side by side where the map leaves room (stacked otherwise): the site and its stages
        # on the left, who benefits and the money on the right. The whole card then fits without scrolling.
        site, money = QVBoxLayout(), QVBoxLayout()
        # The site's camera right under the stage: a leader asks to see the site first, before the figures.
        for item in (self.stepper, self._heading("现场摄像头"), self.camera_slot, self._heading("进度历史"),
                     self.history):
            (site.addLayout if isinstance(item, QVBoxLayout) else site.addWidget)(item)
        for item in (self._heading("利益联结"), self.beneficiaries, self._heading("资金链"), self.funds,
                     self.fund_rates, self.anomalies, self.status):
            money.addWidget(item)
        for col in (site, money):
            col.setContentsMargins(0, 0, 0, 0)
            col.addStretch(1)
        self._columns = (site, money)
        body = QWidget(objectName="cardBody")
        lay = QBoxLayout(QBoxLayout.Direction.LeftToRight, body)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addLayout(site, 3)  # the wider: the camera tile names its spot in full ("安置点广场")
        lay.addLayout(money, 2)
        self._body_layout = lay
        body.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        # A last resort only (a window too small for the card): at 1080p and 4K everything fits unscrolled.
        self.scroll = QScrollArea(objectName="cardScroll")
        self.scroll.setWidget(body)
        self.scroll.setWidgetResizable(True)
        self.scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        outer = QVBoxLayout(self)
        outer.addLayout(head)
        outer.addWidget(self.subtitle)
        outer.addLayout(figures)
        outer.addWidget(self.as_of)
        outer.addWidget(self.scroll, 1)
        self.set_metrics(self.metrics)
        self.hide()
        if parent is not None:
            parent.installEventFilter(self)  # follow the map's size

    def eventFilter(self, watched, event) -> bool:
        from PySide6.QtCore import QEvent

        if watched is self.parentWidget() and event.type() == QEvent.Type.Resize and self.isVisible():
            self.place()
        return False

    def _heading(self, text: str) -> QLabel:
        return QLabel(text, objectName="cardHeading")

    # -- metrics and placement ------------------------------------------------------------------
    def set_metrics(self, m: Metrics) -> None:
        self.metrics = m
        for w in (self.stepper, self.history, self.funds):
            w.set_metrics(m)
        self.layout().setContentsMargins(m.px(16), m.px(12), m.px(16), m.px(12))
        self.layout().setSpacing(m.px(6))
        self._body_layout.setSpacing(m.px(20))
        for col in self._columns:
            col.setSpacing(m.px(6))
        self.close_button.setFixedSize(m.px(40), m.px(40))
        self.setStyleSheet(
            # Opaque: the map's labels and legend must not show through the card.
            f"#projectCard {{ background: rgb(8,22,42); border: {m.px(2)}px solid {Colors.accent_dim};"
            f" border-radius: {m.px(8)}px; }}"
            f"#cardBody, #cardScroll, #cardScroll > QWidget > QWidget {{ background: rgb(8,22,42); }}"
            f"#cardTitle {{ color: {Colors.text}; font-size: {m.px(24)}px; font-weight: bold; }}"
            f"#cardClose {{ color: {Colors.text}; background: #12304f; border: {m.px(1)}px solid {Colors.panel_border};"
            f" border-radius: {m.px(20)}px; font-size: {m.px(20)}px; }}"
            f"#cardMuted {{ color: {Colors.text_muted}; font-size: {m.px(15)}px; }}"
            f"#cardText {{ color: {Colors.text}; font-size: {m.px(16)}px; }}"
            f"#cardFigure {{ color: {Colors.accent}; font-size: {m.px(22)}px; font-weight: bold; }}"
            f"#cardHeading {{ color: {Colors.accent}; font-size: {m.px(16)}px; font-weight: bold;"
            f" border-bottom: {m.px(1)}px solid {Colors.panel_border}; padding-top: {m.px(4)}px; }}"
            f"#cardWarning {{ color: #ffd9a0; font-size: {m.px(15)}px; }}")
        self.place()

    def place(self) -> None:
        """Over the right-hand part of its parent (the map), full height less a margin: two columns wide
        where the map keeps room for its regions beside it, one column otherwise."""
        host = self.parentWidget()
        if host is None:
            return
        m = self.metrics
        margin = m.px(12)
        wide = max(m.px(COLUMNS_WIDTH), int(host.width() * 0.5))
        two = host.width() - wide - 2 * margin >= m.px(MAP_KEEPS)
        w = wide if two else min(host.width() - 2 * margin, max(m.px(460), int(host.width() * 0.4)))
        self._body_layout.setDirection(QBoxLayout.Direction.LeftToRight if two else QBoxLayout.Direction.TopToBottom)
        left, top = host.width() - w - margin, margin
        for other in self.keep_clear:  # below the map's own bars where the card would cover them
            g = other.geometry()
            if other.parentWidget() is host and not other.isHidden() and g.right() >= left:
                top = max(top, g.bottom() + 1 + margin // 2)
        self.setGeometry(left, top, w, max(100, host.height() - top - margin))
        self._cover(self.isVisible())

    def _cover(self, on: bool) -> None:
        """Tell the map (the parent) what the card covers: it fits its regions to the rest."""
        set_cover = getattr(self.parentWidget(), "set_cover", None)  # a plain QWidget parent in tests
        if set_cover is not None:
            set_cover("card", QRectF(self.geometry()) if on else None)

    def showEvent(self, event) -> None:
        super().showEvent(event)
        self._cover(True)

    def hideEvent(self, event) -> None:
        super().hideEvent(event)
        self._cover(False)

    # -- content --------------------------------------------------------------------------------
    def show_loading(self, project_id: int, name: str) -> None:
        self.project_id, self.detail = project_id, None
        self.title.setText(name)
        self.subtitle.setText("正在载入项目详情…")
        for w in (self.budget, self.progress, self.as_of, self.beneficiaries, self.fund_rates, self.anomalies,
                  self.status):
            w.setText("")
        self.stepper.set_stage("")
        self.history.set_history([])
        self.funds.set_steps([])
        self.camera_placeholder.setText("")
        self.place()
        self.show()
        self.raise_()

    def show_error(self, message: str) -> None:
        self.subtitle.setText(f"项目详情暂时无法获取（{message}）")

    def set_detail(self, detail: ProjectDetail) -> None:
        self.detail = detail
        pr = detail.project
        self.project_id = int(pr.get("id")) if pr.get("id") is not None else None
        self.title.setText(str(pr.get("name") or ""))
        bits = [pr.get("industry_zh"), pr.get("batch_zh"), pr.get("region_name")]
        year = f"{pr['planned_year']} 年立项" if pr.get("planned_year") else None
        self.subtitle.setText(" · ".join(str(b) for b in (*bits, year) if b))
        self.budget.setText(f"预算 {wan(float(pr.get('budget') or 0))}")
        self.progress.setText(f"{pr.get('stage_zh') or ''} · 进度 {float(pr.get('progress') or 0):.0f}%")
        self.as_of.setText(_as_of_text(pr))
        self.stepper.set_stage(str(pr.get("stage") or ""))
        self.history.set_history(pr.get("history") or [])
        self.beneficiaries.setText(_beneficiaries_text(pr))
        chain = detail.chain or {}
        total = chain.get("total") or {}
        self.funds.set_steps(total.get("steps") or [])
        self.funds.setVisible(bool(total) or "funds" not in detail.errors)  # never 0.0 万元 for unknown money
        if total:
            self.fund_rates.setText(f"到位率 {_pct(total.get('arrival_rate'))}　支出率 {_pct(total.get('spend_rate'))}")
        elif "funds" in detail.errors:
            self.fund_rates.setText(f"资金数据暂时无法获取（{detail.errors['funds']}）")
        else:
            self.fund_rates.setText("暂无资金记录")
        found = [a for a in chain.get("anomalies") or [] if isinstance(a, dict)]
        self.anomalies.setText(_anomalies_text(found))
        self.anomalies.setVisible(bool(found))
        if self.camera_widget is None:
            cams = detail.cameras
            if cams:
                names = "、".join(str(c.get("name") or c.get("site") or c.get("id")).split("·")[-1] for c in cams)
                online = sum(1 for c in cams if c.get("status") == "online")
                self.camera_placeholder.setText(f"{len(cams)} 路（在线 {online} 路）：{names}")
            else:
                self.camera_placeholder.setText(detail.errors.get("cameras") or "该项目未接入摄像头")
        self.status.setText("")
        self.place()
        self.show()
        self.raise_()

    @staticmethod
    def tile_camera(cam: dict) -> dict:
        """The camera as the card's tile names it: the card already names the project, so the tile says
        only which spot ("济生铁皮石斛产业园·1号种植大棚" → "1号种植大棚") and never gets cut."""
        out = dict(cam)
        name = str(cam.get("name") or "")
        out["name"] = name.split("·")[-1] or name
        out["site"] = ""
        return out

    def set_camera_widget(self, widget: QWidget | None) -> None:
        """Put the project's live camera tile in `camera_slot` (None: back to the list of names)."""
        if self.camera_widget is not None:
            self.camera_slot.removeWidget(self.camera_widget)
            self.camera_widget.setParent(None)
        self.camera_widget = widget
        if widget is not None:
            self.camera_placeholder.hide()
            self.camera_slot.addWidget(widget)
        else:
            self.camera_placeholder.show()

    def field_texts(self) -> dict[str, str]:
        """What the card says, by field (tests)."""
        return {"title": self.title.text(), "subtitle": self.subtitle.text(), "budget": self.budget.text(),
                "progress": self.progress.text(), "as_of": self.as_of.text(), "stage": self.stepper.stage,
                "beneficiaries": self.beneficiaries.text(), "fund_rates": self.fund_rates.text(),
                "anomalies": self.anomalies.text(), "cameras": self.camera_placeholder.text()}


def _beneficiaries_text(pr: dict) -> str:
    b = pr.get("beneficiaries") if isinstance(pr.get("beneficiaries"), dict) else None
    if b is None:
        n = int(pr.get("beneficiary_households") or 0)
        return f"带动贫困户 {n} 户" if n else "暂无利益联结记录"
    head = f"带动贫困户 {b.get('households', 0)} 户 {b.get('people', 0)} 人"
    if b.get("exited_households"):
        head += f"，其中已脱贫 {b['exited_households']} 户"
    villages = [v for v in b.get("villages") or [] if isinstance(v, dict)]
    if villages:
        top = "、".join(f"{v.get('name')} {v.get('households')} 户" for v in villages[:4])
        more = f" 等 {len(villages)} 个村" if len(villages) > 4 else ""
        head += f"\n分布：{top}{more}"
    return head


def _anomalies_text(found: list[dict]) -> str:
    """The chain's anomalies by kind, with counts: a few short lines, whatever their number (each one's
    explanation is a click away on the map's ⚠ and in the fund panel)."""
    if not found:
        return ""
    kinds: dict[str, int] = {}
    for a in found:
        kind = str(a.get("kind_zh") or "异常")
        kinds[kind] = kinds.get(kind, 0) + 1
    listed = "、".join(f"{k} {n} 处" for k, n in kinds.items())
    return f"⚠ 资金链异常 {len(found)} 处：{listed}"


def _as_of_text(pr: dict) -> str:
    """Which year the stage and progress stand at (the timeline's), and the record they come from."""
    year, date = pr.get("stage_year"), pr.get("stage_as_of")
    if not year:
        return ""
    if date:
        return f"阶段与进度截至 {year} 年底（最近一次记录 {date}）"
    return f"截至 {year} 年底尚无进度记录（项目库）"


def _pct(v) -> str:
    return "—" if v is None else f"{float(v):.1f}%"
