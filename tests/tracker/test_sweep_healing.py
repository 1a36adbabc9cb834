"""Sweeps that heal and say so: heartbeats, stalled sweeps, and a broker that is down (issue 12).

The broker that is "down" is a loopback port nobody listens on; the live one is
the test Redis. Before the fix, starting a sweep with the broker down returned
500 and left a committed ghost sweep, and `sweep --resume` marked the sweep
running before failing to queue it.
"""

import datetime as dt
import socket
import threading

import pytest
from celery import current_app
from django.core.management import CommandError, call_command
from django.db import connections
from django.utils import timezone

from tests import conftest_celery
from tests.conftest_celery import legacy_spf_zone, serve
from tests.factories import CampaignFactory, CustomerFactory, DomainFactory
from tracker.choices import ChunkStatus, SweepStatus
from tracker.models import Sweep, SweepChunk
from tracker.services import enqueue, sweeps
from tracker.services.enqueue import BrokerUnavailable
from tracker.services.sweeps import chunk_run, sweep_start, sweeps_resume_stalled

sweep_dns = conftest_celery.sweep_dns

# Run with the fault tests, in a pytest process of their own (scripts/test.sh): in the whole suite's
# process, leaked Celery/connection state kept the refused broker from being seen.
pytestmark = [pytest.mark.django_db, pytest.mark.faults]


@pytest.fixture
def campaign(db):
    return CampaignFactory()


@pytest.fixture
def domains(db):
    customer = CustomerFactory()
    return [DomainFactory(customer=customer, name=f"h{i}.example") for i in range(3)]


