"""The Django admin is for superusers only; its audit log is read-only."""

from django.urls import reverse

from customers.choices import MigrationStatus


def test_ops_cannot_use_the_admin(client, ops_user):
    ops_user.is_staff = True
    ops_user.save()
    client.force_login(ops_user)
    response = client.get(reverse("admin:index"))
    assert response.status_code == 302 and "login" in response["Location"]


def test_superusers_can(client, superuser, customer):
    client.force_login(superuser)
    assert client.get(reverse("admin:index")).status_code == 200
    assert client.get(reverse("admin:customers_customer_change", args=[customer.pk])).status_code == 200


def test_history_is_read_only_in_the_admin(client, superuser, customer, rep):
    change = customer.change_status(MigrationStatus.CONTACTED, by=rep)
    client.force_login(superuser)
    response = client.get(reverse("admin:customers_statuschange_change", args=[change.pk]))
    assert response.status_code == 200
    assert b'name="note"' not in response.content
    assert client.get(reverse("admin:customers_statuschange_add")).status_code == 403
    assert (
        client.post(
            reverse("admin:customers_statuschange_delete", args=[change.pk]), {"post": "yes"}
        ).status_code
        == 403
    )


def test_an_admin_edit_conflicts_with_open_pages(client, superuser, customer):
    client.force_login(superuser)
    url = reverse("admin:customers_customer_change", args=[customer.pk])
    data = {
        "name": "Acme Renamed",
        "account_id": customer.account_id,
        "rep": customer.rep_id,
        "contact_name": "",
        "contact_email": "",
        "notes": "",
        "domains-TOTAL_FORMS": 0,
        "domains-INITIAL_FORMS": 0,
        "status_changes-TOTAL_FORMS": 0,
        "status_changes-INITIAL_FORMS": 0,
    }
    response = client.post(url, data)
    assert response.status_code == 302, response.content
    customer.refresh_from_db()
    assert (customer.name, customer.version) == ("Acme Renamed", 2)
