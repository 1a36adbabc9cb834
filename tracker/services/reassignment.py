"""The work follows the customer: when a customer gets another rep, so do its open tasks.

`tasks_follow_rep` listens to customers.signals.rep_changed (connected in
tracker.apps), so every path that changes a rep (edit page, admin, import,
a leaving rep's hand-over) moves the customer's open rep tasks at once, in the
same transaction, and tells the new rep by mail once it commits. The old rep
stops seeing the customer everywhere because every page, mail and search reads
through the access rules (customer's rep), not through old task assignments.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db import transaction

from customers.models import Customer
from tracker.models import FollowUpTask
from tracker.services.digests import reassignment_mail, send_mail_quietly

logger = logging.getLogger(__name__)


def tasks_follow_rep(
    sender, customer: Customer, previous_rep_id, by=None, quiet: bool = False, **kwargs
) -> int:
    """Open and snoozed rep tasks of `customer` go to its new rep; the new rep is told (unless `quiet`)."""
    moved = (
        FollowUpTask.objects.active()
        .filter(customer=customer, for_ops=False)
        .exclude(assignee_id=customer.rep_id)
        .update(assignee=customer.rep_id)
    )
    logger.info(
        "customer %s moved from rep %s to %s by %s: %s open task(s) follow",
        customer.pk,
        previous_rep_id,
        customer.rep_id,
        by,
        moved,
    )
    if not quiet and customer.rep_id and customer.rep_id != getattr(by, "pk", None):
        rep = get_user_model().objects.get(pk=customer.rep_id)
        transaction.on_commit(lambda: send_mail_quietly(reassignment_mail(rep, [customer], by)))
    return moved


@dataclass
class HandOver:
    customers: int
    tasks: int


def user_retire(user, successor, by) -> HandOver:
    """Deactivate `user` and hand their customers and open tasks to `successor`, in one transaction.

    Users are never deleted once they have history: their name stays on what they did.
    """
    if successor.pk == user.pk:
        raise ValueError("A user cannot hand their work over to themselves.")
    if not successor.is_active:
        raise ValueError(f"{successor.get_username()} is deactivated and cannot take over work.")
    with transaction.atomic():
        customers = list(Customer.objects.select_for_update().filter(rep=user).order_by("pk"))
        tasks = FollowUpTask.objects.active().filter(customer__in=customers, for_ops=False).count()
        for customer in customers:
            customer.update({"rep": successor}, by=by, quiet=True)
        # What is still theirs: operations tasks and tasks of customers that are not theirs.
        tasks += FollowUpTask.objects.active().filter(assignee=user).update(assignee=successor)
        type(user).objects.filter(pk=user.pk).update(is_active=False)
        user.is_active = False
        if customers or tasks:
            transaction.on_commit(
                lambda: send_mail_quietly(reassignment_mail(successor, customers, by, tasks))
            )
    logger.info(
        "user %s deactivated by %s: %s customers, %s tasks to %s", user, by, len(customers), tasks, successor
    )
    return HandOver(customers=len(customers), tasks=tasks)