@pytest.fixture
def broker_down(settings, monkeypatch):
    """The broker setting points at a loopback port that refuses connections."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = f"redis://127.0.0.1:{port}/0"
    before = current_app.conf.broker_url
    settings.CELERY_BROKER_URL = url
    monkeypatch.setenv("CELERY_BROKER_URL", url)  # Celery reads it before its configuration
    current_app.conf.broker_url = url
    yield url
    current_app.conf.broker_url = before


def test_starting_a_sweep_with_the_broker_down_is_a_clear_error_and_saves_nothing(
    campaign, domains, broker_down
):
    with pytest.raises(BrokerUnavailable, match="unreachable: nothing was queued"):
        sweep_start(campaign)
    assert not Sweep.objects.exists() and not SweepChunk.objects.exists()


def test_the_sweeps_page_says_the_broker_is_down_instead_of_a_500(ops_client, campaign, domains, broker_down):
    response = ops_client.post("/campaigns/post-office/sweeps/start/", {"kind": "full"}, follow=True)
    assert response.status_code == 200
    text = response.content.decode()
    assert "The sweep was not started." in text and "unreachable" in text
    assert not Sweep.objects.exists()


def test_manage_py_sweep_exits_non_zero_with_a_sentence_when_the_broker_is_down(
    campaign, domains, broker_down
):
    with pytest.raises(CommandError, match="task queue .* is unreachable"):
        call_command("sweep", "--campaign", campaign.slug)
    assert not Sweep.objects.exists()


def test_resume_with_the_broker_down_changes_nothing(campaign, domains, broker_down):
    sweep = sweep_start(campaign, chunk_size=2, enqueue=False)
    SweepChunk.objects.filter(sweep=sweep).update(status=ChunkStatus.FAILED, error="lost")
    Sweep.objects.filter(pk=sweep.pk).update(status=SweepStatus.PARTIAL)
    with pytest.raises(CommandError, match="unreachable"):
        call_command("sweep", "--resume", str(sweep.pk))
    sweep.refresh_from_db()
    assert sweep.status == SweepStatus.PARTIAL
    assert set(sweep.chunks.values_list("status", flat=True)) == {ChunkStatus.FAILED}


@pytest.mark.django_db(transaction=True)
def test_a_broker_lost_between_the_check_and_the_send_leaves_a_failed_resumable_sweep(
    campaign, domains, broker_down, monkeypatch
):
    """No ghost: the committed sweep is marked failed (its chunks not queued), and resumable."""
    monkeypatch.setattr(sweeps, "broker_check", lambda: None)  # the broker dies right after the check
    with pytest.raises(BrokerUnavailable):
        sweep_start(campaign, chunk_size=2)
    sweep = Sweep.objects.get()
    assert sweep.status == SweepStatus.FAILED and "unreachable" in sweep.error
    assert set(sweep.chunks.values_list("status", flat=True)) == {ChunkStatus.FAILED}
    assert sweep.can_resume


@pytest.mark.django_db(transaction=True)
def test_a_worker_renews_its_claim_while_it_probes(campaign, domains, sweep_dns, settings):
    settings.SWEEP_HEARTBEAT_S = 0.1
    serve(sweep_dns, *(legacy_spf_zone(d.name) for d in domains))
    sweep_dns.latency = 0.15  # a chunk takes a few answers' time: several heartbeats
    sweep = sweep_start(campaign, enqueue=False)
    chunk = sweep.chunks.get()
    renewed = []  # heartbeats seen while the chunk was still running, by another connection

    def watch():
        while not stop.wait(0.05):
            row = SweepChunk.objects.filter(pk=chunk.pk).values_list("status", "started_at", "heartbeat_at")[
                0
            ]
            if row[0] == ChunkStatus.RUNNING and row[2] > row[1]:
                renewed.append(row[2])
        connections.close_all()

    stop = threading.Event()
    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        chunk_run(chunk.pk, claimed_by="task-1")
    finally:
        stop.set()
        watcher.join()
    assert SweepChunk.objects.get(pk=chunk.pk).status == ChunkStatus.DONE
    assert len(set(renewed)) >= 2


def test_a_dead_claim_is_claimable_again_after_the_lease_not_after_half_an_hour(campaign, domains, settings):
    settings.SWEEP_CHUNK_LEASE_S = 120
    sweep = sweep_start(campaign, enqueue=False)
    chunk = sweep.chunks.get()
    assert chunk.claim("dead-worker")
    assert not SweepChunk.objects.get(pk=chunk.pk).claim("another")  # the claim is fresh
    SweepChunk.objects.filter(pk=chunk.pk).update(heartbeat_at=timezone.now() - dt.timedelta(minutes=3))
    assert SweepChunk.objects.get(pk=chunk.pk).claim("another")


def test_a_stalled_sweep_shows_why_and_ops_get_a_resume_button(
    ops_client, campaign, domains, django_capture_on_commit_callbacks
):
    sweep = sweep_start(campaign, enqueue=False)
    Sweep.objects.filter(pk=sweep.pk).update(
        created_at=timezone.now() - dt.timedelta(minutes=10), status=SweepStatus.RUNNING
    )
    with django_capture_on_commit_callbacks(execute=False):
        sweeps_resume_stalled()
    text = ops_client.get("/campaigns/post-office/sweeps/").content.decode()
    assert "sweep-stalled" in text and "no worker has worked on this sweep" in text
    assert f"/campaigns/post-office/sweeps/{sweep.pk}/resume/" in text
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = ops_client.post(f"/campaigns/post-office/sweeps/{sweep.pk}/resume/")
    assert response.status_code == 302 and len(callbacks) == 1
    sweep.refresh_from_db()
    assert not sweep.is_stalled and sweep.status == SweepStatus.RUNNING


def test_the_stalled_job_runs_every_minute(db):
    from django_celery_beat.models import PeriodicTask

    from tracker.services.schedules import RESUME_STALLED_TASK, ensure_schedules

    ensure_schedules()
    row = PeriodicTask.objects.get(task=RESUME_STALLED_TASK)
    assert (row.crontab.minute, row.crontab.hour) == ("*", "*")


def test_the_broker_url_shown_hides_its_password():
    assert enqueue._safe_url("redis://:secret@127.0.0.1:6379/0") == "redis://***@127.0.0.1:6379/0"


def test_re_check_now_with_the_broker_down_says_so_in_place_of_a_500(rep_client, customer, broker_down):
    CampaignFactory()
    domain = DomainFactory(customer=customer, name="mine.example")
    response = rep_client.post(f"/domains/{domain.pk}/recheck/")
    assert response.status_code == 200
    assert "Not re-checked." in response.content.decode() and "unreachable" in response.content.decode()
    assert not Sweep.objects.exists()
