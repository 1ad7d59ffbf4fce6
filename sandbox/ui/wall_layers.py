"""The wall's layers controller: project, fund-flow, check-in, camera, 督办 and 风险 overlays, the fund chain, the project card."""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRectF, QTimer, Signal

from sandbox.ui.frame_timing.after_frame import after_frame
from sandbox.ui.fund_panel import FundChainPanel
from sandbox.ui.later import Later, build_soon, built
from sandbox.ui.layers.cameras import CamerasLayer
from sandbox.ui.layers.checkins import CheckinLayer, region_prefix
from sandbox.ui.layers.chips import ChipPlacer
from sandbox.ui.layers.data import CameraPoint, LayersData, ProjectDetail, ProjectPoint, fetch_layers, fetch_project
from sandbox.ui.layers.errors import apply_layer_errors
from sandbox.ui.layers.funds import FundFlowLayer
from sandbox.ui.layers.projects import ProjectsLayer
from sandbox.ui.layers.toggles import LayerToggleBar
from sandbox.ui.panels.worker import client_for_worker
from sandbox.ui.session import DEFERRED
from sandbox.ui.wall_duty import WallDuty
from sandbox.ui.wall_risk import WallRisk
from sandbox.ui.worker import Worker

__all__ = ["WallLayers", "LAYER_NAMES"]

log = logging.getLogger(__name__)

LAYER_NAMES = (("projects", "项目"), ("funds", "资金流"), ("checkins", "走访"), ("cameras", "摄像头"), ("duty", "督办"),
               ("risk", "风险"))
OFF_AT_START = frozenset({"duty", "risk"})  # they recolour the map: shown when asked for
MAP_COLOURINGS = ("duty", "risk")  # one at a time: turning one on turns the other off


LATER_PARTS = ("card",)  # not on the first frame: made on first use or after it (sandbox.ui.later)


