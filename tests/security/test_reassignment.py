"""Reassignment moves the work: when ops give a customer to another rep, its open tasks follow at once,
the new rep is told by mail, and the old rep no longer sees it anywhere (list, search, page, tasks,
digest). Each surface is checked from the old rep's side and the new rep's."""

import datetime as dt

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from tests.factories import CampaignFactory
from tests.reports import legacy_report, store
from tracker.choices import TaskKind, TaskStatus
from tracker.models import FollowUpTask
from tracker.services.digests import send_rep_digests

pytestmark = pytest.mark.django_db


@pytest.fixture
def moved(customer, rep, other_rep, ops_client, django_capture_on_commit_callbacks):
    """Acme (Alice's, with an open and a done task) is given to Bob on the edit page by ops."""
    campaign = CampaignFactory(end_date=timezone.localdate() + dt.timedelta(days=30))
    acme = customer.domains.get()
    store(campaign, acme, legacy_report(acme.name))
    open_task = FollowUpTask.objects.create(
        campaign=campaign, customer=customer, domain=acme, assignee=rep, kind=TaskKind.LEGACY_SPF_INCLUDE
    )
    done_task = FollowUpTask.objects.create(
        campaign=campaign,
        customer=customer,
        domain=acme,
        assignee=rep,
        kind=TaskKind.LEGACY_MX,
        status=TaskStatus.DONE,
        closed_by=rep,
    )
    form = ops_client.get(reverse("tracker:customer_edit", args=[customer.pk])).context["form"]
    data = {name: form[name].value() or "" for name in form.fields} | {"rep": other_rep.pk}
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = ops_client.post(reverse("tracker:customer_edit", args=[customer.pk]), data)
    assert response.status_code == 302
    return {"customer": customer, "open": open_task, "done": done_task}


def test_open_tasks_follow_the_customer_at_once_and_closed_ones_keep_who_did_them(moved, rep, other_rep):
    moved["open"].refresh_from_db()
    moved["done"].refresh_from_db()
    assert moved["open"].assignee == other_rep
    assert moved["done"].assignee == rep and moved["done"].closed_by == rep


def test_the_new_rep_is_told_by_mail(moved, other_rep):
    assert [message.to for message in mail.outbox] == [[other_rep.email]]
    message = mail.outbox[0]
    assert message.subject == "A customer is yours now: Acme Widgets"
    assert "Acme Widgets (ACC-1001)" in message.body
    assert "1 open follow-up task came with them." in message.body
    assert f"/customers/{moved['customer'].pk}/" in message.body


def test_the_old_rep_no_longer_sees_it_in_the_list_search_page_or_tasks(client, moved, rep):
    client.force_login(rep)
    assert "Acme Widgets" not in client.get(reverse("tracker:customer_list")).content.decode()
    assert "Acme Widgets" not in client.get(reverse("tracker:customer_list") + "?q=acme").content.decode()
    assert client.get(reverse("tracker:customer_detail", args=[moved["customer"].pk])).status_code == 404
    assert "acme.example" not in client.get(reverse("tracker:task_list")).content.decode()
    home = client.get("/", follow=True).content.decode()
    assert "Acme Widgets" not in home


def test_the_new_rep_sees_it_and_its_open_task(client, moved, other_rep):
    client.force_login(other_rep)
    assert "Acme Widgets" in client.get(reverse("tracker:customer_list")).content.decode()
    assert "acme.example" in client.get(reverse("tracker:task_list")).content.decode()


def test_the_next_digest_goes_to_the_new_rep_only(moved, rep, other_rep):
    mail.outbox.clear()
    send_rep_digests(today=timezone.localdate())
    by_rep = {message.to[0]: message.body for message in mail.outbox}
    assert rep.email not in by_rep
    assert "acme.example (Acme Widgets, ACC-1001)" in by_rep[other_rep.email]


def test_a_task_left_assigned_to_the_old_rep_is_not_in_their_digest(customer, rep, other_rep):
    """Defence in depth: even a task some path did not move never shows another rep's customer."""
    campaign = CampaignFactory(end_date=timezone.localdate() + dt.timedelta(days=30))
    FollowUpTask.objects.create(
        campaign=campaign,
        customer=customer,
        domain=customer.domains.get(),
        assignee=rep,
        kind=TaskKind.LEGACY_SPF_INCLUDE,
    )
    type(customer).objects.filter(pk=customer.pk).update(rep=other_rep)  # behind every service's back
    assert send_rep_digests(today=timezone.localdate()) == 0
    assert mail.outbox == []


def test_a_rep_change_in_the_admin_moves_the_tasks_too(
    client, superuser, customer, rep, other_rep, django_capture_on_commit_callbacks
):
    campaign = CampaignFactory(end_date=timezone.localdate() + dt.timedelta(days=30))
    task = FollowUpTask.objects.create(
        campaign=campaign,
        customer=customer,
        domain=customer.domains.get(),
        assignee=rep,
        kind=TaskKind.LEGACY_SPF_INCLUDE,
    )
    client.force_login(superuser)
    data = {
        "name": customer.name,
        "account_id": customer.account_id,
        "rep": other_rep.pk,
        "contact_name": "",
        "contact_email": "",
        "notes": "",
        "domains-TOTAL_FORMS": 0,
        "domains-INITIAL_FORMS": 0,
        "status_changes-TOTAL_FORMS": 0,
        "status_changes-INITIAL_FORMS": 0,
    }
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("admin:customers_customer_change", args=[customer.pk]), data)
    assert response.status_code == 302
    task.refresh_from_db()
    assert task.assignee == other_rep
    assert [message.to for message in mail.outbox] == [[other_rep.email]]
