"""A rep's home (`/` for reps): customers to move, this week's tasks, progress, DNS changes since the last look."""

import datetime as dt

import pytest
from django.utils import timezone

from customers.choices import MigrationStatus
from tests.factories import CampaignFactory, CustomerFactory, DomainFactory
from tests.reports import clean_report, legacy_report, store
from tracker.choices import TaskKind
from tracker.models import FollowUpTask, HomeVisit
from tracker.queries.rep_home import week_end


@pytest.fixture
def campaign(db):
    today = timezone.localdate()
    return CampaignFactory(
        internal_announcement_date=today - dt.timedelta(days=30), end_date=today + dt.timedelta(days=30)
    )


def task(campaign, customer, due, kind=TaskKind.LEGACY_SPF_INCLUDE, **fields):
    return FollowUpTask.objects.create(
        campaign=campaign, customer=customer, assignee=customer.rep, kind=kind, due_date=due, **fields
    )


def test_ops_land_on_the_dashboard_and_reps_on_their_home(ops_client, campaign):
    assert ops_client.get("/")["Location"] == "/dashboard/"


def test_it_lists_only_my_customers_still_to_move(rep_client, rep, other_customer, campaign):
    mine = CustomerFactory(rep=rep, name="Aoki Trading", status=MigrationStatus.CONTACTED)
    CustomerFactory(rep=rep, name="Done Ltd", status=MigrationStatus.MIGRATED)
    response = rep_client.get("/")
    assert response.context["to_move_count"] == 1
    assert [c.pk for c in response.context["to_move"]] == [mine.pk]
    text = response.content.decode()
    assert "Aoki Trading" in text and "Bobcat Logistics" not in text and "Done Ltd" not in text


def test_tasks_due_this_week_are_grouped_by_customer(rep_client, rep, other_customer, campaign):
    today = timezone.localdate()
    first, second = CustomerFactory(rep=rep, name="B first"), CustomerFactory(rep=rep, name="A second")
    overdue = task(campaign, first, today - dt.timedelta(days=2))
    also_first = task(campaign, first, week_end(today), kind=TaskKind.LEGACY_MX)
    due_later = task(campaign, second, week_end(today))
    task(campaign, second, week_end(today) + dt.timedelta(days=1), kind=TaskKind.LEGACY_MX)  # next week
    task(campaign, other_customer, today)  # another rep's
    groups = rep_client.get("/").context["task_groups"]
    assert [(g.customer.pk, [t.pk for t in g.tasks]) for g in groups] == [
        (first.pk, [overdue.pk, also_first.pk]),  # the customer with the soonest task first
        (second.pk, [due_later.pk]),
    ]


def test_my_progress_is_set_against_the_team_and_the_deadline(rep_client, rep, other_rep, campaign):
    CustomerFactory(rep=rep, status=MigrationStatus.MIGRATED)
    for _n in range(3):
        CustomerFactory(rep=rep)
    for status in (
        MigrationStatus.MIGRATED,
        MigrationStatus.LEAVING,
        MigrationStatus.MIGRATING,
        MigrationStatus.MIGRATED,
    ):
        CustomerFactory(rep=other_rep, status=status)
    progress = rep_client.get("/").context["progress"]
    assert (progress.mine, progress.team, progress.needed) == (0.25, 0.5, 0.5)
    assert progress.behind
    text = rep_client.get("/").content.decode()
    assert 'id="mine-percent">25% (1/4)' in text and 'id="team-percent">50%' in text
    assert "The end date needs 50% done by today." in text


def test_dns_changes_since_my_last_look(client, rep, other_customer, campaign):
    customer = CustomerFactory(rep=rep)
    changed, quiet = DomainFactory(customer=customer), DomainFactory(customer=customer)
    now = timezone.now()
    store(campaign, changed, legacy_report(changed.name), when=now - dt.timedelta(days=3))
    store(campaign, quiet, clean_report(quiet.name), when=now - dt.timedelta(days=3))
    store(campaign, other_customer.domains.first(), legacy_report("bobcat.example"), when=now)
    HomeVisit.objects.create(user=rep, last_seen_at=now - dt.timedelta(days=2))
    store(campaign, changed, clean_report(changed.name), when=now - dt.timedelta(days=1))
    client.force_login(rep)
    response = client.get("/")
    assert response.context["changes_count"] == 1
    assert [s.domain_id for s in response.context["changes"]] == [changed.pk]
    # A reload within the hour is the same look; the list stays.
    assert client.get("/").context["changes_count"] == 1
    visit = HomeVisit.objects.get(user=rep)
    assert visit.previous_seen_at == now - dt.timedelta(days=2)
    # After a while, the last look moves on: nothing changed since.
    HomeVisit.objects.filter(user=rep).update(last_seen_at=now - dt.timedelta(hours=2))
    assert client.get("/").context["changes_count"] == 0


def test_the_query_count_does_not_grow_with_rows(client, rep, campaign, django_assert_max_num_queries):
    client.force_login(rep)
    today = timezone.localdate()
    customer = CustomerFactory(rep=rep)
    task(campaign, customer, today)
    with django_assert_max_num_queries(20) as few:
        client.get("/")
    for _n in range(5):
        more = CustomerFactory(rep=rep)
        domain = DomainFactory(customer=more)
        store(campaign, domain, legacy_report(domain.name))
        task(campaign, more, today)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get("/")
    assert len(response.context["task_groups"]) == 6
