"""A page of households made ready for the village panel's table ahead of the click: a model and its column widths."""

# Filling a 50-row table on the click (400 cells: texts, tooltips, then every cell measured again for
# the columns' widths) cost the village drill ≈ 10 ms of the GUI thread. A prefetched village's page is
# turned into a model and measured while the wall is idle; the click then only hands the table that
# model and its widths.

from __future__ import annotations

import math
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

from PySide6.QtCore import QItemSelectionModel, Qt
from PySide6.QtGui import QFontMetricsF, QStandardItem, QStandardItemModel
from PySide6.QtWidgets import QTableView

from sandbox.ui.fmt import format_value

__all__ = ["HOUSEHOLD_COLUMNS", "household_row", "PreparedRows", "RowsCache", "make_rows", "set_model", "table_key", "model_texts", "ROWS_KEPT"]

# Pages kept ready, least recently used dropped first: a town's village panels (the demo's largest town has
# 19 villages). A page of 50 households as a model is ≈ 0.4 MB of native memory: ≤ 10 MB in all.
ROWS_KEPT = 24

# (header, household field); masking is the server's: the wall shows exactly what it was sent.
HOUSEHOLD_COLUMNS = (
    ("户主", "head_name"), ("身份证号", "id_number"), ("户属性", "attribute_zh"), ("状态", "status_zh"),
    ("人口", "members"), ("致贫原因", "main_cause_zh"), ("脱贫路径", "exit_batch_zh"),
    ("人均纯收入", "per_capita_net_income"),
)
# Narrow-column forms of long labels (the full text is the cell's tooltip).
_SHORT = {
    "社会保障兜底一批": "兜底保障", "一般贫困户": "一般户", "低保贫困户": "低保户", "特困供养贫困户": "特困户",
    "交通条件落后": "交通落后", "自身发展动力不足": "动力不足",
}


def household_row(item: dict[str, Any]) -> list[str]:
    """One household as the table's cells (missing fields as '—')."""
    out = []
    for _, key in HOUSEHOLD_COLUMNS:
        v = item.get(key)
        if v is None or v == "":
            out.append("—")
        elif key == "per_capita_net_income":
            out.append(format_value(v, "元"))
        elif key == "exit_batch_zh":
            out.append(_SHORT.get(str(v)) or str(v).removesuffix("脱贫一批").removesuffix("一批"))
        elif key == "members":
            out.append(f"{v}人")
        else:
            out.append(_SHORT.get(str(v), str(v)))
    return out


@dataclass(eq=False)
class PreparedRows:
    """A page of households as the table shows it; `widths` are the columns' sizes measured for `key`."""

    items: list  # the page's items (held: the cache is keyed by this list's identity)
    model: QStandardItemModel
    widths: tuple[int, ...] | None = None
    key: tuple | None = None  # the table's font and style the widths were measured with
    texts: list[list[str]] = field(default_factory=list)  # the cells' texts, row by row


def make_rows(items: list) -> PreparedRows:
    """The model of one page: every cell's text, centred, with the full text as its tooltip when shortened."""
    model = QStandardItemModel(len(items), len(HOUSEHOLD_COLUMNS))
    model.setHorizontalHeaderLabels([h for h, _ in HOUSEHOLD_COLUMNS])
    # Cells are made by the model from a centred, read-only prototype as their text is set: two calls
    # into Qt a cell instead of four (a new item, its alignment, read-only, placed): ≈ 4.4 → 2.4 ms a
    # page. A not-prefetched village fills its 400 cells on the click.
    proto = QStandardItem()
    proto.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
    proto.setEditable(False)
    model.setItemPrototype(proto)
    index, set_data, tip = model.index, model.setData, Qt.ItemDataRole.ToolTipRole
    keys = [k for _, k in HOUSEHOLD_COLUMNS]
    texts = []
    for r, item in enumerate(items):
        row = household_row(item)
        texts.append(row)
        for c, text in enumerate(row):
            at = index(r, c)
            set_data(at, text)
            full = item.get(keys[c])
            if isinstance(full, str) and full != text:
                set_data(at, full, tip)
    return PreparedRows(items, model, texts=texts)


