"""A board's side panel: its title, counts, the map's key, a list of its rows (leader walls) and a note (the base
of the 风险 and 督办 panels)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QSizePolicy, QVBoxLayout, QWidget

from sandbox.ui.theme import Colors, Metrics, metrics_for_height

__all__ = ["CountPanel"]


class CountPanel(QFrame):
    """Subclasses set the class attributes, make their own widgets in `build` and fill them in `set_board`."""

    prefix = ""  # object names: #<prefix>Panel, #<prefix>Counts, …
    title_zh = ""  # the title with no board
    data_zh = ""  # in "正在获取…数据"
    key_zh = ""  # what the map's colours mean
    colours: tuple[str, ...] = ()
    key: tuple[tuple[int, str], ...] = ()  # (colour class, label) in the key's order

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        p = self.prefix
        self.setObjectName(f"{p}Panel")
        self.metrics: Metrics = metrics_for_height(1080)
        self.board = None
        self.title = QLabel(self.title_zh, objectName="panelTitle")
        self.head = QHBoxLayout()
        self.head.setContentsMargins(0, 0, 0, 0)
        self.head.addWidget(self.title, 1)
        self.counts = self._label("Counts", plain=True)
        # the map's colours, said once here: the indicator legend is hidden while the layer is on
        self.key_label = self._label("Key")
        self.key_label.setText(f"地图颜色（{self.key_zh}）：" + "　".join(
            f"<span style='color:{self.colours[i]}'>■</span> {label}" for i, label in self.key))
        self.rows_title = self._label("RowsTitle")
        self.rows = self._label("Rows", plain=True)  # the rows are the API's text: never markup
        self.note = self._label("Note")
        lay = QVBoxLayout(self)
        lay.addLayout(self.head)
        self.extra = self.build()
        for w in (self.counts, self.key_label, *self.extra, self.rows_title, self.rows, self.note):
            lay.addWidget(w)
        lay.addStretch(1)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Minimum)
        self.set_metrics(self.metrics)
        self.set_board(None)

    def _label(self, name: str, plain: bool = False) -> QLabel:
        label = QLabel(objectName=self.prefix + name)
        label.setWordWrap(True)
        if plain:
            label.setTextFormat(Qt.TextFormat.PlainText)
        return label

    def build(self) -> list[QWidget]:
        """The subclass's own widgets to lay out between the key and the rows (it may add some to `head`, beside
        the title); all hidden with no board."""
        return []

    def extra_style(self, m: Metrics) -> str:
        return ""

    def set_metrics(self, m: Metrics) -> None:
        self.metrics = m
        self.layout().setContentsMargins(m.px(12), m.px(10), m.px(12), m.px(10))
        self.layout().setSpacing(m.px(6))
        p = self.prefix
        self.setStyleSheet(
            f"#{p}Panel {{ background: rgba(12,29,54,215); border: {m.px(1)}px solid {Colors.panel_border};"
            f" border-radius: {m.px(6)}px; }}"
            f"#{p}Counts {{ color: {Colors.text}; font-size: {m.px(16)}px; }}"
            f"#{p}Key {{ color: {Colors.text_muted}; font-size: {m.px(14)}px; }}"
            f"#{p}RowsTitle {{ color: #ff7a6b; font-size: {m.px(16)}px; font-weight: bold; }}"
            f"#{p}Rows {{ color: #ffd9a0; font-size: {m.px(14)}px; }}"
            f"#{p}Note {{ color: {Colors.text_muted}; font-size: {m.px(13)}px; }}" + self.extra_style(m))

    def hide_details(self) -> None:
        """Only the title and the counts stay: no board, or no rows for this wall."""
        beside_title = [self.head.itemAt(i).widget() for i in range(1, self.head.count())]
        for w in (*beside_title, *self.extra, self.rows_title, self.rows, self.note):
            w.hide()

    def set_board(self, board, loading: bool = False) -> None:
        self.board = board
        if board is None:
            self.title.setText(self.title_zh)
            self.counts.setText(f"正在获取{self.data_zh}数据…" if loading else f"暂无{self.data_zh}数据")
            self.hide_details()

    def show_rows(self, title: str, lines: list[str], rest: str, none: bool) -> None:
        """The rows under their title (green when there are `none`), and the note on what is left out."""
        self.rows_title.setText(title)
        self.rows_title.setStyleSheet("color: #3ddc84;" if none else "")
        self.rows_title.show()
        self.rows.setText("\n".join(lines))
        self.rows.setVisible(bool(lines))
        self.note.setText(rest)
        self.note.setVisible(bool(rest))

    def counts_only(self, note: str) -> None:
        """A wall that may see counts alone (or whose rows failed): the rows hidden, the note says why."""
        self.rows_title.hide()
        self.rows.hide()
        self.note.setText(note)
        self.note.show()

    def row_lines(self) -> list[str]:
        return [line for line in self.rows.text().split("\n") if line] if self.rows.isVisible() else []
