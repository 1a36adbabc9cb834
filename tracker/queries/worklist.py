"""The order people work follow-up tasks in, written once: pages, the customer page and mails use it.

Overdue first, then the highest priority, then the soonest due date (none last).
The task list groups tasks by customer: a page is a number of customers, each
with all its tasks, so a customer's work is never split over two pages.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Case, F, IntegerField, Max, Min, Q, QuerySet, Value, When

from customers.models import Customer
from tracker.choices import ACTIVE_TASK_STATUSES


def worklist_order(tasks: QuerySet, today: dt.date) -> QuerySet:
    overdue = Q(status__in=ACTIVE_TASK_STATUSES, due_date__lt=today)
    return tasks.annotate(
        overdue_first=Case(When(overdue, then=Value(0)), default=Value(1), output_field=IntegerField())
    ).order_by("overdue_first", "-priority", F("due_date").asc(nulls_last=True), "pk")


# -- the task list grouped by customer ----------------------------------------------------------

GROUP_ORDERINGS = {
    # Most urgent first: a customer with an overdue task, then by top priority, then the soonest due.
    "urgent": ("first_overdue", "-top_priority", F("first_due").asc(nulls_last=True), "customer_id"),
    "due": (F("first_due").asc(nulls_last=True), "-top_priority", "customer_id"),
    "customer": ("customer__name", "customer_id"),
}
GROUP_ORDERING_CHOICES = (
    ("urgent", "Most urgent first"),
    ("due", "Soonest due first"),
    ("customer", "Customer name"),
)


@dataclass
class TaskGroup:
    """One customer's tasks on the page, soonest due first."""

    customer: Customer
    tasks: list


def worklist_group_keys(tasks: QuerySet, today: dt.date, ordering: str = "urgent") -> QuerySet:
    """One row per customer with tasks in `tasks`, in the page's order: what the paginator pages."""
    overdue = Q(status__in=ACTIVE_TASK_STATUSES, due_date__lt=today)
    rows = (
        tasks.order_by()
        .values("customer_id", *(["customer__name"] if ordering == "customer" else []))
        .annotate(
            first_overdue=Min(
                Case(When(overdue, then=Value(0)), default=Value(1), output_field=IntegerField())
            ),
            top_priority=Max("priority"),
            first_due=Min("due_date"),
        )
    )
    return rows.order_by(*GROUP_ORDERINGS.get(ordering, GROUP_ORDERINGS["urgent"]))


def worklist_groups(tasks: QuerySet, customer_ids: list[int]) -> list[TaskGroup]:
    """The tasks of these customers (a page of groups), grouped in the given order; one query plus prefetches."""
    rows = tasks.filter(customer_id__in=customer_ids).order_by(
        "customer_id", F("due_date").asc(nulls_last=True), "-priority", "pk"
    )
    by_customer: dict[int, list] = {pk: [] for pk in customer_ids}
    for task in rows:
        by_customer[task.customer_id].append(task)
    return [TaskGroup(tasks[0].customer, tasks) for tasks in by_customer.values() if tasks]
