"""End to end: real Redis broker, real Celery worker, real DNS server on loopback.

Periodic tasks are started the way beat starts them: by sending the task name
stored in the PeriodicTask row, with its stored arguments.
"""

import json

import pytest
from django_celery_beat.models import PeriodicTask

from tests import conftest_celery
from tests.conftest_celery import clean_zone, legacy_mx_zone, legacy_spf_zone, serve, wait_for
from tests.factories import CampaignFactory, CustomerFactory, DomainFactory
from tracker.choices import SweepStatus, TaskKind, TaskStatus
from tracker.models import Check, DomainState, FollowUpTask, Sweep
from tracker.services.schedules import ensure_schedules, full_sweep_name
from tracker.services.sweeps import sweep_start

# Fixtures from tests/conftest_celery.py (also importable from tests/conftest.py).
celery_app = conftest_celery.celery_app
celery_worker = conftest_celery.celery_worker
dead_nameserver = conftest_celery.dead_nameserver
redis_url = conftest_celery.redis_url
sweep_dns = conftest_celery.sweep_dns

pytestmark = [pytest.mark.celery, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def campaign(transactional_db):
    return CampaignFactory()


@pytest.fixture
def acme(transactional_db, rep):
    customer = CustomerFactory(name="Acme", account_id="ACC-1", rep=rep)
    return [DomainFactory(customer=customer, name=name) for name in ("a.example", "b.example", "c.example")]


def fire_like_beat(app, name: str):
    """What beat does when a periodic task is due: send its task name with its stored arguments."""
    periodic = PeriodicTask.objects.get(name=name)
    return app.send_task(periodic.task, args=json.loads(periodic.args), kwargs=json.loads(periodic.kwargs))


def finished_sweep(**filters):
    return wait_for(
        lambda: Sweep.objects.filter(
            status__in=[SweepStatus.DONE, SweepStatus.PARTIAL, SweepStatus.FAILED], **filters
        ).first()
    )


def test_a_beat_scheduled_sweep_stores_checks_and_opens_tasks(
    celery_app, celery_worker, campaign, acme, sweep_dns, rep
):
    serve(sweep_dns, legacy_spf_zone("a.example"), legacy_mx_zone("b.example"), clean_zone("c.example"))
    ensure_schedules()
    fire_like_beat(celery_app, full_sweep_name(campaign))

    sweep = finished_sweep(campaign=campaign)
    assert sweep.status == SweepStatus.DONE and sweep.progress == (3, 3)
    assert Check.objects.count() == 3 and DomainState.objects.count() == 3
    tasks = {(t.domain.name, t.kind, t.assignee) for t in FollowUpTask.objects.select_related("domain")}
    assert tasks == {
        ("a.example", TaskKind.LEGACY_SPF_INCLUDE, rep),
        ("b.example", TaskKind.LEGACY_MX, rep),
    }


def test_a_dns_fix_followed_by_a_sweep_closes_the_right_task(
    celery_app, celery_worker, campaign, acme, sweep_dns
):
    serve(sweep_dns, legacy_spf_zone("a.example"), legacy_mx_zone("b.example"), clean_zone("c.example"))
    sweep_start(campaign)
    finished_sweep(campaign=campaign)
    assert FollowUpTask.objects.filter(status=TaskStatus.OPEN).count() == 2

    serve(sweep_dns, clean_zone("a.example"), legacy_mx_zone("b.example"), clean_zone("c.example"))
    second = sweep_start(campaign, label="after the fix")
    finished_sweep(pk=second.pk)

    fixed = FollowUpTask.objects.get(domain__name="a.example")
    assert fixed.status == TaskStatus.AUTO_CLOSED and fixed.closed_at is not None
    assert fixed.closing_evidence["check_verdict"] == "clean"
    assert FollowUpTask.objects.get(domain__name="b.example").status == TaskStatus.OPEN
    assert DomainState.objects.get(domain__name="a.example").verdict == "clean"


def test_dns_down_on_the_worker_leaves_nothing_clean_and_raises_the_alert(
    celery_app, celery_worker, campaign, acme, dead_nameserver, settings
):
    settings.DNS_NAMESERVERS = [dead_nameserver]
    settings.DNS_TIMEOUT = 0.2
    sweep_start(campaign)
    sweep = finished_sweep(campaign=campaign)
    assert sweep.inconclusive_count == 3 and sweep.clean_count == 0
    assert "3 of 3 domains" in sweep.alert
    assert not DomainState.objects.exclude(verdict="inconclusive").exists()


def test_a_recheck_fired_by_beat_runs_only_when_due(celery_app, celery_worker, campaign, acme, sweep_dns):
    serve(sweep_dns, legacy_spf_zone("a.example"), clean_zone("b.example"), clean_zone("c.example"))
    ensure_schedules()
    fire_like_beat(celery_app, full_sweep_name(campaign))
    finished_sweep(campaign=campaign)
    # A full sweep just ran: the hourly re-check finds nothing due and starts no sweep.
    name = PeriodicTask.objects.get(task="tracker.recheck_campaign_if_due").name
    fire_like_beat(celery_app, name)
    fire_like_beat(celery_app, full_sweep_name(campaign))  # a marker that the queue moved on
    wait_for(lambda: Sweep.objects.count() == 2)
    assert not Sweep.objects.filter(kind="recheck").exists()
