"""The figures of the operations dashboard, each a small query whose cost does not grow with rows shown.

Everything is read from `DomainState` (one row per campaign and domain), the
customers' statuses, tasks and sweeps. The burndown is the one history query:
it is computed from `Check` spans in SQL and cached until a new span appears.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import connection
from django.db.models import Count, Max, Q, Subquery
from django.utils import timezone

from customers.choices import ACTIVE_STATUSES, MigrationStatus
from customers.models import Customer, Domain, StatusChange
from customers.roles import REPS_GROUP
from tracker.choices import ACTIVE_TASK_STATUSES, Verdict
from tracker.models import Campaign, Check, DomainState, FollowUpTask, Sweep
from tracker.probe.limits import SPF_MAX_DNS_LOOKUPS

DMARC_POLICIES = ("none", "quarantine", "reject")
# The burndown is at most this long (a campaign runs for months, not decades).
BURNDOWN_MAX_DAYS = 730


@dataclass(frozen=True)
class Deadlines:
    today: dt.date
    end_date: dt.date | None
    cleanup_date: dt.date | None

    @property
    def days_to_end(self) -> int | None:
        return (self.end_date - self.today).days if self.end_date else None

    @property
    def days_to_cleanup(self) -> int | None:
        return (self.cleanup_date - self.today).days if self.cleanup_date else None


def deadlines(campaign: Campaign, today: dt.date | None = None) -> Deadlines:
    return Deadlines(today or timezone.localdate(), campaign.end_date, campaign.cleanup_date)


# Cached figures are recomputed when `data_version` moves, and at the latest after this long
# (a change the version does not see, e.g. a deleted customer, shows within this time).
FIGURES_TTL = 300


def data_version(campaign: Campaign) -> tuple:
    """What changes whenever a dashboard figure may change, read in one cheap query.

    A figure changes with a domain's facts, and those change only with a new check span
    (a new `first_seen_at`, indexed per campaign; an unchanged check only extends its
    span); edits move customers' and tasks' `updated_at`; status changes are rows.
    """

    def newest(queryset, field):
        return Subquery(queryset.exclude(**{field: None}).order_by(f"-{field}").values(field)[:1])

    row = (
        Campaign.objects.filter(pk=campaign.pk)
        .annotate(
            v_checks=newest(Check.objects.filter(campaign=campaign), "first_seen_at"),
            v_customers=newest(Customer.objects.all(), "updated_at"),
            v_tasks=newest(FollowUpTask.objects.filter(campaign=campaign), "updated_at"),
            v_changes=newest(StatusChange.objects.all(), "changed_at"),
        )
        .values_list("updated_at", "v_checks", "v_customers", "v_tasks", "v_changes")
        .first()
    )
    return tuple(str(value) for value in row or ())


def _cached(name: str, campaign: Campaign, version: tuple, compute):
    key = f"tracker:{name}:{campaign.pk}"
    hit = cache.get(key)
    if hit is not None and hit[0] == version:
        return hit[1]
    value = compute()
    cache.set(key, (version, value), timeout=FIGURES_TTL)
    return value


def domain_figures(campaign: Campaign, version: tuple | None = None) -> dict[str, int]:
    """Verdicts, cleanup readiness and posture: one aggregate query, cached while `version` holds."""
    if version is not None:
        return _cached("figures", campaign, version, lambda: domain_figures(campaign))
    states = DomainState.objects.filter(campaign=campaign)
    figures = {
        "total": Count("pk"),
        "breaks_on_removal": Count("pk", filter=Q(breaks_on_legacy_removal=True)),
        "legacy_mx": Count("pk", filter=Q(has_legacy_mx=True)),
        "legacy_spf_include": Count("pk", filter=Q(has_legacy_spf_include=True)),
        "legacy_spf_ip": Count("pk", filter=Q(has_legacy_spf_ip=True)),
        "on_successor": Count("pk", filter=Q(on_successor=True)),
        "spf_present": Count("pk", filter=Q(has_spf=True)),
        "spf_missing": Count("pk", filter=Q(has_spf=False)),
        "spf_over_limit": Count("pk", filter=Q(spf_lookups__gt=SPF_MAX_DNS_LOOKUPS)),
        "dmarc_present": Count("pk", filter=Q(has_dmarc=True)),
        "dmarc_missing": Count("pk", filter=Q(has_dmarc=False)),
        "deprecated_tags": Count("pk", filter=~Q(deprecated_tags=[])),
    }
    figures |= {f"verdict_{v}": Count("pk", filter=Q(verdict=v)) for v in Verdict.values}
    figures |= {f"dmarc_{p}": Count("pk", filter=Q(dmarc_policy=p)) for p in DMARC_POLICIES}
    result = states.aggregate(**figures)
    # Every customer domain is swept (tracker.services.sweeps.campaign_domain_ids); new ones have no state yet.
    result["never_checked"] = max(0, Domain.objects.count() - result["total"])
    return result


def status_funnel() -> list[dict]:
    """Customers per migration status, in workflow order, with their share (for bars)."""
    counts = dict(Customer.objects.values_list("status").annotate(n=Count("pk")).order_by())
    total = sum(counts.values()) or 1
    return [
        {
            "status": status,
            "count": counts.get(status.value, 0),
            "percent": 100 * counts.get(status.value, 0) / total,
        }
        for status in MigrationStatus
    ]


@dataclass
class RepProgress:
    """One sales rep's open work in a campaign (a row of the dashboard's rep table)."""

    pk: int
    username: str
    full_name: str
    customer_count: int = 0
    not_migrated: int = 0
    legacy_domains: int = 0
    open_tasks: int = 0
    overdue_tasks: int = 0
    last_activity: dt.datetime | None = None

    def get_full_name(self) -> str:
        return self.full_name


def _by_rep(queryset, rep_field: str) -> dict[int, int]:
    return dict(queryset.order_by().values_list(rep_field).annotate(n=Count("pk")))


def rep_progress(
    campaign: Campaign, today: dt.date | None = None, version: tuple | None = None
) -> list[RepProgress]:
    """Every active sales rep with their open work, in six GROUP BY queries whatever the number of rows.

    One aggregate per figure, merged here: correlated subqueries per rep made
    SQLite scan all of a campaign's domain states once per rep. Cached while `version` holds.
    """
    today = today or timezone.localdate()
    if version is not None:
        return _cached(f"reps:{today}", campaign, version, lambda: rep_progress(campaign, today))
    reps = (
        get_user_model()
        .objects.filter(groups__name=REPS_GROUP, is_active=True)
        .order_by("username")
        .values_list("pk", "username", "first_name", "last_name")
    )
    customers = _by_rep(Customer.objects.all(), "rep")
    not_migrated = _by_rep(Customer.objects.filter(status__in=ACTIVE_STATUSES), "rep")
    legacy = _by_rep(
        DomainState.objects.filter(campaign=campaign, verdict=Verdict.LEGACY), "domain__customer__rep"
    )
    tasks = FollowUpTask.objects.filter(campaign=campaign, for_ops=False, status__in=ACTIVE_TASK_STATUSES)
    open_tasks = _by_rep(tasks, "assignee")
    overdue = _by_rep(tasks.filter(due_date__lt=today), "assignee")
    last_activity = dict(
        StatusChange.objects.order_by()
        .exclude(changed_by=None)
        .values_list("changed_by")
        .annotate(latest=Max("changed_at"))
    )
    rows = [
        RepProgress(
            pk=pk,
            username=username,
            full_name=f"{first} {last}".strip(),
            customer_count=customers.get(pk, 0),
            not_migrated=not_migrated.get(pk, 0),
            legacy_domains=legacy.get(pk, 0),
            open_tasks=open_tasks.get(pk, 0),
            overdue_tasks=overdue.get(pk, 0),
            last_activity=last_activity.get(pk),
        )
        for pk, username, first, last in reps
    ]
    return sorted(rows, key=lambda row: (-row.not_migrated, row.username))


def recent_sweeps(campaign: Campaign, limit: int = 8):
    return Sweep.objects.filter(campaign=campaign).select_related("campaign", "requested_by")[:limit]


def overdue_task_count(campaign: Campaign, today: dt.date | None = None) -> int:
    today = today or timezone.localdate()
    return FollowUpTask.objects.filter(
        campaign=campaign, status__in=ACTIVE_TASK_STATUSES, due_date__lt=today
    ).count()


# -- burndown ------------------------------------------------------------------------------------

# Per day (UTC), how many domains became legacy minus how many stopped being legacy. A
# span is "legacy" by its verdict; LAG gives the same domain's previous span. Only spans
# with id > %s are counted, but LAG sees each of their domains' whole history.
_LEGACY_DELTAS_SQL = """
SELECT day, SUM(delta) FROM (
    SELECT id, CAST(first_seen_at AS DATE) AS day,
           (CASE WHEN verdict = %s THEN 1 ELSE 0 END)
           - (CASE WHEN LAG(verdict) OVER (PARTITION BY domain_id ORDER BY first_seen_at, id) = %s
                   THEN 1 ELSE 0 END) AS delta
    FROM {table}
    WHERE campaign_id = %s {only_new_domains}
) spans
WHERE id > %s
GROUP BY day
"""
_NEW_DOMAINS_SQL = "AND domain_id IN (SELECT domain_id FROM {table} WHERE campaign_id = %s AND id > %s)"


def _legacy_deltas(campaign: Campaign, after_pk: int = 0) -> dict[str, int]:
    """{ISO day: change in legacy domains} from the spans with pk > after_pk."""
    table = connection.ops.quote_name(Check._meta.db_table)
    params: list = [Verdict.LEGACY, Verdict.LEGACY, campaign.pk]
    only_new = ""
    if after_pk:
        only_new = _NEW_DOMAINS_SQL.format(table=table)
        params += [campaign.pk, after_pk]
    sql = _LEGACY_DELTAS_SQL.format(table=table, only_new_domains=only_new)
    if connection.vendor == "sqlite":
        sql = sql.replace("CAST(first_seen_at AS DATE)", "date(first_seen_at)")
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, after_pk])
        rows = cursor.fetchall()
    return {str(day)[:10]: int(delta) for day, delta in rows}


def legacy_deltas_cached(campaign: Campaign) -> dict[str, int]:
    """The per-day deltas of every span, kept in the cache and extended with new spans only.

    Sweeps insert spans in time order (a span starts when it is stored), so the
    spans after the cached high-water mark only add to their own days; a full
    recount happens when the cache is empty or spans were deleted.
    """
    latest = Check.objects.filter(campaign=campaign).order_by("-pk").values_list("pk", flat=True)[:1]
    latest_pk = latest[0] if latest else 0
    key = f"tracker:legacy-deltas:{campaign.pk}"
    cached = cache.get(key)
    if cached is not None and cached["upto"] == latest_pk:
        return cached["deltas"]
    if cached is None or cached["upto"] > latest_pk:
        deltas = _legacy_deltas(campaign) if latest_pk else {}
    else:
        deltas = dict(cached["deltas"])
        for day, delta in _legacy_deltas(campaign, after_pk=cached["upto"]).items():
            deltas[day] = deltas.get(day, 0) + delta
    cache.set(key, {"upto": latest_pk, "deltas": deltas}, timeout=None)
    return deltas


def burndown(campaign: Campaign, today: dt.date | None = None) -> dict:
    """Domains with legacy references per day, with the deadlines, ready for Chart.js."""
    today = today or timezone.localdate()
    deltas = sorted((dt.date.fromisoformat(day), n) for day, n in legacy_deltas_cached(campaign).items())
    return _burndown_series(campaign, deltas, today)


def _burndown_series(campaign: Campaign, deltas: list[tuple[dt.date, int]], today: dt.date) -> dict:
    start = deltas[0][0] if deltas else today
    deadlines_ = [d for d in (campaign.end_date, campaign.cleanup_date) if d]
    end = max([today, *deadlines_])
    end = min(end, start + dt.timedelta(days=BURNDOWN_MAX_DAYS))
    by_day = dict(deltas)
    labels, legacy, target = [], [], []
    running = 0
    first_count = None
    day = start
    while day <= end:
        running += by_day.get(day, 0)
        labels.append(day.isoformat())
        legacy.append(running if day <= today else None)
        if first_count is None:
            first_count = running
        day += dt.timedelta(days=1)
    # The straight line from the first count to zero on the end date: where we should be.
    if campaign.end_date and campaign.end_date > start and first_count:
        span = (campaign.end_date - start).days
        for index in range(len(labels)):
            target.append(max(0.0, round(first_count * (1 - index / span), 1)))
    return {
        "labels": labels,
        "legacy": legacy,
        "target": target,
        "end_date": campaign.end_date.isoformat() if campaign.end_date else None,
        "cleanup_date": campaign.cleanup_date.isoformat() if campaign.cleanup_date else None,
        "today": today.isoformat(),
        "current": running if deltas else 0,
    }


def posture_chart(figures: dict[str, int]) -> dict:
    """Sender-authentication posture as shares of checked domains, for a bar chart."""
    total = figures["total"] or 1
    rows = [
        ("SPF published", figures["spf_present"]),
        (f"SPF over {SPF_MAX_DNS_LOOKUPS} lookups", figures["spf_over_limit"]),
        ("DMARC published", figures["dmarc_present"]),
        ("DMARC p=none", figures["dmarc_none"]),
        ("DMARC p=quarantine", figures["dmarc_quarantine"]),
        ("DMARC p=reject", figures["dmarc_reject"]),
        ("Deprecated DMARC tags", figures["deprecated_tags"]),
    ]
    return {
        "labels": [label for label, _ in rows],
        "counts": [count for _, count in rows],
        "percent": [round(100 * count / total, 1) for _, count in rows],
    }
