"""The rep's workspace: what the customer list and a customer's page show, in a fixed number of queries."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, IntegerField, OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from customers.models import Customer, Domain
from tracker.choices import ACTIVE_TASK_STATUSES, TaskStatus, Verdict
from tracker.models import Campaign, DomainState, FollowUpTask
from tracker.probe.stored import StoredReport
from tracker.queries.access import tasks_visible_to
from tracker.queries.evidence import Evidence, domain_evidence, removal_evidence
from tracker.queries.worklist import worklist_order


def _count_of(queryset, field: str):
    """A correlated COUNT subquery (one per row in SQL, not one query per row in Python)."""
    counted = queryset.order_by().values(field).annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


def customer_list_annotations(campaign: Campaign | None) -> dict:
    """Annotations for a customer list: legacy domains in `campaign` and the next rep task due.

    Correlated subqueries, so the list stays at a fixed number of queries.
    """
    customer = OuterRef("pk")
    open_tasks = FollowUpTask.objects.filter(customer=customer, status__in=ACTIVE_TASK_STATUSES, for_ops=False)
    if campaign is not None:
        open_tasks = open_tasks.filter(campaign=campaign)
    legacy = DomainState.objects.filter(domain__customer=customer, verdict=Verdict.LEGACY)
    legacy = legacy.filter(campaign=campaign) if campaign is not None else legacy.none()
    return {
        "legacy_domains": _count_of(legacy, "verdict"),
        "next_task_due": Subquery(open_tasks.exclude(due_date=None).order_by("due_date").values("due_date")[:1]),
    }


def customer_list(campaign: Campaign | None) -> QuerySet:
    """Every customer with what the list shows (rep, domain count, legacy domains, next task due)."""
    return Customer.objects.for_list().annotate(**customer_list_annotations(campaign))


@dataclass(frozen=True)
class DomainRow:
    """A customer's domain with its state in the campaign (None: not checked yet)."""

    domain: Domain
    state: DomainState | None

    @property
    def report(self) -> StoredReport | None:
        check = self.state.latest_check if self.state is not None else None
        return StoredReport(check.report) if check is not None else None

    @property
    def evidence(self) -> Evidence:
        """Ready for the retirement (pass), not (fail), or unknown with the failed lookup named."""
        return domain_evidence(self.report)

    @property
    def removal(self) -> Evidence:
        """Stays valid once the legacy record is deleted: pass, fail, or unknown (never pass on a timeout)."""
        return removal_evidence(self.report)


def customer_domain_rows(customer: Customer, campaign: Campaign | None) -> list[DomainRow]:
    """The customer's domains, each with its latest state and report in `campaign`; two queries."""
    domains = list(customer.domains.all())
    states = {}
    if campaign is not None:
        rows = DomainState.objects.filter(
            campaign=campaign, domain__in=[d.pk for d in domains]
        ).select_related("latest_check")
        states = {state.domain_id: state for state in rows}
    return [DomainRow(domain, states.get(domain.pk)) for domain in domains]


def customer_open_tasks(user, customer: Customer, today: dt.date | None = None) -> list[FollowUpTask]:
    """The customer's active tasks this user may see, in worklist order."""
    tasks = tasks_visible_to(user, customer.tasks.filter(status__in=ACTIVE_TASK_STATUSES))
    return list(worklist_order(tasks.select_related("domain"), today or timezone.localdate()))


def next_open_task(tasks: list[FollowUpTask]) -> FollowUpTask | None:
    """The most urgent open rep task (snoozed ones wait), from `customer_open_tasks()`."""
    return next((task for task in tasks if task.status == TaskStatus.OPEN and not task.for_ops), None)
