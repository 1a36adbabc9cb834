"""The migration figures /metrics exposes, read through the dashboard's own queries (tracker.queries.dashboards).

Prometheus and the dashboard then never disagree: a figure is computed once, in
one place. Everything is per active campaign; the rep figures are the dashboard's
rep table.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from django.db.models import Count

from customers.models import Customer
from tracker.choices import SweepStatus, Verdict
from tracker.models import Campaign, DomainState, Sweep
from tracker.queries.dashboards import rep_progress, status_funnel, stored_details


@dataclass(frozen=True)
class Sample:
    name: str
    help: str
    labels: dict[str, str]
    value: float


def customers_per_verdict(campaign: Campaign) -> dict[str, int]:
    """Customers with at least one domain of each verdict (the customer list's "Has a domain" filter)."""
    rows = (
        DomainState.objects.filter(campaign=campaign)
        .order_by()
        .values_list("verdict")
        .annotate(n=Count("domain__customer", distinct=True))
    )
    counts = dict(rows)
    return {verdict: counts.get(verdict, 0) for verdict in Verdict.values}


def last_finished_sweep(campaign: Campaign) -> Sweep | None:
    return (
        Sweep.objects.filter(
            campaign=campaign, status__in=[SweepStatus.DONE, SweepStatus.PARTIAL, SweepStatus.FAILED]
        )
        .exclude(started_at=None)
        .order_by("-finished_at", "-pk")
        .first()
    )


def migration_samples() -> Iterator[Sample]:
    """Every figure of every active campaign, as labelled samples."""
    for status in status_funnel():
        yield Sample(
            "tracker_customers_by_status",
            "Customers per migration status.",
            {"status": status["status"].value},
            status["count"],
        )
    yield Sample("tracker_customers", "Customers.", {}, Customer.objects.count())
    for campaign in Campaign.objects.filter(active=True).order_by("slug"):
        yield from _campaign_samples(campaign)


def _campaign_samples(campaign: Campaign) -> Iterator[Sample]:
    labels = {"campaign": campaign.slug}
    # The dashboard's own figures (stored with the day, recounted after each sweep): the same numbers.
    stored = stored_details(campaign)
    figures = stored.details["figures"]
    for verdict in Verdict.values:
        yield Sample(
            "tracker_domains_by_verdict",
            "Checked domains per latest verdict.",
            labels | {"verdict": verdict},
            figures[f"verdict_{verdict}"],
        )
    yield Sample(
        "tracker_domains_never_checked", "Domains without a check yet.", labels, figures["never_checked"]
    )
    yield Sample(
        "tracker_domains_would_break",
        "Domains whose SPF breaks when the legacy record is deleted.",
        labels,
        figures["breaks_on_removal"],
    )
    for verdict, count in customers_per_verdict(campaign).items():
        yield Sample(
            "tracker_customers_by_verdict",
            "Customers with at least one domain of this verdict.",
            labels | {"verdict": verdict},
            count,
        )
    for rep in rep_progress(campaign, legacy_by_rep=stored.details["legacy_by_rep"]):
        rep_labels = labels | {"rep": rep.username}
        yield Sample("tracker_tasks_open", "Open or snoozed rep tasks per rep.", rep_labels, rep.open_tasks)
        yield Sample(
            "tracker_tasks_overdue", "Rep tasks past their due date per rep.", rep_labels, rep.overdue_tasks
        )
    sweep = last_finished_sweep(campaign)
    if sweep is not None:
        yield Sample(
            "tracker_last_sweep_duration_seconds",
            "How long the last finished sweep ran.",
            labels | {"kind": sweep.kind},
            sweep.duration.total_seconds(),
        )
        yield Sample(
            "tracker_last_sweep_dns_failure_ratio",
            "Share of the last finished sweep's domains with a timed-out lookup.",
            labels,
            sweep.timeout_count / sweep.done if sweep.done else 0.0,
        )
        yield Sample(
            "tracker_last_sweep_finished_timestamp_seconds",
            "When the last sweep finished (Unix time).",
            labels,
            sweep.finished_at.timestamp(),
        )
