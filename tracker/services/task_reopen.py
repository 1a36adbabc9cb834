"""Reopening a follow-up task by hand (the API's `reopen`): a closed task goes back to the worklist."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils import timezone

from tracker.choices import TaskStatus
from tracker.models import FollowUpTask, TaskStateError


def task_reopen(task: FollowUpTask, by, note: str = "") -> FollowUpTask:
    """Done, fixed or snoozed -> open; TaskStateError when it is open, or another task took its place."""
    try:
        with transaction.atomic():
            task = FollowUpTask.objects.select_for_update().get(pk=task.pk)
            if task.status == TaskStatus.OPEN:
                raise TaskStateError("the task is open already")
            was_closed = not task.is_active
            task.status = TaskStatus.OPEN
            task.snoozed_until = None
            if was_closed:
                task.reopened_count += 1
                task.closed_at = None
                task.closed_by = None
            stamp = f"Reopened {timezone.localdate().isoformat()} by {by}"
            task.close_note = f"{stamp}: {note}" if note else stamp
            task.save()
    except IntegrityError:
        raise TaskStateError("a newer task for the same problem is open; work on that one") from None
    return task
