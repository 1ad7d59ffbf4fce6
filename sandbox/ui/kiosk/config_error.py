"""The screen a kiosk shows instead of a blank wall when its config is wrong; it starts once the file is fixed."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import QWidget

from sandbox.ui.kiosk.frame import ExitCombo
from sandbox.ui.kiosk.safe_mode import SafeModeScreen

__all__ = ["ConfigErrorScreen"]

SHOWN_PROBLEMS = 3  # the rest is in the journal; three lines stay readable from across the room


class ConfigErrorScreen(SafeModeScreen):
    """The calm screen with the config's problems. `recheck()` (polled every `recheck_seconds`)
    returns the problems still there; when none are left, `fixed` fires and the kiosk starts."""

    fixed = Signal()

    def __init__(self, path: Path, problems: Sequence[str], *, recheck: Callable[[], Sequence[str]],
                 recheck_seconds: float = 5.0, verify_pin: Callable[[str], bool] = lambda _pin: False,
                 combo: ExitCombo = ExitCombo(), parent: QWidget | None = None):
        self.path, self.problems = Path(path), [str(p) for p in problems]
        super().__init__(status=dict, verify_pin=verify_pin, combo=combo, parent=parent)
        self.setObjectName("configError")
        self._recheck = recheck
        self._poll = QTimer(self, interval=max(200, int(recheck_seconds * 1000)))
        self._poll.timeout.connect(self.check_again)
        self._poll.start()

    def check_again(self) -> None:
        try:
            self.problems = [str(p) for p in self._recheck()]
        except Exception as exc:  # noqa: BLE001 - an unreadable file is one more problem to show, not a crash
            self.problems = [f"{self.path.name}: {type(exc).__name__}"]
        if not self.problems:
            self._poll.stop()
            self.fixed.emit()
        self.update()

    def lines(self) -> dict[str, str]:
        t = super().lines()
        more = len(self.problems) - SHOWN_PROBLEMS
        # The file is named once, below: each line starts at its 第 N 行.
        shown = [p.removeprefix(f"{self.path} ").removeprefix(f"{self.path.name} ") for p in self.problems]
        listed = "\n".join(shown[:SHOWN_PROBLEMS]) + (f"\n另有 {more} 处, 见系统日志" if more > 0 else "")
        t.update(title="大屏配置有误",
                 subtitle="请管理员按下面的提示修改配置文件; 改好后大屏会自动启动, 无需重启。",
                 error=listed, retry=f"配置文件: {self.path}")
        return t

    def shutdown(self) -> None:
        self._poll.stop()
        super().shutdown()
