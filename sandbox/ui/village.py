"""The open village: its GET /regions payload and one page of its households (no Qt)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from sandbox.ui.events import Events

__all__ = ["VillageState", "DELEGATION_NOTE"]

DELEGATION_NOTE = "参观接待模式不显示户级信息"


class VillageState:
    """What the village panel shows; `note` replaces the household list when there is none to show."""

    def __init__(self) -> None:
        self.events = Events("changed")
        self.region: dict | None = None
        self.households: dict | None = None  # GET /households page: {total, page, page_size, items}
        self.note: str | None = None

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
