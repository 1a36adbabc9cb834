"""/customers/<pk>/edit/: optimistic locking through the form's version field."""

from django.urls import reverse

from customers.models import Customer


def url(customer):
    return reverse("tracker:customer_edit", args=[customer.pk])


def form_data(customer, **overrides):
    data = {
        "name": customer.name,
        "contact_name": customer.contact_name,
        "contact_email": customer.contact_email,
        "notice_sent_at": "",
        "notes": customer.notes,
        "version": customer.version,
    }
    data.update(overrides)
    return data


def test_it_requires_login(client, customer):
    assert client.get(url(customer)).status_code == 302


def test_it_shows_the_form_with_the_version(rep_client, customer):
    response = rep_client.get(url(customer))
    assert response.status_code == 200
    assert b'name="version" value="1"' in response.content
    assert b'name="rep"' not in response.content  # reps don't reassign customers


def test_it_saves(rep_client, customer):
    response = rep_client.post(
        url(customer), form_data(customer, contact_name="Kim Lee", notice_sent_at="2026-02-01T09:30")
    )
    assert response.status_code == 302
    customer.refresh_from_db()
    assert customer.contact_name == "Kim Lee"
    assert customer.notice_sent_at.isoformat() == "2026-02-01T09:30:00+00:00"
    assert customer.version == 2


def test_a_stale_page_gets_a_conflict_and_keeps_the_input(rep_client, customer, ops_user):
    stale = form_data(customer, contact_name="Mine", notes="my notes")
    Customer.objects.get(pk=customer.pk).update({"contact_name": "Theirs"})  # someone else saves first

    response = rep_client.post(url(customer), stale)
    assert response.status_code == 409
    content = response.content.decode()
    assert "Someone else saved this customer" in content
    assert 'value="Mine"' in content and "my notes" in content  # their input is kept
    assert "Theirs" in content  # and they see what changed
    assert 'name="version" value="2"' in content
    assert Customer.objects.get(pk=customer.pk).contact_name == "Theirs"

    # Submitting again, knowingly, applies their input over the new version.
    response = rep_client.post(
        url(customer), form_data(customer, contact_name="Mine", notes="my notes", version=2)
    )
    assert response.status_code == 302
    assert Customer.objects.get(pk=customer.pk).contact_name == "Mine"


def test_invalid_input_is_shown(rep_client, customer):
    response = rep_client.post(url(customer), form_data(customer, contact_email="nope"))
    assert response.status_code == 400
    assert Customer.objects.get(pk=customer.pk).version == 1


def test_it_hides_other_reps_customers(rep_client, other_customer):
    assert rep_client.get(url(other_customer)).status_code == 404
    response = rep_client.post(url(other_customer), form_data(other_customer, name="Hijacked"))
    assert response.status_code == 404
    assert Customer.objects.get(pk=other_customer.pk).name == "Bobcat Logistics"


def test_ops_may_reassign_the_rep(ops_client, customer, other_rep):
    data = form_data(customer, rep=other_rep.pk, account_id=customer.account_id)
    response = ops_client.post(url(customer), data)
    assert response.status_code == 302
    assert Customer.objects.get(pk=customer.pk).rep == other_rep


def test_a_rep_cannot_reassign_by_posting_the_field(rep_client, customer, other_rep):
    rep_client.post(url(customer), form_data(customer, rep=other_rep.pk, account_id="HACK"))
    customer.refresh_from_db()
    assert customer.rep.username == "alice" and customer.account_id == "ACC-1001"
