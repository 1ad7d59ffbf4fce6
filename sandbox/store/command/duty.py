"""督办: the open items of the command loop, one shape for every feature, counted per region for the wall.

A feature that has items someone must act on (an instruction's recipients, a finding's rectification,
a complaint awaiting its reply) adds a source to `SOURCES`: a function that yields a `DutyItem` for
each item under a region that is open, or that was opened this month. The wall's 督办 layer and panel
count them per child region; leader mode lists the overdue ones, oldest first.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from sqlalchemy.orm import Session

from sandbox.store.command import instructions
from sandbox.store.command.findings import finding_items, rectification_items

__all__ = ["DutyItem", "DutySource", "SOURCES", "open_items", "DutyCounts", "DutyBoard", "duty_board", "KIND_ZH",
           "COUNT_KEYS", "age_days", "overdue_days", "month_start_utc"]


@dataclass(frozen=True)
class DutyItem:
    kind: str  # "instruction", "finding", "rectification", "complaint"
    id: int
    region_code: str  # the 12-digit code of the village or town the item is about
    title: str  # short Chinese text naming the item; free text is scrubbed by the server per role
    opened_at: dt.datetime  # UTC, naive
    deadline: dt.date | None
    open: bool  # not yet closed (办结 / 整改销号 / 已答复)
    overdue: bool  # open and past its deadline (working days for complaints, as the feature rules)


# (session, 12-digit region code or its prefix, today in Beijing) → the items under that region
DutySource = Callable[[Session, str, dt.date], Iterable[DutyItem]]


def _complaints(session: Session, prefix: str, today: dt.date) -> Iterable[DutyItem]:
    """Complaints: open until replied, overdue past their working-day deadline (the complaints desk's rules)."""
    from sandbox.store.command.complaints import complaint_duty_items  # imports DutyItem from here

    return complaint_duty_items(session, prefix, today)


SOURCES: dict[str, DutySource] = {
    "complaint": _complaints,
    "instruction": instructions.duty_items,  # one item per open recipient item
    "finding": finding_items, "rectification": rectification_items,  # 督查 (sandbox.store.command.findings)
}


def open_items(session: Session, prefix: str, today: dt.date) -> list[DutyItem]:
    """Every source's items under `prefix`, in one list."""
    return [item for source in SOURCES.values() for item in source(session, prefix, today)]


# -- counting for the wall ------------------------------------------------------------------------------
KIND_ZH = {"instruction": "指令", "finding": "督查问题", "rectification": "整改", "complaint": "投诉"}
COUNT_KEYS = ("open_instructions", "overdue_instructions", "open_findings", "open_rectifications",
              "overdue_rectifications", "complaints_month", "open_complaints", "overdue_complaints", "open",
              "overdue")


def month_start_utc(today: dt.date) -> dt.datetime:
    """The first moment of `today`'s month in Beijing, as naive UTC (how the records keep times)."""
    return dt.datetime(today.year, today.month, 1) - dt.timedelta(hours=8)


@dataclass
class DutyCounts:
    """One region's 督办 figures: open and overdue items per kind, this month's complaints."""

    open_instructions: int = 0
    overdue_instructions: int = 0
    open_findings: int = 0
    open_rectifications: int = 0
    overdue_rectifications: int = 0
    complaints_month: int = 0
    open_complaints: int = 0
    overdue_complaints: int = 0
    open: int = 0  # every kind
    overdue: int = 0

    def add(self, item: DutyItem, month_start: dt.datetime) -> None:
        if item.kind == "complaint" and item.opened_at >= month_start:
            self.complaints_month += 1
        if not item.open:
            return
        self.open += 1
        self.overdue += bool(item.overdue)
        if item.kind == "instruction":
            self.open_instructions += 1
            self.overdue_instructions += bool(item.overdue)
        elif item.kind == "finding":
            self.open_findings += 1
        elif item.kind == "rectification":
            self.open_rectifications += 1
            self.overdue_rectifications += bool(item.overdue)
        elif item.kind == "complaint":
            self.open_complaints += 1
            self.overdue_complaints += bool(item.overdue)

    @property
    def overdue_share(self) -> float | None:
        """Overdue ÷ open items, in percent; None with nothing open (no share, not 0 %)."""
        return round(100.0 * self.overdue / self.open, 1) if self.open else None

    def as_dict(self) -> dict:
        return {**{k: getattr(self, k) for k in COUNT_KEYS}, "overdue_share": self.overdue_share}


@dataclass
class DutyBoard:
    """The 督办 figures of a region: in total, per child region, and for items at the region itself
    (a town's own instruction is in no village); the overdue items, oldest first."""

    total: DutyCounts
    children: dict[str, DutyCounts]  # child code → its counts (every child, zeros included)
    own: DutyCounts  # items whose region is the region itself, or no child of it
    overdue: list[DutyItem]
    items: list[DutyItem]  # every item counted, as the sources gave them


def _child_of(code: str, prefixes: list[tuple[str, str]]) -> str | None:
    for prefix, child in prefixes:
        if code.startswith(prefix):
            return child
    return None


def duty_board(items: Iterable[DutyItem], child_prefixes: dict[str, str], today: dt.date) -> DutyBoard:
    """Counts `items` per child (`child_prefixes`: child code → the prefix its records share)."""
    start = month_start_utc(today)
    prefixes = sorted(((p, c) for c, p in child_prefixes.items()), key=lambda pc: -len(pc[0]))
    total, own = DutyCounts(), DutyCounts()
    children = {c: DutyCounts() for c in child_prefixes}
    overdue: list[DutyItem] = []
    items = list(items)
    for item in items:
        total.add(item, start)
        child = _child_of(item.region_code or "", prefixes)
        (children[child] if child is not None else own).add(item, start)
        if item.open and item.overdue:
            overdue.append(item)
    overdue.sort(key=lambda i: (i.opened_at, i.kind, i.id))  # the oldest first
    return DutyBoard(total, children, own, overdue, items)


def age_days(item: DutyItem, today: dt.date) -> int:
    """Days since the item was opened (Beijing days)."""
    return max(0, (today - (item.opened_at + dt.timedelta(hours=8)).date()).days)


def overdue_days(item: DutyItem, today: dt.date) -> int | None:
    """Days past the deadline; None without one."""
    return None if item.deadline is None else max(0, (today - item.deadline).days)
