"""Sweeps run here (no worker): storing, idempotent chunks, resume, DNS down."""

import datetime as dt

import pytest
from django.utils import timezone

from tests import conftest_celery
from tests.conftest_celery import clean_zone, legacy_mx_zone, legacy_spf_zone, serve
from tests.factories import CampaignFactory, CustomerFactory, DomainFactory
from tracker.choices import ChunkStatus, SweepStatus, TaskKind, TaskStatus
from tracker.models import Check, DailyFigures, DomainState, FollowUpTask, Sweep, SweepChunk
from tracker.services.sweeps import (
    chunk_run,
    sweep_recheck,
    sweep_resume,
    sweep_run_sync,
    sweep_start,
    sweeps_resume_stalled,
)

# Fixtures from tests/conftest_celery.py (also importable from tests/conftest.py).
dead_nameserver = conftest_celery.dead_nameserver
sweep_dns = conftest_celery.sweep_dns

pytestmark = pytest.mark.django_db


@pytest.fixture
def campaign(db):
    return CampaignFactory()


@pytest.fixture
def many_domains(rep):
    """Six domains of one customer: four legacy SPF, one legacy MX, one clean."""
    customer = CustomerFactory(rep=rep, account_id="ACC-7")
    names = [f"d{i}.example" for i in range(6)]
    return customer, [DomainFactory(customer=customer, name=name) for name in names]


def serve_many(dns_server):
    zones = [legacy_spf_zone(f"d{i}.example") for i in range(4)]
    serve(dns_server, *zones, legacy_mx_zone("d4.example"), clean_zone("d5.example"))


def stored_counts():
    return Check.objects.count(), DomainState.objects.count(), FollowUpTask.objects.count()


def test_a_sweep_stores_one_check_and_one_state_per_domain(campaign, many_domains, sweep_dns):
    serve_many(sweep_dns)
    sweep = sweep_run_sync(sweep_start(campaign, chunk_size=4, enqueue=False))
    assert sweep.status == SweepStatus.DONE
    assert sweep.progress == (6, 6)
    assert (sweep.legacy_count, sweep.clean_count, sweep.inconclusive_count) == (5, 1, 0)
    assert sweep.chunk_count == 2 and sweep.chunks_done == 2
    assert sweep.alert == ""
    assert stored_counts()[:2] == (6, 6)
    state = DomainState.objects.get(domain__name="d0.example")
    assert state.verdict == "legacy" and state.has_legacy_spf_include and not state.has_legacy_mx
    assert state.breaks_on_legacy_removal is True and state.has_dmarc is True
    assert DomainState.objects.get(domain__name="d4.example").has_legacy_mx
    assert DomainState.objects.get(domain__name="d5.example").verdict == "clean"


def test_repeated_sweeps_extend_spans_instead_of_adding_rows(campaign, many_domains, sweep_dns):
    serve_many(sweep_dns)
    for _ in range(3):
        sweep_run_sync(sweep_start(campaign, enqueue=False))
    assert stored_counts() == (6, 6, 5)
    assert set(Check.objects.values_list("times_seen", flat=True)) == {3}


def test_a_chunk_retried_after_a_crash_stores_the_same_state_without_duplicates(
    campaign, many_domains, sweep_dns
):
    serve_many(sweep_dns)
    sweep = sweep_start(campaign, enqueue=False)
    chunk = sweep.chunks.get()

    def crash_halfway(stored: int) -> None:
        if stored == 3:
            raise RuntimeError("worker killed")

    with pytest.raises(RuntimeError):
        chunk_run(chunk.pk, claimed_by="task-1", after_domain=crash_halfway)
    assert stored_counts() == (0, 0, 0)  # half a chunk is never stored
    chunk.refresh_from_db()
    assert chunk.status == ChunkStatus.RUNNING and chunk.attempts == 1

    # Another worker cannot take a chunk whose claim is alive; the redelivered message can.
    assert chunk_run(chunk.pk, claimed_by="task-2") is None
    result = chunk_run(chunk.pk, claimed_by="task-1")
    assert result.checked == 6 and result.opened == 5
    assert stored_counts() == (6, 6, 5)
    # A late duplicate delivery of a finished chunk changes nothing.
    assert chunk_run(chunk.pk, claimed_by="task-1") is None
    assert stored_counts() == (6, 6, 5)
    assert set(Check.objects.values_list("times_seen", flat=True)) == {1}
    sweep.refresh_from_db()
    assert sweep.status == SweepStatus.DONE and sweep.progress == (6, 6)


