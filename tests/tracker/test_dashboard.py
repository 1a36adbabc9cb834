"""/campaigns/<slug>/dashboard/: ops only, every count links to its rows, constant query count."""

import datetime as dt

import pytest
from django.utils import timezone

from customers.choices import MigrationStatus
from tests.factories import CampaignFactory, CustomerFactory, DomainFactory, RepFactory
from tests.reports import clean_report, legacy_report, store
from tracker.queries import dashboards


@pytest.fixture
def campaign(db):
    today = timezone.localdate()
    return CampaignFactory(end_date=today + dt.timedelta(days=30), cleanup_date=today + dt.timedelta(days=60))


def url(campaign):
    return f"/campaigns/{campaign.slug}/dashboard/"


def seed(campaign, reps=2, customers_per_rep=2):
    """Reps with customers whose domains are legacy (breaking) or clean."""
    for _r in range(reps):
        rep = RepFactory()
        for _c in range(customers_per_rep):
            customer = CustomerFactory(rep=rep)
            legacy = DomainFactory(customer=customer)
            clean = DomainFactory(customer=customer)
            store(campaign, legacy, legacy_report(legacy.name))
            store(campaign, clean, clean_report(clean.name))


def test_it_requires_login(client, campaign):
    response = client.get(url(campaign))
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_it_is_for_ops_only(rep_client, campaign):
    assert rep_client.get(url(campaign)).status_code == 403


def test_ops_land_on_the_active_campaigns_dashboard(ops_client, campaign):
    response = ops_client.get("/", follow=True)
    assert response.redirect_chain[-1][0] == url(campaign)


def test_reps_land_on_their_customers(rep_client, campaign):
    response = rep_client.get("/")
    assert response["Location"] == "/customers/"


def test_it_shows_days_left_and_the_deadlines(ops_client, campaign):
    response = ops_client.get(url(campaign))
    assert response.status_code == 200
    deadlines = response.context["deadlines"]
    assert (deadlines.days_to_end, deadlines.days_to_cleanup) == (30, 60)
    assert b"days left" in response.content


def test_cleanup_readiness_links_to_exactly_the_breaking_domains(ops_client, campaign):
    seed(campaign, reps=1, customers_per_rep=3)
    response = ops_client.get(url(campaign))
    assert response.context["figures"]["breaks_on_removal"] == 3
    text = response.content.decode()
    link = f"/domains/?campaign={campaign.slug}&amp;breaks=true"
    assert f'<a class="alert-link" href="{link}" id="cleanup-link">3 domains</a>' in text
    listed = ops_client.get(f"/domains/?campaign={campaign.slug}&breaks=true")
    assert listed.context["table"].paginator.count == 3


def test_counts_link_to_their_filtered_lists(ops_client, campaign):
    seed(campaign, reps=1, customers_per_rep=2)
    text = ops_client.get(url(campaign)).content.decode()
    assert f"/domains/?campaign={campaign.slug}&amp;verdict=legacy" in text
    assert f"/domains/?campaign={campaign.slug}&amp;dmarc_policy=none" in text
    assert f"/domains/?campaign={campaign.slug}&amp;deprecated_tags=true" in text
    assert "/customers/?status=not_contacted" in text


def test_posture_counts_spf_and_dmarc(campaign):
    seed(campaign, reps=1, customers_per_rep=1)
    figures = dashboards.domain_figures(campaign)
    assert figures["total"] == 2
    assert figures["spf_present"] == 2 and figures["dmarc_present"] == 2
    assert figures["dmarc_none"] == 1 and figures["dmarc_reject"] == 1
    assert figures["deprecated_tags"] == 1
    assert figures["verdict_legacy"] == 1 and figures["verdict_clean"] == 1


def test_the_status_funnel_counts_customers(campaign):
    CustomerFactory(status=MigrationStatus.CONTACTED)
    CustomerFactory()
    funnel = {row["status"]: row["count"] for row in dashboards.status_funnel()}
    assert funnel[MigrationStatus.CONTACTED] == 1 and funnel[MigrationStatus.NOT_CONTACTED] == 1


