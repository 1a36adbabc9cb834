"""The business calendar due dates and "days left" are counted in (Japan by default).

A follow-up task is never due on a weekend, on a public holiday (元日, the days of
ゴールデンウィーク, ...) or in the New Year closure (年末年始, 29 December to 3
January, when most Japanese companies are shut). Public holidays come from the
maintained `holidays` package, which follows the Cabinet Office's list, including
substitute holidays (振替休日).
"""

from __future__ import annotations

import datetime as dt
import functools

import holidays

# Days most Japanese businesses close around the New Year, besides the public holiday on 1 January.
NEW_YEAR_CLOSURE = ((12, 29), (12, 30), (12, 31), (1, 2), (1, 3))


@functools.cache
def _public_holidays(country: str, year: int) -> frozenset[dt.date]:
    return frozenset(holidays.country_holidays(country, years=[year]))


class BusinessCalendar:
    """Weekends, a country's public holidays and (optionally) the New Year closure are not business days."""

    def __init__(self, country: str = "JP", new_year_closure: bool = True):
        self.country = country
        self.new_year_closure = new_year_closure

    def is_business_day(self, day: dt.date) -> bool:
        if day.weekday() >= 5:
            return False
        if self.new_year_closure and (day.month, day.day) in NEW_YEAR_CLOSURE:
            return False
        return day not in _public_holidays(self.country, day.year)

    def holiday_name(self, day: dt.date, language: str | None = None) -> str | None:
        """The public holiday's name (`language` e.g. "ja", "en_US"; default the country's own), or None."""
        names = holidays.country_holidays(self.country, years=[day.year])
        languages = names.supported_languages
        if language not in languages:
            language = names.default_language
        return holidays.country_holidays(self.country, years=[day.year], language=language).get(day)

    def on_or_after(self, day: dt.date) -> dt.date:
        """`day` if it is a business day, else the next one."""
        while not self.is_business_day(day):
            day += dt.timedelta(days=1)
        return day

    def on_or_before(self, day: dt.date) -> dt.date:
        """`day` if it is a business day, else the one before (a deadline that falls on a holiday)."""
        while not self.is_business_day(day):
            day -= dt.timedelta(days=1)
        return day

    def add(self, day: dt.date, business_days: int) -> dt.date:
        """The business day `business_days` after `day` (0: `day` itself, moved to a business day)."""
        day = self.on_or_after(day)
        for _ in range(business_days):
            day = self.on_or_after(day + dt.timedelta(days=1))
        return day

    def between(self, start: dt.date, end: dt.date) -> int:
        """Business days after `start` up to and including `end`; negative when `end` is before `start`."""
        if end < start:
            return -self.between(end, start)
        days, count = start, 0
        while days < end:
            days += dt.timedelta(days=1)
            count += self.is_business_day(days)
        return count


# The calendar due dates, waits and "days left" are counted in.
CALENDAR = BusinessCalendar()