def test_a_sweep_that_lost_a_worker_is_resumed_and_says_what_it_never_checked(
    campaign, many_domains, sweep_dns
):
    serve_many(sweep_dns)
    sweep = sweep_start(campaign, chunk_size=4, enqueue=False)
    first, second = sweep.chunks.order_by("index")
    chunk_run(first.pk)
    SweepChunk.objects.filter(pk=second.pk).update(status=ChunkStatus.RUNNING, claimed_by="dead-worker")
    sweep.refresh_from_db()
    assert sweep.status == SweepStatus.RUNNING
    assert sorted(d.name for d in sweep.domains_never_checked()) == ["d4.example", "d5.example"]

    assert sweep_resume(sweep, enqueue=False) == 1
    sweep_run_sync(sweep)
    assert sweep.status == SweepStatus.DONE and sweep.progress == (6, 6)
    assert list(sweep.domains_never_checked()) == []
    assert stored_counts()[:2] == (6, 6)


def test_the_minute_job_requeues_a_dead_claim_and_leaves_live_ones_alone(
    campaign, many_domains, django_capture_on_commit_callbacks
):
    sweep = sweep_start(campaign, chunk_size=2, enqueue=False)
    live, lost, waiting = sweep.chunks.order_by("index")
    long_ago = timezone.now() - dt.timedelta(hours=2)
    Sweep.objects.filter(pk=sweep.pk).update(created_at=long_ago, status="running")
    SweepChunk.objects.filter(pk=live.pk).update(status=ChunkStatus.RUNNING, heartbeat_at=timezone.now())
    SweepChunk.objects.filter(pk=lost.pk).update(status=ChunkStatus.RUNNING, heartbeat_at=long_ago)

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        # A worker is alive: the queue is presumed alive too, only the dead claim is sent again.
        assert sweeps_resume_stalled() == 1
    assert len(callbacks) == 1
    statuses = dict(sweep.chunks.values_list("pk", "status"))
    assert statuses == {live.pk: "running", lost.pk: "queued", waiting.pk: "queued"}
    sweep.refresh_from_db()
    assert not sweep.is_stalled


def test_with_no_worker_alive_lost_messages_are_resent_once_per_lease_and_the_sweep_is_stalled(
    campaign, many_domains, django_capture_on_commit_callbacks
):
    sweep = sweep_start(campaign, chunk_size=2, enqueue=False)
    first, lost, waiting = sweep.chunks.order_by("index")
    long_ago = timezone.now() - dt.timedelta(hours=2)
    Sweep.objects.filter(pk=sweep.pk).update(created_at=long_ago, status="running")
    SweepChunk.objects.filter(pk=first.pk).update(status=ChunkStatus.DONE, heartbeat_at=long_ago, checked=2)
    SweepChunk.objects.filter(pk=lost.pk).update(status=ChunkStatus.RUNNING, heartbeat_at=long_ago)

    with django_capture_on_commit_callbacks(execute=False):
        assert sweeps_resume_stalled() == 2  # the dead claim and the message the broker lost
    sweep.refresh_from_db()
    assert sweep.is_stalled and sweep.can_resume
    assert "Stalled" in sweep.stall_reason and "2 of 3 chunks unfinished" in sweep.stall_reason
    assert sweep.stall_reason in sweep.alert  # what the ops summary mails
    with django_capture_on_commit_callbacks(execute=False):
        assert sweeps_resume_stalled() == 0  # just re-sent: not again within the lease
    # A worker takes a chunk: the sweep is no longer stalled, the alert keeps what happened.
    SweepChunk.objects.filter(pk=lost.pk).update(status=ChunkStatus.RUNNING, heartbeat_at=timezone.now())
    with django_capture_on_commit_callbacks(execute=False):
        sweeps_resume_stalled()
    sweep.refresh_from_db()
    assert not sweep.is_stalled and "Stalled" in sweep.alert


def test_the_minute_job_closes_a_sweep_whose_last_worker_died_before_closing_it(campaign, many_domains):
    sweep = sweep_start(campaign, enqueue=False)
    long_ago = timezone.now() - dt.timedelta(hours=2)
    Sweep.objects.filter(pk=sweep.pk).update(created_at=long_ago, status="running")
    sweep.chunks.update(status=ChunkStatus.DONE, checked=6)
    sweeps_resume_stalled()
    sweep.refresh_from_db()
    assert sweep.status == SweepStatus.DONE and sweep.progress == (6, 6)


