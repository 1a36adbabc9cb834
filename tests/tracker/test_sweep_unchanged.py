"""A chunk skips the follow-up rules for a domain only when nothing they depend on changed.

Unchanged DNS with the same customer status, rep and priority only extends the
history span; anything else the rules read (the customer marked migrated, a new
rep, a nearer deadline, a task edited in the admin, new rule code) runs them.
"""

import datetime as dt

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from customers.choices import MigrationStatus
from customers.models import Customer
from tests import conftest_celery
from tests.conftest_celery import legacy_spf_zone, serve
from tests.factories import CampaignFactory, RepFactory
from tracker.choices import Priority, TaskKind, TaskStatus
from tracker.models import Check, DomainState, FollowUpTask
from tracker.services import followups
from tracker.services.sweeps import sweep_run_sync, sweep_start

sweep_dns = conftest_celery.sweep_dns

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 11, 2)


@pytest.fixture
def campaign(db):
    return CampaignFactory(end_date=TODAY + dt.timedelta(days=90))


@pytest.fixture
def legacy_dns(sweep_dns, customer):
    serve(sweep_dns, legacy_spf_zone("acme.example"))
    return sweep_dns


def sweep(campaign) -> list[str]:
    """Run a sweep here; the SQL it sent."""
    with CaptureQueriesContext(connection) as queries:
        sweep_run_sync(sweep_start(campaign, enqueue=False))
    return [query["sql"] for query in queries.captured_queries]


def read_tasks(sql: list[str]) -> bool:
    return any(FollowUpTask._meta.db_table in statement for statement in sql)


def the_task() -> FollowUpTask:
    return FollowUpTask.objects.get(kind=TaskKind.LEGACY_SPF_INCLUDE)


@time_machine.travel(TODAY, tick=False)
def test_an_unchanged_check_extends_the_span_and_reads_no_task(campaign, legacy_dns):
    assert read_tasks(sweep(campaign))
    statements = sweep(campaign)
    assert not read_tasks(statements)
    check = Check.objects.get()
    state = DomainState.objects.get()
    assert check.times_seen == 2 and state.latest_check == check
    assert state.last_checked_at == check.last_seen_at
    assert the_task().status == TaskStatus.OPEN


@time_machine.travel(TODAY, tick=False)
def test_a_customer_marked_migrated_gets_a_status_conflict_with_the_dns_unchanged(
    campaign, legacy_dns, customer
):
    sweep(campaign)
    Customer.objects.filter(pk=customer.pk).update(status=MigrationStatus.MIGRATED)
    assert read_tasks(sweep(campaign))
    conflict = FollowUpTask.objects.get(kind=TaskKind.STATUS_CONFLICT)
    assert conflict.status == TaskStatus.OPEN and conflict.assignee == customer.rep


@time_machine.travel(TODAY, tick=False)
def test_a_customer_given_to_another_rep_hands_over_the_open_task(campaign, legacy_dns, customer):
    sweep(campaign)
    new_rep = RepFactory(username="carol")
    Customer.objects.filter(pk=customer.pk).update(rep=new_rep)
    sweep(campaign)
    assert the_task().assignee == new_rep


def test_the_priority_rises_as_the_end_date_comes_with_the_dns_unchanged(campaign, legacy_dns):
    with time_machine.travel(TODAY, tick=False):
        sweep(campaign)
    assert the_task().priority == Priority.LOW
    with time_machine.travel(TODAY + dt.timedelta(days=80), tick=False):
        assert read_tasks(sweep(campaign))
    assert the_task().priority == Priority.HIGH
    assert Check.objects.get().times_seen == 2


@time_machine.travel(TODAY, tick=False)
def test_a_task_closed_by_hand_stays_closed_while_the_dns_is_the_same(campaign, legacy_dns, rep):
    sweep(campaign)
    the_task().close(rep, "customer says they will fix it next week")
    sweep(campaign)
    sweep(campaign)
    assert the_task().status == TaskStatus.DONE
    assert FollowUpTask.objects.count() == 1


@time_machine.travel(TODAY, tick=False)
def test_a_task_cannot_be_deleted_in_the_admin_and_the_next_sweep_keeps_it(
    campaign, legacy_dns, client, superuser
):
    # Tasks are history (issue 12): the admin refuses the delete that used to erase them.
    sweep(campaign)
    client.force_login(superuser)
    task = the_task()
    response = client.post(reverse("admin:tracker_followuptask_delete", args=[task.pk]), {"post": "yes"})
    assert response.status_code == 403 and FollowUpTask.objects.filter(pk=task.pk).exists()
    sweep(campaign)
    assert the_task().status == TaskStatus.OPEN and FollowUpTask.objects.count() == 1


@time_machine.travel(TODAY, tick=False)
def test_new_rule_code_runs_the_rules_again_on_every_domain(campaign, legacy_dns, monkeypatch):
    sweep(campaign)
    monkeypatch.setattr(followups, "RULES_VERSION", "a-new-deploy")
    assert read_tasks(sweep(campaign))
    assert not read_tasks(sweep(campaign))


@time_machine.travel(TODAY, tick=False)
def test_repeated_inconclusive_checks_are_never_skipped(
    campaign, customer, sweep_dns, dead_nameserver, settings
):
    settings.DNS_NAMESERVERS = [dead_nameserver]
    for _ in range(3):
        sweep(campaign)
    state = DomainState.objects.get()
    assert state.verdict == "inconclusive" and state.consecutive_inconclusive == 3
    assert Check.objects.get().times_seen == 3
    ops_task = FollowUpTask.objects.get(kind=TaskKind.INCONCLUSIVE_REPEATED)
    assert ops_task.for_ops and ops_task.evidence["checks_in_a_row"] == 3
