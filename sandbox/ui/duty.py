"""The wall's 督办 model (Qt-free): GET /regions/{code}/duty read into counts per child and, for leaders, overdue items."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sandbox.ui.events import Events

if TYPE_CHECKING:
    from sandbox.client.api import ApiClient

__all__ = ["DutyCounts", "DutyItem", "DutyBoard", "DutyState", "fetch_duty", "share_class", "SHARE_BREAKS",
           "ITEMS_SHOWN", "BOARD_TTL", "age_text", "save_brief"]

ITEMS_SHOWN = 12  # overdue items the panel lists (oldest first); the rest are counted
# A board shown lately stands in for a new request this long (the server keeps one as long: closing an
# item publishes no event); a live `duty` event inside a region forgets its kept board at once.
BOARD_TTL = 30.0
BOARDS_KEPT = 16
SHARE_BREAKS = (10.0, 30.0)  # overdue share (%): under 10 fine, 10-30 watch, 30 and above act


def _int(v: Any) -> int:
    try:
        return max(0, int(v))
    except (TypeError, ValueError):
        return 0


def _float(v: Any) -> float | None:
    try:
        out = float(v)
    except (TypeError, ValueError):
        return None
    return out if out == out else None


def share_class(share: float | None) -> int:
    """0 nothing open, 1 under 10 %, 2 under 30 %, 3 at 30 % or more overdue."""
    if share is None:
        return 0
    return 1 if share < SHARE_BREAKS[0] else (2 if share < SHARE_BREAKS[1] else 3)


@dataclass(frozen=True)
class DutyCounts:
    open_instructions: int = 0
    overdue_instructions: int = 0
    open_findings: int = 0
    open_rectifications: int = 0
    overdue_rectifications: int = 0
    complaints_month: int = 0
    open_complaints: int = 0
    overdue_complaints: int = 0
    open: int = 0
    overdue: int = 0
    overdue_share: float | None = None

    @classmethod
    def from_api(cls, d: Any) -> DutyCounts:
        d = d if isinstance(d, dict) else {}
        ints = {k: _int(d.get(k)) for k in cls.__dataclass_fields__ if k != "overdue_share"}
        return cls(**ints, overdue_share=_float(d.get("overdue_share")))


@dataclass(frozen=True)
class DutyItem:
    """An overdue item as a leader's wall lists it (never on a display or delegation wall: the API sends none)."""

    kind_zh: str
    region_name: str
    title: str
    age_days: int
    overdue_days: int | None

    @classmethod
    def from_api(cls, d: Any) -> DutyItem | None:
        if not isinstance(d, dict):
            return None
        od = d.get("overdue_days")
        return cls(str(d.get("kind_zh") or d.get("kind") or ""), str(d.get("region_name") or d.get("region_code") or ""),
                   str(d.get("title") or ""), _int(d.get("age_days")), _int(od) if od is not None else None)


@dataclass(frozen=True)
class DutyBoard:
    code: str
    name: str
    total: DutyCounts
    children: dict[str, DutyCounts]
    names: dict[str, str]
    items: tuple[DutyItem, ...] | None  # None: this wall's role sees counts only
    overdue_total: int = 0
    role: str = ""
    as_of: str | None = None

    @property
    def may_brief(self) -> bool:
        """The 简报 button: leader (and admin) walls only."""
        return self.role in ("leader", "admin")

    @classmethod
    def from_api(cls, d: Any) -> DutyBoard:
        d = d if isinstance(d, dict) else {}
        kids = [c for c in d.get("children") or [] if isinstance(c, dict) and c.get("code")]
        overdue = d.get("overdue") if isinstance(d.get("overdue"), dict) else {}
        raw = overdue.get("items")
        items = None if raw is None or not d.get("items_shown") else tuple(
            i for i in (DutyItem.from_api(x) for x in raw) if i is not None)
        return cls(str(d.get("code") or ""), str(d.get("name") or ""), DutyCounts.from_api(d.get("total")),
                   {str(c["code"]): DutyCounts.from_api(c) for c in kids},
                   {str(c["code"]): str(c.get("name") or c["code"]) for c in kids}, items,
                   _int(overdue.get("total")), str(d.get("role") or ""), d.get("as_of"))


