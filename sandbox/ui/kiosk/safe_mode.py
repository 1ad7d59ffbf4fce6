"""The calm safe-mode screen shown while the wall is being recovered: 系统正在恢复, the time, the last problem."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from PySide6.QtCore import QRectF, Qt, QTimer
from PySide6.QtGui import QColor, QFont, QLinearGradient, QPainter, QPen
from PySide6.QtWidgets import QWidget

from sandbox.ui.kiosk.frame import ExitCombo, KioskFrame
from sandbox.ui.palette import Colors
from sandbox.ui.theme import ui_font

__all__ = ["SafeModeScreen"]

WEEKDAYS = "一二三四五六日"


def _clock_text(now: dt.datetime) -> tuple[str, str]:
    return now.strftime("%H:%M:%S"), f"{now.year} 年 {now.month} 月 {now.day} 日 星期{WEEKDAYS[now.weekday()]}"


def _time_of(iso: str | None) -> str | None:
    if not iso:
        return None
    try:
        return dt.datetime.fromisoformat(iso).strftime("%H:%M:%S")
    except ValueError:
        return None


class SafeModeScreen(KioskFrame):
    """Painted, not laid out: a few lines of large text on the dark theme, redrawn once a second.

    `status()` returns the supervisor's status ({"last_error", "next_retry", ...}); an empty dict is fine."""

    def __init__(self, *, status: Callable[[], dict], verify_pin: Callable[[str], bool],
                 combo: ExitCombo = ExitCombo(), now: Callable[[], dt.datetime] = dt.datetime.now,
                 hide_cursor_after: float = 3.0, parent: QWidget | None = None):
        super().__init__(verify_pin=verify_pin, combo=combo, hide_cursor_after=hide_cursor_after, parent=parent)
        self.setObjectName("safeMode")
        self._status_fn = status
        self._now = now
        self.status: dict = {}
        self._tick = QTimer(self, interval=1000)
        self._tick.timeout.connect(self.refresh)
        self._tick.start()
        self.refresh()

    def refresh(self) -> None:
        try:
            self.status = self._status_fn() or {}
        except Exception:  # noqa: BLE001 - the calm screen stays calm whatever the status file holds
            self.status = {}
        self.update()

    def lines(self) -> dict[str, str]:
        """The texts on screen (also what the tests read)."""
        clock, date = _clock_text(self._now())
        error = str(self.status.get("last_error") or "").strip()
        retry = _time_of(self.status.get("next_retry"))
        return {
            "title": "系统正在恢复",
            "subtitle": "大屏程序遇到问题, 正在自动重启, 请稍候。无需任何操作。",
            "clock": clock,
            "date": date,
            "error": f"最近一次故障: {error}" if error else "",
            "retry": f"下次尝试恢复: {retry}" if retry else "正在尝试恢复…",
        }

    def paintEvent(self, event) -> None:
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.setRenderHint(QPainter.RenderHint.TextAntialiasing)
        w, h = self.width(), self.height()
        s = h / 1080
        g = QLinearGradient(0, 0, 0, h)
        g.setColorAt(0.0, QColor(Colors.background_top))
        g.setColorAt(1.0, QColor(Colors.background))
        p.fillRect(self.rect(), g)
        t = self.lines()

        def text(y: float, height: float, value: str, px: float, color: str, bold: bool = False) -> None:
            if not value:
                return
            f: QFont = ui_font(max(8, round(px * s)), bold=bold)
            p.setFont(f)
            p.setPen(QColor(color))
            p.drawText(QRectF(w * 0.08, y * s, w * 0.84, height * s),
                       Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap, value)

        text(170, 150, t["clock"], 120, Colors.text)
        text(320, 50, t["date"], 30, Colors.text_muted)
        # A quiet pulse of three dots rather than a spinner: motion that says "alive", nothing alarming.
        phase = self._now().second % 3
        r = 9 * s
        for i in range(3):
            p.setPen(Qt.PenStyle.NoPen)
            p.setBrush(QColor(Colors.accent if i == phase else Colors.accent_dim))
            p.drawEllipse(QRectF(w / 2 + (i - 1) * 36 * s - r, 440 * s - r, 2 * r, 2 * r))
        text(490, 90, t["title"], 64, Colors.accent, bold=True)
        text(590, 60, t["subtitle"], 30, Colors.text)
        p.setPen(QPen(QColor(Colors.panel_border), max(1.0, 2 * s)))
        p.drawLine(int(w * 0.3), int(690 * s), int(w * 0.7), int(690 * s))
        text(720, 90, t["error"], 24, Colors.text_muted)
        text(820, 50, t["retry"], 24, Colors.text_muted)
        text(980, 50, "扶贫电子沙盘 · 县脱贫攻坚指挥部", 20, Colors.accent_dim)
        p.end()

    def shutdown(self) -> None:
        self._tick.stop()
        super().shutdown()
