"""History that only grows: users with history are deactivated (with a hand-over), never deleted;
checks, status changes, tasks and sent notices are protected; campaigns are archived; every edit of a
customer, domain or campaign is in the change log with before/after values."""

import datetime as dt

import pytest
from auditlog.models import LogEntry
from django.contrib.auth import get_user_model
from django.core import mail
from django.db.models import ProtectedError
from django.urls import reverse
from django.utils import timezone

from customers.choices import MigrationStatus
from customers.models import Domain, StatusChange
from tests.factories import CampaignFactory, RepFactory
from tests.reports import legacy_report, store
from tracker.choices import TaskKind
from tracker.models import Campaign, Check, CustomerNotice, FollowUpTask

pytestmark = pytest.mark.django_db


@pytest.fixture
def campaign():
    today = timezone.localdate()
    return CampaignFactory(end_date=today + dt.timedelta(days=30))


@pytest.fixture
def history(campaign, customer, rep):
    """Alice's Acme with a check, an open task, a status change by Alice and a sent notice."""
    acme = customer.domains.get()
    store(campaign, acme, legacy_report(acme.name))
    task = FollowUpTask.objects.create(
        campaign=campaign, customer=customer, domain=acme, assignee=rep, kind=TaskKind.LEGACY_SPF_INCLUDE
    )
    customer.change_status(MigrationStatus.CONTACTED, by=rep)
    notice = CustomerNotice.objects.create(
        customer=customer, campaign=campaign, subject="Notice", body="Text", drafted_by=rep, sent_by=rep
    )
    CustomerNotice.objects.filter(pk=notice.pk).update(sent_at=timezone.now())
    notice.refresh_from_db()
    return {"acme": acme, "task": task, "notice": notice}


def test_deleting_a_rep_with_history_is_refused_with_the_reason(client, superuser, rep, history):
    client.force_login(superuser)
    response = client.post(reverse("admin:auth_user_delete", args=[rep.pk]), {"post": "yes"}, follow=True)
    text = response.content.decode()
    assert (
        "Alice was not deleted: their name is on 1 customers, 1 open tasks, 1 status changes, 1 notices"
        in text
    )
    assert get_user_model().objects.filter(pk=rep.pk).exists()
    assert StatusChange.objects.get().changed_by == rep


def test_a_user_without_history_can_still_be_deleted(client, superuser):
    typo = RepFactory(username="typo")
    client.force_login(superuser)
    client.post(reverse("admin:auth_user_delete", args=[typo.pk]), {"post": "yes"})
    assert not get_user_model().objects.filter(pk=typo.pk).exists()


def test_the_database_refuses_to_delete_a_user_named_on_history(rep, history):
    with pytest.raises(ProtectedError):
        rep.delete()


def test_deactivate_and_hand_over_moves_customers_and_open_tasks_in_one_step(
    client, superuser, rep, other_rep, customer, history, django_capture_on_commit_callbacks
):
    client.force_login(superuser)
    changelist = reverse("admin:auth_user_changelist")
    ask = client.post(changelist, {"action": "deactivate_and_hand_over", "_selected_action": [rep.pk]})
    assert ask.status_code == 200 and "1 customers, 1 open tasks" in ask.content.decode()
    data = {
        "action": "deactivate_and_hand_over",
        "_selected_action": [rep.pk],
        "successor": other_rep.pk,
        "apply": "1",
    }
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(changelist, data, follow=True)
    assert "Alice deactivated: 1 customers and 1 open tasks handed to bob." in response.content.decode()
    rep.refresh_from_db()
    customer.refresh_from_db()
    history["task"].refresh_from_db()
    assert rep.is_active is False
    assert customer.rep == other_rep and history["task"].assignee == other_rep
    assert StatusChange.objects.get().changed_by == rep  # the record keeps who did it
    assert [m.to for m in mail.outbox] == [[other_rep.email]]
    assert "Acme Widgets (ACC-1001)" in mail.outbox[0].body


def test_history_rows_cannot_be_deleted_in_the_admin(client, superuser, history):
    client.force_login(superuser)
    check = Check.objects.get()
    for name, pk in [
        ("admin:tracker_check_delete", check.pk),
        ("admin:tracker_followuptask_delete", history["task"].pk),
        ("admin:tracker_customernotice_delete", history["notice"].pk),
    ]:
        assert client.post(reverse(name, args=[pk]), {"post": "yes"}).status_code == 403, name
    assert Check.objects.exists() and FollowUpTask.objects.exists() and CustomerNotice.objects.exists()


