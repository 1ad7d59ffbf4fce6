"""The session's village half: a village's panel opened at the click, its list waited for briefly, its pages."""

from __future__ import annotations

from typing import Any

from sandbox.ui.village import region_from_map

__all__ = ["VillagePanelSession", "VILLAGE_WAIT_S", "VILLAGE_START_S"]

# A village clicked before its panel was prefetched: its answer (one cached page from the API, a few ms on a
# quiet one) is waited for this long, the GUI thread idle, so the panel's first frame has its list; past that
# the panel opens with the figures the town's map has and the list follows (issue 19).
VILLAGE_WAIT_S = 0.025
VILLAGE_START_S = 0.005  # ... and its request let out before the click's own work, this long at most


class VillagePanelSession:
    """WallSession's village half (a mixin): open, page and close a village's panel, and take its answers.
    The session holds what it works on (state, host, worker, village loader and prefetcher, `_early`,
    `_at_click`, `_click_failure`, `village_wait_s`, events)."""

    def open_village(self, code: str, page: int = 1) -> None:
        """Ask for a village's panel (figures and a page of households); it opens at once when it was
        prefetched with the town, else with the figures its town's map has and its list asked for."""
        st = self.state
        ready = self.village_prefetcher.get(code, st.map.year) if page == 1 else None
        if ready is not None:
            self.host.hold_until_frame()  # the collector waits for the frame showing the panel
            self.worker.cancel(self.village_loader.channel)  # an older click's answer must not replace this panel
            self._early = None
            self._on_village(ready)
            return
        rm = st.map.region_map
        f = rm.feature(code) if rm is not None else None
        if f is None or page != 1:
            self.village_loader.request(code, st.map.year, page)
            st.busy = f"正在载入 {f.name}…" if f else "正在载入…"
            return
        # Its figures are on the town's map (the API puts a child's indicators on its feature, as GET
        # /regions gives them): only its households are asked for, one request, the one the click waits for.
        self.village_loader.request(code, st.map.year, 1, with_region=False)
        if self.village_wait_s > 0:  # its request out first: the server makes the answer meanwhile
            self.worker.let_start(self.village_loader.channel, VILLAGE_START_S)
        self.host.hold_until_frame()
        self._early = code
        st.busy = None
        v = st.village
        # The panel is laid out (state, texts, path, the narrower map) while that request is in flight —
        # nothing is painted until the wait below ends —, so its answer only has its list to fill in.
        v.at_click = self.village_wait_s > 0
        try:
            st.open_village(region_from_map(f, rm, st.map.region_code), None)
            if self._answer_at_click(code):
                return  # it came: the panel's first frame has its list
        finally:
            v.at_click = False
        self.host.after_frame(self.host.hold_until_frame)  # and for the frame with its list, when it comes
        failure, self._click_failure = self._click_failure, None
        if failure is None and v.waiting and v.households is None and not v.note:
            v.show(None, None)  # no longer waited for in the click's turn: what waits for it, says so
        self.events.village_opened.emit()

    def _answer_at_click(self, code: str) -> bool:
        """Wait (`village_wait_s` at most) for the list just asked for; True when it came and filled in
        the panel opened at the click."""
        if self.village_wait_s <= 0:
            return False
        self._at_click, self._click_failure = code, None
        try:
            self.worker.wait(self.village_loader.channel, self.village_wait_s)
        finally:
            self._at_click = None
        return self._early is None and self.state.village.code == code

    def close_village(self) -> bool:
        if self.state.village.waiting:  # its answer must not open it again
            self.worker.cancel(self.village_loader.channel)
        return self.state.close_village()

    def page(self, page: int) -> None:
        """Another page of the open village's households."""
        v = self.state.village
        if v.is_open and 1 <= page <= v.pages:
            self.village_loader.request(v.code, self.state.map.year, page, with_region=False)

    def _on_village(self, result: Any) -> None:
        self.host.hold_until_frame()  # (again, if it came over the network: the frame showing it is next)
        st = self.state
        st.busy = None
        if result.region is None:
            v, early = st.village, self._early
            asked = (result.households or {}).get("region")  # (the page names its village)
            if early is not None and v.code == early and asked in (None, early):  # the list of the panel opened at the click
                self._early = None
                v.show({k: x for k, x in v.region.items() if k != "from_map"}, result.households, result.note)
                if early == self._at_click:  # its panel is not on screen yet: this is its first frame
                    self.events.village_opened.emit()
            elif v.is_open:  # a new page; ignore it if the panel was closed meanwhile
                v.show(None, result.households, result.note)
        else:
            if str(result.region.get("parent_code")) != st.map.region_code:
                return  # the map moved on while this village was loading
            code, early = str(result.region.get("code")), self._early
            at_click = early is not None and early == self._at_click  # its panel is not open yet
            if early is not None and (code != early or (st.village.code != early and not at_click)):
                return  # its panel, opened at the click, was closed since or another village's opened
            self._early = None
            st.open_village(result.region, result.households, result.note)
            if early is None or at_click:  # (else it opened at the click)
                self.events.village_opened.emit()
        self.events.village_applied.emit()

    def _on_village_failed(self, message: str) -> None:
        if self._at_click is not None:
            self._click_failure = message  # the panel it opens says so
        v = self.state.village
        if v.waiting and v.households is None and not v.note:  # opened at the click: its list is not coming
            v.show(None, None, f"户级信息暂时无法获取（{message}）")
        self.state.busy = None
        self.state.error = message
        self.events.failed.emit(message)