def test_a_recheck_sweeps_only_legacy_and_inconclusive_domains(campaign, many_domains, sweep_dns):
    serve_many(sweep_dns)
    sweep_run_sync(sweep_start(campaign, enqueue=False))
    recheck = sweep_run_sync(sweep_recheck(campaign, enqueue=False))
    assert recheck.kind == "recheck" and recheck.total == 5


def test_an_empty_sweep_is_done_at_once(campaign):
    sweep = sweep_start(campaign, [], enqueue=False)
    sweep.refresh_from_db()
    assert sweep.status == SweepStatus.DONE and sweep.progress == (0, 0)


def test_dns_down_leaves_nothing_clean_closes_nothing_and_raises_the_alert(
    campaign, many_domains, sweep_dns, dead_nameserver, settings
):
    serve_many(sweep_dns)
    sweep_run_sync(sweep_start(campaign, enqueue=False))
    open_before = set(FollowUpTask.objects.filter(status=TaskStatus.OPEN).values_list("pk", flat=True))
    assert len(open_before) == 5

    settings.DNS_NAMESERVERS = [dead_nameserver]
    sweep = sweep_run_sync(sweep_start(campaign, enqueue=False))

    assert sweep.status == SweepStatus.DONE
    assert sweep.inconclusive_count == 6 and sweep.clean_count == 0 and sweep.timeout_count == 6
    assert "6 of 6 domains" in sweep.alert and "timed out" in sweep.alert
    assert set(DomainState.objects.values_list("verdict", flat=True)) == {"inconclusive"}
    assert not DomainState.objects.filter(verdict="clean").exists()
    # Last known facts are kept: the legacy domains still count as breaking on removal.
    assert DomainState.objects.filter(breaks_on_legacy_removal=True).count() == 4
    assert (
        set(FollowUpTask.objects.filter(status=TaskStatus.OPEN).values_list("pk", flat=True)) == open_before
    )
    assert not FollowUpTask.objects.filter(kind=TaskKind.INCONCLUSIVE_REPEATED).exists()


def test_the_chunks_of_one_sweep_ask_a_shared_include_once(campaign, many_domains, sweep_dns):
    serve_many(sweep_dns)
    sweep_run_sync(sweep_start(campaign, chunk_size=2, enqueue=False))  # three chunks, one process
    assert sweep_dns.count("spf.po.2iij.net", "TXT") == 1
    # A new sweep asks again: it must see DNS as it is now.
    sweep_dns.clear_log()
    sweep_run_sync(sweep_start(campaign, chunk_size=2, enqueue=False))
    assert sweep_dns.count("spf.po.2iij.net", "TXT") == 1


def test_a_sweep_stops_reusing_answers_after_a_while(campaign, many_domains, sweep_dns, monkeypatch):
    from tracker.services import sweeps

    serve_many(sweep_dns)
    sweep = sweep_start(campaign, chunk_size=2, enqueue=False)
    first, second, third = sweep.chunks.order_by("index")
    chunk_run(first.pk)
    monkeypatch.setattr(sweeps, "SWEEP_CACHE_MAX_AGE_S", 0.0)
    chunk_run(second.pk)
    assert sweep_dns.count("spf.po.2iij.net", "TXT") == 2


def test_the_progress_counts_each_chunk_as_it_finishes(campaign, many_domains, sweep_dns):
    serve_many(sweep_dns)
    sweep = sweep_start(campaign, chunk_size=2, enqueue=False)  # three chunks
    first, *_rest = sweep.unfinished_chunks().values_list("pk", flat=True)
    chunk_run(first)
    sweep.refresh_from_db()
    assert sweep.status == SweepStatus.RUNNING
    assert (sweep.done, sweep.chunks_done, sweep.chunk_count) == (2, 1, 3)


def test_a_finished_sweep_records_the_days_dashboard_figures(campaign, many_domains, sweep_dns):
    serve_many(sweep_dns)
    sweep_run_sync(sweep_start(campaign, chunk_size=4, enqueue=False))
    figures = DailyFigures.objects.get(campaign=campaign, day=timezone.localdate())
    # Four legacy SPF and one legacy MX domain, all of one customer; the four SPF ones break.
    assert (figures.legacy_domains, figures.legacy_customers, figures.unknown_domains) == (5, 1, 0)
    assert (figures.breaking_domains, figures.breaking_customers) == (4, 1)
