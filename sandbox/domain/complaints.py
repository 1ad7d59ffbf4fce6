"""Complaints (投诉建议) and satisfaction call-backs (满意度回访): their coded values and the working-day deadline."""

from __future__ import annotations

import datetime as dt
import functools

from sandbox.domain.enums import LabelledEnum

__all__ = ["ComplaintCategory", "ComplaintStatus", "CallOutcome", "Satisfaction", "REPLY_WORKING_DAYS",
           "is_working_day", "statutory_holidays", "add_working_days", "reply_deadline", "calendar_covers",
           "OPEN_STATUSES"]

# The town answers the complainant within this many working days of the day it came in (Beijing).
REPLY_WORKING_DAYS = 5


class ComplaintCategory(LabelledEnum):
    help = ("help", "帮扶不实")
    identification = ("identification", "识别退出不准")
    policy = ("policy", "政策未落实")
    funds = ("funds", "资金使用")
    project = ("project", "项目问题")
    conduct = ("conduct", "干部作风")
    other = ("other", "其他")


class ComplaintStatus(LabelledEnum):
    new = ("new", "待处理")
    assigned = ("assigned", "已转办")
    replied = ("replied", "已答复")
    closed = ("closed", "已办结")


# open until the complainant has an answer: the deadline runs against these
OPEN_STATUSES = (ComplaintStatus.new.value, ComplaintStatus.assigned.value)


class CallOutcome(LabelledEnum):
    connected = ("connected", "接通")
    no_answer = ("no_answer", "未接通")
    refused = ("refused", "拒访")


class Satisfaction(LabelledEnum):
    satisfied = ("satisfied", "满意")
    fairly = ("fairly", "基本满意")
    dissatisfied = ("dissatisfied", "不满意")

    @property
    def approves(self) -> bool:
        """Counts toward 群众认可度 (the third-party evaluation counts 满意 and 基本满意)."""
        return self is not Satisfaction.dissatisfied


def calendar_covers(day: dt.date) -> bool:
    """Whether chinesecalendar knows the holidays of `day`'s year (the State Council publishes each
    year's in the November before; the package's data ends with the last year published)."""
    import chinese_calendar

    try:
        chinese_calendar.is_workday(day)
    except NotImplementedError:
        return False
    return True


@functools.lru_cache(maxsize=256)
def statutory_holidays(year: int) -> frozenset[dt.date]:
    """The days off fixed by law for `year` (全国年节及纪念日放假办法 as amended in 2024, in force from
    2025): 元旦 1 January; 春节 除夕 to 正月初三; 清明; 1–2 May; 端午; 中秋;
    1–3 October. What a year is known to hold before the State Council publishes its schedule (the
    调休 swaps and the days given back for holidays on a weekend are not known until then)."""
    from lunardate import LunarDate

    new_year = LunarDate(year, 1, 1).to_solar_date()
    days = {dt.date(year, 1, 1), dt.date(year, 5, 1), dt.date(year, 5, 2),
            dt.date(year, 10, 1), dt.date(year, 10, 2), dt.date(year, 10, 3),
            LunarDate(year, 5, 5).to_solar_date(), LunarDate(year, 8, 15).to_solar_date()}
    days.update(new_year + dt.timedelta(days=d) for d in range(-1, 3))
    days.update(d for d, name in _solar_terms(year) if name == "清明")
    return frozenset(days)


def _solar_terms(year: int) -> list[tuple[dt.date, str]]:
    import chinese_calendar

    return chinese_calendar.get_solar_terms(dt.date(year, 4, 1), dt.date(year, 4, 10))


@functools.lru_cache(maxsize=4096)  # the package answers in ~0.1 ms; a demo build asks thousands of times
def is_working_day(day: dt.date) -> bool:
    """A working day by the State Council's calendar (holidays off, 调休 weekends on). Beyond the
    calendar's data (its years are published each November), Monday to Friday less the days off the
    law fixes: a deadline may still fall on a 调休 day off not yet published, and is recomputed by
    nobody, so the package is pinned and updated each winter."""
    import chinese_calendar

    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:
        if day.weekday() >= 5:
            return False
        try:
            return day not in statutory_holidays(day.year)
        except ValueError:  # outside the lunar tables (1900–2099)
            return True


def add_working_days(start: dt.date, n: int) -> dt.date:
    """The `n`th working day after `start` (`start` itself never counts: a complaint made on a
    Saturday, a holiday or a working day's evening has the same time as one made the next morning)."""
    day = start
    left = n
    while left > 0:
        day += dt.timedelta(days=1)
        if is_working_day(day):
            left -= 1
    return day


def reply_deadline(received: dt.date, days: int = REPLY_WORKING_DAYS) -> dt.date:
    """The last day the town may answer a complaint received on `received` (Beijing date)."""
    return add_working_days(received, days)
