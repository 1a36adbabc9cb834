"""When sweeps and mails are due, and the django-celery-beat rows that trigger them.

Beat only fires the periodic tasks; the tasks decide from the campaign dates
whether there is anything to do (`campaign_needs_sweeps`, `recheck_due`), so
editing a campaign's dates needs no schedule change. `ensure_schedules()`
creates the rows once (idempotent) and keeps them editable in the admin:
it never overwrites a timing (or an `enabled` switch) someone changed there. Rows
of campaigns that are no longer active are disabled, not deleted.

A campaign's own rows follow it (`campaign_schedules_follow`, run on every save of
a Campaign through the post_save signal wired in tracker.apps): they exist from the
moment the campaign does (settings page, admin, `campaign load`, the demo), are
enabled again when it is activated, disabled when it is deactivated and deleted
with it. Beat is told of each change (PeriodicTasks.update_changed).
"""

from __future__ import annotations

import datetime as dt
import json

from django.db import transaction
from django.utils import timezone
from django_celery_beat.models import CrontabSchedule, PeriodicTask, PeriodicTasks

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
REP_DIGEST_NAME = "Daily task digest to reps (08:30 local time)"
OLD_REP_DIGEST_NAME = "Weekly task digest to reps"
DAILY_ALERTS_TASK = "tracker.daily_alerts"
DAILY_FIGURES_TASK = "tracker.record_daily_figures"
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


def _campaign_rows(campaign: Campaign) -> list[str]:
    """Create the campaign's sweep and re-check rows if missing; the names created."""
    created = []
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
    return created


def _rows_of(campaign_pk: int):
    return PeriodicTask.objects.filter(
        task__in=[FULL_SWEEP_TASK, RECHECK_TASK], args=json.dumps([campaign_pk])
    )


@transaction.atomic
def campaign_schedules_follow(campaign: Campaign, *, activated: bool) -> list[str]:
    """Bring the campaign's rows in line with `active`; the names created.

    Active: the rows exist; on activation (new, or inactive before) they are also
    enabled. Inactive: they are disabled. An active campaign saved again keeps
    whatever timing and switch the admin gave its rows.
    """
    if not campaign.active:
        changed = _rows_of(campaign.pk).filter(enabled=True).update(enabled=False)
        created = []
    else:
        created = _campaign_rows(campaign)
        changed = _rows_of(campaign.pk).filter(enabled=False).update(enabled=True) if activated else 0
    if changed:
        PeriodicTasks.update_changed()  # a queryset update sends no signal: tell beat
    return created


def campaign_schedules_remove(campaign_pk: int) -> None:
    """A deleted campaign leaves no rows that would fire for nothing."""
    for row in _rows_of(campaign_pk):
        row.delete()  # one by one, so that beat hears of each (PeriodicTask's delete signal)


def follow_campaign_saved(sender, instance: Campaign, created: bool, raw: bool = False, **kwargs) -> None:
    """post_save of Campaign (wired in tracker.apps): the campaign's schedules follow it."""
    if raw:
        return  # loaddata: rows come with the fixture, if at all
    campaign_schedules_follow(instance, activated=instance.was_activated)
    instance.loaded_active = instance.active


def follow_campaign_deleted(sender, instance: Campaign, **kwargs) -> None:
    """post_delete of Campaign (wired in tracker.apps)."""
    campaign_schedules_remove(instance.pk)


@transaction.atomic
def ensure_schedules() -> list[str]:
    """The beat rows for every active campaign and the mails; returns the names created."""
    created = []
    for campaign in Campaign.objects.filter(active=True):
        created += _campaign_rows(campaign)
    # The weekly Monday digest became a daily one at each rep's local hour: move the old row.
    PeriodicTask.objects.filter(name=OLD_REP_DIGEST_NAME).exclude(
        name__in=PeriodicTask.objects.filter(name=REP_DIGEST_NAME).values("name")
    ).update(name=REP_DIGEST_NAME, crontab=_crontab("0,30"), description="Every 30 min (was weekly)")
    for name, task, crontab, description in (
        (
            REP_DIGEST_NAME,
            REP_DIGEST_TASK,
            _crontab("0,30"),
            "Every 30 min: each rep's daily digest once their local time passes 08:30",
        ),
        ("Daily operations summary", OPS_SUMMARY_TASK, _crontab("30", "7"), "Every day 07:30"),
        ("Wake snoozed tasks", WAKE_SNOOZED_TASK, _crontab("0", "6"), "Every day 06:00"),
        (
            "Daily alerts",
            DAILY_ALERTS_TASK,
            _crontab("15", "8"),
            "Every day 08:15: milestones, stalled legacy count",
        ),
        (
            "Resume stalled sweeps",
            RESUME_STALLED_TASK,
            _crontab("*"),
            STALLED_DESCRIPTION,
        ),
        (
            "Record the day's dashboard figures",
            DAILY_FIGURES_TASK,
            _crontab("55", "23"),
            "Every day 23:55: the burndown's point of the day (sweeps also record it when they end)",
        ),
    ):
        if _ensure(name, task, crontab, (), description):
            created.append(name)
    # Until the chunk lease was short, this ran hourly at :45: a dead claim must be found in minutes.
    PeriodicTask.objects.filter(task=RESUME_STALLED_TASK, crontab__minute="45", crontab__hour="*").update(
        crontab=_crontab("*"), description=STALLED_DESCRIPTION
    )
    # A campaign switched off stops being swept (its rows stay, disabled, for the admin to see).
    switched_off = (
        PeriodicTask.objects.filter(task__in=[FULL_SWEEP_TASK, RECHECK_TASK], enabled=True)
        .exclude(
            args__in=[
                json.dumps([pk]) for pk in Campaign.objects.filter(active=True).values_list("pk", flat=True)
            ]
        )
        .update(enabled=False)
    )
    if switched_off:
        PeriodicTasks.update_changed()
    return created
