"""The figures of the operations dashboard, each a small query whose cost does not grow with rows shown.

Everything is read from `DomainState` (one row per campaign and domain), the
customers' statuses, tasks and sweeps. The burndown reads the stored day figures
(`DailyFigures`, a few hundred rows) and adds today's live counts; the forecast
projects the pace of the last 14 days.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db.models import Count, Max, Q
from django.utils import timezone
from django.utils.translation import gettext, ngettext

from customers.choices import ACTIVE_STATUSES, MigrationStatus
from customers.models import Customer, Domain, StatusChange
from customers.roles import REPS_GROUP
from tracker.choices import ACTIVE_TASK_STATUSES, SweepStatus, Verdict
from tracker.models import Campaign, Check, DailyFigures, DomainState, FollowUpTask, Sweep
from tracker.probe.limits import SPF_MAX_DNS_LOOKUPS

DMARC_POLICIES = ("none", "quarantine", "reject")
# A customer who moved, or who leaves us, needs no more work: the share of these is a rep's progress.
# (Unreachable is not done: their DNS still points at the legacy service.)
DONE_STATUSES = (MigrationStatus.MIGRATED, MigrationStatus.LEAVING)
# The forecast projects the pace of this many last days.
PACE_DAYS = 14
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

    @property
    def end_passed(self) -> bool:
        return self.end_date is not None and self.end_date < self.today


def overdue_q(today: dt.date) -> Q:
    """Open tasks past their due date, or of a campaign whose end date has passed (the date they served).

    The dashboard counts and the task list's "overdue" filter both use it, so a count is its list.
    """
    return Q(status__in=ACTIVE_TASK_STATUSES) & (Q(due_date__lt=today) | Q(campaign__end_date__lt=today))


def deadlines(campaign: Campaign, today: dt.date | None = None) -> Deadlines:
    return Deadlines(today or timezone.localdate(), campaign.end_date, campaign.cleanup_date)


def domain_figures(campaign: Campaign) -> dict[str, int]:
    """Verdicts, cleanup readiness and posture: one aggregate query (stored with the day's figures)."""
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


def customers_by_rep_and_status() -> list[tuple[int | None, str, int]]:
    """(rep pk, status, customers): one GROUP BY that the funnel and the rep table both read."""
    return list(Customer.objects.order_by().values_list("rep", "status").annotate(n=Count("pk")))


def status_funnel(by_rep_and_status: list[tuple] | None = None) -> list[dict]:
    """Customers per migration status, in workflow order, with their share (for bars)."""
    rows = customers_by_rep_and_status() if by_rep_and_status is None else by_rep_and_status
    counts: dict[str, int] = {}
    for _rep, status, n in rows:
        counts[status] = counts.get(status, 0) + n
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
    done: int = 0
    legacy_domains: int = 0
    open_tasks: int = 0
    overdue_tasks: int = 0
    last_activity: dt.datetime | None = None
    # The share of customers the deadline needs done by today (linear from the campaign start to its end).
    needed_share: float = 0.0

    def get_full_name(self) -> str:
        return self.full_name

    @property
    def done_share(self) -> float | None:
        """Customers done (migrated or leaving) out of all; None without customers."""
        return self.done / self.customer_count if self.customer_count else None

    @property
    def behind(self) -> bool:
        return self.done_share is not None and self.done_share < self.needed_share

    @property
    def gap(self) -> float:
        """How far behind the needed share (positive) or ahead (negative): the "most behind first" order."""
        return self.needed_share - (self.done_share if self.done_share is not None else 1.0)


def _by_rep(queryset, rep_field: str) -> dict[int, int]:
    return dict(queryset.order_by().values_list(rep_field).annotate(n=Count("pk")))


def legacy_domains_by_rep(campaign: Campaign) -> dict[int, int]:
    """{rep pk: legacy domains}: a join over every state, so it is stored with the day's figures."""
    return _by_rep(
        DomainState.objects.filter(campaign=campaign, verdict=Verdict.LEGACY), "domain__customer__rep"
    )


def rep_progress(
    campaign: Campaign,
    today: dt.date | None = None,
    legacy_by_rep: dict | None = None,
    first_day: dt.date | None = None,
    by_rep_and_status: list[tuple] | None = None,
) -> list[RepProgress]:
    """Every active sales rep with their open work, in a few GROUP BY queries whatever the number of rows.

    One aggregate per figure, merged here: correlated subqueries per rep made
    SQLite scan all of a campaign's domain states once per rep. The legacy domains
    per rep come from the stored figures when given (`legacy_by_rep`, JSON: string keys).
    """
    today = today or timezone.localdate()
    reps = (
        get_user_model()
        .objects.filter(groups__name=REPS_GROUP, is_active=True)
        .order_by("username")
        .values_list("pk", "username", "first_name", "last_name")
    )
    customers: dict[int, int] = {}
    not_migrated: dict[int, int] = {}
    done: dict[int, int] = {}
    rows = customers_by_rep_and_status() if by_rep_and_status is None else by_rep_and_status
    for rep, status, n in rows:
        customers[rep] = customers.get(rep, 0) + n
        if status in ACTIVE_STATUSES:
            not_migrated[rep] = not_migrated.get(rep, 0) + n
        if status in DONE_STATUSES:
            done[rep] = done.get(rep, 0) + n
    needed = needed_share(campaign, today, campaign_start(campaign, first_day or _first_stored_day(campaign)))
    if legacy_by_rep is None:
        legacy_by_rep = legacy_domains_by_rep(campaign)
    legacy = {int(pk): n for pk, n in legacy_by_rep.items() if pk not in (None, "null")}
    tasks = FollowUpTask.objects.filter(campaign=campaign, for_ops=False, status__in=ACTIVE_TASK_STATUSES)
    per_assignee = (
        tasks.order_by()
        .values_list("assignee")
        .annotate(n=Count("pk"), overdue=Count("pk", filter=overdue_q(today)))
    )
    open_tasks, overdue = {}, {}
    for assignee, n, late in per_assignee:
        open_tasks[assignee], overdue[assignee] = n, late
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
            done=done.get(pk, 0),
            needed_share=needed,
            legacy_domains=legacy.get(pk, 0),
            open_tasks=open_tasks.get(pk, 0),
            overdue_tasks=overdue.get(pk, 0),
            last_activity=last_activity.get(pk),
        )
        for pk, username, first, last in reps
    ]
    return sorted(rows, key=lambda row: (-row.gap, row.username))


