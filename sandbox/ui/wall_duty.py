"""The wall's 督办 controller: fetches the board of the region on screen when the layer is on, keeps it live
from `duty` events, and saves the briefing PDF a leader asks for."""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QStandardPaths, QTimer, QUrl, Signal
from PySide6.QtGui import QDesktopServices

from sandbox.ui.duty import DutyBoard, DutyState, fetch_duty, save_brief
from sandbox.ui.duty_panel import DutyPanel
from sandbox.ui.layers.duty import DutyLayer

__all__ = ["WallDuty", "brief_folder"]

log = logging.getLogger(__name__)
RELOAD_MS = 1500  # a burst of complaints is one refetch


def brief_folder() -> Path:
    """Where the wall saves briefs: SANDBOX_BRIEF_DIR, else the user's documents folder / 督查简报."""
    env = os.environ.get("SANDBOX_BRIEF_DIR")
    if env:
        return Path(env)
    docs = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation) or str(Path.home())
    return Path(docs) / "督查简报"


class WallDuty(QObject):
    applied = Signal()  # a board is on screen (panel and layer)
    briefSaved = Signal(str)  # the path of a saved brief

    def __init__(self, layers: Any):
        super().__init__(layers)
        self.layers = layers
        self.wall = layers.wall
        self.state = DutyState()
        self.layer = DutyLayer()
        self.panel = DutyPanel()
        self.panel.hide()
        self.open_briefs = os.environ.get("QT_QPA_PLATFORM") != "offscreen"  # a headless wall opens no viewer
        self.state.events.board.connect(self._on_board)
        self.panel.briefRequested.connect(self.request_brief)
        self._reload = QTimer(self, singleShot=True, interval=RELOAD_MS)
        self._reload.timeout.connect(lambda: self.request(force=True))
        data_applied = getattr(self.wall, "dataApplied", None)
        if data_applied is not None:  # from the drill on, an answer for the level left is not applied
            data_applied.connect(lambda: self.state.moved(self.wall.state.map.region_code))

    @property
    def visible(self) -> bool:
        return self.layer.visible

    def set_visible(self, on: bool) -> None:
        self.panel.setVisible(on)
        if on:
            if self.state.board is None:
                self.panel.set_board(None, loading=True)
            self.request(force=True)  # what was kept while hidden may be old: shown at once, then fresh

    def request(self, force: bool = False) -> None:
        """Show the board of the region on screen while the layer is on (after the frame showing the
        level): a board shown lately at once, without a request; else (or `force`) fetched off the GUI thread."""
        run = self.layers.run
        if not self.visible or run is None:
            return
        code = self.wall.state.map.region_code
        kept = self.state.kept(code)
        if kept is not None:
            self.state.moved(code)
            self.state.apply(kept)
            if not force:
                return
        if not self.state.want(code) and not force:
            return
        run("duty", lambda client: fetch_duty(client, code), f"duty {code}")

    def on_result(self, channel: str, result: Any) -> None:
        if channel == "duty" and isinstance(result, DutyBoard):
            self.state.apply(result)
        elif channel == "brief" and isinstance(result, str):
            self.wall.state.say(f"简报已保存：{result}", 6000)
            self.briefSaved.emit(result)
            if self.open_briefs:
                QDesktopServices.openUrl(QUrl.fromLocalFile(result))

    def on_failed(self, channel: str, message: str) -> None:
        if channel == "brief":
            self.wall.state.say(f"简报未能生成：{message}", 6000)
        else:
            log.warning("督办 not loaded: %s", message)  # the panel keeps the last board; retried on the next event

    def _on_board(self, board: DutyBoard | None) -> None:
        self.layer.set_board(board)
        self.panel.set_board(board, loading=board is None and self.visible)
        if board is not None:
            self.applied.emit()

    def on_event(self, data: dict) -> None:
        """A `duty` event: its region flashes and the counts are fetched again (coalesced)."""
        if isinstance(data, dict) and data.get("region_code"):
            self.state.forget(str(data["region_code"]))  # the boards kept of the regions holding it are old
        if not self.state.concerns(data):
            return
        if self.visible:
            self.layer.flash(str(data.get("region_code") or ""))
        self._reload.start()

    def request_brief(self) -> None:
        run = self.layers.run
        code, year = self.wall.state.map.region_code, self.wall.state.map.year
        if run is None or code is None:
            return
        target = self.wall.state.village.code or code  # the village open on screen, else the level on screen
        folder = brief_folder()
        self.wall.state.say("正在生成简报…", 4000)
        run("brief", lambda client: save_brief(client.brief_pdf(target, year), folder, target, year),
            f"brief {target}")
