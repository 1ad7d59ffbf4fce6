"""The wall's 风险 controller: fetches the risk board of the region on screen while the layer is on (counts for
every wall, the top hits for a leader's), and says 暂时无法获取 when the API cannot give it."""

from __future__ import annotations

import logging
from typing import Any

from PySide6.QtCore import QObject, Signal

from sandbox.ui.layers.errors import UNAVAILABLE
from sandbox.ui.layers.risk import RiskLayer
from sandbox.ui.risk import RiskBoard, RiskState, fetch_risk
from sandbox.ui.risk_panel import RiskPanel

__all__ = ["WallRisk"]

log = logging.getLogger(__name__)


class WallRisk(QObject):
    applied = Signal()  # a board is on screen (panel and layer)

    def __init__(self, layers: Any):
        super().__init__(layers)
        self.layers = layers
        self.wall = layers.wall
        self.state = RiskState()
        self.layer = RiskLayer()
        self.panel = RiskPanel()
        self.panel.hide()
        self.state.events.board.connect(self._on_board)

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
        """Fetch the board of the region on screen (off the GUI thread) while the layer is on."""
        run = self.layers.run
        if not self.visible or run is None:
            return
        code = self.wall.state.map.region_code
        if not self.state.want(code) and not force:
            return
        hits = not self.state.counts_only
        run("risk", lambda client: (fetch_risk(client, code, hits), hits), f"risk {code}")

    def on_result(self, result: Any) -> None:
        if isinstance(result, tuple) and len(result) == 2 and isinstance(result[0], RiskBoard):
            self.state.apply(*result)

    def on_failed(self, message: str) -> None:
        # No answer and nothing cached (or an error status): the last board stays; none kept is said so.
        log.warning("风险 not loaded: %s", message)
        self.panel.set_unavailable(message)
        if self.visible:
            self.wall.canvas.show_note(f"风险线索{UNAVAILABLE}，恢复连接后自动更新", 6000)

    def _on_board(self, board: RiskBoard | None) -> None:
        self.layer.set_board(board)
        self.panel.set_board(board, loading=board is None and self.visible)
        if board is not None:
            self.applied.emit()
