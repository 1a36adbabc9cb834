"""The Japanese business calendar: no weekend, no public holiday, no New Year closure."""

import datetime as dt

from tracker.common.business_days import BusinessCalendar

JP = BusinessCalendar("JP")


def test_new_years_day_and_the_closure_around_it_are_not_business_days():
    assert JP.on_or_after(dt.date(2026, 12, 29)) == dt.date(2027, 1, 4)
    assert JP.holiday_name(dt.date(2027, 1, 1)) == "元日"
    assert JP.holiday_name(dt.date(2027, 1, 1), "en_US") == "New Year's Day"


def test_golden_week_holidays_are_skipped():
    # 2027: 3, 4 and 5 May are public holidays; 1 and 2 May a weekend.
    assert JP.on_or_after(dt.date(2027, 5, 1)) == dt.date(2027, 5, 6)
    assert JP.add(dt.date(2027, 4, 28), 2) == dt.date(2027, 5, 6)  # 29 April is 昭和の日, 30 April is a workday


def test_a_substitute_holiday_is_a_holiday():
    # 春分の日 falls on Sunday 21 March 2027: Monday 22 March is the 振替休日.
    assert not JP.is_business_day(dt.date(2027, 3, 22))


def test_counting_business_days():
    assert JP.between(dt.date(2027, 4, 28), dt.date(2027, 5, 7)) == 3  # 30 April, 6 and 7 May
    assert JP.between(dt.date(2027, 5, 7), dt.date(2027, 4, 28)) == -3
    assert JP.on_or_before(dt.date(2027, 5, 5)) == dt.date(2027, 4, 30)


def test_the_closure_can_be_switched_off():
    assert BusinessCalendar("JP", new_year_closure=False).is_business_day(dt.date(2026, 12, 29))
