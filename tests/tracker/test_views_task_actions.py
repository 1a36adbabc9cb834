"""/tasks/ as people work through it: waiting for DNS shown, reopen, snooze presets, bulk actions,
saved views, manual tasks and the activity log from the customer page; others' tasks stay untouched."""

import datetime as dt

import pytest
import time_machine
from django.db import transaction
from django.test import Client

from tests.factories import CampaignFactory, CustomerFactory, DomainFactory
from tests.tracker.test_history import make_report
from tests.tracker.test_views_tasks import listed, make_task
from tracker.choices import TaskEventKind, TaskKind, TaskStatus
from tracker.models import Activity, FollowUpTask, SavedTaskView
from tracker.services.sweeps import check_store

pytestmark = pytest.mark.django_db

FRIDAY = dt.datetime(2026, 11, 6, 2, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def on_a_friday():
    with time_machine.travel(FRIDAY, tick=False):
        yield


@pytest.fixture
def campaign(db):
    return CampaignFactory(end_date=dt.date(2027, 3, 31))


def legacy_checked(campaign, customer) -> FollowUpTask:
    """The customer's domain checked as legacy: the rules open its task."""
    domain = customer.domains.get()
    with transaction.atomic():
        (task,) = check_store(campaign, domain, make_report(domain.name), now=FRIDAY)[1].opened
    return task


def test_done_on_a_still_legacy_domain_shows_waiting_for_dns_in_the_queue(rep_client, campaign, customer):
    task = legacy_checked(campaign, customer)
    response = rep_client.post(
        f"/tasks/{task.pk}/done/", {"note": "Customer will fix"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200 and b'data-status="waiting_dns"' in response.content
    assert b"Waiting for DNS" in response.content and b"2026-11-10" in response.content
    assert [t.pk for t in listed(rep_client.get("/tasks/"))] == [task.pk]


def test_reopen_by_hand_in_place(rep_client, campaign, customer, rep):
    task = make_task(campaign, customer, status=TaskStatus.DONE)
    response = rep_client.post(f"/tasks/{task.pk}/reopen/", {"note": "Still broken"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and b'data-status="open"' in response.content
    task.refresh_from_db()
    assert task.status == TaskStatus.OPEN
    assert [(e.action, e.by, e.note) for e in task.events.all()] == [
        (TaskEventKind.REOPENED_BY_HAND, rep, "Still broken")
    ]


def test_reopening_an_open_task_says_why_not(rep_client, campaign, customer):
    task = make_task(campaign, customer)
    response = rep_client.post(f"/tasks/{task.pk}/reopen/", {}, HTTP_HX_REQUEST="true")
    assert response.status_code == 400 and b"already open" in response.content


def test_snooze_tomorrow_takes_the_task_out_of_the_default_list(rep_client, campaign, customer):
    task = make_task(campaign, customer)
    response = rep_client.post(f"/tasks/{task.pk}/snooze/", {"preset": "tomorrow"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    task.refresh_from_db()
    assert (task.status, task.snoozed_until) == (TaskStatus.SNOOZED, dt.date(2026, 11, 9))  # Monday
    assert listed(rep_client.get("/tasks/")) == []
    assert [t.pk for t in listed(rep_client.get("/tasks/", {"status": "snoozed"}))] == [task.pk]


def test_snooze_next_week_is_the_next_business_monday(rep_client, campaign, customer):
    task = make_task(campaign, customer)
    rep_client.post(f"/tasks/{task.pk}/snooze/", {"preset": "next_week"}, HTTP_HX_REQUEST="true")
    task.refresh_from_db()
    assert task.snoozed_until == dt.date(2026, 11, 9)


def test_tasks_are_grouped_by_customer(ops_client, campaign, customer, other_customer):
    mine_late = make_task(campaign, customer, due_in_days=10)
    theirs = make_task(campaign, other_customer, due_in_days=-1)
    mine_soon = make_task(campaign, customer, due_in_days=2, kind=TaskKind.LEGACY_MX)
    groups = ops_client.get("/tasks/").context["groups"]
    assert [(g.customer, [t.pk for t in g.tasks]) for g in groups] == [
        (other_customer, [theirs.pk]),  # overdue first
        (customer, [mine_soon.pk, mine_late.pk]),  # soonest due first within the group
    ]
    by_name = ops_client.get("/tasks/", {"ordering": "customer"}).context["groups"]
    assert [g.customer for g in by_name] == [customer, other_customer]  # Acme before Bobcat


def test_bulk_done_of_two_tasks(rep_client, campaign, customer, rep):
    first = make_task(campaign, customer)
    second = make_task(campaign, customer, kind=TaskKind.LEGACY_MX)
    response = rep_client.post("/tasks/bulk/", {"action": "done", "task": [first.pk, second.pk]})
    assert response.status_code == 302
    statuses = set(FollowUpTask.objects.values_list("status", flat=True))
    assert statuses == {TaskStatus.DONE}  # no check stored for the domain: nothing still shows the problem


def test_bulk_snooze_with_a_preset(rep_client, campaign, customer):
    first = make_task(campaign, customer)
    rep_client.post("/tasks/bulk/", {"action": "snooze", "preset": "next_week", "task": [first.pk]})
    first.refresh_from_db()
    assert (first.status, first.snoozed_until) == (TaskStatus.SNOOZED, dt.date(2026, 11, 9))


def test_a_rep_cannot_bulk_act_on_another_reps_task_nothing_changes(
    rep_client, campaign, customer, other_customer
):
    mine = make_task(campaign, customer)
    theirs = make_task(campaign, other_customer)
    response = rep_client.post("/tasks/bulk/", {"action": "done", "task": [mine.pk, theirs.pk]})
    assert response.status_code == 404
    assert set(FollowUpTask.objects.values_list("status", flat=True)) == {TaskStatus.OPEN}


def test_a_rep_cannot_reassign(rep_client, campaign, customer, other_rep):
    mine = make_task(campaign, customer)
    response = rep_client.post(
        "/tasks/bulk/", {"action": "reassign", "task": [mine.pk], "assignee": other_rep.pk}
    )
    assert response.status_code == 403
    mine.refresh_from_db()
    assert mine.assignee == customer.rep


def test_ops_reassign_and_the_new_rep_sees_the_task(ops_client, campaign, customer, other_rep, client):
    task = make_task(campaign, customer)
    ops_client.post("/tasks/bulk/", {"action": "reassign", "task": [task.pk], "assignee": other_rep.pk})
    task.refresh_from_db()
    assert task.assignee == other_rep and task.assignee_pinned
    assert task.events.get().action == TaskEventKind.REASSIGNED
    bob = Client()
    bob.force_login(other_rep)
    assert [t.pk for t in listed(bob.get("/tasks/"))] == [task.pk]


def test_the_rules_keep_an_assignee_ops_chose(campaign, customer, other_rep):
    task = legacy_checked(campaign, customer)
    task.reassign(other_rep, by=None)
    domain = customer.domains.get()
    with transaction.atomic():
        check_store(campaign, domain, make_report(domain.name), now=FRIDAY + dt.timedelta(hours=1))
    task.refresh_from_db()
    assert task.assignee == other_rep


def test_bulk_actions_need_the_csrf_token(rep, campaign, customer):
    task = make_task(campaign, customer)
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(rep)
    assert strict.post("/tasks/bulk/", {"action": "done", "task": [task.pk]}).status_code == 403
    task.refresh_from_db()
    assert task.status == TaskStatus.OPEN


def test_saved_views_are_per_user(rep_client, campaign, customer, other_rep):
    response = rep_client.post(
        "/tasks/views/", {"name": "Overdue MX", "query": "kind=legacy_mx&overdue=true"}
    )
    assert response.status_code == 302 and response["Location"] == "/tasks/?kind=legacy_mx&overdue=true"
    view = SavedTaskView.objects.get()
    page = rep_client.get("/tasks/").content.decode()
    assert "Overdue MX" in page and "?kind=legacy_mx&amp;overdue=true" in page
    theirs = SavedTaskView.objects.create(user=other_rep, name="Bob's", query="")
    assert "Bob&#x27;s" not in rep_client.get("/tasks/").content.decode()
    assert rep_client.post(f"/tasks/views/{theirs.pk}/delete/").status_code == 404
    assert rep_client.post(f"/tasks/views/{view.pk}/delete/").status_code == 302
    assert list(SavedTaskView.objects.all()) == [theirs]


def test_a_saved_view_applies_its_filter(rep_client, campaign, customer):
    make_task(campaign, customer)
    mx = make_task(campaign, customer, kind=TaskKind.LEGACY_MX)
    SavedTaskView.objects.create(user=customer.rep, name="MX", query="kind=legacy_mx")
    assert [t.pk for t in listed(rep_client.get("/tasks/?kind=legacy_mx"))] == [mx.pk]


def test_a_rep_adds_a_manual_task_from_the_customer_page(rep_client, campaign, customer, rep):
    response = rep_client.post(
        f"/customers/{customer.pk}/tasks/add/",
        {"title": "Send the contract", "due_date": "2027-01-01", "details": "New plan"},
    )
    assert response.status_code == 302
    task = FollowUpTask.objects.get(kind=TaskKind.MANUAL)
    assert (task.title, task.due_date, task.assignee, task.details) == (
        "Send the contract",
        dt.date(2027, 1, 4),  # not on 元日: the first business day after the New Year closure
        rep,
        "New plan",
    )
    assert "Send the contract" in rep_client.get(f"/customers/{customer.pk}/").content.decode()
    assert [t.pk for t in listed(rep_client.get("/tasks/"))] == [task.pk]


def test_a_rep_cannot_add_a_task_to_another_reps_customer(rep_client, campaign, other_customer):
    response = rep_client.post(f"/customers/{other_customer.pk}/tasks/add/", {"title": "x"})
    assert response.status_code == 404 and not FollowUpTask.objects.exists()


def test_a_logged_call_shows_in_the_log_and_its_next_step_in_the_task_list(
    rep_client, campaign, customer, rep
):
    response = rep_client.post(
        f"/customers/{customer.pk}/activities/",
        {"kind": "call", "note": "Talked to IT <b>Tanaka</b>", "next_step_date": "2026-11-14"},
    )
    assert response.status_code == 302
    activity = Activity.objects.get()
    task = activity.next_step_task
    assert (task.kind, task.due_date, task.assignee) == (TaskKind.NEXT_STEP, dt.date(2026, 11, 16), rep)
    page = rep_client.get(f"/customers/{customer.pk}/").content.decode()
    assert "Talked to IT &lt;b&gt;Tanaka&lt;/b&gt;" in page and "<b>Tanaka" not in page
    assert [t.pk for t in listed(rep_client.get("/tasks/"))] == [task.pk]


def test_the_log_interleaves_activities_and_status_changes(rep_client, campaign, customer, rep):
    from customers.choices import MigrationStatus

    rep_client.post(f"/customers/{customer.pk}/activities/", {"kind": "mail", "note": "Sent the plan"})
    with time_machine.travel(FRIDAY + dt.timedelta(hours=1), tick=False):
        customer.change_status(MigrationStatus.CONTACTED, by=rep)
    log = rep_client.get(f"/customers/{customer.pk}/").context["activity_log"]
    assert [entry.what for entry in log] == ["status", "activity"]


def test_a_rep_cannot_log_on_another_reps_customer(rep_client, other_customer):
    response = rep_client.post(f"/customers/{other_customer.pk}/activities/", {"kind": "call", "note": "x"})
    assert response.status_code == 404 and not Activity.objects.exists()


def test_the_list_query_count_does_not_grow_with_groups_tasks_or_history(
    rep_client, campaign, rep, django_assert_max_num_queries
):
    def add(customers: int):
        for _ in range(customers):
            customer = CustomerFactory(rep=rep)
            DomainFactory(customer=customer)
            task = make_task(campaign, customer)
            make_task(campaign, customer, kind=TaskKind.LEGACY_MX).snooze(dt.date(2026, 11, 20), rep)
            task.record(TaskEventKind.REOPENED_BY_HAND, rep, "again")

    add(2)
    with django_assert_max_num_queries(20) as few:
        rep_client.get("/tasks/", {"status": ["open", "snoozed"]})
    add(10)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = rep_client.get("/tasks/", {"status": ["open", "snoozed"]})
    assert len(listed(response)) == 24
    # session, user, groups, handed tasks?, totals, the page of groups, its tasks, then their
    # customers, reps, domains, closers, assignees, events (with authors), saved views: 14; and 3 for
    # the session's new expiry (idle timeout: savepoint, update, release)
    assert len(few.captured_queries) == 17
