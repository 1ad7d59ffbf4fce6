"""The village panel: name, 贫困村 status, key indicators and a paged, server-masked household list."""

from __future__ import annotations

from collections.abc import Iterable

from PySide6.QtCore import QPoint, QRect, Qt, QTimer, Signal
from PySide6.QtGui import QImage, QPainter
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSizePolicy,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from sandbox.ui.fmt import format_as_of, format_value, note_of, year_as_of
from sandbox.ui.paint_cache import OUTLINE_PX, draw_outline_text, font_metrics
from sandbox.ui.state import MapState
from sandbox.ui.theme import Metrics, metrics_for_height
from sandbox.ui.village import VillageState
from sandbox.ui.village_rows import (
    HOUSEHOLD_COLUMNS,
    PreparedRows,
    RowsCache,
    household_row,
    make_rows,
    model_texts,
    set_model,
    table_key,
)
from sandbox.ui.widgets import StrongLabel

__all__ = ["VillagePanel", "KEY_INDICATORS", "HOUSEHOLD_COLUMNS", "household_row"]

# The village's figures a leader asks about first: poverty, 两不愁三保障, the people helping.
KEY_INDICATORS = (
    "poverty_incidence", "poor_population", "poor_households", "exited_population",
    "income_ok_rate", "housing_safe_rate", "water_safe_rate", "education_ok_rate",
    "medical_ok_rate", "registered_households", "cadres", "satisfaction_rate",
)
_TILE_COLUMNS = 4


