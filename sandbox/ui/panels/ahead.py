"""A panel's state for a level painted ahead of its drill, found again by that level's region payload."""

# A prefetched level's payload is painted ahead and then applied by its drill as the same object: what a
# panel derived from it while painting ahead (its chart rows, its figures) is kept here and taken by the
# drill's update_region instead of being derived again on the click (issue 19). Keyed by the payload's
# identity, which holds while the entry keeps the payload: another year's or a refreshed payload is
# another object and is derived afresh.

from __future__ import annotations

from collections import OrderedDict
from typing import Any

__all__ = ["Prepared", "KEPT"]

KEPT = 16  # levels prepared ahead at once (a county's towns, a town's villages' panels are not here)


class Prepared:
    """States derived from region payloads painted ahead, the last KEPT of them."""

    def __init__(self, kept: int = KEPT):
        self._kept = kept
        self._states: OrderedDict[int, tuple[Any, Any]] = OrderedDict()
        self.used = 0  # states taken by an update (tests count them)

    def put(self, region: Any, state: Any) -> None:
        self._states[id(region)] = (region, state)  # (the payload kept: its id is not reused meanwhile)
        self._states.move_to_end(id(region))
        while len(self._states) > self._kept:
            self._states.popitem(last=False)

    def take(self, region: Any) -> Any | None:
        """The state prepared for this very payload (dropped: a drill applies a level once), else None."""
        entry = self._states.get(id(region))
        if entry is None or entry[0] is not region:
            return None
        del self._states[id(region)]
        self.used += 1
        return entry[1]
