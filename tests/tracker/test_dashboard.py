"""/campaigns/<slug>/dashboard/: ops only, every count links to its rows, constant query count."""

import datetime as dt

import pytest
from django.utils import timezone

from customers.choices import MigrationStatus
from customers.models import Customer
from tests.factories import CampaignFactory, CustomerFactory, DomainFactory, RepFactory
from tests.reports import clean_report, inconclusive_report, legacy_report, store
from tracker.choices import TaskKind
from tracker.models import DailyFigures, FollowUpTask
from tracker.queries import dashboards
from tracker.services.daily_figures import daily_figures_backfill, daily_figures_record


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


def test_reps_land_on_their_home(rep_client, campaign):
    response = rep_client.get("/")
    assert response.status_code == 200
    assert response.templates[0].name == "tracker/rep_home.html"


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


def test_the_backfill_replays_the_history_into_one_row_per_day(campaign):
    customer = CustomerFactory()
    domain_a, domain_b = DomainFactory(customer=customer), DomainFactory(customer=customer)
    domain_c = DomainFactory()
    now = timezone.now()
    day = dt.timedelta(days=1)
    store(campaign, domain_a, legacy_report(domain_a.name), when=now - 3 * day)
    store(campaign, domain_b, legacy_report(domain_b.name), when=now - 2 * day)
    store(campaign, domain_c, legacy_report(domain_c.name), when=now - 2 * day)
    store(campaign, domain_a, clean_report(domain_a.name), when=now - day)
    store(campaign, domain_c, inconclusive_report(domain_c.name), when=now - day)
    assert daily_figures_backfill(campaign, now) == 3
    rows = DailyFigures.objects.filter(campaign=campaign).order_by("day")
    assert [(r.legacy_domains, r.legacy_customers, r.unknown_domains, r.unknown_customers) for r in rows] == [
        (1, 1, 0, 0),
        (3, 2, 0, 0),
        (1, 1, 1, 1),  # the failed lookup is unknown, not "no longer legacy"
    ]
    assert rows[0].breaking_domains is None  # spans do not know it: not 0
    assert daily_figures_backfill(campaign, now) == 0  # days already stored stay
    data = dashboards.burndown(campaign)
    assert data["legacy"][:4] == [1, 3, 1, 1]  # the fourth point is today's live count
    assert data["legacy_customers"][:4] == [1, 2, 1, 1]
    assert data["unknown"][:4] == [0, 0, 1, 1]
    assert data["end_date"] == campaign.end_date.isoformat()
    assert data["labels"][-1] == campaign.cleanup_date.isoformat()
    assert data["target"] and data["target"][0] == 1


def stored_day(campaign, day, legacy, customers=None, unknown=0):
    DailyFigures.objects.create(
        campaign=campaign,
        day=day,
        legacy_domains=legacy,
        legacy_customers=customers if customers is not None else legacy,
        unknown_domains=unknown,
        unknown_customers=unknown,
        breaking_domains=legacy,
        breaking_customers=customers if customers is not None else legacy,
    )


def legacy_domains_today(campaign, count):
    for _n in range(count):
        domain = DomainFactory()
        store(campaign, domain, legacy_report(domain.name))


def test_the_forecast_projects_the_pace_of_the_last_14_days(db):
    # By hand: 40 legacy domains on 2027-02-04, 12 today (2027-02-18): 28 fewer in 14 days, 2 a day;
    # 12 left at 2 a day is 6 more days: 2027-02-24, which is 34 days after the cleanup date 2027-01-21.
    campaign = CampaignFactory(end_date=dt.date(2027, 1, 7), cleanup_date=dt.date(2027, 1, 21))
    today = dt.date(2027, 2, 18)
    stored_day(campaign, dt.date(2027, 1, 28), 60)  # older than the window: not the pace
    stored_day(campaign, dt.date(2027, 2, 4), 40)
    stored_day(campaign, dt.date(2027, 2, 11), 26)
    legacy_domains_today(campaign, 12)
    data = dashboards.burndown(campaign, today)
    assert data["forecast"] == "2027-02-24"
    assert data["sentence"] == (
        "At this pace the last legacy domain is gone on 2027-02-24, 34 days after the cleanup date."
    )
    assert data["week_ago"]["legacy_domains"] == 26
    assert data["labels"][0] == "2027-01-28" and data["labels"][-1] == "2027-02-24"
    assert data["projected"][-1] == 0 and data["projected"][data["labels"].index("2027-02-18")] == 12