def age_text(item: DutyItem) -> str:
    """"超期 12 天 · 已 40 天" as the panel says it."""
    parts = []
    if item.overdue_days is not None:
        parts.append(f"超期 {item.overdue_days} 天")
    parts.append(f"已 {item.age_days} 天")
    return " · ".join(parts)


def fetch_duty(client: ApiClient, code: str) -> DutyBoard:
    """The blocking part (worker thread): the 督办 board of the region on screen."""
    return DutyBoard.from_api(client.duty(code, limit=ITEMS_SHOWN))


def _prefix(code: str) -> str:
    """The codes under a region start with this (county: 6 digits, town: 9, village: all 12)."""
    return code[:6] if code.endswith("000000") else (code[:9] if code.endswith("000") else code)


@dataclass
class DutyState:
    """The 督办 board of the region on screen; `events.board` fires when it changes (None: cleared).
    Boards shown lately are kept (`kept`, for BOARD_TTL seconds), so a level drilled back into shows its
    board without a request."""

    board: DutyBoard | None = None
    region: str | None = None  # the region whose board is wanted (the map's)
    events: Events = field(default_factory=lambda: Events("board"))
    clock: Callable[[], float] = time.monotonic
    _kept: dict[str, tuple[float, DutyBoard]] = field(default_factory=dict)

    def moved(self, region: str | None) -> None:
        """The map shows `region` now: a late answer for the region before is dropped from here on (the
        board on screen stays until the new one is applied, after the frame showing the level)."""
        self.region = region

    def want(self, region: str | None) -> bool:
        """The map shows `region` now: True when its board must be fetched (the old one is cleared)."""
        if region == self.region and self.board is not None and self.board.code == region:
            return False
        self.region = region
        if self.board is not None and self.board.code != region:
            self.board = None
            self.events.board.emit(None)
        return region is not None

    def kept(self, region: str | None) -> DutyBoard | None:
        """A board of `region` shown less than BOARD_TTL seconds ago, or None."""
        hit = self._kept.get(region or "")
        if hit is None or self.clock() - hit[0] > BOARD_TTL:
            return None
        return hit[1]

    def apply(self, board: DutyBoard) -> bool:
        """A board arrived; False (and ignored) when the map moved on meanwhile."""
        if board.code != self.region:
            return False
        self._kept.pop(board.code, None)
        self._kept[board.code] = (self.clock(), board)
        while len(self._kept) > BOARDS_KEPT:
            self._kept.pop(next(iter(self._kept)))
        if board is not self.board:
            self.board = board
            self.events.board.emit(board)
        return True

    def drop(self, region: str) -> None:
        """Forget the board kept of `region` (a benchmark's first visit)."""
        self._kept.pop(region, None)

    def forget(self, code: str) -> None:
        """A live item in `code`: every kept board whose region holds it is out of date."""
        for region in [r for r in self._kept if code.startswith(_prefix(r))]:
            del self._kept[region]

    def concerns(self, event: dict) -> bool:
        """Whether a live `duty` event lies inside the region on screen (its counts moved)."""
        code = str(event.get("region_code") or "") if isinstance(event, dict) else ""
        prefix = _prefix(self.region or "")
        return bool(code) and bool(prefix) and code.startswith(prefix)


def save_brief(pdf: bytes, folder: Path, code: str, year: int | None) -> str:
    """Writes a brief the API made into `folder` (worker thread: disk I/O never on the GUI thread); its path."""
    folder.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    out = folder / f"简报-{code}-{year or '最新'}-{stamp}.pdf"
    tmp = out.with_suffix(".part")
    tmp.write_bytes(pdf)
    tmp.replace(out)
    return str(out)
