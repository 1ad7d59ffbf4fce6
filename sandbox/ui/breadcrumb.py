"""The drill-down path as clickable crumbs (独山县 › 百泉镇 › 兰堡村) with a back button."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QSizePolicy, QWidget

from sandbox.ui.navigation import Crumb, Navigation, crumb_of

__all__ = ["BreadcrumbBar", "SEPARATOR"]

SEPARATOR = "›"


class BreadcrumbBar(QFrame):
    """Follows `nav`; a click on a crumb asks to go there (by code), the back button one level up."""

    crumbClicked = Signal(str)
    backClicked = Signal()

    def __init__(self, nav: Navigation, parent: QWidget | None = None):
        super().__init__(parent)
        self.nav = nav
        self.setObjectName("breadcrumb")
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
        self.back = QPushButton("◀ 返回上级", objectName="backButton")
        self.back.setCursor(Qt.CursorShape.PointingHandCursor)
        self.back.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.back.clicked.connect(self.backClicked)
        self._crumbs_host = QWidget(objectName="crumbHost")
        self._crumbs = QHBoxLayout(self._crumbs_host)
        self._crumbs.setContentsMargins(0, 0, 0, 0)
        lay = QHBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.back)
        lay.addWidget(self._crumbs_host, 1)
        self._buttons: list[QPushButton] = []  # the path's crumbs, as shown
        self._pool: list[QPushButton] = []
        self._seps: list[QLabel] = []
        self._crumbs.addStretch(1)
        nav.events.changed.connect(self._rebuild)
        self._rebuild()

    def text(self) -> str:
        """The path as shown, e.g. '独山县 › 百泉镇'."""
        return f" {SEPARATOR} ".join(c.name for c in self.nav.stack)

    def crumb_buttons(self) -> list[QPushButton]:
        return list(self._buttons)

    def set_spacing(self, px: int) -> None:
        self._crumbs.setSpacing(px)
        self.layout().setSpacing(px * 2)

    def paint_ahead(self, region: Mapping[str, Any] | None) -> None:
        """Paint the path as it will be once `region`, a child of the level on screen, arrives, into the
        snapshot's kept pictures (see SnapshotEffect); then show the path on screen again."""
        effect, stack = self.graphicsEffect(), self.nav.stack
        if not region or not self.isVisible() or not hasattr(effect, "paint_ahead") or not stack \
                or str(region.get("parent_code") or "") != stack[-1].code:
            return
        try:
            self._rebuild((*stack, crumb_of(region)))
            self.layout().activate()
            effect.paint_ahead()
        finally:
            self._rebuild()
            self.layout().activate()

    def _rebuild(self, stack: tuple[Crumb, ...] | None = None) -> None:
        """Show the path (`nav`'s unless given). Buttons and separators are reused (a drill changes
        texts, not widgets: a new button is styled from the whole stylesheet, milliseconds each on
        the drill's critical path)."""
        stack = self.nav.stack if stack is None else stack
        self._buttons = []
        for i, crumb in enumerate(stack):
            current = i == len(stack) - 1
            if i:
                sep = self._separator(i - 1)
                sep.setVisible(True)
            b = self._button(i)
            name = "crumbCurrent" if current else "crumb"
            if b.objectName() != name:  # the style rules differ: polish again
                b.setObjectName(name)
                b.style().unpolish(b)
                b.style().polish(b)
            b.setText(crumb.name)
            b.setProperty("code", crumb.code)
            b.setToolTip(crumb.code)
            b.setCursor(Qt.CursorShape.ArrowCursor if current else Qt.CursorShape.PointingHandCursor)
            b.setVisible(True)
            self._buttons.append(b)
        for b in self._pool[len(stack):]:
            b.setVisible(False)
        for sep in self._seps[max(0, len(stack) - 1):]:
            sep.setVisible(False)
        self.back.setEnabled(len(stack) > 1)
        # Laid out now, not on the next event-loop turn: the frame showing the new level (painted
        # before that turn) would otherwise show the path half-built, then be painted again.
        self._crumbs.activate()

    def _button(self, i: int) -> QPushButton:
        """The i-th crumb button (made once; before the trailing stretch, after its separator)."""
        while len(self._pool) <= i:
            b = QPushButton(objectName="crumb")
            b.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            b.clicked.connect(lambda _=False, b=b: self._clicked(b))
            self._crumbs.insertWidget(self._crumbs.count() - 1, b)
            self._pool.append(b)
        return self._pool[i]

    def _separator(self, i: int) -> QLabel:
        """The separator after crumb i (made once, placed between crumb i and crumb i + 1)."""
        self._button(i + 1)
        while len(self._seps) <= i:
            j = len(self._seps)
            sep = QLabel(SEPARATOR, objectName="crumbSeparator")
            self._crumbs.insertWidget(self._crumbs.indexOf(self._pool[j + 1]), sep)
            self._seps.append(sep)
        return self._seps[i]

    def _clicked(self, b: QPushButton) -> None:
        if b.objectName() == "crumb":  # the current level is no link
            self.crumbClicked.emit(str(b.property("code")))