def test_a_pace_of_zero_gives_no_forecast(db):
    campaign = CampaignFactory(end_date=dt.date(2027, 1, 7), cleanup_date=dt.date(2027, 1, 21))
    today = dt.date(2027, 2, 18)
    stored_day(campaign, dt.date(2027, 2, 1), 3)
    legacy_domains_today(campaign, 3)
    data = dashboards.burndown(campaign, today)
    assert data["forecast"] is None
    assert data["sentence"] == "The pace is zero: no forecast."


def test_the_dashboard_says_the_forecast_and_the_week_over_week_change(ops_client, campaign):
    today = timezone.localdate()
    stored_day(campaign, today - dt.timedelta(days=14), 9, customers=5)
    stored_day(campaign, today - dt.timedelta(days=7), 6, customers=4)
    seed(campaign, reps=1, customers_per_rep=3)  # 3 legacy (breaking) domains of 3 customers today
    response = ops_client.get(url(campaign))
    text = response.content.decode()
    # 9 -> 3 in 14 days is 3 every 7 days: the last one is gone in 7 days.
    gone_on = (today + dt.timedelta(days=7)).isoformat()
    assert (
        f"At this pace the last legacy domain is gone on {gone_on}, 53 days before the cleanup date." in text
    )
    legacy = {h["key"]: h for h in response.context["headlines"]["legacy"]}
    assert legacy["legacy-domains"]["value"] == 3 and legacy["legacy-domains"]["change"] == -3
    assert legacy["legacy-customers"]["value"] == 3 and legacy["legacy-customers"]["change"] == -1
    assert 'data-change="-3"' in text


def test_unknown_is_its_own_number_during_a_dns_outage(ops_client, campaign):
    customer = CustomerFactory()
    for _n in range(2):
        domain = DomainFactory(customer=customer)
        store(campaign, domain, inconclusive_report(domain.name))
    response = ops_client.get(url(campaign))
    live = response.context["live"]
    assert (live["legacy_domains"], live["unknown_domains"]) == (0, 2)
    assert (live["legacy_customers"], live["unknown_customers"]) == (0, 1)
    text = response.content.decode()
    assert '<a class="h5 mb-0 link-warning text-warning-emphasis" href="/domains/?campaign=' in text
    assert "+ 2 unknown" in text and "+ 1 unknown" in text


def test_who_breaks_is_counted_in_customers_and_domains_each_linked_to_its_list(ops_client, campaign):
    seed(campaign, reps=1, customers_per_rep=2)
    extra = DomainFactory(customer=Customer.objects.first())
    store(campaign, extra, legacy_report(extra.name))  # a second breaking domain of one customer
    response = ops_client.get(url(campaign))
    breaking = {h["key"]: h for h in response.context["headlines"]["breaking"]}
    assert breaking["breaking-customers"]["value"] == 2 and breaking["breaking-domains"]["value"] == 3
    customers = ops_client.get(breaking["breaking-customers"]["url"])
    assert customers.context["table"].paginator.count == 2
    domains = ops_client.get(breaking["breaking-domains"]["url"])
    assert domains.context["table"].paginator.count == 3


def test_reps_behind_the_share_the_deadline_needs_are_flagged_first(ops_client, db):
    today = timezone.localdate()
    campaign = CampaignFactory(
        internal_announcement_date=today - dt.timedelta(days=50), end_date=today + dt.timedelta(days=50)
    )
    on_track, behind = RepFactory(username="on-track"), RepFactory(username="behind")
    for status in (MigrationStatus.MIGRATED, MigrationStatus.CONTACTED):
        CustomerFactory(rep=on_track, status=status)
    for status in (MigrationStatus.LEAVING, *[MigrationStatus.UNREACHABLE] * 3):
        CustomerFactory(rep=behind, status=status)
    rows = dashboards.rep_progress(campaign, today)
    assert [(r.username, r.done_share, r.needed_share, r.behind) for r in rows] == [
        ("behind", 0.25, 0.5, True),
        ("on-track", 0.5, 0.5, False),
    ]
    text = ops_client.get(url(campaign)).content.decode()
    assert "behind by 25 points" in text and "1 rep behind" in text
    ordered = ops_client.get(url(campaign) + "?reps-sort=-done_share")
    assert [r.record.username for r in ordered.context["rep_table"].rows] == ["on-track", "behind"]


