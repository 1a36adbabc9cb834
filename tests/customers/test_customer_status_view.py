"""POST /customers/<pk>/status/: the workflow via the model, with audit entry and lock."""

from django.urls import reverse

from customers.choices import MigrationStatus
from customers.models import StatusChange


def url(customer):
    return reverse("tracker:customer_status", args=[customer.pk])


def test_it_requires_login(client, customer):
    response = client.post(url(customer), {"to_status": "contacted", "version": 1})
    assert response.status_code == 302
    assert not StatusChange.objects.exists()


def test_it_changes_the_status_and_records_it(rep_client, customer, rep):
    response = rep_client.post(url(customer), {"to_status": "contacted", "note": "Phoned", "version": 1})
    assert response.status_code == 302 and response["Location"] == reverse(
        "tracker:customer_detail", args=[customer.pk]
    )
    customer.refresh_from_db()
    assert customer.status == MigrationStatus.CONTACTED
    change = StatusChange.objects.get()
    assert (change.changed_by, change.from_status, change.to_status, change.note) == (
        rep,
        "not_contacted",
        "contacted",
        "Phoned",
    )


def test_it_refuses_a_move_the_workflow_forbids(rep_client, customer):
    response = rep_client.post(url(customer), {"to_status": "migrated", "version": 1})
    assert response.status_code == 400
    customer.refresh_from_db()
    assert customer.status == MigrationStatus.NOT_CONTACTED


def test_a_stale_page_gets_a_conflict_and_keeps_the_note(rep_client, customer, ops_user):
    customer.change_status(MigrationStatus.CONTACTED, by=ops_user)
    response = rep_client.post(
        url(customer), {"to_status": "unreachable", "note": "No answer x3", "version": 1}
    )
    assert response.status_code == 409
    assert b"Someone changed this customer" in response.content
    assert b"No answer x3" in response.content
    customer.refresh_from_db()
    assert customer.status == MigrationStatus.CONTACTED
    assert StatusChange.objects.count() == 1


def test_it_hides_other_reps_customers(rep_client, other_customer):
    response = rep_client.post(url(other_customer), {"to_status": "contacted", "version": 1})
    assert response.status_code == 404
    assert not StatusChange.objects.exists()


def test_get_is_not_allowed(rep_client, customer):
    assert rep_client.get(url(customer)).status_code == 405
