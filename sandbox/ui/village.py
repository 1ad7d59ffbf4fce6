"""The open village: its GET /regions payload and one page of its households (no Qt)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from sandbox.ui.events import Events

__all__ = ["VillageState", "DELEGATION_NOTE", "region_from_map"]

DELEGATION_NOTE = "参观接待模式不显示户级信息"
# A map feature's properties that are not the village's indicators (the rest are: the API puts every
# indicator of a child on its feature, with the same values and notes GET /regions gives the child).
_NOT_INDICATORS = frozenset({"code", "name", "level", "label_point", "indicator_notes", "is_poor_village",
                             "poor_village_exit_year"})


def region_from_map(feature: Any, region_map: Any, parent_code: str | None) -> dict:
    """A village's panel as its town's map already knows it (its feature's figures, the map's year and
    as-of): what the panel shows at the click while the village's own GET /regions and its households
    are on their way. `feature` is a payloads.MapFeature of `region_map`, the map on screen."""
    props = feature.properties
    return {
        "code": feature.code, "name": feature.name, "level": feature.level or "village", "level_zh": "行政村",
        "parent_code": parent_code, "year": region_map.year, "as_of": region_map.as_of,
        "is_poor_village": props.get("is_poor_village"), "poor_village_exit_year": props.get("poor_village_exit_year"),
        "indicators": {k: v for k, v in props.items() if k not in _NOT_INDICATORS},
        "indicator_notes": props.get("indicator_notes"), "from_map": True,
    }


class VillageState:
    """What the village panel shows; `note` replaces the household list when there is none to show."""

    def __init__(self) -> None:
        self.events = Events("changed")
        self.region: dict | None = None
        self.households: dict | None = None  # GET /households page: {total, page, page_size, items}
        self.note: str | None = None
        # Opened at the click while its list is briefly waited for in the same turn (nothing is painted
        # meanwhile): the screen need not make way for a list that is most likely about to come.
        self.at_click = False

    @property
    def waiting(self) -> bool:
        """Open with the figures its town's map knows, its own answer (region and list) still on its way."""
        return bool(self.region is not None and self.region.get("from_map"))

    @property
    def is_open(self) -> bool:
        return self.region is not None

    @property
    def code(self) -> str | None:
        return None if self.region is None else str(self.region.get("code"))

    @property
    def page(self) -> int:
        return int((self.households or {}).get("page") or 1)

    @property
    def pages(self) -> int:
        h = self.households or {}
        size = int(h.get("page_size") or 0) or max(len(h.get("items") or ()), 1)
        return max(1, math.ceil(int(h.get("total") or 0) / size))

    def show(self, region: Mapping[str, Any] | None, households: Mapping[str, Any] | None,
             note: str | None = None) -> None:
        """Replace the panel in one step; a None `region` keeps the one shown (a new households page)."""
        if region is not None:
            self.region = dict(region)
        self.households = None if households is None else dict(households)
        self.note = note
        self.events.changed.emit(self)

    def close(self) -> None:
        if self.region is not None:
            self.region = self.households = self.note = None
            self.events.changed.emit(self)
