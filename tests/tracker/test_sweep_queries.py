"""Query-count baseline: storing a chunk costs a fixed number of queries, whatever its size."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests import conftest_celery
from tests.conftest_celery import legacy_spf_zone, serve
from tests.factories import CampaignFactory, CustomerFactory, DomainFactory
from tracker.sweeps import chunk_run, sweep_start

sweep_dns = conftest_celery.sweep_dns

pytestmark = pytest.mark.django_db


def queries_for_a_sweep(campaign) -> int:
    sweep = sweep_start(campaign, enqueue=False)
    with CaptureQueriesContext(connection) as queries:
        chunk_run(sweep.chunks.get().pk)
    return len(queries)


def sweep_twice(rep, dns_server, count: int) -> tuple[int, int]:
    campaign = CampaignFactory()
    names = [f"q{i}.example" for i in range(count)]
    for name in names:
        DomainFactory(customer=CustomerFactory(rep=rep), name=name)
    serve(dns_server, *[legacy_spf_zone(name) for name in names])
    return queries_for_a_sweep(campaign), queries_for_a_sweep(campaign)


def test_an_unchanged_sweep_costs_the_same_queries_for_3_or_12_domains(rep, sweep_dns):
    _, small = sweep_twice(rep, sweep_dns, 3)
    assert small <= 25


def test_a_larger_chunk_costs_no_more_queries_when_nothing_changed(rep, sweep_dns):
    first, again = sweep_twice(rep, sweep_dns, 12)
    assert again <= 25
    # The first sweep also creates the state rows (2 queries), then fills each, and opens a task each.
    assert first <= again + 2 + 12 + 12
