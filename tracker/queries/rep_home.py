"""What a sales rep's home page shows: their customers to move, this week's tasks, their progress, DNS changes.

Every query is bounded by the rep's own customers (customers.access) and a row
limit, so the page costs the same whatever the size of the campaign.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from itertools import groupby

from django.db.models import Count, Q

from customers.access import customers_visible_to
from customers.choices import ACTIVE_STATUSES
from customers.models import Customer
from tracker.models import Campaign, DomainState
from tracker.queries.access import tasks_visible_to
from tracker.queries.dashboards import DONE_STATUSES, needed_share

HOME_ROWS = 10  # customers to move and DNS changes shown; the list links to the rest
HOME_TASKS = 60


def week_end(today: dt.date) -> dt.date:
    """The Sunday of this week: "due this week" is up to and including it."""
    return today + dt.timedelta(days=6 - today.weekday())


def customers_to_move(user, limit: int = HOME_ROWS) -> tuple[int, list[Customer]]:
    """(how many, the first `limit` by name) of the rep's customers not migrated yet."""
    customers = customers_visible_to(user).filter(status__in=ACTIVE_STATUSES)
    return customers.count(), list(customers.order_by("name", "pk")[:limit])


@dataclass
class CustomerTasks:
    customer: Customer
    tasks: list = field(default_factory=list)


def tasks_this_week(user, campaign: Campaign | None, today: dt.date) -> list[CustomerTasks]:
    """Open tasks due by the end of this week (overdue ones included), grouped by customer, soonest first."""
    tasks = tasks_visible_to(user).filter(assignee=user).actionable(today).filter(due_date__lte=week_end(today))
    if campaign is not None:
        tasks = tasks.filter(campaign=campaign)
    rows = list(
        tasks.select_related("customer", "domain").order_by("customer__name", "customer_id", "due_date", "pk")[
            :HOME_TASKS
        ]
    )
    groups = [CustomerTasks(customer, list(items)) for customer, items in groupby(rows, key=lambda t: t.customer)]
    return sorted(groups, key=lambda group: (min(t.due_date for t in group.tasks), group.customer.name))


@dataclass(frozen=True)
class Progress:
    mine_done: int
    mine_total: int
    team_done: int
    team_total: int
    needed: float

    @staticmethod
    def _share(done: int, total: int) -> float | None:
        return done / total if total else None

    @property
    def mine(self) -> float | None:
        return self._share(self.mine_done, self.mine_total)

    @property
    def team(self) -> float | None:
        return self._share(self.team_done, self.team_total)

    @property
    def behind(self) -> bool:
        return self.mine is not None and self.mine < self.needed


def progress(user, campaign: Campaign | None, today: dt.date) -> Progress:
    """The rep's share of customers done, the team's, and what the end date needs by today (one query + one)."""
    done = Q(status__in=DONE_STATUSES)
    team = Customer.objects.exclude(rep=None).aggregate(
        total=Count("pk"),
        done=Count("pk", filter=done),
        mine=Count("pk", filter=Q(rep=user)),
        mine_done=Count("pk", filter=done & Q(rep=user)),
    )
    return Progress(
        mine_done=team["mine_done"],
        mine_total=team["mine"],
        team_done=team["done"],
        team_total=team["total"],
        needed=needed_share(campaign, today) if campaign is not None else 0.0,
    )


def dns_changes_since(user, campaign: Campaign | None, since: dt.datetime | None, limit: int = HOME_ROWS):
    """(how many, the latest `limit`) of the rep's domains whose DNS findings changed after `since`.

    A change is a new check span (a span only starts when the report differs), so
    a domain re-checked with the same result is not listed.
    """
    if campaign is None or since is None:
        return 0, []
    states = DomainState.objects.filter(
        campaign=campaign,
        domain__customer__in=customers_visible_to(user).filter(rep=user).values("pk"),
        latest_check__first_seen_at__gt=since,
    )
    rows = states.select_related("domain__customer", "latest_check").order_by("-latest_check__first_seen_at", "pk")
    return states.count(), list(rows[:limit])

