"""/customers/: login required, reps see their own, ops see all, filters, constant query count."""

import pytest
from django.urls import reverse

from customers.choices import MigrationStatus
from tests.factories import CustomerFactory, DomainFactory

URL = reverse("customers:customer_list")


def test_it_requires_login(client, customer):
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_home_redirects_to_the_list(rep_client):
    response = rep_client.get("/")
    assert response.status_code == 302 and response["Location"] == URL


def test_it_shows_the_reps_customers(rep_client, customer):
    response = rep_client.get(URL)
    assert response.status_code == 200
    assert b"Acme Widgets" in response.content
    assert b"ACC-1001" in response.content


def test_it_hides_other_reps_customers(rep_client, customer, other_customer):
    response = rep_client.get(URL)
    assert b"Bobcat Logistics" not in response.content


def test_ops_see_everyone(ops_client, customer, other_customer):
    response = ops_client.get(URL)
    assert b"Acme Widgets" in response.content and b"Bobcat Logistics" in response.content


def test_it_filters_by_status(ops_client, customer, other_customer):
    other_customer.change_status(MigrationStatus.CONTACTED)
    response = ops_client.get(URL, {"status": "contacted"})
    assert b"Bobcat Logistics" in response.content and b"Acme Widgets" not in response.content


@pytest.mark.parametrize("query", ["bobcat", "acc-2002", "bobcat.exam", "BOBCAT.EXAMPLE"])
def test_it_searches_name_account_and_domain(ops_client, customer, other_customer, query):
    response = ops_client.get(URL, {"q": query})
    assert b"Bobcat Logistics" in response.content and b"Acme Widgets" not in response.content


def test_it_finds_idn_domains_by_their_unicode_name(ops_client, customer):
    DomainFactory(customer=customer, name="例え.jp")
    response = ops_client.get(URL, {"q": "例え.jp"})
    assert b"Acme Widgets" in response.content


def test_a_domain_search_lists_a_customer_once(ops_client, customer):
    DomainFactory(customer=customer, name="www.acme.example")
    response = ops_client.get(URL, {"q": "acme"})
    assert response.content.count(b"ACC-1001") == 1


def test_it_escapes_customer_data(ops_client, rep):
    CustomerFactory(rep=rep, name="<script>alert(1)</script>")
    response = ops_client.get(URL)
    assert b"<script>alert(1)" not in response.content
    assert b"&lt;script&gt;" in response.content


def test_it_paginates(ops_client, rep):
    CustomerFactory.create_batch(55, rep=rep)
    response = ops_client.get(URL)
    assert response.content.count(b"/customers/") - response.content.count(b'href="/customers/"') >= 50
    assert b"page=2" in response.content


def test_query_count_does_not_grow_with_rows(client, ops_user, rep, django_assert_num_queries):
    client.force_login(ops_user)
    for customer in CustomerFactory.create_batch(3, rep=rep):
        DomainFactory.create_batch(2, customer=customer)
    client.get(URL)  # warm up anything cached per process
    with django_assert_num_queries(6) as few:
        client.get(URL)
    for customer in CustomerFactory.create_batch(30, rep=rep):
        DomainFactory.create_batch(2, customer=customer)
    with django_assert_num_queries(len(few.captured_queries)):
        client.get(URL)
