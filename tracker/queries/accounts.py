"""What a user's name is on: the history that keeps a user from being deleted."""

from __future__ import annotations

from customers.models import Customer, StatusChange
from tracker.models import CustomerNotice, FollowUpTask, Sweep


def user_history_counts(user) -> dict[str, int]:
    """Counts of the rows that name `user`, by what they are; only the non-zero ones."""
    counts = {
        "customers": Customer.objects.filter(rep=user).count(),
        "open tasks": FollowUpTask.objects.active().filter(assignee=user).count(),
        "closed tasks": FollowUpTask.objects.filter(closed_by=user).count(),
        "status changes": StatusChange.objects.filter(changed_by=user).count(),
        "notices": CustomerNotice.objects.filter(drafted_by=user).count()
        + CustomerNotice.objects.filter(sent_by=user).exclude(drafted_by=user).count(),
        "sweeps started": Sweep.objects.filter(requested_by=user).count(),
    }
    return {what: count for what, count in counts.items() if count}
