"""The wall's cameras controller: signed URLs and health of every camera, the 监控 view, card tile, full screen."""

from __future__ import annotations

import logging
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, QTimer, Signal

from sandbox.ui.cameras.health import CameraHealth
from sandbox.ui.cameras.policy import UrlPolicy
from sandbox.ui.cameras.reconnect import StaggerGate, StreamSettings, default_gate
from sandbox.ui.later import built
from sandbox.ui.layers.checkins import region_prefix
from sandbox.ui.layers.data import fetch_camera, fetch_cameras, markers_drawn
from sandbox.ui.theme import metrics_for_height

# The tiles, the grid and the project card are imported when first used: none is on the wall's first frame.
if TYPE_CHECKING:
    from sandbox.ui.cameras.grid import CameraFullView, CameraWall
    from sandbox.ui.cameras.tile import CameraTile


def _tile_class() -> type | None:
    """CameraTile if any tile was ever made (its module loaded), else None: nothing can be one."""
    mod = sys.modules.get("sandbox.ui.cameras.tile")
    return mod.CameraTile if mod is not None else None


def _is_tile(widget: Any) -> bool:
    cls = _tile_class()
    return cls is not None and isinstance(widget, cls)


def _card_camera(cam: dict) -> dict:
    from sandbox.ui.project_card import ProjectCard

    return ProjectCard.tile_camera(cam)

__all__ = ["WallCameras"]

log = logging.getLogger(__name__)