def test_a_past_end_date_counts_every_open_task_as_overdue(ops_client, db):
    today = timezone.localdate()
    campaign = CampaignFactory(
        end_date=today - dt.timedelta(days=3), cleanup_date=today + dt.timedelta(days=10)
    )
    for due in (today + dt.timedelta(days=5), None, today - dt.timedelta(days=1)):
        FollowUpTask.objects.create(
            campaign=campaign, customer=CustomerFactory(), kind=TaskKind.LEGACY_SPF_INCLUDE, due_date=due
        )
    response = ops_client.get(url(campaign))
    assert response.context["overdue_tasks"] == 3
    text = response.content.decode()
    assert "3 days ago" in text.replace('</div><div class="small text-body-secondary">', " ")
    assert "The end date has passed: every open task is overdue." in text
    listed = ops_client.get(response.context["overdue_url"])
    assert listed.context["task_count"] == 3


def test_the_chart_data_is_embedded_as_json(ops_client, campaign):
    text = ops_client.get(url(campaign)).content.decode()
    assert '<script id="burndown-data" type="application/json">' in text
    assert '<canvas id="burndown-chart"' in text


def test_the_query_count_does_not_grow_with_rows(ops_client, campaign, django_assert_max_num_queries):
    seed(campaign, reps=1, customers_per_rep=1)
    # 17, one more since the references panel (issue 13) reads the states once; 3 for the
    # session's new expiry (idle timeout).
    with django_assert_max_num_queries(21) as few:
        ops_client.get(url(campaign))
    seed(campaign, reps=6, customers_per_rep=3)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = ops_client.get(url(campaign))
    assert len(response.context["rep_table"].rows) == 7


def test_a_cold_dashboard_reads_the_stored_days_not_the_history(
    ops_client, campaign, django_assert_max_num_queries
):
    from django.core.cache import cache

    seed(campaign, reps=1, customers_per_rep=1)
    today = timezone.localdate()
    stored_day(campaign, today - dt.timedelta(days=1), 2)
    with django_assert_max_num_queries(40) as cold:
        ops_client.get(url(campaign))
    assert not any('"tracker_check"' in q["sql"] and "LAG" in q["sql"] for q in cold.captured_queries)
    for back in range(2, 300):
        stored_day(campaign, today - dt.timedelta(days=back), back)
    seed(campaign, reps=3, customers_per_rep=2)
    cache.clear()
    with django_assert_max_num_queries(len(cold.captured_queries)):
        response = ops_client.get(url(campaign))
    assert len(response.context["burndown"]["legacy"]) >= 300


def test_stored_figures_serve_a_cold_dashboard_and_say_when_they_are_stale(ops_client, campaign):
    from django.core.cache import cache

    seed(campaign, reps=1, customers_per_rep=2)
    daily_figures_record(campaign)
    cache.clear()
    response = ops_client.get(url(campaign))
    assert response.context["stored"].current and response.context["live"]["legacy_domains"] == 2
    assert b'id="figures-as-of"' not in response.content
    newer = DomainFactory()
    store(campaign, newer, legacy_report(newer.name), when=timezone.now() + dt.timedelta(seconds=1))
    response = ops_client.get(url(campaign))
    assert not response.context["stored"].current
    assert response.context["live"]["legacy_domains"] == 2  # what was counted, said to be as of then
    assert b'id="figures-as-of"' in response.content
    assert cache.get(f"tracker:figures-refresh:{campaign.pk}")  # a recount is queued (once a minute)
    daily_figures_record(campaign)  # what the queued task does
    assert ops_client.get(url(campaign)).context["live"]["legacy_domains"] == 3


def test_pages_poll_while_a_sweep_runs_and_stop_when_none_does(ops_client, campaign):
    from tracker.choices import SweepStatus
    from tracker.models import Sweep
    from tracker.services.sweeps import sweep_start

    seed(campaign, reps=1, customers_per_rep=1)
    daily_figures_record(campaign)
    sweeps = f"/campaigns/{campaign.slug}/sweeps/"
    assert 'hx-trigger="every' not in ops_client.get(url(campaign)).content.decode()
    assert 'hx-trigger="every' not in ops_client.get(sweeps).content.decode()
    sweep = sweep_start(campaign, enqueue=False)
    assert sweep.status == SweepStatus.QUEUED
    dashboard = ops_client.get(url(campaign)).content.decode()
    assert 'id="dashboard-poll" hx-get=' in dashboard and 'hx-trigger="every 10s"' in dashboard
    assert 'hx-select-oob="#live-legacy,#live-breaking,#live-sweeps,#figures-note"' in dashboard
    listed = ops_client.get(sweeps).content.decode()
    assert 'id="sweep-table" hx-get=' in listed and 'hx-trigger="every 3s"' in listed
    Sweep.objects.filter(pk=sweep.pk).update(status=SweepStatus.DONE)
    assert 'hx-trigger="every' not in ops_client.get(url(campaign)).content.decode()
    assert 'hx-trigger="every' not in ops_client.get(sweeps).content.decode()