class WallLayers(QObject):
    """The live layers of the region on screen, fetched on a worker of their own (its own thread and
    HTTP session: never behind a drill) once the frame showing the level is painted; `enabled` False:
    none (the map alone). Which layers are visible is recorded in `wall.state`."""

    applied = Signal()  # the live layers of the region on screen arrived
    checkinArrived = Signal(object)  # a check-in from GET /events is on the map
    card = Later(lambda self: self._make_card())  # the project card (LATER_PARTS)

    def __init__(self, wall: Any, client: Any, enabled: bool, live: bool):
        super().__init__(wall)
        self.wall = wall
        canvas = wall.canvas
        self.projects = ProjectsLayer()
        self.flows = FundFlowLayer()
        self.flows.projects = self.projects
        self.checkins = CheckinLayer()
        self.cameras = CamerasLayer()
        self.cameras.projects = self.projects
        self.duty = WallDuty(self)
        self.risk = WallRisk(self)
        self.by_name = {"projects": self.projects, "funds": self.flows, "checkins": self.checkins,
                        "cameras": self.cameras, "duty": self.duty.layer, "risk": self.risk.layer}
        for ov in (self.duty.layer, self.risk.layer, self.flows, self.checkins, self.projects, self.cameras):  # bottom to top
            canvas.add_overlay(ov)
        # one placement for every chip, painted over every layer: none over another chip or a marker
        self.chips = ChipPlacer()
        for layer in (self.risk.layer, self.duty.layer, self.checkins):
            self.chips.add_chips(layer)
        self.chips.add_markers(self.projects, self.cameras, self.flows)
        self.chips.on_canvas = True
        self.chips.keep_clear = canvas.covers  # never under the layers' legend (or a tour's caption)
        canvas.add_overlay(self.chips)
        self.bar = LayerToggleBar([(n, zh, n not in OFF_AT_START) for n, zh in LAYER_NAMES], canvas,
                                  actions=[("monitor", "监控")])
        self.bar.toggled.connect(self.set_visible)
        self.bar.triggered.connect(lambda name: wall.open_monitor() if name == "monitor" else None)
        self.fund_panel = FundChainPanel()
        self.fund_panel.hide()  # shown with the first fund data
        self.enabled = bool(enabled)
        self.data: LayersData | None = None
        self._key: tuple | None = None
        self.live = None
        self.worker: Worker | None = None
        self._client = None
        self._own_client = False
        self._reload = QTimer(self, singleShot=True, interval=2000)  # coalesces bursts of `facts`
        self._reload.timeout.connect(lambda: self.request(force=True))
        wall.state.events.layer.connect(self._on_state_layer)
        for name in OFF_AT_START:
            wall.state.set_layer_visible(name, False)
        if not self.enabled:
            self.bar.hide()
            return
        canvas.reserve_legend = True
        self.worker = Worker(self, name="wall-layers")
        self._client = client_for_worker(client)
        self._own_client = self._client is not client
        self.worker.done.connect(self._on_result)
        self.worker.failed.connect(self._on_failed)
        canvas.overlayClicked.connect(self._on_overlay_clicked)
        if live:
            from sandbox.ui.layers.live import LiveEvents

            self.live = LiveEvents(client, self)
            self.live.checkin.connect(self._on_live_checkin)
            self.live.resync.connect(lambda: self.request(force=True))
            self.live.facts.connect(self._on_facts)
            self.live.duty.connect(self.duty.on_event)
            self.live.start()

    def _make_card(self):
        from sandbox.ui.project_card import ProjectCard

        card = ProjectCard(self.wall.canvas)
        card.keep_clear = [self.bar]
        card.closeRequested.connect(self.close_project)
        self.__dict__["card"] = card
        if self.wall.metrics is not None:
            self._card_metrics(self.wall.metrics)
        return card

    def build_later(self) -> None:
        """Make what the first frame does not show, one part per event-loop turn."""
        build_soon(self, LATER_PARTS)

    def set_metrics(self, m) -> None:
        """The wall's metrics for the parts made so far (a part made later takes them then)."""
        if built(self, "card"):
            self._card_metrics(m)

    def _card_metrics(self, m) -> None:
        tiles = sys.modules.get("sandbox.ui.cameras.tile")  # none made if never imported
        self.card.set_metrics(m)
        if tiles is not None and isinstance(self.card.camera_widget, tiles.CameraTile):
            self.card.camera_widget.setFixedHeight(self.wall.cams.card_tile_height())

    @property
    def run(self) -> Callable[[str, Callable[[Any], Any], str], None] | None:
        """Run `fn(client)` on the layers' worker (channel, fn, what); None without an API connection."""
        if self.worker is None:
            return None
        return self._run

    def _run(self, channel: str, fn: Callable[[Any], Any], what: str) -> None:
        client = self._client
        self.worker.submit(channel, lambda: fn(client), what)

    # -- visibility ------------------------------------------------------------------------------------------
    def set_visible(self, name: str, on: bool) -> None:
        if name not in self.by_name:
            log.warning("no map layer named %r", name)
            return
        self.wall.state.set_layer_visible(name, on)

    def _on_state_layer(self, name: str, on: bool) -> None:
        ov = self.by_name.get(name)
        if ov is None:
            return
        ov.set_visible(on)
        b = self.bar.buttons.get(name)
        if b is not None and b.isChecked() != bool(on):
            b.setChecked(bool(on))
        if name == "funds":
            self.show_fund_panel(bool(on) and self.enabled)
        elif name in MAP_COLOURINGS:
            if on:
                for other in MAP_COLOURINGS:
                    if other != name and self.by_name[other].visible:
                        self.wall.state.set_layer_visible(other, False)
            (self.duty if name == "duty" else self.risk).set_visible(bool(on) and self.enabled)
            # the map is coloured by overdue share or risk hits now: the indicator's legend would misread it
            self.wall.legend.setVisible(not self.duty.visible and not self.risk.visible)
            self.show_fund_panel(self.flows.visible and self.enabled and self.fund_panel.chain != {})

    @staticmethod
    def on_by_default(name: str) -> bool:
        return name not in OFF_AT_START

    def names(self) -> list[str]:
        """The map layers a tour may show (none when the wall has no API connection for them)."""
        return list(self.bar.buttons) if self.enabled else []

    def show_fund_panel(self, on: bool) -> None:
        arranger = self.wall.arranger
        beside = arranger is not None and arranger.funds_beside
        # The 督办 panel takes the fund chain's place in the side column (unless the chain has a column of its own).
        self.fund_panel.setVisible(on and (beside or not (self.duty.visible or self.risk.visible)))
        self._fit_summary()

    def _fit_summary(self) -> None:
        # The summary repeats the KPI strip (it is the first to give way): the fund chain and the 督办 panel
        # take its room, unless a wide wall gives the fund chain a column of its own.
        arranger = self.wall.arranger
        beside = arranger is not None and arranger.funds_beside
        funds = self.fund_panel.isVisibleTo(self.wall) and not beside
        self.wall.summary.setVisible(not funds and not self.duty.panel.isVisibleTo(self.wall)
                                     and not self.risk.panel.isVisibleTo(self.wall))

    def obstacles(self) -> list[QRectF]:
        """Where map labels keep clear of the floating layer control."""
        return [QRectF(self.bar.geometry()).adjusted(-4, -4, 4, 4)] if self.enabled else []

    # -- fetching --------------------------------------------------------------------------------------------
    def request_later(self) -> None:
        """The layers of a new level are asked for once the frame showing it is painted."""
        if self.worker is None:
            return
        self.worker.hold(DEFERRED)  # busy until then
        after_frame(self._request_now)

    def _request_now(self) -> None:
        try:
            self.worker.release(DEFERRED)
            if not self.wall.session.closed:
                self.request()
        except RuntimeError:  # the window was deleted before the frame came
            pass

    def request(self, force: bool = False) -> None:
        """Fetch the layers of the region and year on screen (off the GUI thread), unless already there."""
        if not self.enabled or self.worker is None:
            return
        code, year = self.wall.state.map.region_code, self.wall.state.map.year
        if code is None:
            return
        self.duty.request(force)
        self.risk.request(force)
        if not force and self._key == (code, year):
            return
        self._key = (code, year)
        if built(self, "card") and self.card.isVisible() and not force:
            self.close_project()
        self._run("layers", lambda client: fetch_layers(client, code, year), f"layers {code}")

    def forget(self) -> None:
        """Everything on screen is fetched again (F5): the layers, and an open card too."""
        self._key = None
        if built(self, "card") and self.card.project_id is not None and self.card.isVisible():
            self.open_project(self.card.project_id)

    def _on_result(self, channel: str, result: Any) -> None:
        if channel in ("duty", "brief"):
            self.duty.on_result(channel, result)
            return
        if channel == "risk":
            self.risk.on_result(result)
            return
        cams = self.wall.cams
        if channel == "project" and isinstance(result, ProjectDetail):
            if self.card.project_id is not None and result.project.get("id") == self.card.project_id \
                    and not self.card.isHidden():
                rc = str(result.project.get("region_code") or "")
                view = self.wall.canvas.view()
                names = view.names if view is not None else {}
                result.project.setdefault("region_name", names.get(rc) or names.get(rc[:9] + "000"))
                self.card.set_detail(result)
                cams.take(result.cameras)
                cams.set_card_camera(result.cameras[0] if result.cameras else None)
            return
        if channel == "camera" and isinstance(result, tuple):
            cams.on_found(*result)
            return
        if channel == "cameras" and isinstance(result, list):
            cams.on_refreshed(result)
            return
        if channel != "layers" or not isinstance(result, LayersData):
            return
        st = self.wall.state
        if (result.region, result.year) != (st.map.region_code, st.map.year):
            return  # the map moved on while these were loading
        self.data = result
        self.projects.set_data(result.region, result.projects)
        self.flows.set_data(result.region, result.chain)
        self.checkins.set_data(result.region, result.checkins, result.visits)
        cams.take(result.cameras)
        self.cameras.set_health_all(cams.health.states())
        self.cameras.set_data(result.region, [c for c in (CameraPoint.from_api(d) for d in result.cameras)
                                              if c is not None])
        if cams.monitor_open:
            cams.fill_monitor()
        name = (st.region or {}).get("name")
        self.fund_panel.set_chain(result.chain, name, result.year)
        apply_layer_errors(self.wall, result)
        self.show_fund_panel(self.flows.visible)
        self.applied.emit()

    def _on_failed(self, channel: str, message: str) -> None:
        if channel in ("duty", "brief"):
            self.duty.on_failed(channel, message)
        elif channel == "risk":
            self.risk.on_failed(message)
        elif channel == "project":
            self.card.show_error(message)
        elif channel == "camera":
            self.wall.cams.on_not_found(message)
        elif channel == "cameras":
            self.wall.cams.on_refresh_failed(message)
        else:
            log.warning("map layers not loaded: %s", message)  # the choropleth stays; retried on the next load
            self._key = None

    # -- clicks on the map -----------------------------------------------------------------------------------
    def _on_overlay_clicked(self, name: str, item: Any) -> None:
        if name == "cameras" and isinstance(item, CameraPoint):
            self.wall.cams.show_camera(item.id)
        elif name == "projects" and isinstance(item, ProjectPoint):
            self.open_project(item.id, item.name)
        elif name == "funds" and isinstance(item, dict):
            target = str(item.get("target") or "")
            if target.startswith("project:"):
                self.open_project(int(target.split(":")[1]), str(item.get("name") or ""))
            else:
                self.fund_panel.select(item.get("items") or [])
                self.wall.state.say(
                    f"{item.get('name')}：资金链异常 {item.get('count')} 处，说明见右侧资金链面板")

    def open_project(self, project_id: int, name: str = "") -> None:
        """Open a project's card (its details arrive from the worker)."""
        if self.worker is None:
            return
        if self.card.project_id != project_id:
            self.wall.cams.set_card_camera(None)
        self.card.show_loading(project_id, name or f"项目 {project_id}")
        self.projects.set_selected(project_id)
        year = self.wall.state.map.year
        self._run("project", lambda client: fetch_project(client, project_id, year), f"project {project_id}")

    def close_project(self) -> None:
        self.wall.cams.set_card_camera(None)  # its tile stops streaming and goes
        self.card.hide()
        self.projects.set_selected(None)
        if self.worker is not None:
            self.worker.cancel("project")

    def escape_project(self) -> bool:
        """Esc: close the project card if it is open; False if it was not."""
        if not built(self, "card") or not self.card.isVisible():
            return False
        self.close_project()
        return True

    # -- live events -----------------------------------------------------------------------------------------
    def _on_live_checkin(self, c: Any) -> None:
        if self.checkins.add_live(c):
            self.checkinArrived.emit(c)

    def _on_facts(self, data: dict) -> None:
        code = str(data.get("region_code") or "")
        if code.startswith(region_prefix(self.wall.state.map.region_code or "")):
            self._reload.start()  # this level's visit rates moved

    def close(self) -> None:
        if self.live is not None:
            self.live.stop()
        if self.worker is not None:
            self.worker.shutdown()
        if self._own_client and callable(getattr(self._client, "close", None)):
            self._client.close()
