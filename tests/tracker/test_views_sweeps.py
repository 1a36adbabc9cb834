"""/campaigns/<slug>/sweeps/: ops see sweep health and start or resume sweeps; reps get 403."""

import pytest

from tests.factories import CampaignFactory, DomainFactory
from tracker.choices import SweepKind, SweepStatus
from tracker.models import Sweep
from tracker.services.sweeps import sweep_start


@pytest.fixture
def campaign(db):
    return CampaignFactory()


def test_it_is_for_ops_only(rep_client, campaign):
    assert rep_client.get("/campaigns/post-office/sweeps/").status_code == 403
    assert rep_client.post("/campaigns/post-office/sweeps/start/").status_code == 403
    assert not Sweep.objects.exists()


def test_ops_see_the_health_of_each_sweep(ops_client, campaign):
    sweep = sweep_start(campaign, [DomainFactory()], enqueue=False)
    Sweep.objects.filter(pk=sweep.pk).update(
        status=SweepStatus.PARTIAL, alert="DNS server unreachable? 9 of 10 domains timed out", chunks_failed=1
    )
    text = ops_client.get("/campaigns/post-office/sweeps/").content.decode()
    assert "DNS server unreachable?" in text and "Partial" in text
    assert f"/campaigns/post-office/sweeps/{sweep.pk}/resume/" in text


def test_ops_start_a_full_sweep_or_a_recheck(ops_client, campaign):
    DomainFactory()
    response = ops_client.post("/campaigns/post-office/sweeps/start/", {"kind": "full"})
    assert response.status_code == 302
    response = ops_client.post("/campaigns/post-office/sweeps/start/", {"kind": "recheck"})
    kinds = sorted(Sweep.objects.values_list("kind", "total"))
    assert kinds == [(SweepKind.FULL, 1), (SweepKind.RECHECK, 0)]


def test_ops_resume_a_sweep(ops_client, campaign):
    sweep = sweep_start(campaign, [DomainFactory()], enqueue=False)
    response = ops_client.post(f"/campaigns/post-office/sweeps/{sweep.pk}/resume/")
    assert response.status_code == 302


def test_the_list_query_count_is_constant(ops_client, campaign, django_assert_max_num_queries):
    sweep_start(campaign, [DomainFactory()], enqueue=False)
    with django_assert_max_num_queries(12) as few:
        ops_client.get("/campaigns/post-office/sweeps/")
    for _ in range(10):
        sweep_start(campaign, [DomainFactory()], enqueue=False)
    with django_assert_max_num_queries(len(few.captured_queries)):
        ops_client.get("/campaigns/post-office/sweeps/")
