"""/tasks/: a rep's open tasks overdue first, with evidence; done and snooze in place; others' tasks 404."""

import datetime as dt

import pytest
from django.utils import timezone

from tests.factories import CampaignFactory, CustomerFactory, DomainFactory
from tests.reports import legacy_report
from tracker.choices import Priority, TaskKind, TaskStatus
from tracker.models import FollowUpTask
from tracker.views.tasks import GROUPS_PER_PAGE


def listed(response):
    """The tasks on the page, in the order shown (customer groups, each soonest due first)."""
    return [task for group in response.context["groups"] for task in group.tasks]


@pytest.fixture
def campaign(db):
    return CampaignFactory(end_date=timezone.localdate() + dt.timedelta(days=30))


def make_task(campaign, customer, due_in_days=7, kind=TaskKind.LEGACY_SPF_INCLUDE, **fields):
    domain = customer.domains.first() or DomainFactory(customer=customer)
    report = legacy_report(domain.name)
    evidence = {
        "terms": [
            {
                "kind": "spf-include",
                "term": "include:spf.po.2iij.net",
                "path": report["legacy_references"][0]["path"],
                "record_domain": f"_spf.{domain.name}",
                "record": report["spf"]["records"][f"_spf.{domain.name}"][0],
            }
        ],
        "record": report["spf"]["record"],
    }
    return FollowUpTask.objects.create(
        campaign=campaign,
        customer=customer,
        domain=domain,
        assignee=customer.rep,
        kind=kind,
        evidence=evidence,
        due_date=timezone.localdate() + dt.timedelta(days=due_in_days),
        **fields,
    )


def test_it_requires_login(client):
    assert client.get("/tasks/").status_code == 302


def test_a_rep_sees_their_open_tasks_overdue_first(rep_client, campaign, customer):
    later = make_task(campaign, customer, due_in_days=3, priority=Priority.URGENT)
    overdue = make_task(campaign, customer, due_in_days=-2, kind=TaskKind.LEGACY_MX)
    make_task(campaign, customer, kind=TaskKind.STATUS_CONFLICT, status=TaskStatus.DONE)
    response = rep_client.get("/tasks/")
    assert [t.pk for t in listed(response)] == [
        overdue.pk,
        later.pk,
    ]
    assert b"overdue since" in response.content


def test_a_task_shows_its_evidence(rep_client, campaign, customer):
    make_task(campaign, customer)
    text = rep_client.get("/tasks/").content.decode()
    assert '<code class="legacy-term">include:spf.po.2iij.net</code>' in text
    assert "<code>_spf.acme.example</code>" in text
    assert "v=spf1 ip4:192.0.2.0/24 include:spf.po.2iij.net ~all" in text
    assert f"/domains/{customer.domains.get().pk}/" in text


def test_a_rep_does_not_see_other_reps_tasks(rep_client, campaign, customer, other_customer):
    make_task(campaign, other_customer)
    assert (listed(rep_client.get("/tasks/"))) == []


def test_a_rep_does_not_see_operations_tasks(rep_client, campaign, customer):
    make_task(campaign, customer, kind=TaskKind.INCONCLUSIVE_REPEATED, for_ops=True)
    assert (listed(rep_client.get("/tasks/"))) == []


def test_ops_see_all_tasks_and_filter_by_rep(ops_client, campaign, customer, other_customer, other_rep):
    make_task(campaign, customer)
    theirs = make_task(campaign, other_customer)
    assert len(listed(ops_client.get("/tasks/"))) == 2
    assert [t.pk for t in listed(ops_client.get("/tasks/", {"assignee": other_rep.pk}))] == [theirs.pk]


@pytest.mark.parametrize("query", ["bobcat.exam", "Logistics", "acc-2002"])
def test_ops_search_tasks_by_domain_customer_or_account(
    ops_client, campaign, customer, other_customer, query
):
    make_task(campaign, customer)
    theirs = make_task(campaign, other_customer)
    assert [t.pk for t in listed(ops_client.get("/tasks/", {"q": query}))] == [theirs.pk]


def test_the_overdue_filter(ops_client, campaign, customer):
    overdue = make_task(campaign, customer, due_in_days=-1)
    make_task(campaign, customer, kind=TaskKind.LEGACY_MX)
    assert [t.pk for t in listed(ops_client.get("/tasks/", {"overdue": "true"}))] == [overdue.pk]


def test_done_with_a_note_in_place(rep_client, campaign, customer, rep):
    task = make_task(campaign, customer)
    response = rep_client.post(
        f"/tasks/{task.pk}/done/", {"note": "Called them, fixed"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    task.refresh_from_db()
    assert (task.status, task.closed_by, task.close_note) == (TaskStatus.DONE, rep, "Called them, fixed")
    assert f'id="task-{task.pk}"'.encode() in response.content and b"Called them, fixed" in response.content


def test_done_without_htmx_redirects_back(rep_client, campaign, customer):
    task = make_task(campaign, customer)
    response = rep_client.post(f"/tasks/{task.pk}/done/", {"note": ""})
    assert response.status_code == 302 and response["Location"] == "/tasks/"


def test_snooze_until_a_date(rep_client, campaign, customer):
    task = make_task(campaign, customer)
    until = timezone.localdate() + dt.timedelta(days=5)
    response = rep_client.post(
        f"/tasks/{task.pk}/snooze/", {"until": until.isoformat()}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    task.refresh_from_db()
    assert (task.status, task.snoozed_until) == (TaskStatus.SNOOZED, until)


def test_snooze_into_the_past_is_refused(rep_client, campaign, customer):
    task = make_task(campaign, customer)
    response = rep_client.post(f"/tasks/{task.pk}/snooze/", {"until": "2020-01-01"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 400 and b"Pick a day after today" in response.content
    task.refresh_from_db()
    assert task.status == TaskStatus.OPEN


def test_other_reps_tasks_are_404(rep_client, campaign, other_customer):
    task = make_task(campaign, other_customer)
    assert rep_client.post(f"/tasks/{task.pk}/done/", {"note": "x"}).status_code == 404
    assert rep_client.post(f"/tasks/{task.pk}/snooze/", {"until": "2099-01-01"}).status_code == 404
    task.refresh_from_db()
    assert task.status == TaskStatus.OPEN


def test_the_actions_need_post(rep_client, campaign, customer):
    task = make_task(campaign, customer)
    assert rep_client.get(f"/tasks/{task.pk}/done/").status_code == 405


def test_the_query_count_is_constant(ops_client, campaign, django_assert_max_num_queries):
    def add(n):
        for _ in range(n):
            make_task(campaign, CustomerFactory())

    add(2)
    with django_assert_max_num_queries(20) as few:
        ops_client.get("/tasks/")
    add(15)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = ops_client.get("/tasks/")
    # A page is a number of customer groups; the rest are on the next page.
    assert len(listed(response)) == GROUPS_PER_PAGE and response.context["paginator"].count == 17


def test_task_evidence_is_escaped(rep_client, campaign, customer):
    task = make_task(campaign, customer)
    task.evidence["terms"][0]["record"] = (
        'v=spf1 <script>alert(1)</script>"><img src=x onerror=alert(1)> -all'
    )
    task.evidence["suggested_record"] = "<script>alert(2)</script>"
    task.save()
    text = rep_client.get("/tasks/").content.decode()
    assert "<script>alert" not in text and "<img src=x" not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;&quot;&gt;&lt;img src=x onerror=alert(1)&gt;" in text
