"""Dates as people here read them: in their zone and locale, and relative where they think in days.

`dense_datetime` is for tables with many rows (ja `12/1(火) 09:00`, en `Tue 1 Dec 09:00`);
`relative_days` counts calendar days ("3日後", "in 3 days"); `due_in` counts business days
of the Japanese calendar (tracker.common.business_days), for due dates and deadlines.
"""

from __future__ import annotations

import datetime as dt

from django import template
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from tracker.common.business_days import BusinessCalendar

register = template.Library()
CALENDAR = BusinessCalendar()


def _local_date(value) -> dt.date | None:
    if value in (None, ""):
        return None
    if isinstance(value, dt.datetime):
        return timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    return value


@register.filter
def dense_datetime(value) -> str:
    """A moment (or a day) in the viewer's zone, short enough for a table cell."""
    if value in (None, ""):
        return ""
    if isinstance(value, dt.datetime):
        moment = timezone.localtime(value) if timezone.is_aware(value) else value
        return formats.date_format(moment, "DENSE_DATETIME_FORMAT")
    return formats.date_format(value, "DENSE_DATE_FORMAT")


@register.filter
def relative_days(value, today: dt.date | None = None) -> str:
    """Calendar days from today: 今日, 明日, 3日後, 2日前 (today, tomorrow, in 3 days, 2 days ago)."""
    day = _local_date(value)
    if day is None:
        return ""
    days = (day - (today or timezone.localdate())).days
    if days == 0:
        return _("today")
    if days == 1:
        return _("tomorrow")
    if days == -1:
        return _("yesterday")
    if days > 0:
        return ngettext("in %(count)d day", "in %(count)d days", days) % {"count": days}
    return ngettext("%(count)d day ago", "%(count)d days ago", -days) % {"count": -days}


@register.filter
def due_in(value, today: dt.date | None = None) -> str:
    """Business days until a due date: あと3営業日, 本日期限, 2営業日超過 (weekends and holidays skipped)."""
    day = _local_date(value)
    if day is None:
        return ""
    days = CALENDAR.between(today or timezone.localdate(), day)
    if day == (today or timezone.localdate()):
        return _("due today")
    if days > 0:
        return ngettext("%(count)d business day left", "%(count)d business days left", days) % {"count": days}
    if days == 0:  # later than today but no business day in between (a weekend or holiday)
        return _("due on the next business day")
    return ngettext("%(count)d business day overdue", "%(count)d business days overdue", -days) % {
        "count": -days
    }
