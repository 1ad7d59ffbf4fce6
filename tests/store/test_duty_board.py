"""督办 counting (sandbox.store.command.duty.duty_board): items to child regions by code prefix, the month's
complaints by Beijing time, closed items not open, the overdue ones oldest first; every registered source counted."""

from __future__ import annotations

import datetime as dt

from sandbox.store.command import duty
from sandbox.store.command.duty import DutyItem, age_days, duty_board, open_items, overdue_days

TOWNS = {"522726100000": "522726100", "522726101000": "522726101"}
TODAY = dt.date(2026, 12, 6)


def _item(kind, i, code, opened, deadline=None, is_open=True, overdue=False):
    return DutyItem(kind, i, code, f"事项{i}", opened, deadline, is_open, overdue)


def test_items_fall_to_their_child_and_the_rest_to_the_region_itself():
    items = [
        _item("instruction", 1, "522726100201", dt.datetime(2026, 10, 1), dt.date(2026, 11, 1), overdue=True),
        _item("rectification", 2, "522726101203", dt.datetime(2026, 11, 1), dt.date(2026, 12, 1), overdue=True),
        _item("finding", 3, "522726101203", dt.datetime(2026, 11, 20)),
        _item("instruction", 4, "522726000000", dt.datetime(2026, 9, 1), dt.date(2026, 9, 30), overdue=True),
        _item("instruction", 5, "522726100202", dt.datetime(2026, 9, 1), dt.date(2026, 9, 30), is_open=False),
    ]
    board = duty_board(items, TOWNS, TODAY)
    a, b = board.children["522726100000"], board.children["522726101000"]
    assert (a.open_instructions, a.overdue_instructions, a.open, a.overdue_share) == (1, 1, 1, 100.0)
    assert (b.open_rectifications, b.overdue_rectifications, b.open_findings, b.open) == (1, 1, 1, 2)
    assert b.overdue_share == 50.0
    assert board.own.open_instructions == 1  # the county's own instruction
    assert board.total.open == 4 and board.total.overdue == 3
    assert [i.id for i in board.overdue] == [4, 1, 2]  # oldest first
    assert len(board.items) == 5


def test_this_months_complaints_are_counted_in_beijing_time_answered_or_not():
    items = [
        # 1 December 00:30 Beijing = 30 November 16:30 UTC: this month
        _item("complaint", 1, "522726100201", dt.datetime(2026, 11, 30, 16, 30), is_open=False),
        # 30 November 23:30 Beijing = 15:30 UTC: last month, still open
        _item("complaint", 2, "522726100201", dt.datetime(2026, 11, 30, 15, 30)),
    ]
    board = duty_board(items, TOWNS, TODAY)
    a = board.children["522726100000"]
    assert (a.complaints_month, a.open_complaints, a.open) == (1, 1, 1)
    assert board.children["522726101000"].overdue_share is None  # nothing open: no share, not 0 %


def test_ages_in_beijing_days():
    item = _item("instruction", 1, "522726100201", dt.datetime(2026, 11, 30, 17, 0), dt.date(2026, 12, 1))
    assert age_days(item, TODAY) == 5  # opened 1 December (Beijing)
    assert overdue_days(item, TODAY) == 5
    assert overdue_days(_item("finding", 2, "522726100201", dt.datetime(2026, 12, 1)), TODAY) is None


def test_every_registered_source_flows_into_open_items(monkeypatch):
    calls = []

    def source(session, prefix, today):
        calls.append((prefix, today))
        return [_item("finding", 9, prefix + "201", dt.datetime(2026, 12, 1))]

    monkeypatch.setattr(duty, "SOURCES", {"finding": source, "complaint": lambda session, prefix, today: []})
    got = open_items(None, "522726100", TODAY)
    assert [i.id for i in got] == [9] and calls == [("522726100", TODAY)]
