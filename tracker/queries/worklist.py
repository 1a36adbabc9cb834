"""The order people work follow-up tasks in, written once: pages, the customer page and mails use it.

Overdue first, then the highest priority, then the soonest due date (none last).
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Case, F, IntegerField, Q, QuerySet, Value, When

from tracker.choices import ACTIVE_TASK_STATUSES


def worklist_order(tasks: QuerySet, today: dt.date) -> QuerySet:
    overdue = Q(status__in=ACTIVE_TASK_STATUSES, due_date__lt=today)
    return tasks.annotate(
        overdue_first=Case(When(overdue, then=Value(0)), default=Value(1), output_field=IntegerField())
    ).order_by("overdue_first", "-priority", F("due_date").asc(nulls_last=True), "pk")
