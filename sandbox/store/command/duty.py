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

__all__ = ["DutyItem", "DutySource", "SOURCES", "open_items"]


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