class RowsCache:
    """Pages made ready, by the identity of their items list; `measure` is a hidden table styled as the
    shown one, where the columns' sizes are calibrated (the way the shown table's header would size them)."""

    def __init__(self, measure: QTableView, keep: int = ROWS_KEPT):
        self.measure = measure
        self.keep = keep
        self._rows: OrderedDict[int, PreparedRows] = OrderedDict()
        self._scales: dict[tuple, _Scale] = {}  # by table_key: one style's text widths

    def __len__(self) -> int:
        return len(self._rows)

    def get(self, items: list) -> PreparedRows | None:
        got = self._rows.get(id(items))
        if got is not None and got.items is items:
            self._rows.move_to_end(id(items))
            return got
        return None

    def put(self, rows: PreparedRows) -> None:
        self._rows[id(rows.items)] = rows
        self._rows.move_to_end(id(rows.items))
        while len(self._rows) > self.keep:
            self._rows.popitem(last=False)

    def models(self) -> list[QStandardItemModel]:
        return [r.model for r in self._rows.values()]

    def clear(self) -> None:
        self._rows.clear()

    def measured(self, rows: PreparedRows, key: tuple) -> tuple[int, ...]:
        """The columns' widths of `rows` in a table styled as `key` says (worked out once per key): what
        the table's header would size them to — each column's widest cell or its heading —, from the
        font's advances of the page's texts (a not-prefetched village's page is sized on its click:
        asking the view for every cell's size hint took ≈ 1.8 ms of it, this ≈ 0.15)."""
        if rows.widths is None or rows.key != key:
            scale = self._scales.get(key)
            if scale is None:
                scale = self._scales[key] = _Scale(self.measure)
            rows.widths = scale.widths(rows.texts or model_texts(rows.model))
            rows.key = key
        return rows.widths


class _Scale:
    """A table style's column widths as `sizeHintForColumn` gives them: a cell's is its text's advance
    (rounded up) plus the style's margins, found once by measuring one cell in the hidden table; the
    headings' widths are the header's own hints (fixed labels)."""

    _PROBE = "0"

    def __init__(self, table: QTableView):
        table.ensurePolished()
        self.metrics = QFontMetricsF(table.font())
        probe = QStandardItemModel(1, len(HOUSEHOLD_COLUMNS))
        probe.setHorizontalHeaderLabels([h for h, _ in HOUSEHOLD_COLUMNS])
        for c in range(len(HOUSEHOLD_COLUMNS)):
            probe.setData(probe.index(0, c), self._PROBE)
        set_model(table, probe)
        try:
            header = table.horizontalHeader()
            self.margin = table.sizeHintForColumn(0) - self._advance(self._PROBE)
            self.headings = tuple(header.sectionSizeHint(c) for c in range(len(HOUSEHOLD_COLUMNS)))
        finally:
            set_model(table, None)
        self._seen: dict[str, int] = {}  # text → its rounded-up advance (statuses and causes repeat)

    def _advance(self, text: str) -> int:
        return math.ceil(self.metrics.horizontalAdvance(text))

    def widths(self, texts: list[list[str]]) -> tuple[int, ...]:
        seen, advance = self._seen, self._advance
        out = []
        for c, heading in enumerate(self.headings):
            widest = 0
            for text in {row[c] for row in texts}:
                w = seen.get(text)
                if w is None:
                    w = seen[text] = advance(text)
                widest = max(widest, w)
            out.append(max(widest + self.margin, heading) if texts else heading)
        if len(seen) > 4096:  # names and IDs are mostly seen once: bounded
            seen.clear()
        return tuple(out)


def set_model(view: QTableView, model: QStandardItemModel | None) -> None:
    """`view.setModel(model)`, dropping the selection models it leaves behind (Qt leaves them to their owner).

    At every `setModel` Qt makes a selection model for the view and one for each header (which the view's
    then replaces), and deletes an old one only when its model is destroyed. The pages' models are kept
    for reuse, so without this a wall showing villages all day gathered two or three per page shown (the
    soak: +11 QObjects a cycle).

    They are looked up with `children()`, not `findChildren`: PySide makes the caller of `findChildren` the
    Python parent of every object found, so the wrapper of each selection model deleted here stayed alive
    under the table for the wall's life (≈ 280 bytes each, ≈ 50 a soak cycle: ≈ 5 MB per hour-equivalent)."""
    view.setModel(model)
    for owner in (view, view.horizontalHeader(), view.verticalHeader()):
        current = owner.selectionModel()
        for selection in owner.children():
            if isinstance(selection, QItemSelectionModel) and selection is not current:
                selection.deleteLater()


def table_key(table: QTableView) -> tuple:
    """What a column's measured width depends on: the table's and its header's fonts (the stylesheet's sizes)."""
    return table.font().key(), table.horizontalHeader().font().key(), table.window().styleSheet().__hash__()


def model_texts(model: Any) -> list[list[str]]:
    return [[model.index(r, c).data() or "" for c in range(model.columnCount())] for r in range(model.rowCount())]
