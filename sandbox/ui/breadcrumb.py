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
        self._pool: list[QPushButton] = []  # the links (objectName "crumb"), each followed by its separator
        self._seps: list[QLabel] = []
        # The current level has a button of its own, last: a drill moves texts between buttons, it never
        # renames one (a renamed button is polished again from the whole style sheet, its font changed
        # and its size hint measured again: ≈ 1 ms on the drill's click, issue 19).
        self._current = QPushButton(objectName="crumbCurrent")
        self._current.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self._current.setCursor(Qt.CursorShape.ArrowCursor)
        self._crumbs.addWidget(self._current)
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
        """Show the path (`nav`'s unless given). Buttons and separators are reused and never restyled: a
        drill changes texts, not widgets nor their object names (a new or renamed button is styled from
        the whole stylesheet, milliseconds each on the drill's critical path)."""
        stack = self.nav.stack if stack is None else stack
        links = max(0, len(stack) - 1)
        self._links(links)
        self._buttons = []
        for i, crumb in enumerate(stack):
            b = self._pool[i] if i < links else self._current
            b.setText(crumb.name)
            b.setProperty("code", crumb.code)
            b.setToolTip(crumb.code)
            b.setVisible(True)
            if i < links:
                self._seps[i].setVisible(True)
            self._buttons.append(b)
        for w in (*self._pool[links:], *self._seps[links:]):
            w.setVisible(False)
        if not stack:
            self._current.setVisible(False)
        self.back.setEnabled(len(stack) > 1)
        # Laid out now, not on the next event-loop turn: the frame showing the new level (painted
        # before that turn) would otherwise show the path half-built, then be painted again.
        self._crumbs.activate()

    def _links(self, n: int) -> None:
        """At least `n` link buttons, each with the separator after it, before the current level's button
        (made once)."""
        while len(self._pool) < n:
            b = QPushButton(objectName="crumb")
            b.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            b.setCursor(Qt.CursorShape.PointingHandCursor)
            b.clicked.connect(lambda _=False, b=b: self._clicked(b))
            sep = QLabel(SEPARATOR, objectName="crumbSeparator")
            at = self._crumbs.indexOf(self._current)
            self._crumbs.insertWidget(at, b)
            self._crumbs.insertWidget(at + 1, sep)
            self._pool.append(b)
            self._seps.append(sep)

    def _clicked(self, b: QPushButton) -> None:
        if b.objectName() == "crumb":  # the current level is no link
            self.crumbClicked.emit(str(b.property("code")))
