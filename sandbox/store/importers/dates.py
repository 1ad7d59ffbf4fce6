"""Dates as registers write them: 2014.10.12, 20141012, 2014/10/12, 2014年10月12日, Excel serials, date cells."""

from __future__ import annotations

import datetime as dt
import re

__all__ = ["parse_date", "find_stated_date", "EXCEL_EPOCH"]

# Excel's day 0 is 1899-12-30 (it counts 1900-02-29, which never was; serials after it are right).
EXCEL_EPOCH = dt.date(1899, 12, 30)
# Serials of 1950-01-01 … 2100-12-31: a number there in a date or year column is a date Excel kept as a
# number (a year is at most 2100, a yyyymmdd number at least 19500101).
_SERIAL_RANGE = (18264, 73415)
_FULL_WIDTH = {0xFF01 + i: 0x21 + i for i in range(0x5E)} | {0x3000: 0x20}
_YMD = re.compile(r"^(\d{4})\s*[-./年]\s*(\d{1,2})\s*[-./月]\s*(\d{1,2})\s*日?(?:[ T]\d{1,2}:\d{2}(?::\d{2})?)?$")
_YM = re.compile(r"^(\d{4})\s*[-./年]\s*(\d{1,2})\s*月?$")
_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_YEAR = re.compile(r"^(\d{4})\s*(?:年度?|\.0)?$")
# "填报日期：2020年12月31日", "数据截至 2020-12-31": a label and a date, in a title, footer or cell.
_STATED = re.compile(r"(?:数据截至|数据截止|截至|截止|填报日期|填表日期|统计截止日期|报表日期|统计时间)\s*(?:日期)?\s*[:：]?\s*"
                     r"(\d{4}\s*[-./年]\s*\d{1,2}\s*[-./月]\s*\d{1,2}\s*日?|\d{8})")


def _from_number(n: float) -> tuple[dt.date | None, int | None]:
    """(date, None) for a serial or yyyymmdd number, (None, year) for a plain year, (None, None) else."""
    if not float(n).is_integer():
        if _SERIAL_RANGE[0] <= n <= _SERIAL_RANGE[1]:  # a date-time serial: the day is the whole part
            return EXCEL_EPOCH + dt.timedelta(days=int(n)), None
        return None, None
    k = int(n)
    if 1950 <= k <= 2100:
        return None, k
    if _SERIAL_RANGE[0] <= k <= _SERIAL_RANGE[1]:
        return EXCEL_EPOCH + dt.timedelta(days=k), None
    if 19500101 <= k <= 21001231:
        return _ymd(k // 10000, k // 100 % 100, k % 100), None
    return None, None


def _ymd(y: int, m: int, d: int) -> dt.date | None:
    try:
        return dt.date(y, m, d)
    except ValueError:
        return None


def parse_date(v) -> tuple[dt.date | None, int | None]:
    """A cell as (date, year): a full date gives both; a bare year or year-month gives (None, year);
    anything else (None, None). Full-width digits count as digits."""
    if isinstance(v, dt.datetime):
        return v.date(), v.year
    if isinstance(v, dt.date):
        return v, v.year
    if isinstance(v, bool) or v is None:
        return None, None
    if isinstance(v, (int, float)):
        d, y = _from_number(v)
        return d, (d.year if d else y)
    s = str(v).translate(_FULL_WIDTH).strip()
    if s.startswith("'"):
        s = s[1:].strip()
    if m := _YEAR.match(s):
        return None, int(m.group(1))
    if m := _YMD.match(s):
        d = _ymd(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        return d, (d.year if d else None)
    if m := _COMPACT.match(s):
        d = _ymd(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        return d, (d.year if d else None)
    if m := _YM.match(s):
        return None, (int(m.group(1)) if 1 <= int(m.group(2)) <= 12 else None)
    if re.fullmatch(r"\d{5}(\.\d+)?", s):  # a serial that went through a CSV as text
        d, _ = _from_number(float(s))
        return d, (d.year if d else None)
    return None, None


def find_stated_date(cells) -> dt.date | None:
    """The date a title or footer row states (数据截至 …, 填报日期 …), if any of its cells does."""
    for cell in cells:
        if isinstance(cell, str) and cell:
            m = _STATED.search(cell.translate(_FULL_WIDTH))
            if m:
                d, _ = parse_date(re.sub(r"\s+", "", m.group(1)))
                if d is not None:
                    return d
    return None
