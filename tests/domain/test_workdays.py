"""Complaint reply deadlines count working days by the State Council's calendar (chinesecalendar)."""

from __future__ import annotations

import datetime as dt

from sandbox.domain.complaints import add_working_days, calendar_covers, is_working_day, reply_deadline


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


def test_beyond_the_calendars_data_monday_to_friday():
    far = dt.date(2040, 5, 4)  # a Friday, years past any published holiday calendar
    assert not calendar_covers(far)
    assert add_working_days(far, 1) == dt.date(2040, 5, 7)  # the weekend skipped, nothing else known
    assert reply_deadline(far) == dt.date(2040, 5, 11)
