"""`manage.py sweep`: re-check one domain or customer now, resume a sweep, report what was missed."""

import pytest
from django.core.management import CommandError, call_command

from tests import conftest_celery
from tests.conftest_celery import clean_zone, legacy_spf_zone, serve
from tests.factories import CampaignFactory, DomainFactory
from tracker.choices import ChunkStatus
from tracker.models import Check, DomainState, Sweep, SweepChunk
from tracker.services.sweeps import chunk_run, sweep_start

# Fixtures from tests/conftest_celery.py (also importable from tests/conftest.py).
sweep_dns = conftest_celery.sweep_dns

pytestmark = pytest.mark.django_db


@pytest.fixture
def campaign(db):
    return CampaignFactory()


def test_it_rechecks_one_domain_here_and_now(campaign, customer, other_customer, sweep_dns, capsys):
    serve(sweep_dns, legacy_spf_zone("acme.example"), clean_zone("bobcat.example"))
    call_command("sweep", "--domain", "ACME.example.", "--sync")
    out = capsys.readouterr().out
    assert "done: 1/1 checked, 1 legacy" in out
    sweep = Sweep.objects.get()
    assert sweep.kind == "single" and sweep.label == "ACME.example."
    assert list(DomainState.objects.values_list("domain__name", flat=True)) == ["acme.example"]


def test_it_rechecks_every_domain_of_one_customer(campaign, customer, other_customer, sweep_dns, capsys):
    DomainFactory(customer=customer, name="shop.acme.example")
    serve(sweep_dns, legacy_spf_zone("acme.example"), clean_zone("shop.acme.example"))
    call_command("sweep", "--customer", "ACC-1001", "--sync", "--campaign", "post-office")
    assert "done: 2/2 checked, 1 legacy, 1 clean" in capsys.readouterr().out


def test_it_refuses_unknown_names(campaign, customer):
    with pytest.raises(CommandError, match="no domain"):
        call_command("sweep", "--domain", "nope.example", "--sync")
    with pytest.raises(CommandError, match="no campaign"):
        call_command("sweep", "--campaign", "nope", "--sync")
    with pytest.raises(CommandError, match="no sweep"):
        call_command("sweep", "--resume", "999")


def test_resume_reports_what_was_never_checked_and_finishes_the_sweep(
    campaign, customer, other_customer, sweep_dns, capsys
):
    serve(sweep_dns, legacy_spf_zone("acme.example"), clean_zone("bobcat.example"))
    sweep = sweep_start(campaign, chunk_size=1, enqueue=False)
    first, second = sweep.chunks.order_by("index")
    chunk_run(first.pk)
    SweepChunk.objects.filter(pk=second.pk).update(status=ChunkStatus.RUNNING, claimed_by="lost")

    call_command("sweep", "--resume", str(sweep.pk), "--sync")
    out = capsys.readouterr().out
    assert f"sweep {sweep.pk}: 1 of 2 domains never checked" in out
    assert "done: 2/2 checked" in out
    assert Check.objects.count() == 2


def test_without_sync_it_only_queues(campaign, customer, django_capture_on_commit_callbacks, capsys):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        call_command("sweep")
    assert len(callbacks) == 1  # the chunk tasks are sent once the sweep is committed
    assert "queued: 1 domains in 1 chunks" in capsys.readouterr().out
