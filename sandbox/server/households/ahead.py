"""A town's other villages' first household pages, made on a thread once one of its villages' is made."""

# A wall that shows a town asks for its villages' panels (its prefetch, then a click): a page the server
# has not kept costs the click ≈ 5 ms of queries while it waits (issue 19). When a village's first page
# is made, its siblings' first pages are made too, for the same role, on one thread of their own, with
# their gzip, and kept as any page is (per facts version and role), so the next village is one read.
# Bounded: one town at a time (a town asked while another is being made waits for its own next miss),
# each (facts version, role, town, year) once. Nothing is served from here: every read is still checked
# against the caller's region and logged by the route.

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from typing import Any

from sandbox.domain.enums import Role
from sandbox.domain.regions import RegionCode, RegionLevel
from sandbox.server.core.dataset import dataset_info
from sandbox.server.deps import resolve_year
from sandbox.server.households.pages import households_page, page_key
from sandbox.store.queries import child_regions

__all__ = ["SiblingPages", "siblings_of"]

log = logging.getLogger(__name__)
_REMEMBERED = 256  # towns made ready, remembered so as not to make them again (per version, role, year)


class SiblingPages:
    """Makes the first pages of a village's siblings into the app's answer LRU (`state.responses`)."""

    def __init__(self, state: Any):
        # The app's state, not its LRU and session maker of the moment: the LRU may be replaced (a cache
        # emptied), and pages put into the one replaced would never be read.
        self.state = state
        self._lock = threading.Lock()
        self._done: OrderedDict[tuple, None] = OrderedDict()
        self._thread: threading.Thread | None = None

    def after_made(self, build: str, role: Role, village: RegionCode, year: int | None) -> bool:
        """A village's first page was just made for `role`: make its siblings' on a thread; False when
        nothing was started (not a village, this town done already, or another town still being made)."""
        town = village.parent if village.level == RegionLevel.village else None
        if town is None:
            return False
        key = (build, role.value, town.value, year)
        with self._lock:
            if key in self._done or (self._thread is not None and self._thread.is_alive()):
                return False
            self._done[key] = None
            while len(self._done) > _REMEMBERED:
                self._done.popitem(last=False)
            self._thread = threading.Thread(target=self._make, args=(role, town, village, year),
                                            name="households-ahead", daemon=True)
            self._thread.start()
        return True

    def wait(self, timeout: float = 10.0) -> None:
        """Until the pages being made are kept (tests; the app's shutdown need not wait)."""
        t = self._thread
        if t is not None:
            t.join(timeout)

    def _make(self, role: Role, town: RegionCode, asked: RegionCode, year: int | None) -> None:
        try:
            responses = self.state.responses
            with self.state.sessions() as session:
                build = dataset_info(session)["build"]  # the version of the facts this session reads
                y = resolve_year(session, year)
                for region in child_regions(session, town):
                    rc = RegionCode.parse(region.code)
                    if rc.value == asked.value or rc.level != RegionLevel.village:
                        continue
                    key = page_key(build, role, rc.value, y, None, 1)
                    if responses.peek(key) is None:
                        page = households_page(session, role, rc, y, None, 1)
                        page.answer.gz  # noqa: B018 - its gzip too (≈ 2 ms), or the first read would make it
                        responses.put(key, page)
        except Exception as exc:  # made ahead only: a failure costs the next click its wait, nothing more
            log.warning("households of the villages of %s not made ahead: %s", town.value, exc)


def siblings_of(app: Any) -> SiblingPages:
    """The app's maker of sibling pages (made on first use, over the app's sessions and answer LRU)."""
    made = getattr(app.state, "household_siblings", None)
    if made is None:
        made = app.state.household_siblings = SiblingPages(app.state)
    return made
