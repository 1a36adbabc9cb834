"""When sweeps and mails are due, and the django-celery-beat rows that trigger them.

Beat only fires the periodic tasks; the tasks decide from the campaign dates
whether there is anything to do (`campaign_needs_sweeps`, `recheck_due`), so
editing a campaign's dates needs no schedule change. `ensure_schedules()`
creates the rows once (idempotent) and keeps them editable in the admin:
it never overwrites a timing (or an `enabled` switch) someone changed there. Rows
of campaigns that are no longer active are disabled, not deleted.
"""

from __future__ import annotations

import datetime as dt
import json

from django.db import transaction
from django.utils import timezone
from django_celery_beat.models import CrontabSchedule, PeriodicTask

from customers.models import Domain
from tracker.choices import SweepKind, Verdict
from tracker.models import Campaign, DomainState, Sweep

RECHECK_INTERVAL = dt.timedelta(hours=4)
RECHECK_INTERVAL_NEAR_DEADLINE = dt.timedelta(hours=1)
NEAR_DEADLINE = dt.timedelta(days=14)
# Beat fires hourly on the hour; a sweep created a few minutes late still counts.
SLACK = dt.timedelta(minutes=10)


def campaign_needs_sweeps(campaign: Campaign, today: dt.date) -> bool:
    """Active campaigns are swept until their last date, then until no domain is legacy."""
    if not campaign.active:
        return False
    last_date = max(d for d in (campaign.end_date, campaign.cleanup_date) if d is not None)
    if today <= last_date:
        return True
    states = DomainState.objects.filter(campaign=campaign)
    leftover = states.filter(verdict__in=[Verdict.LEGACY, Verdict.INCONCLUSIVE]).exists()
    never_checked = Domain.objects.exclude(states__campaign=campaign).exists()
    return leftover or never_checked


def recheck_interval(campaign: Campaign, today: dt.date) -> dt.timedelta:
    """Hourly in the last 14 days before the end or cleanup date, else every 4 hours."""
    for deadline in (campaign.end_date, campaign.cleanup_date):
        if deadline is not None and dt.timedelta(0) <= deadline - today <= NEAR_DEADLINE:
            return RECHECK_INTERVAL_NEAR_DEADLINE
    return RECHECK_INTERVAL


def recheck_due(campaign: Campaign, now: dt.datetime) -> bool:
    """No full sweep or re-check was started within the current interval."""
    if not campaign_needs_sweeps(campaign, timezone.localdate(now)):
        return False
    last = (
        Sweep.objects.filter(campaign=campaign, kind__in=[SweepKind.FULL, SweepKind.RECHECK])
        .order_by("-created_at")
        .values_list("created_at", flat=True)
        .first()
    )
    return last is None or now - last >= recheck_interval(campaign, timezone.localdate(now)) - SLACK


# -- beat rows ---------------------------------------------------------------------------------------

FULL_SWEEP_TASK = "tracker.sweep_campaign"
RECHECK_TASK = "tracker.recheck_campaign_if_due"
REP_DIGEST_TASK = "tracker.send_rep_digests"
OPS_SUMMARY_TASK = "tracker.send_ops_summary"
WAKE_SNOOZED_TASK = "tracker.wake_snoozed_tasks"
RESUME_STALLED_TASK = "tracker.resume_stalled_sweeps"
STALLED_DESCRIPTION = "Every minute: re-queue chunks whose worker or message was lost; flag stalled sweeps"


def _crontab(minute="0", hour="*", day_of_week="*") -> CrontabSchedule:
    schedule, _ = CrontabSchedule.objects.get_or_create(
        minute=minute,
        hour=hour,
        day_of_week=day_of_week,
        day_of_month="*",
        month_of_year="*",
        timezone=timezone.get_default_timezone_name(),
    )
    return schedule


def _ensure(name: str, task: str, crontab: CrontabSchedule, args=(), description="") -> bool:
    """Create the periodic task if missing; True if created. Existing rows keep their timing."""
    _, created = PeriodicTask.objects.get_or_create(
        name=name,
        defaults={
            "task": task,
            "crontab": crontab,
            "args": json.dumps(list(args)),
            "description": description,
        },
    )
    return created


def full_sweep_name(campaign: Campaign) -> str:
    return f"Daily full sweep: {campaign.slug}"


def recheck_name(campaign: Campaign) -> str:
    return f"Re-check legacy and inconclusive: {campaign.slug}"


@transaction.atomic
def ensure_schedules() -> list[str]:
    """The beat rows for every active campaign and the mails; returns the names created."""
    created = []
    for campaign in Campaign.objects.filter(active=True):
        if _ensure(
            full_sweep_name(campaign),
            FULL_SWEEP_TASK,
            _crontab(minute="0", hour="2"),
            [campaign.pk],
            "Every domain, daily; continues after the end date until no domain is legacy.",
        ):
            created.append(full_sweep_name(campaign))
        if _ensure(
            recheck_name(campaign),
            RECHECK_TASK,
            _crontab(minute="30"),
            [campaign.pk],
            "Fires hourly; re-checks every 4 h, hourly in the 14 days before the end or cleanup date.",
        ):
            created.append(recheck_name(campaign))
    for name, task, crontab, description in (
        ("Weekly task digest to reps", REP_DIGEST_TASK, _crontab("0", "7", "1"), "Mondays 07:00"),
        ("Daily operations summary", OPS_SUMMARY_TASK, _crontab("30", "7"), "Every day 07:30"),
        ("Wake snoozed tasks", WAKE_SNOOZED_TASK, _crontab("0", "6"), "Every day 06:00"),
        (
            "Resume stalled sweeps",
            RESUME_STALLED_TASK,
            _crontab("*"),
            STALLED_DESCRIPTION,
        ),
    ):
        if _ensure(name, task, crontab, (), description):
            created.append(name)
    # Until the chunk lease was short, this ran hourly at :45: a dead claim must be found in minutes.
    PeriodicTask.objects.filter(task=RESUME_STALLED_TASK, crontab__minute="45", crontab__hour="*").update(
        crontab=_crontab("*"), description=STALLED_DESCRIPTION
    )
    # A campaign switched off stops being swept (its rows stay, disabled, for the admin to see).
    PeriodicTask.objects.filter(task__in=[FULL_SWEEP_TASK, RECHECK_TASK]).exclude(
        args__in=[
            json.dumps([pk]) for pk in Campaign.objects.filter(active=True).values_list("pk", flat=True)
        ]
    ).update(enabled=False)
    return created
