"""The session's prefetch and paint-ahead: the next click's levels fetched, laid out and rendered while the wall is idle."""

from __future__ import annotations

import logging

__all__ = ["PaintAhead", "DEFERRED", "PREPARE_RETRY_MS"]

log = logging.getLogger(__name__)

PREPARE_RETRY_MS = 60  # a prefetched level waits for the animation or load on screen to end
DEFERRED = "after-frame"  # the workers' channel of work waiting for the next frame (see after_frame)


class PaintAhead:
    """WallSession's prefetch and paint-ahead half (a mixin): after a level is shown, its children (and
    Esc's level, and a town's village panels) are prefetched, then rendered ahead one per event-loop turn.
    The session holds the state it works on (`_to_prepare`, `_prepare_timer`, prefetchers, host)."""

    def _prefetch_children(self, key: tuple, children: list[str], villages: list[str] = ()) -> None:
        """Prefetch the children of the level on screen (unless another level replaced it meanwhile):
        levels with a map, and a town's village panels."""
        self.worker.release(DEFERRED)
        if self.closed or key != (self.state.map.region_code, self.state.map.year) or self.playing():
            return
        year = key[1]
        self.prefetcher.schedule(children, year)
        up = self.state.nav.up_target()  # Esc's level: kept when left, fetched again only once that is stale
        if up is not None:  # (the root, loaded once at the start, or a parent after minutes at its child)
            self.prefetcher.schedule([up.code], year)
        if villages:
            self.village_prefetcher.schedule(list(villages), year)
            # a village's panel narrows the map: that map is rendered ahead too (while idle)
            self.events.prepare_village.emit(key[0])
        for code in children:  # fetched earlier: lay out and render again if it fell out of the cache
            if self.prefetcher.get(code, year) is not None:
                self._queue_prepare(code)

    @property
    def preparing(self) -> bool:
        """Prefetched levels are still waiting to be laid out and rendered ahead of their drill."""
        return bool(self._to_prepare)

    def _queue_prepare(self, code: str) -> None:
        rm, up = self.state.map.region_map, self.state.nav.up_target()
        if (rm is None or rm.feature(code) is None) and (up is None or up.code != code):
            return  # prefetched for a level no longer on screen
        if code not in self._to_prepare:
            self._to_prepare.append(code)
        self._prepare_timer.start(0)

    def _prepare_next(self) -> None:
        """Render one prefetched level ahead of its drill, its map and its panels' pictures (one per
        event-loop turn, never mid-animation): the click then shows pixels that already exist."""
        if not self._to_prepare or not self.host.visible():
            return
        if self.host.animating() or self.state.loading:
            self._prepare_timer.start(PREPARE_RETRY_MS)
            return
        code = self._to_prepare.pop(0)
        try:
            ready = self.prefetcher.get(code, self.state.map.year)
            if ready is not None and ready.village is None:
                self.events.prepare.emit(str(ready.region.get("code") or code), ready)
        except Exception:  # noqa: BLE001 - only a head start: a drill then paints as it always could
            log.exception("rendering %s ahead failed", code)
        finally:
            if self._to_prepare:
                self._prepare_timer.start(0)