def sweeps_running(campaign: Campaign) -> bool:
    """A sweep of the campaign is queued or running: its pages poll for progress while this holds."""
    return Sweep.objects.filter(
        campaign=campaign, status__in=[SweepStatus.QUEUED, SweepStatus.RUNNING]
    ).exists()


def recent_sweeps(campaign: Campaign, limit: int = 8):
    return Sweep.objects.filter(campaign=campaign).select_related("campaign", "requested_by")[:limit]


def overdue_task_count(campaign: Campaign, today: dt.date | None = None) -> int:
    today = today or timezone.localdate()
    return FollowUpTask.objects.filter(overdue_q(today), campaign=campaign).count()


# -- burndown and forecast ----------------------------------------------------------------------

# The counts a day is measured by (DailyFigures columns); breaking ones are None on backfilled days.
DAY_FIGURES = (
    "legacy_domains",
    "unknown_domains",
    "legacy_customers",
    "unknown_customers",
    "breaking_domains",
    "breaking_customers",
)


def legacy_figures(campaign: Campaign) -> dict[str, int]:
    """Today's live counts: domains and customers still legacy, unknown (inconclusive), breaking on removal.

    A customer counts once per figure if any of its domains does (as the customer list's
    "has a domain" filter finds them), so legacy and unknown customers may overlap.
    One aggregate over the campaign's states.
    """
    legacy, unknown, breaking = (
        Q(verdict=Verdict.LEGACY),
        Q(verdict=Verdict.INCONCLUSIVE),
        Q(breaks_on_legacy_removal=True),
    )
    customer = "domain__customer_id"
    return DomainState.objects.filter(campaign=campaign).aggregate(
        legacy_domains=Count("pk", filter=legacy),
        unknown_domains=Count("pk", filter=unknown),
        breaking_domains=Count("pk", filter=breaking),
        legacy_customers=Count(customer, filter=legacy, distinct=True),
        unknown_customers=Count(customer, filter=unknown, distinct=True),
        breaking_customers=Count(customer, filter=breaking, distinct=True),
    )


