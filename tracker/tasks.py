"""Celery tasks (jobs for the workers): thin wrappers (names, time limits, retries) over services.

The names are stored in django-celery-beat's rows and in queued messages: they
never change. Services queue these by name (tracker.services.enqueue), so this
module is the only one that imports both Celery and the services.

Tasks take ids. They retry only on infrastructure failures (database or broker
unreachable); a DNS failure is a result stored as `inconclusive`, and any
other error marks the chunk failed so the sweep ends `partial` and can be
resumed (`manage.py sweep --resume SWEEP_ID`).
"""

from __future__ import annotations

import logging

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerError

from tracker.models import Campaign
from tracker.services import alerts, digests, schedules
from tracker.services.daily_figures import daily_figures_record_active
from tracker.services.followups import followups_wake_snoozed
from tracker.services.imports import import_job_run
from tracker.services.sweeps import chunk_fail, chunk_run, sweep_recheck, sweep_start, sweeps_resume_stalled

log = logging.getLogger(__name__)

INFRASTRUCTURE_ERRORS = (OperationalError, InterfaceError, BrokerError)


@shared_task(
    name="tracker.run_sweep_chunk",
    bind=True,
    soft_time_limit=600,
    time_limit=660,
    max_retries=5,
    acks_late=True,
)
def run_sweep_chunk(self, chunk_id: int) -> dict | None:
    try:
        result = chunk_run(chunk_id, claimed_by=self.request.id or "")
    except INFRASTRUCTURE_ERRORS as exc:
        # Same task id on retry: the chunk's claim stays valid.
        raise self.retry(exc=exc, countdown=min(300, 10 * 2**self.request.retries)) from exc
    except SoftTimeLimitExceeded:
        chunk_fail(chunk_id, "time limit exceeded")
        raise
    except Exception as exc:
        chunk_fail(chunk_id, f"{type(exc).__name__}: {exc}")
        raise
    return None if result is None else result.__dict__


@shared_task(name="tracker.sweep_campaign", soft_time_limit=120, time_limit=150, acks_late=True)
def sweep_campaign(campaign_id: int) -> int | None:
    """Beat's daily full sweep: plan it (chunks are queued as their own tasks)."""
    campaign = Campaign.objects.filter(pk=campaign_id).first()
    if campaign is None or not schedules.campaign_needs_sweeps(campaign, timezone.localdate()):
        return None
    return sweep_start(campaign, label="scheduled").pk


@shared_task(name="tracker.recheck_campaign_if_due", soft_time_limit=120, time_limit=150, acks_late=True)
def recheck_campaign_if_due(campaign_id: int) -> int | None:
    """Fires hourly; re-checks legacy and inconclusive domains when the campaign dates say so."""
    campaign = Campaign.objects.filter(pk=campaign_id).first()
    if campaign is None or not schedules.recheck_due(campaign, timezone.now()):
        return None
    return sweep_recheck(campaign).pk


@shared_task(name="tracker.send_rep_digests", soft_time_limit=300, time_limit=330)
def send_rep_digests() -> int:
    return digests.send_rep_digests()


@shared_task(name="tracker.send_ops_summary", soft_time_limit=300, time_limit=330)
def send_ops_summary() -> int:
    return digests.send_ops_summary()


@shared_task(name="tracker.wake_snoozed_tasks", soft_time_limit=60, time_limit=90)
def wake_snoozed_tasks() -> int:
    return followups_wake_snoozed()


@shared_task(name="tracker.resume_stalled_sweeps", soft_time_limit=60, time_limit=90)
def resume_stalled_sweeps() -> int:
    return sweeps_resume_stalled()


@shared_task(name="tracker.deliver_alert", bind=True, soft_time_limit=60, time_limit=90, acks_late=True)
def deliver_alert(self, delivery_id: int) -> str:
    """One alert to one channel; a refusal is retried with a doubling delay, then logged as failed."""
    final = self.request.retries >= settings.ALERT_MAX_RETRIES
    try:
        return alerts.delivery_send(delivery_id, final=final).status
    except alerts.DeliveryFailed as exc:
        if final:
            log.warning("alert delivery %s failed for good: %s", delivery_id, exc)
            return "failed"
        countdown = settings.ALERT_RETRY_DELAY_S * 2**self.request.retries
        raise self.retry(exc=exc, countdown=countdown, max_retries=settings.ALERT_MAX_RETRIES) from exc


@shared_task(name="tracker.daily_alerts", soft_time_limit=120, time_limit=150)
def daily_alerts() -> int:
    return alerts.alerts_daily()


@shared_task(name="tracker.record_daily_figures", soft_time_limit=300, time_limit=330)
def record_daily_figures(campaign_id: int | None = None) -> int:
    return daily_figures_record_active(campaign_id=campaign_id)


@shared_task(name="tracker.run_import_job", soft_time_limit=1700, time_limit=1800, acks_late=True)
def run_import_job(job_id: int) -> int | None:
    """A big customer import (tracker.services.imports): all or nothing, its report on the job."""
    job = import_job_run(job_id)
    return None if job is None else job.pk
