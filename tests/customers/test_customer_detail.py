"""/customers/<pk>/: contact, status form, history, domains; other reps' customers are 404."""

from django.urls import reverse

from customers.choices import MigrationStatus
from tests.factories import DomainFactory


def url(customer):
    return reverse("customers:customer_detail", args=[customer.pk])


def test_it_requires_login(client, customer):
    response = client.get(url(customer))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_it_shows_the_customer(rep_client, customer, rep):
    customer.change_status(MigrationStatus.CONTACTED, by=rep, note="Left a <b>voicemail</b>")
    response = rep_client.get(url(customer))
    assert response.status_code == 200
    content = response.content.decode()
    assert "Acme Widgets" in content and "acme.example" in content
    assert "Left a &lt;b&gt;voicemail&lt;/b&gt;" in content  # the note, escaped, in the history
    # the form offers only allowed next steps
    assert 'value="scheduled"' in content and 'value="migrated"' not in content


def test_it_hides_other_reps_customers(rep_client, other_customer):
    assert rep_client.get(url(other_customer)).status_code == 404


def test_ops_see_any_customer(ops_client, customer, other_customer):
    assert ops_client.get(url(other_customer)).status_code == 200


def test_an_unknown_customer_is_404(ops_client, db):
    assert ops_client.get(reverse("customers:customer_detail", args=[999999])).status_code == 404


def test_idn_domains_show_both_forms(rep_client, customer):
    DomainFactory(customer=customer, name="例え.jp")
    content = rep_client.get(url(customer)).content.decode()
    assert "xn--r8jz45g.jp" in content and "例え.jp" in content