def checks_version(campaign: Campaign) -> str:
    """The newest check span's start: figures change only with a new span (one indexed query)."""
    newest = (
        Check.objects.filter(campaign=campaign)
        .order_by("-first_seen_at")
        .values_list("first_seen_at", flat=True)
    )
    value = newest.first()
    return value.isoformat() if value else ""


def dashboard_details(campaign: Campaign) -> dict:
    """Everything of the dashboard that aggregates every domain state (seconds at 300,000 domains):
    computed by the writer with the day's figures, read back by the page in one query."""
    return {
        "figures": domain_figures(campaign),
        "live": legacy_figures(campaign),
        "legacy_by_rep": legacy_domains_by_rep(campaign),
    }


@dataclass(frozen=True)
class StoredDetails:
    details: dict
    recorded_at: dt.datetime | None
    current: bool  # no check span is newer than what they saw


def stored_details(campaign: Campaign) -> StoredDetails:
    """The latest stored dashboard figures (one query, two when they must be checked for staleness);
    computed live when none were ever stored."""
    row = (
        DailyFigures.objects.filter(campaign=campaign)
        .exclude(details={})
        .order_by("-day")
        .values("details", "recorded_at", "checks_version")
        .first()
    )
    if row is None:
        return StoredDetails(dashboard_details(campaign), None, True)
    return StoredDetails(
        row["details"], row["recorded_at"], row["checks_version"] == checks_version(campaign)
    )


def stored_days(campaign: Campaign, before: dt.date) -> list[dict]:
    """The stored figures of the days before `before`, oldest first (one small query)."""
    rows = DailyFigures.objects.filter(campaign=campaign, day__lt=before).order_by("day")
    return list(rows.values("day", *DAY_FIGURES)[:BURNDOWN_MAX_DAYS])


@dataclass(frozen=True)
class Forecast:
    """When the last legacy domain (or customer) is gone at the recent pace; None when it does not fall."""

    current: int
    pace: float  # fewer per day, over the last PACE_DAYS (or the days there are)
    window_days: int
    gone_on: dt.date | None

    def days_after(self, deadline: dt.date | None) -> int | None:
        return (self.gone_on - deadline).days if self.gone_on and deadline else None


