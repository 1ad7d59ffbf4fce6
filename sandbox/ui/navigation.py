"""The drill-down path (province › prefecture › county › town › village) as a stack of region codes, testable without Qt."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sandbox.domain.regions import InvalidRegionCode, RegionCode
from sandbox.ui.events import Events

__all__ = ["Crumb", "Navigation", "LEVEL_ZH", "LEAF_LEVEL", "crumb_of", "full_code"]

LEVEL_ZH = {"province": "省", "prefecture": "市州", "county": "县", "town": "乡镇", "village": "行政村"}
LEAF_LEVEL = "village"  # has no children: cannot be drilled further


@dataclass(frozen=True)
class Crumb:
    """One step of the path; the code drives navigation, the name is only for display."""

    code: str
    name: str
    level: str = ""

    @property
    def is_leaf(self) -> bool:
        return self.level == LEAF_LEVEL


def full_code(code: str) -> str:
    """A code at any level ("52", "5227", "522726", 9 or 12 digits) as the API's payloads spell it (12
    digits); anything else unchanged (the API refuses it in its own words)."""
    try:
        return RegionCode.parse(code).value
    except InvalidRegionCode:
        return code


def _contains(outer: str, inner: str) -> bool:
    try:
        return RegionCode.parse(outer).contains(RegionCode.parse(inner)) and outer != inner
    except InvalidRegionCode:
        return False


def crumb_of(region: Mapping[str, Any]) -> Crumb:
    """A crumb from a GET /regions/{code} payload (or a children entry)."""
    code = str(region["code"])
    return Crumb(code, str(region.get("name") or code), str(region.get("level") or ""))


class Navigation:
    """The path from the root to what is on screen. It changes only when data has arrived (`arrive`),
    so a request that fails leaves the path, like the map, as it was."""

    def __init__(self, home: str | None = None) -> None:
        self.events = Events("changed")
        self._stack: tuple[Crumb, ...] = ()
        # The wall's root (`--region`, the kiosk's root_region): the path never starts above it, so its
        # first crumb, the idle timeout and the kiosk's home all go there (a prefecture's wall is no province's).
        self.home: str | None = None
        self.set_home(home)

    def set_home(self, code: str | None) -> None:
        self.home = full_code(code) if code else None

    @property
    def stack(self) -> tuple[Crumb, ...]:
        return self._stack

    @property
    def current(self) -> Crumb | None:
        return self._stack[-1] if self._stack else None

    @property
    def parent(self) -> Crumb | None:
        return self._stack[-2] if len(self._stack) > 1 else None

    @property
    def root(self) -> Crumb | None:
        return self._stack[0] if self._stack else None

    @property
    def can_go_up(self) -> bool:
        return len(self._stack) > 1

    def codes(self) -> list[str]:
        return [c.code for c in self._stack]

    def index_of(self, code: str) -> int | None:
        return next((i for i, c in enumerate(self._stack) if c.code == code), None)

    def arrive(self, region: Mapping[str, Any], ancestors: Iterable[Crumb] | None = None) -> None:
        """`region` is now on screen: truncate back to it, push it under its parent, or start over
        from `ancestors` (root first) when it is neither (a jump, or the first load)."""
        crumb = crumb_of(region)
        i = self.index_of(crumb.code)
        if i is not None:
            stack = (*self._stack[:i], crumb)
        elif self._stack and str(region.get("parent_code") or "") == self._stack[-1].code:
            stack = (*self._stack, crumb)
        elif self._stack and self._stack[-1].is_leaf and str(region.get("parent_code") or "") == (
                self.parent.code if self.parent else None):
            stack = (*self._stack[:-1], crumb)  # a sibling village of the open one
        else:
            above = tuple(ancestors or ())
            # A jump below a level of the path (a tour step to a town of a province's wall): the loader's
            # ancestors stop at the county, so the path keeps its crumbs above them, and its root.
            kept = tuple(c for c in self._stack if _contains(c.code, above[0].code)) if above else ()
            stack = (*kept, *above, crumb)
        # (a village's code as the root opens its panel over its town: that path keeps the levels above)
        start = next((i for i, c in enumerate(stack) if c.code == self.home and not c.is_leaf), 0)
        self._set(stack[start:])

    def leave_leaf(self) -> Crumb | None:
        """Close the open village (the map under it stays); returns the crumb left, if any."""
        if self.current is not None and self.current.is_leaf and len(self._stack) > 1:
            left = self._stack[-1]
            self._set(self._stack[:-1])
            return left
        return None

    def up_target(self) -> Crumb | None:
        """Where "up one level" goes: the parent crumb, or None at the root."""
        return self.parent

    def _set(self, stack: tuple[Crumb, ...]) -> None:
        if stack != self._stack:
            self._stack = stack
            self.events.changed.emit(stack)
