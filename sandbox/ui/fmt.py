"""Chinese display formatting of numbers, indicator values and as-of times (no Qt)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import datetime
from typing import Any

__all__ = ["format_number", "format_value", "format_as_of", "as_of_line", "note_of", "NO_DATA_TEXT", "year_as_of"]

NO_DATA_TEXT = "无数据"


def format_number(value: float, unit: str = "", decimals: int = 0) -> str:
    """Thousands-separated number with its unit glued on ('1,234人', '15.1%')."""
    text = f"{value:,.{decimals}f}"
    return f"{text}{unit}"


def format_value(value: float | int | None, unit: str = "", note: str | None = None) -> str:
    """An indicator value as shown on the map: rates with 1-2 decimals, counts whole; None → 无数据, or
    the API's note when there was nothing to measure (无贫困户)."""
    if value is None or isinstance(value, bool) or not math.isfinite(float(value)):
        return note or NO_DATA_TEXT
    if unit == "%":
        decimals = 2 if 0 < abs(value) < 1 else 1
        return format_number(float(value), unit, decimals)
    if float(value).is_integer():
        return format_number(float(value), unit, 0)
    return format_number(float(value), unit, 1)


def note_of(notes: Any, key: str) -> str | None:
    """`key`'s entry of an indicator_notes object as the API sends it (why a rate has no value, e.g.
    无贫困户); anything malformed is no note."""
    note = notes.get(key) if isinstance(notes, Mapping) else None
    return note if isinstance(note, str) and note else None


def format_as_of(iso: str | None) -> str:
    """'2020-12-31T18:00:00+08:00' → '2020年12月31日 18:00'; unparseable text is shown as given."""
    if not iso:
        return "未知"
    try:
        dt = datetime.fromisoformat(iso.replace("Z", "+00:00"))
    except ValueError:
        return iso
    if len(iso) == 10 or (dt.hour, dt.minute, dt.second) == (0, 0, 0):  # a date (a register's 数据截至, a
        return f"{dt.year}年{dt.month:02d}月{dt.day:02d}日"              # year's end): no made-up 00:00
    return f"{dt.year}年{dt.month:02d}月{dt.day:02d}日 {dt.hour:02d}:{dt.minute:02d}"


def as_of_line(as_of: str | None, imported_at: str | None = None, lead: str = "数据截至") -> str:
    """'数据截至 2020年12月31日 · 导入于 2021年03月05日 18:30': the data's own date and the import apart; a
    register that stated no date has only its import time, said as such. The header leads with 数据更新于:
    under a past year a bare 数据截至 would read as that year's as-of."""
    if imported_at and as_of == imported_at:
        return f"导入于 {format_as_of(imported_at)}"
    text = f"{lead} {format_as_of(as_of)}"
    return f"{text} · 导入于 {format_as_of(imported_at)}" if imported_at else text


def year_as_of(iso: str | None, year: int | None) -> str | None:
    """The as-of of a year's figures: the end of that year (its 31 December) when the data go on past it,
    else the data's own as-of. `iso` is the data's last update (the API's `as_of`)."""
    if year is None:
        return iso
    try:
        data = datetime.fromisoformat(str(iso).replace("Z", "+00:00")) if iso else None
    except ValueError:
        return iso
    if data is not None and data.date() <= datetime(int(year), 12, 31).date():
        return iso
    return f"{int(year)}-12-31T00:00:00+08:00"