def forecast(series: list[tuple[dt.date, int]], today: dt.date) -> Forecast:
    """Project the pace of the last PACE_DAYS days (count then minus count now, per day) to zero.

    `series` is (day, count) ascending, ending today, one entry per day. With fewer
    days of history the window is what there is; with none, or a pace of zero or
    less, there is no date.
    """
    current = series[-1][1] if series else 0
    if current == 0:
        return Forecast(0, 0.0, 0, today)
    by_day = dict(series)
    first_day = series[0][0]
    window_start = max(first_day, today - dt.timedelta(days=PACE_DAYS))
    window = (today - window_start).days
    if window <= 0:
        return Forecast(current, 0.0, 0, None)
    pace = (by_day[window_start] - current) / window
    if pace <= 0:
        return Forecast(current, pace, window, None)
    # The day the projected count reaches zero: after ceil(current / pace) more days.
    days_left = -(-current * window // (by_day[window_start] - current))
    return Forecast(current, pace, window, today + dt.timedelta(days=days_left))


def _daily_series(
    days: list[dict], live: dict, today: dt.date, field: str
) -> list[tuple[dt.date, int | None]]:
    """(day, count) per calendar day from the first stored day to today; a day without a row
    keeps the last known count (counts only change with checks, and a day without a sweep has none)."""
    by_day = {row["day"]: row[field] for row in days}
    start = days[0]["day"] if days else today
    series, running, day = [], None, start
    while day < today:
        if day in by_day:
            running = by_day[day]
        series.append((day, running))
        day += dt.timedelta(days=1)
    series.append((today, live[field]))
    return series


def week_ago(series: list[tuple[dt.date, int | None]], today: dt.date) -> int | None:
    """The count seven days ago (None when the history is shorter or did not know it)."""
    return dict(series).get(today - dt.timedelta(days=7))


def campaign_start(campaign: Campaign, first_day: dt.date | None = None) -> dt.date:
    """When the campaign began: its creation, internal announcement or first stored day, the earliest."""
    days = [timezone.localdate(campaign.created_at)] if campaign.created_at else []
    days += [d for d in (campaign.internal_announcement_date, first_day) if d]
    return min(days) if days else timezone.localdate()


def needed_share(campaign: Campaign, today: dt.date, start: dt.date | None = None) -> float:
    """The share of customers the end date needs done by today: linear from the start to the end date."""
    start = start or campaign_start(campaign, _first_stored_day(campaign))
    if not campaign.end_date or campaign.end_date <= start:
        return 1.0
    share = (today - start).days / (campaign.end_date - start).days
    return min(1.0, max(0.0, share))


def _first_stored_day(campaign: Campaign) -> dt.date | None:
    return (
        DailyFigures.objects.filter(campaign=campaign).order_by("day").values_list("day", flat=True).first()
    )


def _sentence(what_singular: str, forecast_: Forecast, cleanup_date: dt.date | None) -> str:
    if forecast_.current == 0:
        return gettext("No %(what)s is left.") % {"what": what_singular}
    if forecast_.gone_on is None:
        return gettext("The pace is zero: no forecast.")
    after = forecast_.days_after(cleanup_date)
    values = {"what": what_singular, "day": forecast_.gone_on.isoformat(), "days": abs(after or 0)}
    if after is None:
        return gettext("At this pace the last %(what)s is gone on %(day)s.") % values
    if after > 0:
        return (
            ngettext(
                "At this pace the last %(what)s is gone on %(day)s, %(days)d day after the cleanup date.",
                "At this pace the last %(what)s is gone on %(day)s, %(days)d days after the cleanup date.",
                after,
            )
            % values
        )
    if after < 0:
        return (
            ngettext(
                "At this pace the last %(what)s is gone on %(day)s, %(days)d day before the cleanup date.",
                "At this pace the last %(what)s is gone on %(day)s, %(days)d days before the cleanup date.",
                -after,
            )
            % values
        )
    return gettext("At this pace the last %(what)s is gone on %(day)s, the cleanup date.") % values


def burndown(campaign: Campaign, today: dt.date | None = None, live: dict | None = None) -> dict:
    """Domains and customers still legacy per day, the forecast and the deadlines, ready for Chart.js.

    Stored days plus today's live counts (`live`, from `legacy_figures`): two small queries.
    """
    today = today or timezone.localdate()
    live = live if live is not None else legacy_figures(campaign)
    days = stored_days(campaign, today)
    series = {field: _daily_series(days, live, today, field) for field in DAY_FIGURES}
    domains = [(day, n or 0) for day, n in series["legacy_domains"]]
    customers = [(day, n or 0) for day, n in series["legacy_customers"]]
    domain_forecast = forecast(domains, today)
    customer_forecast = forecast(customers, today)
    start = domains[0][0]
    deadlines_ = [d for d in (campaign.end_date, campaign.cleanup_date, domain_forecast.gone_on) if d]
    end = min(max([today, *deadlines_]), start + dt.timedelta(days=BURNDOWN_MAX_DAYS))
    labels, target, projected = [], [], []
    first_count = domains[0][1]
    span = (campaign.end_date - start).days if campaign.end_date and campaign.end_date > start else 0
    day, index = start, 0
    while day <= end:
        labels.append(day.isoformat())
        if span and first_count:
            target.append(max(0.0, round(first_count * (1 - index / span), 1)))
        if domain_forecast.gone_on and day >= today:
            projected.append(
                max(0.0, round(domain_forecast.current - domain_forecast.pace * (day - today).days, 1))
            )
        else:
            projected.append(None)
        day += dt.timedelta(days=1)
        index += 1
    padding = [None] * (len(labels) - len(domains))
    return {
        "labels": labels,
        "legacy": [n for _, n in series["legacy_domains"]] + padding,
        "legacy_customers": [n for _, n in series["legacy_customers"]] + padding,
        "unknown": [n for _, n in series["unknown_domains"]] + padding,
        "target": target,
        "projected": projected,
        "end_date": campaign.end_date.isoformat() if campaign.end_date else None,
        "cleanup_date": campaign.cleanup_date.isoformat() if campaign.cleanup_date else None,
        "today": today.isoformat(),
        "current": live["legacy_domains"],
        "forecast": domain_forecast.gone_on.isoformat() if domain_forecast.gone_on else None,
        "sentence": _sentence(gettext("legacy domain"), domain_forecast, campaign.cleanup_date),
        "customer_sentence": _sentence(gettext("legacy customer"), customer_forecast, campaign.cleanup_date),
        "week_ago": {field: week_ago(series[field], today) for field in DAY_FIGURES},
        "start": start.isoformat(),
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
