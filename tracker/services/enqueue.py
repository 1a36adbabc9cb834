"""Work for the Celery workers, queued by task name once the transaction commits.

Services never import `tracker.tasks` (which imports them): they name the task.
After commit, because a worker must find the rows the task's ids point at.
"""

from __future__ import annotations

from collections.abc import Sequence

from celery import current_app
from django.db import transaction


def enqueue_after_commit(task_name: str, argument_lists: Sequence[Sequence]) -> None:
    """Send `task_name` once per argument list when the current transaction commits."""
    calls = [list(arguments) for arguments in argument_lists]
    if calls:
        transaction.on_commit(lambda: [current_app.send_task(task_name, args=args) for args in calls])
