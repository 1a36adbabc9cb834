"""Weekly rep digests and the daily operations summary (Django's mail.outbox)."""

import datetime as dt

import pytest
import time_machine
from django.core import mail
from django.db import transaction
from django.utils import timezone

from tests.factories import CampaignFactory, DomainFactory
from tests.tracker.test_history import clean_report, make_report
from tracker.choices import Priority, TaskKind
from tracker.models import FollowUpTask
from tracker.services.digests import send_ops_summary, send_rep_digests
from tracker.services.sweeps import check_store

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 11, 30)


@pytest.fixture(autouse=True)
def on_today():
    """Priorities follow the days left to the end date: the checks are stored on TODAY too."""
    with time_machine.travel(dt.datetime(2026, 11, 30, 9, 0, tzinfo=dt.UTC), tick=False):
        yield


@pytest.fixture
def campaign(db):
    return CampaignFactory(end_date=dt.date(2027, 1, 31))


def store(campaign, domain, report, now=None):
    with transaction.atomic():
        return check_store(campaign, domain, report, now=now)


def test_each_rep_gets_their_open_tasks_overdue_first_then_by_priority(
    campaign, customer, other_customer, rep, other_rep
):
    acme = customer.domains.get()
    second = DomainFactory(customer=customer, name="second.acme.example")
    store(campaign, acme, make_report())
    store(campaign, second, make_report("second.acme.example"))
    FollowUpTask.objects.filter(domain=second).update(due_date=TODAY - dt.timedelta(days=3))
    FollowUpTask.objects.filter(domain=acme).update(priority=Priority.URGENT)
    store(campaign, other_customer.domains.get(), make_report("bobcat.example"))

    assert send_rep_digests(today=TODAY) == 2
    by_rep = {message.to[0]: message for message in mail.outbox}
    alice = by_rep[rep.email]
    assert alice.subject == "Your follow-up tasks: 2 open, 1 overdue"
    lines = [line for line in alice.body.splitlines() if "Remove legacy SPF include" in line]
    assert lines[0].startswith("[OVERDUE] [Low]") and "second.acme.example" in lines[0]
    assert lines[1].startswith("[Urgent]") and "acme.example (Acme Widgets, ACC-1001)" in lines[1]
    assert "bobcat" not in alice.body
    assert "bobcat.example" in by_rep[other_rep.email].body


def test_the_digest_links_to_the_task_list_with_an_absolute_address(campaign, customer, rep, settings):
    settings.SITE_URL = "https://tracker.example"
    store(campaign, customer.domains.get(), make_report())
    send_rep_digests(today=TODAY)
    assert "Your task list: https://tracker.example/tasks/" in mail.outbox[0].body


def test_reps_without_open_tasks_get_no_digest(campaign, customer, rep):
    store(campaign, customer.domains.get(), clean_report())
    assert send_rep_digests(today=TODAY) == 0 and mail.outbox == []


def test_snoozed_tasks_stay_out_of_the_digest_until_their_day(campaign, customer, rep):
    store(campaign, customer.domains.get(), make_report())
    FollowUpTask.objects.update(status="snoozed", snoozed_until=TODAY + dt.timedelta(days=2))
    assert send_rep_digests(today=TODAY) == 0
    assert send_rep_digests(today=TODAY + dt.timedelta(days=2)) == 1


def test_the_ops_summary_lists_new_fixed_and_breaking_domains(campaign, customer, other_customer, ops_user):
    yesterday = timezone.now() - dt.timedelta(days=2)
    bobcat = other_customer.domains.get()
    store(campaign, bobcat, make_report("bobcat.example"), now=yesterday)
    store(campaign, customer.domains.get(), make_report())  # new today
    store(campaign, bobcat, clean_report("bobcat.example"))  # fixed today
    DomainFactory(customer=customer, name="never.acme.example")

    assert send_ops_summary() == 1
    (message,) = mail.outbox
    assert message.to == [ops_user.email]
    assert "1 new legacy, 1 fixed, 1 would break" in message.subject
    body = message.body
    assert "+ acme.example (Acme Widgets): spf-include" in body
    assert "- bobcat.example (Bobcat Logistics): now clean" in body
    assert "! acme.example (Acme Widgets)" in body
    assert "never checked: 1" in body


def test_the_ops_summary_carries_sweep_alerts(campaign, ops_user):
    campaign.sweeps.create(alert="DNS server unreachable? 3 of 3 domains had lookups that timed out")
    send_ops_summary()
    assert "ALERT (sweep" in mail.outbox[0].body and "3 of 3 domains" in mail.outbox[0].body


def test_an_inconclusive_blip_is_neither_new_nor_fixed(campaign, customer, ops_user):
    from tests.tracker.test_history import inconclusive_report

    acme = customer.domains.get()
    store(campaign, acme, make_report(), now=timezone.now() - dt.timedelta(days=3))
    store(campaign, acme, inconclusive_report())
    store(campaign, acme, make_report())
    send_ops_summary()
    assert "0 new legacy, 0 fixed" in mail.outbox[0].subject
    task = FollowUpTask.objects.get()
    assert task.kind == TaskKind.LEGACY_SPF_INCLUDE and task.status == "open"  # open throughout