def test_a_sent_notice_is_read_only_in_the_admin(client, superuser, history):
    client.force_login(superuser)
    url = reverse("admin:tracker_customernotice_change", args=[history["notice"].pk])
    page = client.get(url).content.decode()
    assert 'name="subject"' not in page  # shown, not editable
    client.post(url, {"subject": "Changed", "body": "Changed"})
    history["notice"].refresh_from_db()
    assert history["notice"].subject == "Notice"


def test_the_domain_inline_refuses_to_delete_a_domain_with_history_and_names_it(
    client, superuser, customer, history
):
    client.force_login(superuser)
    acme = history["acme"]
    data = {
        "name": customer.name,
        "account_id": customer.account_id,
        "rep": customer.rep_id,
        "contact_name": "",
        "contact_email": "",
        "notes": "",
        "domains-TOTAL_FORMS": 1,
        "domains-INITIAL_FORMS": 1,
        "domains-0-id": acme.pk,
        "domains-0-customer": customer.pk,
        "domains-0-name": acme.name,
        "domains-0-DELETE": "on",
        "status_changes-TOTAL_FORMS": 0,
        "status_changes-INITIAL_FORMS": 0,
    }
    response = client.post(reverse("admin:customers_customer_change", args=[customer.pk]), data)
    assert response.status_code == 200
    text = response.content.decode()
    assert (
        "Deleting domain acme.example would require deleting the following protected related objects" in text
    )
    assert "Remove legacy SPF include: acme.example" in text
    assert Domain.objects.filter(pk=acme.pk).exists() and Check.objects.filter(domain=acme).exists()


def test_the_database_refuses_to_delete_a_domain_customer_or_campaign_with_history(
    campaign, customer, history
):
    for row in (history["acme"], customer, campaign):
        with pytest.raises(ProtectedError):
            row.delete()


def test_a_campaign_is_archived_not_deleted(client, superuser, campaign, history):
    client.force_login(superuser)
    delete = client.post(reverse("admin:tracker_campaign_delete", args=[campaign.pk]), {"post": "yes"})
    assert delete.status_code == 403
    response = client.post(
        reverse("admin:tracker_campaign_changelist"),
        {"action": "archive", "_selected_action": [campaign.pk]},
        follow=True,
    )
    assert "1 campaign(s) archived." in response.content.decode()
    campaign.refresh_from_db()
    assert campaign.archived and not campaign.active
    assert Check.objects.filter(campaign=campaign).exists()


def test_the_change_log_has_before_and_after_of_a_customer_edit_and_who_made_it(
    ops_client, ops_user, customer
):
    form = ops_client.get(reverse("tracker:customer_edit", args=[customer.pk])).context["form"]
    data = {name: form[name].value() or "" for name in form.fields}
    data |= {"notes": "Called on Monday", "name": "Acme Widgets KK"}
    response = ops_client.post(reverse("tracker:customer_edit", args=[customer.pk]), data)
    assert response.status_code == 302
    entry = LogEntry.objects.get_for_object(customer).filter(action=LogEntry.Action.UPDATE).get()
    assert entry.changes_dict["name"] == ["Acme Widgets", "Acme Widgets KK"]
    assert entry.changes_dict["notes"] == ["", "Called on Monday"]
    assert entry.actor == ops_user


def test_the_change_log_records_domains_and_campaign_edits(campaign, customer):
    domain = Domain.objects.create(customer=customer, name="new.acme.example")
    assert LogEntry.objects.get_for_object(domain).filter(action=LogEntry.Action.CREATE).exists()
    campaign.name = "Renamed campaign"
    campaign.save()
    entry = LogEntry.objects.get_for_object(Campaign.objects.get(pk=campaign.pk)).latest("timestamp")
    assert entry.changes_dict["name"][1] == "Renamed campaign"


def test_ops_see_the_change_log_on_the_customer_page_and_reps_do_not(client, ops_user, rep, customer):
    customer.update({"notes": "First note"})
    client.force_login(ops_user)
    page = client.get(reverse("tracker:customer_detail", args=[customer.pk])).content.decode()
    assert "Change log" in page and "First note" in page
    client.force_login(rep)
    page = client.get(reverse("tracker:customer_detail", args=[customer.pk])).content.decode()
    assert "Change log" not in page


def test_the_admin_shows_the_change_log_of_a_customer(client, superuser, customer):
    customer.update({"notes": "Logged note"})
    client.force_login(superuser)
    page = client.get(reverse("admin:customers_customer_auditlog", args=[customer.pk]))
    assert page.status_code == 200 and "Logged note" in page.content.decode()
