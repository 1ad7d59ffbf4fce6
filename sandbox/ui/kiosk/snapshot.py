"""Optional screen reports: each kiosk window saves what it shows (PNG + a few facts in JSON) every second.

Set SANDBOX_KIOSK_SNAPSHOT_DIR to a folder to turn it on (a remote check of an unattended wall, and
the fault-injection tests' eyes); unset, nothing is installed and nothing is written."""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, QTimer
from PySide6.QtWidgets import QWidget

__all__ = ["SNAPSHOT_ENV", "install_snapshots", "Snapshots"]

log = logging.getLogger(__name__)

SNAPSHOT_ENV = "SANDBOX_KIOSK_SNAPSHOT_DIR"


class Snapshots(QObject):
    """Saves `widget` as `<name>.png` and `facts()` as `<name>.json`, each replaced in one rename."""

    def __init__(self, widget: QWidget, name: str, folder: Path, facts: Callable[[], dict] | None = None,
                 seconds: float = 1.0):
        super().__init__(widget)
        self.widget, self.name, self.folder, self.facts = widget, name, folder, facts
        self._failed = False
        self._timer = QTimer(self, interval=max(100, int(seconds * 1000)))
        self._timer.timeout.connect(self.save)
        self._timer.start()

    def save(self) -> None:
        if not self.widget.isVisible():
            return
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            png, tmp = self.folder / f"{self.name}.png", self.folder / f".{self.name}.png.tmp"
            if self.widget.grab().save(str(tmp), "PNG"):
                os.replace(tmp, png)
            if self.facts is not None:
                data = {"pid": os.getpid(), **self.facts()}
                jtmp = self.folder / f".{self.name}.json.tmp"
                jtmp.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
                os.replace(jtmp, self.folder / f"{self.name}.json")
            self._failed = False
        except OSError as exc:
            if not self._failed:  # once per run of failures: a full disk must not fill the journal
                log.warning("screen report not written in %s: %s", self.folder, exc)
            self._failed = True

    def stop(self) -> None:
        self._timer.stop()


def install_snapshots(widget: QWidget, name: str, facts: Callable[[], dict] | None = None) -> Snapshots | None:
    folder = os.environ.get(SNAPSHOT_ENV)
    return Snapshots(widget, name, Path(folder), facts) if folder else None