class WallCameras(QObject):
    """One URL policy, one health record and one stagger gate for every tile of the wall: the map's
    glyphs show what any tile saw, and tiles starting together still connect one after another.

    `wall` gives the widgets (canvas, monitor, project card, camera layer) and the layers' worker; the
    camera view (监控 open, the camera full screen) is recorded in `wall.state`."""

    cameraOpened = Signal(int)  # a camera is full screen over the wall
    cameraMissing = Signal(int)  # show_camera(id): the API has no such camera
    camerasRefreshed = Signal()  # fresh signed stream URLs were handed to the tiles
    monitorToggled = Signal(bool)  # the 监控 view took the map's place (True) or gave it back

    def __init__(self, wall: Any, client: Any, hosts: Sequence[str], settings: StreamSettings | None, stream: bool):
        super().__init__(wall)
        self.wall = wall
        self.policy = UrlPolicy.for_api(client.config.base_url, tuple(hosts or ()))
        self.settings = settings or StreamSettings()
        self.gate = StaggerGate(settings.stagger_s) if settings is not None else default_gate()
        self.health = CameraHealth(self)
        self.stream = stream  # off for screenshots: tiles show their state, never connect
        self.cameras: dict[int, dict] = {}  # id → the newest GET /cameras dict (its signed URL included)
        self.camera_wall: CameraWall | None = None
        self.full_view: CameraFullView | None = None  # a camera full screen from the map, a tour or the card
        self._monitor_region: str | None = None
        self._monitor_asked: str | None = None  # the region whose cameras the monitor asked for (above a county)
        self._pending_camera: int | None = None
        self._refresh = QTimer(self, singleShot=True, interval=500)  # several tiles expire together
        self._refresh.timeout.connect(self.refresh)
        self.health.changed.connect(self._on_health)
        wall.monitor.backRequested.connect(self.close_monitor)

    # -- what the API says ------------------------------------------------------------------------------
    def take(self, cams: list[dict]) -> None:
        """Keep the newest dict of each camera; health starts from the API (offline → 无信号) and the
        URL policy."""
        fresh = [c for c in cams if isinstance(c.get("id"), int)]
        for c in fresh:
            self.cameras[c["id"]] = dict(c)
        self.health.seed(fresh)
        for c in fresh:
            cid = c["id"]
            verdict = self.policy.check(c.get("stream_url"))
            if not verdict.allowed:  # known before any tile tries: the glyph says so at once
                self.health.set(cid, "blocked" if (c.get("stream_url") or "").strip() else "down")
            elif c.get("status") == "offline" and self.health.state(cid) == "unknown":
                self.health.set(cid, "down")

    def region_cameras(self) -> list[dict]:
        """The cameras of the region on screen, newest dicts, in id order."""
        code = self.wall.state.map.region_code
        if code is None:
            return []
        prefix = region_prefix(code)
        return [c for _, c in sorted(self.cameras.items()) if str(c.get("region_code") or "").startswith(prefix)]

    def _on_health(self, camera_id: int, state: str) -> None:
        self.wall.camera_layer.set_health(camera_id, state)
        if self.monitor_open:
            self._title_monitor()

    # -- tiles --------------------------------------------------------------------------------------------
    def tile_kwargs(self) -> dict:
        return {"settings": self.settings, "health": self.health, "gate": self.gate}

    def hold(self, tile: CameraTile) -> CameraTile:
        if not self.stream:
            tile.set_active(False)
        tile.urlExpired.connect(self._on_url_expired)
        return tile

    def set_card_camera(self, cam: dict | None) -> None:
        """The project card's live tile of its first camera (None: remove it, which stops its stream)."""
        if cam is None and not built(self.wall.layers_ctl, "card"):
            return  # no card yet: no tile on it
        card = self.wall.project_card
        old = card.camera_widget
        cam = _card_camera(cam) if cam is not None else None  # named as the card names it
        if cam is not None and _is_tile(old) and old.camera_id == cam.get("id"):
            old.set_camera(cam)  # a fresh signed URL for the same camera: the link stays
            return
        if old is not None:
            card.set_camera_widget(None)
            old.close()
            old.deleteLater()
        if cam is None:
            return
        from sandbox.ui.cameras.tile import CameraTile

        tile = self.hold(CameraTile(cam, self.policy, **self.tile_kwargs()))
        tile.setObjectName("cardCameraTile")
        tile.setFixedHeight(self.card_tile_height())
        tile.clicked.connect(self.open_full)
        if self.full_view is not None:
            tile.set_active(False)
        card.set_camera_widget(tile)

    def beside_tile(self) -> CameraTile:
        """A tile for the camera grid beside the map on a wide wall (wall_seams.BesideCameras)."""
        from sandbox.ui.cameras.tile import CameraTile

        return self.hold(CameraTile({}, self.policy, **self.tile_kwargs()))

    def card_tile_height(self) -> int:
        m = self.wall.metrics or metrics_for_height(1080)
        return m.px(210)

    # -- the 监控 view --------------------------------------------------------------------------------------
    @property
    def monitor_open(self) -> bool:
        return not self.wall.monitor.isHidden()

    def open_monitor(self) -> None:
        """The 监控 view in the map's place: the region's cameras, 2×2 for up to four, 3×3 up to nine, else
        4×4 (paged); tiles play sub-streams."""
        wall = self.wall
        if not wall.layers_enabled:
            wall.state.say("摄像头不可用：未连接中心接口")
            return
        if self.camera_wall is None:
            from sandbox.ui.cameras.grid import GRID_SIZES, CameraWall

            self.camera_wall = CameraWall([], self.policy, wall.monitor, columns=max(GRID_SIZES), **self.tile_kwargs())
            for t in self.camera_wall.tiles:  # all sixteen made up front (4×4): they are never replaced
                self.hold(t)
            self.camera_wall.fullScreenOpened.connect(lambda cid: self.cameraOpened.emit(cid))
            wall.monitor.set_wall(self.camera_wall)
        self._monitor_region = None
        self.fill_monitor()
        if not self.monitor_open:
            # Hide one before showing the other: for a moment both would count towards the window's
            # minimum height and the window would grow for good.
            wall.canvas.hide()  # the project card and the layer control go with it
            wall.monitor.show()
            wall.state.set_camera_view(monitor=True)
            self.monitorToggled.emit(True)

    def close_monitor(self) -> bool:
        """Back to the map (返回地图 / Esc): the grid is hidden, so its tiles stop streaming. False if it
        was not open."""
        if not self.monitor_open:
            return False
        if self.camera_wall is not None:
            self.camera_wall.close_full_screen()
        self.wall.monitor.hide()
        self.wall.canvas.show()
        self.wall.state.set_camera_view(monitor=False)
        self.monitorToggled.emit(False)
        return True

    def fill_monitor(self) -> None:
        if self.camera_wall is None:
            return
        code = self.wall.state.map.region_code
        new = code != self._monitor_region
        if new and not markers_drawn(code or ""):
            # A province's or a prefecture's layers carry no cameras (no markers drawn there): asked for now.
            self._monitor_asked = code
            self.refresh()
        self._monitor_region = code
        self._show_monitor(first_page=new)

    def _show_monitor(self, first_page: bool) -> None:
        grid = self.camera_wall
        cams = self.region_cameras()
        grid.set_cameras(cams)
        if first_page:  # a new region: its own grid size, from its first page
            from sandbox.ui.cameras.grid import grid_for

            grid.set_columns(grid_for(len(cams)))
            grid.set_page(0)
        if not self.stream:
            for t in grid.tiles:
                t.set_active(False)
        self._title_monitor()

    def _title_monitor(self) -> None:
        cams = self.region_cameras()
        counts: dict[str, int] = {}
        for c in cams:
            st = self.health.state(c["id"])
            counts[st] = counts.get(st, 0) + 1
        self.wall.monitor.set_title(str((self.wall.state.region or {}).get("name") or ""), len(cams), counts)

    # -- full screen --------------------------------------------------------------------------------------
    def show_camera(self, camera_id: int) -> None:
        """Open a camera full screen over the wall (a tour's step; Esc or a click returns). A camera not
        on this level is asked of the API first (off the GUI thread); an unknown id says so on the map."""
        cam = self.cameras.get(camera_id)
        if cam is not None:
            self.open_full(cam)
            return
        run = self.wall.layers_ctl.run
        if run is None:
            log.warning("show_camera(%s): the wall has no API connection for cameras", camera_id)
            self.wall.state.say(f"无法打开摄像头 {camera_id}：未连接中心接口")
            return
        self._pending_camera = camera_id
        run("camera", lambda client: (camera_id, fetch_camera(client, camera_id)), f"camera {camera_id}")

    def on_found(self, camera_id: int, cam: dict | None) -> None:
        if camera_id != self._pending_camera:
            return
        self._pending_camera = None
        if cam is None:
            log.warning("show_camera(%s): no such camera", camera_id)
            self.wall.state.say(f"没有编号为 {camera_id} 的摄像头")
            self.cameraMissing.emit(camera_id)
            return
        self.take([cam])
        self.open_full(self.cameras[camera_id])

    def on_not_found(self, message: str) -> None:
        self.wall.state.say(f"摄像头暂时无法获取（{message}）")

    def open_full(self, cam: dict) -> CameraFullView:
        """Full screen over the window. Tiles underneath pause: the same camera never streams twice."""
        self.close_full_camera()
        if self.monitor_open and self.camera_wall is not None:
            view = self.camera_wall.open_camera(cam)  # the grid pauses and resumes itself
        else:
            from sandbox.ui.cameras.grid import open_fullscreen

            view = open_fullscreen(cam, self.policy, self.wall, **self.tile_kwargs())
            if isinstance(cam.get("id"), int):
                self.cameraOpened.emit(cam["id"])
        self.hold(view.tile)
        card_tile = self.wall.project_card.camera_widget if built(self.wall.layers_ctl, "card") else None
        if _is_tile(card_tile):
            card_tile.set_active(False)
        view.closed.connect(lambda v=view: self._full_closed(v))
        self.full_view = view
        self.wall.state.set_camera_view(full=cam.get("id") if isinstance(cam.get("id"), int) else None)
        return view

    def _full_closed(self, view: CameraFullView) -> None:
        if self.full_view is view:
            self.full_view = None
            self.wall.state.set_camera_view(full=None)
        card_tile = self.wall.project_card.camera_widget if built(self.wall.layers_ctl, "card") else None
        if _is_tile(card_tile):
            card_tile.set_active(self.stream)
        if not self.stream and self.camera_wall is not None:
            for t in self.camera_wall.tiles:  # the grid resumed them all on close
                t.set_active(False)

    def close_full_camera(self) -> bool:
        """Close the camera shown full screen; False if none was."""
        view = self.full_view
        if view is None:
            return False
        self.full_view = None
        self.wall.state.set_camera_view(full=None)
        view.close()
        return True

    def close_grid_camera(self) -> bool:
        """Close a camera the 监控 grid shows full screen; False if none was."""
        if self.camera_wall is not None and self.camera_wall.full_view is not None:
            self.camera_wall.close_full_screen()
            return True
        return False

    # -- fresh signed URLs ----------------------------------------------------------------------------------
    def _on_url_expired(self, camera_id: int) -> None:
        log.info("camera %s: stream URL expired, fetching fresh ones", camera_id)
        self._refresh.start()

    def refresh(self) -> None:
        """Fresh signed URLs for every camera the caller may see (those on screen may be from another level)."""
        run = self.wall.layers_ctl.run
        if run is not None:
            run("cameras", fetch_cameras, "cameras")

    def on_refreshed(self, cams: list[dict]) -> None:
        self.take(cams)
        asked, self._monitor_asked = self._monitor_asked, None
        if self.camera_wall is not None and self.monitor_open:
            if asked is not None and asked == self._monitor_region:
                self._show_monitor(first_page=True)  # the cameras the monitor asked for: its grid size now
            else:
                self.camera_wall.set_cameras(self.region_cameras())  # same cameras keep their links
        tiles = [self.wall.project_card.camera_widget if built(self.wall.layers_ctl, "card") else None]
        if self.full_view is not None:
            tiles.append(self.full_view.tile)
        for t in tiles:
            if _is_tile(t) and t.camera_id in self.cameras:
                cam = self.cameras[t.camera_id]
                t.set_camera(_card_camera(cam) if t is tiles[0] else cam)
        self.camerasRefreshed.emit()

    def on_refresh_failed(self, message: str) -> None:
        log.warning("fresh camera URLs not loaded: %s", message)  # the tiles keep retrying; so do we
        self._refresh.start()

    def close(self, arranger: Any = None) -> None:
        """The wall closes: every tile's stream ends before the worker threads go."""
        self._refresh.stop()
        self.close_full_camera()
        self.set_card_camera(None)
        if self.camera_wall is not None:
            self.camera_wall.close()
        if arranger is not None and arranger.cameras is not None:
            arranger.cameras.close_streams()

