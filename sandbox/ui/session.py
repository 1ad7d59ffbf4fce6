"""The wall's session (napari's ViewerModel): what a click, a key or a timer asks for, with no widget and no Qt."""

# Load, drill, up, home, year, refresh and idle policy live here, over the WallState model; prefetch
# and paint-ahead in sandbox.ui.session_ahead, a village's panel in sandbox.ui.session_village. The session reaches the network through loaders and
# prefetchers it is given (sandbox.ui.session_qt builds them on the wall's worker) and time through a
# `Host` (sandbox.ui.session_ports: timers and the next painted frame): a test drives it with fakes of
# both and never makes a window.

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sandbox.ui import classify
from sandbox.ui.events import Events
from sandbox.ui.navigation import full_code
from sandbox.ui.payloads import RegionSeries
from sandbox.ui.session_ahead import DEFERRED, PaintAhead
from sandbox.ui.session_ports import CamerasPort, Host, LayersPort
from sandbox.ui.session_village import VILLAGE_WAIT_S, VillagePanelSession
from sandbox.ui.state import WallState

__all__ = ["WallSession", "LEAF_NOTE", "ROOT_NOTE", "IDLE_SECONDS", "PRELOAD_DELAY_MS", "DEFERRED", "VILLAGE_WAIT_S"]

LEAF_NOTE = "已是最底层（行政村），没有下级区域"
ROOT_NOTE = "已是最上层"
IDLE_SECONDS = 300.0  # nobody touched the wall for this long: back to the county overview
PRELOAD_DELAY_MS = 1000  # after the first data: mapclassify's import (≈3 s of CPU) waits for the first frames


