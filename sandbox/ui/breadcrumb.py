"""The drill-down path as clickable crumbs (独山县 › 百泉镇 › 兰堡村) with a back button."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QSizePolicy, QWidget

from sandbox.ui.navigation import Crumb, Navigation

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
        self._buttons: list[QPushButton] = []
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

    def _rebuild(self, *_) -> None:
        while self._crumbs.count():
            w = self._crumbs.takeAt(0).widget()
            if w is not None:
                w.hide()
                w.setParent(None)
                w.deleteLater()
        self._buttons = []
        stack = self.nav.stack
        for i, crumb in enumerate(stack):
            if i:
                self._add(QLabel(SEPARATOR, objectName="crumbSeparator"))
            self._add(self._button(crumb, current=i == len(stack) - 1))
        self._crumbs.addStretch(1)
        self.back.setEnabled(self.nav.can_go_up)
        # Laid out now, not on the next event-loop turn: the frame showing the new level (painted
        # before that turn) would otherwise show the path half-built, then be painted again.
        self._crumbs.activate()

    def _add(self, w: QWidget) -> None:
        self._crumbs.addWidget(w)
        w.setVisible(not self._crumbs_host.isHidden())  # a layout shows new children only one turn later

    def _button(self, crumb: Crumb, *, current: bool) -> QPushButton:
        b = QPushButton(crumb.name, objectName="crumbCurrent" if current else "crumb")
        b.setProperty("code", crumb.code)
        b.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        b.setToolTip(crumb.code)
        if not current:
            b.setCursor(Qt.CursorShape.PointingHandCursor)
            b.clicked.connect(lambda _=False, code=crumb.code: self.crumbClicked.emit(code))
        self._buttons.append(b)
        return b
