"""Legend of the choropleth: indicator, unit, class swatches with ranges, 无数据, and which way is good."""

from __future__ import annotations

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QPen
from PySide6.QtWidgets import QFrame, QGridLayout, QLabel, QVBoxLayout, QWidget

from sandbox.domain.rules import EXIT_INCIDENCE_PCT
from sandbox.ui.classify import NO_DATA, legend_labels, no_data_rows
from sandbox.ui.fmt import NO_DATA_TEXT
from sandbox.ui.poor_villages import legend_text
from sandbox.ui.state import MapState
from sandbox.ui.theme import NO_DATA_COLOR, Colors, Metrics, metrics_for_height, no_value_colour, ramp

__all__ = ["LegendWidget", "LegendEntry"]

SCHEME_ZH = {"natural_breaks": "自然断点分级", "quantiles": "分位数分级", "thresholds": "政策标准固定分级"}
THRESHOLD_NOTES = {"poverty_incidence": f"{EXIT_INCIDENCE_PCT:g}% 为贫困县退出标准线"}
LEVEL_COUNT_ZH = {"prefecture": "个市州", "county": "个县", "town": "个乡镇", "village": "个村"}
LegendEntry = tuple[str, str, int]  # (hex colour, label, number of regions)


class _Swatch(QWidget):
    def __init__(self, colour: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.colour = colour

    def snapshot_key(self) -> str:
        return self.colour

    def paintEvent(self, event) -> None:
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.setPen(QPen(QColor(Colors.panel_border), 1))
        p.setBrush(QColor(self.colour))
        r = QRectF(self.rect()).adjusted(0.5, 0.5, -0.5, -0.5)
        p.drawRoundedRect(r, 3, 3)
        p.end()


class LegendWidget(QFrame):
    """Rebuilt from the MapState whenever its data or indicator changes."""

    def __init__(self, state: MapState, parent: QWidget | None = None):
        super().__init__(parent)
        self.state = state
        self.metrics: Metrics = metrics_for_height(1080)
        self.setObjectName("legend")
        self._entries: list[LegendEntry] = []
        self.title = QLabel(objectName="legendTitle")
        self.hint = QLabel(objectName="legendHint")
        self.scheme = QLabel(objectName="legendScheme")
        self.title.setWordWrap(True)
        self.scheme.setWordWrap(True)
        # The poor villages' outlines and 出列 tag: two lines high at every level, so that a drill never
        # changes the legend's height (the side column would be laid out again in the drill's frame).
        self.poor = QLabel(objectName="legendScheme")
        self.poor.setWordWrap(True)
        self.poor.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        self._grid_host = QWidget()
        self._grid = QGridLayout(self._grid_host)
        self._grid.setContentsMargins(0, 0, 0, 0)
        lay = QVBoxLayout(self)
        for w in (self.title, self.hint, self._grid_host, self.poor, self.scheme):
            lay.addWidget(w)
        state.events.data.connect(self._rebuild)
        state.events.indicator.connect(self._rebuild)
        state.events.indicators.connect(self._rebuild)
        self._rebuild()

    def set_metrics(self, metrics: Metrics) -> None:
        self.metrics = metrics
        self.poor.setFixedHeight(round(2.6 * metrics.px(15)))  # two lines of the legend's small text
        self._rebuild()

    def paint_ahead(self, code: str, region_map, series=None) -> None:
        """Paint the legend a drill into `code` will show (its classes, as the map's prepared level has
        them) into the snapshot's kept pictures (see SnapshotEffect); then show this level's again."""
        effect = self.graphicsEffect()
        if not hasattr(effect, "paint_ahead") or not self.isVisible() or not region_map.features:
            return
        real = self.state
        ahead = MapState(real.indicator_key, classes=real.classes)
        ahead.set_indicators(list(real.indicators.values()))  # the same registry: the same classes
        ahead.show(code, region_map.year, region_map, series)
        try:
            self.state = ahead
            self._rebuild()
            effect.paint_ahead()
        finally:
            self.state = real
            self._rebuild()

    def entries(self) -> list[LegendEntry]:
        """What the legend lists, top to bottom, ending with the 无数据 entry."""
        return list(self._entries)

    def _rebuild(self, *_) -> None:
        st, m = self.state, self.metrics
        info = st.indicator
        unit = f"（单位：{info.unit}）" if info.unit else ""
        self.title.setText(f"{info.label_zh}{unit}")
        self.hint.setText("▲ 数值越高越好" if info.higher_is_better else "▼ 数值越低越好")
        rm = st.region_map
        poor = legend_text(rm.features, rm.year) if rm is not None else ""
        self.poor_text = poor  # the outlines and the 出列 tag explained
        self.poor.setText(poor)
        self.scheme.setText(self._scheme_text())
        entries: list[LegendEntry] = []
        if st.region_map is not None:
            cls = st.classification
            colours = ramp(cls.k, info.higher_is_better)
            counts = cls.counts()
            for colour, label, n in zip(colours, legend_labels(cls, info.unit), counts):
                entries.append((colour, label, n))
            key = st.indicator_key
            notes = [f.note(key) for f, c in zip(st.region_map.features, cls.classes) if c == NO_DATA]
            entries += [(no_value_colour(note), label, n) for note, label, n in no_data_rows(notes)]
        else:
            entries.append((NO_DATA_COLOR, NO_DATA_TEXT, 0))
        self._entries = entries
        level = rm.features[0].level if rm is not None and rm.features else ""
        self._fill_grid(entries, m, LEVEL_COUNT_ZH.get(level, "个"))
        # New texts laid out before the next frame, not a turn after it (one repaint, not two).
        self._grid.activate()
        self.layout().activate()


    def _scheme_text(self) -> str:
        """How the classes were made, and that they hold across the years (so colours compare)."""
        st = self.state
        if st.region_map is None:
            scheme = st.indicator.classification
        else:
            scheme = st.classification.scheme
        text = SCHEME_ZH.get(scheme, scheme)
        if scheme == "thresholds":
            note = THRESHOLD_NOTES.get(st.indicator_key)
            return f"{text}（{note}）" if note else text
        span = st.breaks_fixed_over
        return f"{text} · {span[0]}–{span[1]} 年统一色阶" if span else text

    def _fill_grid(self, entries: list[LegendEntry], m: Metrics, counter: str) -> None:
        """One row per entry; rows are reused (a drill or a new year changes texts, not widgets)."""
        rows: list[tuple[_Swatch, QLabel, QLabel]] = self.__dict__.setdefault("_rows", [])
        while len(rows) > len(entries):
            for w in rows.pop():
                self._grid.removeWidget(w)
                w.hide()  # deleteLater waits for the event loop; never let old rows paint meanwhile
                w.setParent(None)
                w.deleteLater()
        self._grid.setHorizontalSpacing(m.px(12))
        self._grid.setVerticalSpacing(m.px(8))
        for row, (colour, label, n) in enumerate(entries):
            if row == len(rows):
                sw = _Swatch(colour)
                text = QLabel(label, objectName="legendRange")
                count = QLabel(objectName="legendCount")
                count.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                self._grid.addWidget(sw, row, 0)
                self._grid.addWidget(text, row, 1)
                self._grid.addWidget(count, row, 2)
                for w in (sw, text, count):
                    w.setVisible(True)  # now, not on the layout's queued show a turn later
                rows.append((sw, text, count))
            sw, text, count = rows[row]
            if sw.colour != colour:
                sw.colour = colour
                sw.update()
            sw.setFixedSize(round(m.swatch * 1.5), m.swatch)
            text.setText(label)
            count.setText(f"{n} {counter}")
        self._grid.setColumnStretch(1, 1)
        # The count column at the width of its widest text at any level ("99 个乡镇"), not of this level's
        # counts: "8 个乡镇" → "17 个村" would resize and lay out every row's labels in a drill's click.
        if rows:
            count = rows[0][2]
            count.ensurePolished()
            fm = count.fontMetrics()
            widest = max(fm.horizontalAdvance(f"{n} {c}") for n in (99,) for c in {counter, *LEVEL_COUNT_ZH.values()})
            self._grid.setColumnMinimumWidth(2, widest + 2)
