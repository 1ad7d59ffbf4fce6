"""Complaint reply deadlines count working days by the State Council's calendar (chinesecalendar)."""

from __future__ import annotations

import datetime as dt

from sandbox.domain.complaints import (
    add_working_days,
    calendar_covers,
    is_working_day,
    reply_deadline,
    statutory_holidays,
)


def test_the_national_day_holiday_does_not_count_and_its_make_up_saturday_does():
    # 2019: 国庆 1-7 October off; Sunday 29 September and Saturday 12 October were working days (调休)
    assert reply_deadline(dt.date(2019, 9, 30)) == dt.date(2019, 10, 12)
    assert add_working_days(dt.date(2019, 9, 28), 1) == dt.date(2019, 9, 29)  # a Sunday, worked
    # five weekdays would have ended on Monday 7 October, in the middle of the holiday
    assert not is_working_day(dt.date(2019, 10, 7))


def test_a_complaint_on_a_weekend_counts_from_the_next_working_day():
    assert reply_deadline(dt.date(2019, 6, 15)) == dt.date(2019, 6, 21)  # Saturday → Monday..Friday
    assert reply_deadline(dt.date(2019, 6, 7)) == dt.date(2019, 6, 14)  # 端午 Friday 7 June off


def test_spring_festival_week_is_skipped():
    # 2020: 春节 off 24 January - 2 February (the holiday as extended that year); back on Monday 3 February
    assert reply_deadline(dt.date(2020, 1, 23)) == dt.date(2020, 2, 7)


def test_beyond_the_calendars_data_monday_to_friday_less_the_days_off_the_law_fixes():
    far = dt.date(2040, 5, 4)  # a Friday, years past any published holiday calendar
    assert not calendar_covers(far)
    assert add_working_days(far, 1) == dt.date(2040, 5, 7)  # the weekend skipped
    assert reply_deadline(far) == dt.date(2040, 5, 11)


def test_a_complaint_at_the_years_end_skips_new_years_day_before_its_calendar_is_published():
    # 2027's schedule is not in the pinned calendar; 1 January 2027 (a Friday) is off by law all the same
    assert not calendar_covers(dt.date(2027, 1, 1))
    assert not is_working_day(dt.date(2027, 1, 1))
    assert reply_deadline(dt.date(2026, 12, 31)) == dt.date(2027, 1, 8)  # 4–8 January, not 1 and 4–7


def test_spring_festival_2027_by_the_lunar_calendar():
    # 正月初一 is Saturday 6 February 2027: 除夕 Friday 5 and 初三 Monday 8 are weekdays off
    assert {dt.date(2027, 2, d) for d in (5, 6, 7, 8)} <= statutory_holidays(2027)
    assert reply_deadline(dt.date(2027, 2, 3)) == dt.date(2027, 2, 12)  # 4, 9, 10, 11, 12
    assert dt.date(2027, 6, 9) in statutory_holidays(2027) and dt.date(2027, 9, 15) in statutory_holidays(2027)
    assert dt.date(2027, 4, 5) in statutory_holidays(2027)  # 清明, a solar term


def test_the_days_the_law_fixes_are_off_in_every_published_year_under_it():
    # the law as amended in 2024 applies from 2025: each of its days is a holiday in the State Council's schedule
    year = 2025
    while calendar_covers(dt.date(year, 12, 31)):
        assert not [d for d in statutory_holidays(year) if is_working_day(d)], year
        year += 1
    assert year > 2025  # the pinned calendar covers at least one year under the amended law
