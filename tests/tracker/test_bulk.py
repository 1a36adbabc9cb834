"""bulk_update(): every row gets its own values, of every column type the sweeps write."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import CampaignFactory, CustomerFactory, DomainFactory
from tracker.models import Check, DomainState
from tracker.services.bulk import bulk_insert, bulk_update

pytestmark = pytest.mark.django_db

T0 = dt.datetime(2026, 11, 1, 2, 0, tzinfo=dt.UTC)


def test_each_row_gets_its_own_values_nulls_and_json_included(rep):
    campaign = CampaignFactory()
    customer = CustomerFactory(rep=rep)
    states = []
    for i in range(3):
        domain = DomainFactory(customer=customer, name=f"b{i}.example")
        check = Check.objects.create(
            campaign=campaign, domain=domain, verdict="legacy", fingerprint=f"f{i}", report={"i": i}
        )
        states.append(DomainState.objects.create(campaign=campaign, domain=domain, verdict="legacy"))
    states[0].latest_check = Check.objects.get(fingerprint="f0")
    states[0].verdict, states[0].on_successor = "clean", True
    states[0].reference_kinds = ["mx", "spf-include"]
    states[0].last_checked_at = T0
    states[1].verdict, states[1].on_successor = "inconclusive", None
    states[1].deprecated_tags = ["pct", 'it\'s "quoted"']
    states[1].spf_lookups = 11
    states[2].latest_check = check
    states[2].last_checked_at = T0 + dt.timedelta(hours=1)

    fields = ["latest_check", "verdict", "on_successor", "reference_kinds", "deprecated_tags", "spf_lookups"]
    with CaptureQueriesContext(connection) as queries:
        bulk_update(states, [*fields, "last_checked_at"])
    if connection.vendor == "postgresql":
        assert len(queries) == 1

    first, second, third = (DomainState.objects.get(pk=state.pk) for state in states)
    assert (first.verdict, first.on_successor, first.reference_kinds) == (
        "clean",
        True,
        ["mx", "spf-include"],
    )
    assert first.latest_check.fingerprint == "f0" and first.last_checked_at == T0
    assert (second.verdict, second.on_successor, second.spf_lookups) == ("inconclusive", None, 11)
    assert second.deprecated_tags == ["pct", 'it\'s "quoted"'] and second.latest_check is None
    assert third.latest_check == check and third.last_checked_at == T0 + dt.timedelta(hours=1)
    assert third.verdict == "legacy" and third.reference_kinds == []


def test_nothing_to_update_sends_nothing():
    with CaptureQueriesContext(connection) as queries:
        bulk_update([], ["verdict"])
    assert len(queries) == 0


def test_inserted_rows_get_their_primary_keys_in_order_and_keep_every_value(rep):
    campaign = CampaignFactory()
    customer = CustomerFactory(rep=rep)
    domains = [DomainFactory(customer=customer, name=f"i{i}.example") for i in range(3)]
    hostile = {"record": 'v=spf1 include:"quoted"\\back\\slash <script>', "names": ["ドメイン.jp", None]}
    checks = [
        Check(
            campaign=campaign,
            domain=domain,
            verdict="legacy",
            fingerprint=f"g{i}",
            report={**hostile, "i": i},
        )
        for i, domain in enumerate(domains)
    ]
    with CaptureQueriesContext(connection) as queries:
        bulk_insert(checks)
    if connection.vendor == "postgresql":
        assert len(queries) == 1
    assert all(check.pk and not check._state.adding for check in checks)
    for i, check in enumerate(checks):
        stored = Check.objects.get(pk=check.pk)
        assert stored.domain == domains[i] and stored.fingerprint == f"g{i}"
        assert stored.report == {**hostile, "i": i}
        assert stored.first_seen_at == check.first_seen_at and stored.times_seen == 1
