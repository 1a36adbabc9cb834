"""Authorisation for domains and follow-up tasks, built on customers.access.

Reps see the domains and tasks of their own customers (others are a 404, so
ids leak nothing); operations tasks are for ops; ops and admins see everything.
Views never filter by user themselves.
"""

from django.db.models import Q
from django.shortcuts import get_object_or_404

from customers.models import Domain
from customers.roles import is_ops
from tracker.models import FollowUpTask


def _is_live(user) -> bool:
    return getattr(user, "is_authenticated", False) and user.is_active


def domains_visible_to(user, queryset=None):
    queryset = Domain.objects.all() if queryset is None else queryset
    if is_ops(user):
        return queryset
    if not _is_live(user):
        return queryset.none()
    return queryset.filter(customer__rep=user)


def get_domain_for_user(user, pk, queryset=None) -> Domain:
    return get_object_or_404(domains_visible_to(user, queryset), pk=pk)


def tasks_visible_to(user, queryset=None):
    """Ops see every task; a rep sees the rep tasks of their own customers and tasks ops gave them."""
    queryset = FollowUpTask.objects.all() if queryset is None else queryset
    if is_ops(user):
        return queryset
    if not _is_live(user):
        return queryset.none()
    own = Q(customer__rep=user) & Q(for_ops=False)
    # The OR costs PostgreSQL a scan of every task: only for the few people ops handed tasks to.
    if FollowUpTask.objects.filter(assignee=user, assignee_pinned=True).exists():
        return queryset.filter(own | Q(assignee=user, assignee_pinned=True))
    return queryset.filter(own)


def get_task_for_user(user, pk, queryset=None) -> FollowUpTask:
    return get_object_or_404(tasks_visible_to(user, queryset), pk=pk)
