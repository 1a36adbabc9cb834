"""/customers/: login required, reps see their own, ops see all, filters, constant query count."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from customers.choices import MigrationStatus
from tests.factories import CampaignFactory, CustomerFactory, DomainFactory
from tests.reports import clean_report, legacy_report, store
from tracker.choices import TaskKind, TaskStatus
from tracker.models import FollowUpTask

URL = reverse("tracker:customer_list")


def test_it_requires_login(client, customer):
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_home_links_to_the_list(rep_client):
    response = rep_client.get("/")  # the rep's home (issue 15), which leads to the whole list
    assert response.status_code == 200 and f'href="{URL}"' in response.content.decode()


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


def _legacy_customer_with_task(campaign, rep, due):
    """A customer of `rep` with one legacy and one clean domain and an open task due on `due`."""
    customer = CustomerFactory(rep=rep)
    legacy, clean = DomainFactory.create_batch(2, customer=customer)
    store(campaign, legacy, legacy_report(legacy.name))
    store(campaign, clean, clean_report(clean.name))
    FollowUpTask.objects.create(
        campaign=campaign, customer=customer, domain=legacy, kind=TaskKind.LEGACY_SPF_INCLUDE, due_date=due
    )
    return customer


@pytest.mark.parametrize(
    "query", ["?sort=-legacy_domains", "?verdict=legacy&has_open_task=true&sort=next_task_due"]
)
def test_query_count_does_not_grow_with_rows(client, ops_user, rep, django_assert_num_queries, query):
    client.force_login(ops_user)
    campaign = CampaignFactory(active=True)
    due = dt.date(2099, 1, 1)
    for customer in CustomerFactory.create_batch(3, rep=rep):
        DomainFactory.create_batch(2, customer=customer)
    for _ in range(3):
        _legacy_customer_with_task(campaign, rep, due)
    client.get(URL + query)  # warm up anything cached per process
    # session, user, groups, active campaign, count, reps (ops' filter), page of rows; filtered: + the
    # filter's campaign; then the session's new expiry (idle timeout: savepoint, update, release)
    with django_assert_num_queries((8 if "verdict" in query else 7) + 3) as few:
        response = client.get(URL + query)
    assert response.content.count(b"verdict-legacy") == 3
    for customer in CustomerFactory.create_batch(30, rep=rep):
        DomainFactory.create_batch(2, customer=customer)
    for _ in range(30):
        _legacy_customer_with_task(campaign, rep, due)
    with django_assert_num_queries(len(few.captured_queries)):
        response = client.get(URL + query)
    assert response.content.count(b"verdict-legacy") == 33


@pytest.fixture
def campaign(db):
    return CampaignFactory(active=True)


@pytest.fixture
def workspace(campaign, customer, other_customer):
    """Acme: legacy, with a task due yesterday; Bobcat: clean, no task."""
    store(campaign, customer.domains.get(), legacy_report("acme.example"))
    store(campaign, other_customer.domains.get(), clean_report("bobcat.example"))
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    FollowUpTask.objects.create(
        campaign=campaign,
        customer=customer,
        domain=customer.domains.get(),
        kind=TaskKind.LEGACY_SPF_INCLUDE,
        due_date=yesterday,
    )
    return yesterday


def test_it_shows_legacy_domains_and_the_next_task_due(rep_client, customer, workspace):
    text = rep_client.get(URL).content.decode()
    # A rep's legacy count leads to the customer page (the domain list is for operations).
    assert f'href="{reverse("tracker:customer_detail", args=[customer.pk])}#domains">1 legacy</a>' in text
    assert f'<span class="text-danger fw-semibold">{workspace.isoformat()}</span>' in text


def test_ops_legacy_count_links_to_the_filtered_domain_list(ops_client, customer, campaign, workspace):
    text = ops_client.get(URL).content.decode()
    assert f'href="/domains/?campaign={campaign.slug}&amp;verdict=legacy&amp;q=ACC-1001"' in text


@pytest.mark.parametrize(
    ("query", "acme", "bobcat"),
    [
        ({"verdict": "legacy"}, True, False),
        ({"verdict": "clean"}, False, True),
        ({"verdict": "unregistered"}, False, False),
        ({"has_open_task": "true"}, True, False),
        ({"has_open_task": "false"}, False, True),
        ({"has_open_task": ""}, True, True),
    ],
)
def test_it_filters_by_verdict_and_open_task(ops_client, workspace, query, acme, bobcat):
    content = ops_client.get(URL, query).content
    assert (b"Acme Widgets" in content, b"Bobcat Logistics" in content) == (acme, bobcat)


def test_done_tasks_and_other_campaigns_do_not_count(ops_client, customer, campaign, workspace):
    FollowUpTask.objects.filter(customer=customer).update(status=TaskStatus.DONE)
    old = CampaignFactory(slug="older", active=False)
    store(old, customer.domains.get(), clean_report("acme.example"))
    assert b"Acme Widgets" not in ops_client.get(URL, {"has_open_task": "true"}).content
    assert b"Acme Widgets" not in ops_client.get(URL, {"verdict": "clean"}).content
