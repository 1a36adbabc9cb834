"""A rep's log of calls, mails and meetings; a next-step date becomes a task in the rep's list."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils.text import Truncator

from tracker.choices import ActivityKind, TaskKind
from tracker.models import Activity
from tracker.services.tasks import task_create

NEXT_STEP_TITLE_CHARS = 80


def activity_log(
    *, customer, by, kind: str, note: str, next_step_date: dt.date | None, campaign=None
) -> Activity:
    """Log what happened; with a next-step date (and a campaign to file it under) the rep gets a task due then."""
    with transaction.atomic():
        activity = Activity.objects.create(
            customer=customer, by=by, kind=kind, note=note, next_step_date=next_step_date
        )
        if next_step_date is not None and campaign is not None:
            title = f"{ActivityKind(kind).label}: {Truncator(note).chars(NEXT_STEP_TITLE_CHARS)}"
            activity.next_step_task = task_create(
                campaign=campaign,
                customer=customer,
                by=by,
                title=title,
                due_date=next_step_date,
                details=note,
                kind=TaskKind.NEXT_STEP,
            )
            activity.save(update_fields=["next_step_task"])
    return activity