class VillagePanel(QFrame):
    """Follows a VillageState; asks for pages and for closing through signals."""

    closeRequested = Signal()
    pageRequested = Signal(int)

    def __init__(self, village: VillageState, map_state: MapState, parent: QWidget | None = None):
        super().__init__(parent)
        self.village = village
        self.map_state = map_state
        self.metrics: Metrics = metrics_for_height(1080)
        self.setObjectName("villagePanel")
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Expanding)
        self.name_label = StrongLabel(objectName="villageName")
        self.tag_label = QLabel(objectName="villageTag")
        self.level_label = QLabel(objectName="villageLevel")
        self.close_button = QPushButton("✕ 关闭", objectName="closeButton")
        self.close_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.close_button.setCursor(Qt.CursorShape.PointingHandCursor)
        self.close_button.clicked.connect(self.closeRequested)
        top = QHBoxLayout()
        top.addWidget(self.name_label)
        top.addWidget(self.tag_label, 0, Qt.AlignmentFlag.AlignVCenter)
        top.addStretch(1)
        top.addWidget(self.close_button, 0, Qt.AlignmentFlag.AlignTop)
        self._tiles_host = QWidget(objectName="tileHost")
        self._tiles = QGridLayout(self._tiles_host)
        self._tiles.setContentsMargins(0, 0, 0, 0)
        self._tile_values: dict[str, QLabel] = {}
        self._tile_names: dict[str, QLabel] = {}
        for i, key in enumerate(KEY_INDICATORS):
            tile = QFrame(objectName="villageTile")
            lay = QVBoxLayout(tile)
            value, name = QLabel("—", objectName="tileValue"), QLabel(key, objectName="tileName")
            lay.addWidget(value)
            lay.addWidget(name)
            self._tile_values[key], self._tile_names[key] = value, name
            self._tiles.addWidget(tile, i // _TILE_COLUMNS, i % _TILE_COLUMNS)
        self.households_title = QLabel("户级名单", objectName="panelTitle")
        self.page_label = QLabel(objectName="pageLabel")
        self.prev_button = QPushButton("◀ 上一页", objectName="pagerButton")
        self.next_button = QPushButton("下一页 ▶", objectName="pagerButton")
        for b, step in ((self.prev_button, -1), (self.next_button, 1)):
            b.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            b.setCursor(Qt.CursorShape.PointingHandCursor)
            b.clicked.connect(lambda _=False, s=step: self.pageRequested.emit(self.village.page + s))
        pager = QHBoxLayout()
        pager.addWidget(self.households_title)
        pager.addStretch(1)
        pager.addWidget(self.page_label)
        pager.addWidget(self.prev_button)
        pager.addWidget(self.next_button)
        self.table = self._make_table()
        # Styled as the table (same name, same stylesheet rules), never shown: pages made ready ahead of
        # their click have their columns measured here (`prepare`), so the click sizes no column.
        self._measure = self._make_table()
        self._measure.setParent(self)
        self._measure.hide()
        self.rows = RowsCache(self._measure)
        self._shown: PreparedRows | None = None
        self._poor: bool | None = None
        self._pending: list[dict] = []  # prefetched pages to make ready, one per event-loop turn
        self._prepare_timer = QTimer(self, singleShot=True, interval=0)
        self._prepare_timer.timeout.connect(self._prepare_next)
        self._names: list[str] = []
        self._names_timer = QTimer(self, singleShot=True, interval=0)
        self._names_timer.timeout.connect(self._paint_name_next)
        self.note_label = QLabel(objectName="villageNote")
        self.note_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.note_label.setWordWrap(True)
        self.foot_label = QLabel(objectName="villageFoot")
        self.foot_label.setWordWrap(True)
        lay = QVBoxLayout(self)
        lay.addLayout(top)
        lay.addWidget(self.level_label)
        lay.addWidget(self._tiles_host)
        lay.addLayout(pager)
        lay.addWidget(self.table, 1)
        lay.addWidget(self.note_label, 1)
        lay.addWidget(self.foot_label)
        village.events.changed.connect(self._refresh)
        map_state.events.indicators.connect(self._refresh)
        self._refresh()

    @staticmethod
    def _make_table() -> QTableView:
        table = QTableView(objectName="householdTable")
        table.verticalHeader().hide()
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        table.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        table.setShowGrid(False)
        table.setAlternatingRowColors(True)
        table.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        table.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        table.setWordWrap(False)
        header = table.horizontalHeader()
        # Sized from the measured widths of each page (as ResizeToContents would: never elide a masked ID),
        # not by the header measuring every cell on the click.
        header.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        header.setStretchLastSection(True)
        header.setHighlightSections(False)
        return table

    def prepare(self, households: dict | None) -> bool:
        """Make a page of households ready ahead of its click (its model and columns' widths); False
        when there is nothing to do."""
        items = (households or {}).get("items") or []
        if not items:
            return False
        rows = self.rows.get(items)
        fresh = rows is None
        if fresh:
            rows = make_rows(items)
            self.rows.put(rows)
        self.table.ensurePolished()  # styled as it will be shown, hidden or not
        key = table_key(self.table)
        done = rows.key == key
        self.rows.measured(rows, key)
        return fresh or not done

    def prepare_later(self, households: dict | None) -> None:
        """Make a prefetched page ready while the wall is idle (one page per event-loop turn)."""
        if households and households.get("items"):
            self._pending.append(households)
            self._prepare_timer.start()

    @property
    def preparing(self) -> bool:
        """Prefetched pages (or the town's village names) are still waiting to be made ready."""
        return bool(self._pending or self._names)

    def paint_names_ahead(self, names: Iterable[str]) -> None:
        """Draw the town's village names off screen as the panel's name label draws them (a few per
        event-loop turn while the wall is idle): its outlined glyphs, each stroked the first time it is
        drawn, are then ready for any village's first frame (≈ 0.6 ms of it at 4K)."""
        self._names = [n for n in dict.fromkeys(names) if n]
        if self._names:
            self._names_timer.start()

    def _paint_name_next(self) -> None:
        # Drawn as StrongLabel draws a name, with the shown label's font, colour and height (the text's
        # vertical place, hence its glyphs' sub-pixel phase), into a 1-pixel image: the sprites are made,
        # nothing else. (Not `render()` of a hidden label: Qt lays the window out as if its hidden
        # ancestors — this panel — were shown, and the map was left at the narrower width.)
        shown = self.name_label
        shown.ensurePolished()
        font, names, self._names = shown.font(), self._names[:4], self._names[4:]
        if font.bold() and font.pixelSize() >= OUTLINE_PX:  # (smaller: plain text, no glyph stroked)
            r = shown.contentsRect() if shown.testAttribute(Qt.WidgetAttribute.WA_Resized) else \
                QRect(QPoint(0, 0), shown.sizeHint())
            fm = font_metrics(font)
            y = r.top() + (r.height() - fm.height()) / 2.0 + fm.ascent()
            colour = shown.palette().color(shown.foregroundRole())
            img = QImage(1, 1, QImage.Format.Format_ARGB32_Premultiplied)
            img.setDevicePixelRatio(shown.devicePixelRatioF())
            p = QPainter(img)
            try:
                p.setRenderHint(QPainter.RenderHint.Antialiasing)
                for name in names:
                    draw_outline_text(p, r.left(), y, font, name, colour, font.pixelSize() / 32.0)
            finally:
                p.end()
        if self._names:
            self._names_timer.start()

    def _prepare_next(self) -> None:
        if self._pending:
            self.prepare(self._pending.pop(0))
        if self._pending:
            self._prepare_timer.start()

    def set_metrics(self, m: Metrics) -> None:
        self.metrics = m
        lay = self.layout()
        lay.setContentsMargins(m.px(20), m.px(16), m.px(20), m.px(16))
        lay.setSpacing(m.px(12))
        self._tiles.setHorizontalSpacing(m.px(10))
        self._tiles.setVerticalSpacing(m.px(10))
        for b in (self.prev_button, self.next_button, self.close_button):
            b.setMinimumHeight(m.px(48))
        for t in (self.table, self._measure):
            t.verticalHeader().setDefaultSectionSize(m.px(42))
            t.horizontalHeader().setFixedHeight(m.px(44))
        shown, self._shown = self._shown, None
        if shown is not None:  # a page on screen (a start on a village): its columns measured for the new style
            self.table.ensurePolished()
            self.rows.measured(shown, table_key(self.table))
            self._show_rows(shown)

    def cell_texts(self) -> list[list[str]]:
        """The table as shown (tests check that personal fields arrive masked)."""
        if self.table.isHidden() or self.table.model() is None:
            return []
        return model_texts(self.table.model())

    def _refresh(self, *_) -> None:
        v = self.village
        region = v.region or {}
        self.name_label.setText(str(region.get("name") or ""))
        self.tag_label.setText(self._tag(region))
        poor = bool(region.get("is_poor_village"))
        if poor != self._poor:  # a QSS property: the label is styled again only when it changes
            self._poor = poor
            self.tag_label.setProperty("poor", poor)
            self.tag_label.style().unpolish(self.tag_label)
            self.tag_label.style().polish(self.tag_label)
        year = region.get("year")
        self.level_label.setText("  ·  ".join(p for p in (
            f"{region.get('level_zh') or '行政村'}", f"区划代码 {region.get('code', '')}",
            f"{year} 年度" if year else "") if p))
        ind = region.get("indicators") or {}
        notes = region.get("indicator_notes")
        for key in KEY_INDICATORS:
            info = self.map_state.info(key)
            self._tile_names[key].setText(info.label_zh)
            self._tile_values[key].setText(format_value(ind.get(key), info.unit, note_of(notes, key)) if region else "—")
        self._fill_households()
        as_of = year_as_of(region.get("as_of"), region.get("year"))  # the year's figures: its end
        self.foot_label.setText(f"数据截至 {format_as_of(as_of)}  ·  户级信息已按权限脱敏" if region else "")

    @staticmethod
    def _tag(region: dict) -> str:
        if not region:
            return ""
        if region.get("is_poor_village") is None:  # boundaries alone: not yet known
            return "是否贫困村 无数据"
        if not region.get("is_poor_village"):
            return "非贫困村"
        exit_year = region.get("poor_village_exit_year")
        year = region.get("year")
        if exit_year and (year is None or int(exit_year) <= int(year)):
            return f"贫困村 · {exit_year}年出列"
        if exit_year:
            return f"贫困村 · 计划{exit_year}年出列"
        return "贫困村 · 未出列"

    def _fill_households(self) -> None:
        v = self.village
        hh = v.households
        if not v.is_open:
            # Closed (the wall hides the panel): its list emptied, the list's widgets left shown or hidden as
            # they are — the next village most likely shows them as this one did, so its click shows and
            # hides none of them (≈ 0.5 ms of the click's layout at 4K).
            self._show_rows(None)
            self.households_title.setText("户级名单")
            self.page_label.setText("")
            self.note_label.setText("")
            return
        # Opened at the click while its list is waited for (nothing paints meanwhile): laid out as it will
        # be with the list, so the list's arrival shows and hides nothing (≈ 1 ms of layout at 4K).
        show_table = (hh is not None or v.at_click) and not v.note
        self.table.setVisible(show_table)
        self.note_label.setVisible(not show_table)
        self.note_label.setText(v.note or "正在获取户级信息…")
        for w in (self.prev_button, self.next_button, self.page_label):
            w.setVisible(show_table)
        if not show_table or hh is None:
            self.households_title.setText("户级名单")
            self.page_label.setText("")
            self._show_rows(None)  # a note in the list's place: none of another village's rows stay behind it
            return
        items = hh.get("items") or []
        total = int(hh.get("total") or 0)
        year = hh.get("year")
        closed = int(hh.get("closed") or 0)  # 销户: not on the list, said apart (the tile counts 在册 too)
        self.households_title.setText(f"户级名单 共 {total} 户" + (f"（{year}年末状态）" if year else "")
                                      + (f" · 另有销户 {closed} 户" if closed else ""))
        self.page_label.setText(f"第 {v.page} / {v.pages} 页")
        self.prev_button.setEnabled(v.page > 1)
        self.next_button.setEnabled(v.page < v.pages)
        if not items:
            self._show_rows(None)
            self.table.setVisible(False)
            self.note_label.setVisible(True)
            self.note_label.setText("本村没有建档立卡户记录")
            return
        self.prepare(hh)  # made ready ahead when the page was prefetched: then only found here
        self._show_rows(self.rows.get(items))

    def _show_rows(self, rows: PreparedRows | None) -> None:
        """Hand the table a prepared page (its model, its columns' widths); None: no rows."""
        if rows is self._shown:
            return
        self._shown = rows
        set_model(self.table, rows.model if rows is not None else None)
        if rows is not None:
            header = self.table.horizontalHeader()
            for c, w in enumerate(rows.widths[:-1]):  # the last column stretches
                header.resizeSection(c, w)
            self.table.scrollToTop()