def test_rep_progress_counts_each_reps_open_work(campaign):
    seed(campaign, reps=2, customers_per_rep=2)
    rows = list(dashboards.rep_progress(campaign))
    assert [(r.customer_count, r.not_migrated, r.legacy_domains) for r in rows] == [(2, 2, 2), (2, 2, 2)]


def test_the_burndown_follows_legacy_domains_over_time(campaign):
    domain_a, domain_b = DomainFactory(), DomainFactory()
    now = timezone.now()
    day = dt.timedelta(days=1)
    store(campaign, domain_a, legacy_report(domain_a.name), when=now - 3 * day)
    store(campaign, domain_b, legacy_report(domain_b.name), when=now - 2 * day)
    store(campaign, domain_a, clean_report(domain_a.name), when=now - day)
    data = dashboards.burndown(campaign)
    assert data["legacy"][:4] == [1, 2, 1, 1]
    assert data["end_date"] == campaign.end_date.isoformat()
    assert data["labels"][-1] == campaign.cleanup_date.isoformat()
    assert data["target"] and data["target"][0] == 1


def test_the_chart_data_is_embedded_as_json(ops_client, campaign):
    text = ops_client.get(url(campaign)).content.decode()
    assert '<script id="burndown-data" type="application/json">' in text
    assert '<canvas id="burndown-chart"' in text


def test_the_query_count_does_not_grow_with_rows(ops_client, campaign, django_assert_max_num_queries):
    seed(campaign, reps=1, customers_per_rep=1)
    # 21: one more since the references panel (issue 13) reads the states once; 3 for the
    # session's new expiry (idle timeout).
    with django_assert_max_num_queries(24) as few:
        ops_client.get(url(campaign))
    seed(campaign, reps=6, customers_per_rep=3)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = ops_client.get(url(campaign))
    assert len(response.context["rep_table"].rows) == 7


def test_the_cached_burndown_extends_with_new_spans_only(campaign, django_assert_max_num_queries):
    from django.core.cache import cache

    domain_a, domain_b = DomainFactory(), DomainFactory()
    now = timezone.now()
    store(campaign, domain_a, legacy_report(domain_a.name), when=now - dt.timedelta(days=2))
    store(campaign, domain_b, legacy_report(domain_b.name), when=now - dt.timedelta(days=2))
    assert dashboards.burndown(campaign)["current"] == 2
    with django_assert_max_num_queries(1):  # only the high-water mark
        dashboards.burndown(campaign)
    store(campaign, domain_a, clean_report(domain_a.name), when=now - dt.timedelta(days=1))
    store(campaign, domain_a, legacy_report(domain_a.name), when=now)
    store(campaign, domain_b, clean_report(domain_b.name), when=now)
    incremental = dashboards.burndown(campaign)
    cache.clear()
    assert incremental == dashboards.burndown(campaign)
    assert incremental["legacy"][:3] == [2, 1, 1]


def test_cached_figures_follow_new_checks_and_edits(ops_client, campaign, customer, other_rep):
    domain = customer.domains.get()
    store(campaign, domain, clean_report(domain.name))
    first = ops_client.get(url(campaign))
    assert first.context["figures"]["verdict_legacy"] == 0
    store(campaign, domain, legacy_report(domain.name), when=timezone.now() + dt.timedelta(seconds=5))
    second = ops_client.get(url(campaign))
    assert second.context["figures"]["verdict_legacy"] == 1
    customer.update({"rep": other_rep})
    rows = {row.username: row for row in ops_client.get(url(campaign)).context["rep_table"].data}
    assert rows["bob"].legacy_domains == 1 and rows["alice"].legacy_domains == 0


def test_domains_never_checked_are_counted(ops_client, campaign):
    checked, _unchecked = DomainFactory(), DomainFactory()
    store(campaign, checked, legacy_report(checked.name))
    response = ops_client.get(url(campaign))
    assert response.context["figures"]["never_checked"] == 1
    assert b"1 never checked" in response.content
