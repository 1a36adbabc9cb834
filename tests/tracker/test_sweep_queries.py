"""Query-count baseline: storing a chunk costs a fixed number of queries, whatever its size."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests import conftest_celery
from tests.conftest_celery import legacy_spf_zone, serve
from tests.factories import CampaignFactory, CustomerFactory, DomainFactory
from tracker.services.sweeps import chunk_run, sweep_start

sweep_dns = conftest_celery.sweep_dns

pytestmark = pytest.mark.django_db


def queries_for_a_sweep(campaign, domains) -> int:
    sweep = sweep_start(campaign, domains, enqueue=False)
    with CaptureQueriesContext(connection) as queries:
        chunk_run(sweep.chunks.get().pk)
    return len(queries)


def sweep_twice(rep, dns_server, count: int) -> tuple[int, int]:
    campaign = CampaignFactory()
    names = [f"q{count}-{i}.example" for i in range(count)]
    domains = [DomainFactory(customer=CustomerFactory(rep=rep), name=name) for name in names]
    serve(dns_server, *[legacy_spf_zone(name) for name in names])
    return queries_for_a_sweep(campaign, domains), queries_for_a_sweep(campaign, domains)


def test_an_unchanged_sweep_costs_the_same_queries_for_3_or_12_domains(rep, sweep_dns):
    _, small = sweep_twice(rep, sweep_dns, 3)
    _, large = sweep_twice(rep, sweep_dns, 12)
    # 25 (with the lock that keeps deleted domains out and the savepoint that isolates refused data),
    # plus 6 once per sweep: the closing chunk records the day's dashboard figures (issue 15).
    assert small == large <= 31


def test_a_first_sweep_costs_a_fixed_number_of_queries_too(rep, sweep_dns):
    first_small, _ = sweep_twice(rep, sweep_dns, 3)
    first_large, again = sweep_twice(rep, sweep_dns, 12)
    # States, spans and tasks are inserted in bulk: a few more queries than an unchanged sweep.
    assert first_small == first_large <= again + 8
