"""Strings of django-filter, django-tables2 and django-celery-beat that show in our pages.

None of the three ships a Japanese catalogue. Naming their msgids here lets
`makemessages` put them in ours (locale/ja), and Django looks in LOCALE_PATHS
first, so the libraries' own `{% trans %}`/`gettext` calls find our Japanese.
Nothing imports this module: it is read by `makemessages` only.
"""

from django.utils.translation import gettext_noop

LIBRARY_STRINGS = [
    # django-tables2 (pagination, sorting)
    gettext_noop("previous"),
    gettext_noop("next"),
    gettext_noop("That page number is not an integer"),
    gettext_noop("That page number is less than 1"),
    gettext_noop("That page contains no results"),
    # django-filter (widgets, choices, lookups)
    gettext_noop("All"),
    gettext_noop("Unknown"),
    gettext_noop("Yes"),
    gettext_noop("No"),
    gettext_noop("Any date"),
    gettext_noop("Today"),
    gettext_noop("Yesterday"),
    gettext_noop("Past 7 days"),
    gettext_noop("This month"),
    gettext_noop("This year"),
    gettext_noop("Ordering"),
    gettext_noop("%s (descending)"),
    gettext_noop("Multiple values may be separated by commas."),
    gettext_noop("Range query expects two values."),
    gettext_noop("Select a lookup."),
    gettext_noop("exclude"),
    gettext_noop("contains"),
    gettext_noop("is in"),
    gettext_noop("is in range"),
    gettext_noop("Submit"),
    gettext_noop("Field filters"),
    # django-celery-beat (the schedules in the admin)
    gettext_noop("Periodic Tasks"),
    gettext_noop("periodic task"),
    gettext_noop("periodic tasks"),
    gettext_noop("crontab"),
    gettext_noop("crontabs"),
    gettext_noop("interval"),
    gettext_noop("intervals"),
    gettext_noop("clocked"),
    gettext_noop("solar event"),
    gettext_noop("solar events"),
    gettext_noop("Name"),
    gettext_noop("Enabled"),
    gettext_noop("Last Run Datetime"),
    gettext_noop("Total Run Count"),
    gettext_noop("Description"),
    gettext_noop("Crontab Schedule"),
    gettext_noop("Interval Schedule"),
    gettext_noop("Minute(s)"),
    gettext_noop("Hour(s)"),
    gettext_noop("Day(s) Of The Week"),
    gettext_noop("Day(s) Of The Month"),
    gettext_noop("Month(s) Of The Year"),
    gettext_noop("Cron Timezone"),
    gettext_noop("Positional Arguments"),
    gettext_noop("Keyword Arguments"),
]
