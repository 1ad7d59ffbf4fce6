"""The exit PIN pad: a full-window overlay with big digit keys (touch) that also takes the keyboard."""

from __future__ import annotations

import time
from collections.abc import Callable

from PySide6.QtCore import QEvent, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QKeyEvent, QPainter
from PySide6.QtWidgets import QFrame, QGridLayout, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from sandbox.ui.palette import Colors

__all__ = ["PinPad"]

MAX_DIGITS = 12
MAX_FAILURES = 5  # then the pad locks for LOCK_SECONDS: guessing a 4-digit PIN takes days
LOCK_SECONDS = 60.0
IDLE_CLOSE_MS = 30_000  # an abandoned pad closes itself


class PinPad(QWidget):
    """Covers its parent (nothing underneath can be touched) until the right PIN or 取消."""

    accepted = Signal()
    cancelled = Signal()

    def __init__(self, verify: Callable[[str], bool], parent: QWidget, *, clock: Callable[[], float] = time.monotonic):
        super().__init__(parent)
        self.setObjectName("kioskPinPad")
        self._verify = verify
        self._clock = clock
        self.entered = ""
        self.failures = 0
        self._locked_until = 0.0
        self._idle = QTimer(self, singleShot=True, interval=IDLE_CLOSE_MS)
        self._idle.timeout.connect(self.cancel)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self._build()
        self.hide()

    def _build(self) -> None:
        self.card = QFrame(self, objectName="pinCard")
        lay = QVBoxLayout(self.card)
        self.title = QLabel("退出大屏", alignment=Qt.AlignmentFlag.AlignCenter)
        self.hint = QLabel("请输入管理口令", alignment=Qt.AlignmentFlag.AlignCenter)
        self.dots = QLabel("", alignment=Qt.AlignmentFlag.AlignCenter, objectName="pinDots")
        self.message = QLabel("", alignment=Qt.AlignmentFlag.AlignCenter, objectName="pinMessage")
        lay.addWidget(self.title)
        lay.addWidget(self.hint)
        lay.addWidget(self.dots)
        lay.addWidget(self.message)
        grid = QGridLayout()
        self.keys: dict[str, QPushButton] = {}
        labels = ["1", "2", "3", "4", "5", "6", "7", "8", "9", "清除", "0", "删除"]
        for i, text in enumerate(labels):
            b = QPushButton(text)
            b.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            b.clicked.connect(lambda _=False, t=text: self.press(t))
            grid.addWidget(b, i // 3, i % 3)
            self.keys[text] = b
        lay.addLayout(grid)
        row = QHBoxLayout()
        for text in ("取消", "确定"):
            b = QPushButton(text, objectName="pinOk" if text == "确定" else "pinCancel")
            b.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            b.clicked.connect(lambda _=False, t=text: self.press(t))
            row.addWidget(b)
            self.keys[text] = b
        lay.addLayout(row)

    # -- behaviour ------------------------------------------------------------------------------------
    def open(self) -> None:
        self.entered = ""
        self.message.setText("")
        self._refresh()
        self.setGeometry(self.parentWidget().rect())
        self._layout_card()
        self.show()
        self.raise_()
        self.setFocus()
        self._idle.start()

    @property
    def locked(self) -> bool:
        return self._clock() < self._locked_until

    def press(self, key: str) -> None:
        """A key of the pad: a digit, 删除, 清除, 确定 or 取消."""
        self._idle.start()
        if key == "取消":
            self.cancel()
        elif key == "清除":
            self.entered = ""
        elif key == "删除":
            self.entered = self.entered[:-1]
        elif key == "确定":
            self.submit()
            return
        elif key.isdigit() and len(self.entered) < MAX_DIGITS:
            self.entered += key
            self.message.setText("")
        self._refresh()

    def submit(self) -> None:
        if self.locked:
            self._say_locked()
            return
        pin, self.entered = self.entered, ""
        if pin and self._verify(pin):
            self.failures = 0
            self.hide()
            self._idle.stop()
            self.accepted.emit()
            return
        self.failures += 1
        if self.failures >= MAX_FAILURES:
            self.failures = 0
            self._locked_until = self._clock() + LOCK_SECONDS
            self._say_locked()
        else:
            self.message.setText("口令错误, 请重新输入")
        self._refresh()

    def cancel(self) -> None:
        if self.isVisible():
            self.entered = ""
            self.hide()
            self._idle.stop()
            self.cancelled.emit()

    def _say_locked(self) -> None:
        left = max(1, round(self._locked_until - self._clock()))
        self.message.setText(f"错误次数过多, 请 {left} 秒后再试")

    def _refresh(self) -> None:
        self.dots.setText("●" * len(self.entered) if self.entered else "—")

    # -- Qt -------------------------------------------------------------------------------------------
    def keyPressEvent(self, event: QKeyEvent) -> None:
        key, text = event.key(), event.text()
        if text and text.isdigit():
            self.press(text)
        elif key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.press("确定")
        elif key == Qt.Key.Key_Backspace:
            self.press("删除")
        elif key == Qt.Key.Key_Escape:
            self.press("取消")
        event.accept()  # nothing typed here reaches the wall

    def event(self, e: QEvent) -> bool:
        if e.type() in (QEvent.Type.TouchBegin, QEvent.Type.MouseButtonPress):
            self._idle.start()
        return super().event(e)

    def resizeEvent(self, event) -> None:
        self._layout_card()
        super().resizeEvent(event)

    def _layout_card(self) -> None:
        h = max(480, self.height())
        s = h / 1080
        px = lambda v: max(1, round(v * s))  # noqa: E731
        self.card.setStyleSheet(f"""
            QFrame#pinCard {{ background: {Colors.panel}; border: {px(2)}px solid {Colors.panel_border};
                              border-radius: {px(18)}px; }}
            QLabel {{ color: {Colors.text}; font-size: {px(26)}px; background: transparent; border: none; }}
            QLabel#pinDots {{ color: {Colors.accent}; font-size: {px(40)}px; letter-spacing: {px(8)}px;
                              min-height: {px(60)}px; }}
            QLabel#pinMessage {{ color: {Colors.demo}; font-size: {px(22)}px; min-height: {px(32)}px; }}
            QPushButton {{ color: {Colors.text}; background: #10284a; border: {px(1)}px solid {Colors.panel_border};
                           border-radius: {px(12)}px; font-size: {px(34)}px; min-height: {px(84)}px;
                           min-width: {px(110)}px; }}
            QPushButton:pressed {{ background: {Colors.accent_dim}; }}
            QPushButton#pinOk {{ background: #0f5f7f; }}
        """)
        self.title.setStyleSheet(f"font-size: {px(40)}px; font-weight: bold; color: {Colors.accent};")
        lay = self.card.layout()
        lay.setContentsMargins(px(36), px(28), px(36), px(32))
        lay.setSpacing(px(14))
        w, ch = px(480), px(820)
        ch = min(ch, self.height() - 20)
        self.card.setGeometry((self.width() - w) // 2, (self.height() - ch) // 2, w, ch)

    def paintEvent(self, event) -> None:
        p = QPainter(self)
        p.fillRect(self.rect(), QColor(2, 6, 13, 200))  # the wall dimmed behind the pad
        p.end()