class WallSession(VillagePanelSession, PaintAhead):
    """Everything the wall does between input and the state model.

    Events (plain callbacks): `applied()` a level (or its note) is on screen, `failed(message)`,
    `village_opened()` a village's panel is on screen with its figures (at the click when its town's map
    has them), `village_applied()` its answer too (its households list), `shown(region)` a region's data
    is on screen (panels follow), `prepare(code, result)` render a prefetched level ahead of its drill,
    `prepare_village(code)` render the town on screen's map as it will be beside a village panel,
    `refreshing()` before an F5's requests go out, `home()` before the idle timeout goes back to the
    county."""

    def __init__(self, state: WallState, host: Host, *, loader: Any, village_loader: Any, prefetcher: Any,
                 village_prefetcher: Any, worker: Any, retry_seconds: float = 30.0, preload: bool = True):
        self.state, self.host = state, host
        self.loader, self.village_loader = loader, village_loader
        self.prefetcher, self.village_prefetcher, self.worker = prefetcher, village_prefetcher, worker
        self.preload = preload  # import mapclassify in the background after the first data
        self.events = Events("applied", "failed", "village_opened", "village_applied", "shown", "prepare",
                             "prepare_village", "refreshing", "home")
        self.playing: Callable[[], bool] = lambda: False  # the timeline player tours the years
        self.layers: LayersPort | None = None  # set by the window: the tour's layer and camera steps
        self.cameras: CamerasPort | None = None
        self.closed = False
        self._have_indicators = False
        self._series: dict[str, RegionSeries] = {}
        self._to_prepare: list[str] = []  # prefetched levels to lay out and render while idle
        self._on_screen: tuple[str, Any, float] | None = None  # the level shown, since when fresh
        self._early: str | None = None  # the village whose panel opened at the click, its answer awaited
        self.village_wait_s = VILLAGE_WAIT_S  # 0: a village not prefetched opens at once, its list following
        self._at_click: str | None = None  # the village clicked, while its answer is briefly waited for
        self._click_failure: str | None = None  # ... and why it did not come, when it failed meanwhile
        self._preload_asked = False
        self._retry_ms = max(1, int(retry_seconds * 1000))
        self._retry = host.timer(self.refresh)
        self._idle = host.timer(self.go_home)
        self._idle_ms = 0
        self._prepare_timer = host.timer(self._prepare_next)
        loader.loaded.connect(self._on_loaded)
        loader.failed.connect(self._on_failed)
        village_loader.loaded.connect(self._on_village)
        village_loader.failed.connect(self._on_village_failed)
        prefetcher.ready.connect(self._queue_prepare)

    # -- what a click or a key asks for --------------------------------------------------------------
    def load(self, region: str, year: int | None = None, *, busy: str | None = None) -> None:
        """Ask for a region/year; the screen changes only when all of its data has arrived."""
        self.host.hold_until_frame()
        st = self.state
        region = full_code(region)  # "52" or "5227" (a root or a tour step): the payloads' 12 digits
        st.ask(region, year)
        self._retry.stop()
        # The last town's village panels still on their way would hold the worker and the API while
        # this level loads: drop them (the ones already here stay, for a quick way back).
        self.village_prefetcher.cancel_pending()
        ready = self.prefetcher.get(region, year) if self._have_indicators else None
        if ready is not None:  # prefetched a moment ago: no network, no wait
            self.loader.cancel()
            self._on_loaded(ready)
            return
        st.loading = True
        known = region == st.map.region_code or st.nav.index_of(region) is not None or (
            st.map.region_map is not None and st.map.region_map.feature(region) is not None)
        self.loader.request(region, year, with_indicators=not self._have_indicators,
                            series=self.series_of(region), with_ancestors=not known,
                            has_children=self._has_children(region),
                            preload_classes=not classify.preloaded()
                            and classify.needs_mapclassify(st.map.indicator_key))
        st.busy = busy

    def drill(self, code: str) -> None:
        """A region on the map was clicked: open its children, or its panel if it is a village."""
        st = self.state
        rm = st.map.region_map
        f = rm.feature(code) if rm is not None else None
        if f is None:
            return
        if st.village.code == code:
            st.say(LEAF_NOTE)
            return
        if f.level == "village":
            self.open_village(code)
            return
        self.load(code, st.map.year, busy=f"正在载入 {f.name}…")

    def go_up(self) -> None:
        """One level up: close the first open overlay (a full-screen camera, the menu, the 监控 view, the
        project card: the host's `escapes`, in order), else the village panel, else show the parent's map."""
        for close in self.host.escapes:
            if close():
                return
        st = self.state
        if self.close_village():
            return
        parent = st.nav.up_target()
        if parent is None:
            st.say(ROOT_NOTE)
            return
        self.load(parent.code, st.map.year, busy=f"正在返回 {parent.name}…")

    def go_home(self) -> None:
        """Back to the top of the path (the idle timeout): menu and village closed, the tour left running."""
        self.events.home.emit()
        st = self.state
        st.close_village()
        root = st.nav.root
        if root is not None and root.code != st.map.region_code:
            self.load(root.code, st.map.year)

    def go_to(self, code: str) -> None:
        """A breadcrumb was clicked."""
        st = self.state
        if code == st.map.region_code:
            st.close_village()
            return
        crumb = next((c for c in st.nav.stack if c.code == code), None)
        self.load(code, st.map.year, busy=f"正在载入 {crumb.name}…" if crumb else None)

    def set_year(self, year: int) -> None:
        """Show another year of the region asked for last (a drill on its way keeps going), and of the open village."""
        st = self.state
        self.load(st.target[0], year)
        if st.village.is_open:
            self.village_loader.request(st.village.code, year, 1)

    def set_indicator(self, key: str) -> None:
        self.state.map.indicator_key = key  # every indicator is in the GeoJSON: no refetch

    def go_home_to(self, region: str) -> None:
        """Back to `region` as the top of the path: home when the path is rooted there, else load it
        (nothing on screen yet, or a path rooted elsewhere)."""
        st = self.state
        root = st.nav.root
        if root is not None and root.code == region:
            self.go_home()
        else:
            st.close_village()
            self.load(region, st.map.year)

    def refresh(self) -> None:
        """Fetch what is asked for again, all years afresh (F5, the retry timer)."""
        self._series.clear()
        self.prefetcher.clear()
        self.village_prefetcher.clear()
        self._on_screen = None  # nor is the level on screen kept for Esc as it was before the refresh
        self.events.refreshing.emit()  # the layers and an open card are fetched again too
        st = self.state
        self.load(*st.target)
        if st.village.is_open:
            self.village_loader.request(st.village.code, st.map.year, st.village.page)

    # -- layers and cameras (the tour's steps) -------------------------------------------------------
    def layer_names(self) -> list[str]:
        """The map layers a tour may show (none when the wall has no API connection for them)."""
        return list(self.layers.names()) if self.layers is not None else []

    def layer_on_by_default(self, name: str) -> bool:
        """Whether a layer is on when nothing asked (the 督办 layer is not: it recolours the map)."""
        check = getattr(self.layers, "on_by_default", None)
        return bool(check(name)) if callable(check) else True

    def set_layer(self, name: str, on: bool) -> None:
        """Show or hide a map layer (projects, funds, checkins, cameras, duty)."""
        if self.layers is not None:
            self.layers.set_visible(name, on)

    def show_camera(self, camera_id: int) -> None:
        """Open a camera full screen over the wall (Esc or a click returns)."""
        if self.cameras is not None:
            self.cameras.show_camera(camera_id)

    def close_full_camera(self) -> bool:
        """Close the camera shown full screen; False if none was."""
        return self.cameras.close_full_camera() if self.cameras is not None else False

    @property
    def working(self) -> bool:
        """A load, a drill's animation or the year tour is running (a periodic refresh waits)."""
        return bool(self.state.loading or self.host.animating() or self.playing())

    # -- idle -----------------------------------------------------------------------------------------
    def set_idle_seconds(self, seconds: float) -> None:
        """How long the wall waits without input before going back to the county (0: never)."""
        self._idle_ms = max(1, int(seconds * 1000)) if seconds > 0 else 0
        if self._idle_ms:
            self._idle.start(self._idle_ms)
        else:
            self._idle.stop()

    @property
    def idle_enabled(self) -> bool:
        return self._idle_ms > 0

    def touched(self) -> None:
        """Someone is using the wall: the idle timeout counts from now."""
        if self._idle_ms:
            self._idle.start(self._idle_ms)

    # -- results --------------------------------------------------------------------------------------
    def _on_loaded(self, result: Any) -> None:
        self.host.hold_until_frame()  # (again, if the data came over the network: the frame showing it is next)
        st = self.state
        if result.indicators is not None:
            st.map.set_indicators(result.indicators)
            self._have_indicators = True
        if result.series is not None:
            self._series[result.series.code] = result.series
        st.busy = None
        st.loading = False
        if not result.region_map.features and result.village is None and st.has_data:
            # Nothing to drill into: keep the level on screen and say why.
            st.say(f"{result.region.get('name') or '该区域'} 没有下级区域")
            st.settle()
            st.error = None
            self.events.applied.emit()
            return
        came_from = st.map.region_code
        left = self._on_screen
        if left is not None and left[0] != str(result.region.get("code")):  # Esc brings it back at once
            self.prefetcher.keep(*left)
        code = str(result.region.get("code"))
        self._on_screen = (code, result, self.prefetcher.arrived_at(code, result))
        st.apply(result.region, result.region_map, result.series, result.ancestors)
        if result.missing:  # offline and not cached: shown without it, and said so
            st.say(f"{'、'.join(result.missing)}暂时无法获取，恢复连接后自动更新", 6000)
        self.events.shown.emit(result.region)
        if came_from and result.region_map.feature(came_from) is not None:
            st.map.selected_code = came_from  # back up a level: the region just left stays outlined
        if not result.region_map.features:
            st.placeholder = "该区域没有下级区域"
        if result.village is not None:
            v = result.village
            st.open_village(v.region, v.households, v.note)
        st.settle()
        self.events.applied.emit()
        if self.preload and not self._preload_asked:
            self._preload_asked = True
            self.host.timer(self.host.preload_classes).start(PRELOAD_DELAY_MS)
        children = [f.code for f in result.region_map.features if f.level != "village"]
        villages = [f.code for f in result.region_map.features if f.level == "village"]
        self._to_prepare = [c for c in self._to_prepare if c in children]  # the last level's are moot
        if not self.playing():  # the next click is most likely one of these
            # once the frame showing this level is painted: the fetches would slow that frame down
            self.worker.hold(DEFERRED)  # busy until then
            self.host.after_frame(lambda key=(st.map.region_code, st.map.year):
                                  self._prefetch_children(key, children, villages))

    def _on_failed(self, message: str) -> None:
        st = self.state
        st.loading = False
        st.busy = None
        st.error = message
        if st.has_data:
            st.settle()  # retry what is on screen, not the failed drill
        else:
            st.placeholder = "暂无可显示的地图数据"
        self._retry.start(self._retry_ms)
        self.events.failed.emit(message)

    def series_of(self, code: str) -> RegionSeries | None:
        return self._series.get(code) or self.prefetcher.series(code)

    def _has_children(self, code: str) -> bool | None:
        """Whether `code` is a level with a map of its own (not a village), when the screen knows."""
        st = self.state
        if code == st.map.region_code:
            return True
        f = st.map.region_map.feature(code) if st.map.region_map is not None else None
        if f is not None:
            return f.level != "village"
        crumb = next((c for c in st.nav.stack if c.code == code), None)
        return None if crumb is None else not crumb.is_leaf

    def close(self) -> None:
        """The wall is closing: work waiting for the next frame is dropped, timers stop."""
        self.closed = True
        self._idle.stop()
        self._retry.stop()
        self._prepare_timer.stop()
