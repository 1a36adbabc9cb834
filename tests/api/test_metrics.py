"""/metrics scraped with prometheus_client's own parser over HTTP; /healthz and /readyz."""

import datetime as dt

import pytest
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from tests.factories import CampaignFactory, CustomerFactory, DomainFactory
from tests.reports import clean_report, legacy_report, store
from tracker.choices import Priority, SweepKind, SweepStatus, TaskKind, TokenAccess
from tracker.models import FollowUpTask, Sweep
from tracker.project.celery import app as celery_app
from tracker.queries.dashboards import domain_figures, rep_progress, status_funnel

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def world(rep, other_rep, customer, other_customer):
    """Two reps' customers with checked domains, tasks (one overdue) and a finished sweep."""
    campaign = CampaignFactory(end_date=timezone.localdate() + dt.timedelta(days=30))
    today = timezone.localdate()
    acme = customer.domains.get()
    store(campaign, acme, legacy_report(acme.name))
    store(campaign, other_customer.domains.get(), clean_report("bobcat.example"))
    extra = DomainFactory(customer=customer, name="acme-shop.example")
    store(campaign, extra, legacy_report(extra.name, verdict="inconclusive"))
    DomainFactory(customer=CustomerFactory(rep=other_rep, account_id="ACC-3"), name="new.example")
    for domain, due in ((acme, today - dt.timedelta(days=2)), (extra, today + dt.timedelta(days=3))):
        FollowUpTask.objects.create(
            campaign=campaign,
            customer=customer,
            domain=domain,
            assignee=rep,
            kind=TaskKind.LEGACY_SPF_INCLUDE,
            priority=Priority.HIGH,
            due_date=due,
        )
    customer.change_status("contacted", by=rep)
    started = timezone.now() - dt.timedelta(minutes=5)
    Sweep.objects.create(
        campaign=campaign,
        kind=SweepKind.FULL,
        status=SweepStatus.DONE,
        started_at=started,
        finished_at=started + dt.timedelta(seconds=90),
        total=4,
        done=4,
        timeout_count=1,
    )
    return campaign


def scrape(api) -> dict[tuple[str, tuple], float]:
    answer = api.get("/metrics", headers={"Accept": "text/plain"})
    assert answer.status == 200, answer.body
    assert answer.headers["Content-Type"].startswith("text/plain; version=")
    samples = {}
    for family in text_string_to_metric_families(answer.body.decode()):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def test_the_figures_match_the_dashboards(api_for, ops_user, world, settings):
    settings.METRICS_ALLOWED_IPS = []
    samples = scrape(api_for(ops_user, TokenAccess.READ))
    figures = domain_figures(world)
    slug = ("campaign", world.slug)
    for verdict in ("clean", "legacy", "inconclusive", "unregistered"):
        assert (
            samples[("tracker_domains_by_verdict", (slug, ("verdict", verdict)))]
            == figures[f"verdict_{verdict}"]
        )
    assert figures["verdict_legacy"] == 1 and figures["verdict_inconclusive"] == 1
    assert samples[("tracker_domains_would_break", (slug,))] == figures["breaks_on_removal"] >= 1
    assert samples[("tracker_domains_never_checked", (slug,))] == figures["never_checked"] == 1
    assert samples[("tracker_customers_by_verdict", (slug, ("verdict", "legacy")))] == 1
    assert samples[("tracker_customers_by_verdict", (slug, ("verdict", "clean")))] == 1
    for row in status_funnel():
        assert samples[("tracker_customers_by_status", (("status", row["status"].value),))] == row["count"]
    reps = {row.username: row for row in rep_progress(world)}
    assert (reps["alice"].open_tasks, reps["alice"].overdue_tasks) == (2, 1)
    for username, row in reps.items():
        labels = (slug, ("rep", username))
        assert samples[("tracker_tasks_open", labels)] == row.open_tasks
        assert samples[("tracker_tasks_overdue", labels)] == row.overdue_tasks
    assert samples[("tracker_last_sweep_duration_seconds", (slug, ("kind", "full")))] == 90.0
    assert samples[("tracker_last_sweep_dns_failure_ratio", (slug,))] == 0.25
    # The maintained exporter's request and database metrics are there too.
    names = {name for name, _ in samples}
    assert "django_http_requests_total_by_method_total" in names
    assert any(name.startswith("django_db_execute_total") for name in names)


def test_metrics_need_an_ops_token_or_an_allowed_address(
    api_for, anonymous_api, rep, ops_user, settings, world
):
    settings.METRICS_ALLOWED_IPS = []
    assert anonymous_api.get("/metrics").status == 403
    assert api_for(rep).get("/metrics").status == 403
    assert api_for(ops_user).get("/metrics").status == 200
    settings.METRICS_ALLOWED_IPS = ["127.0.0.0/8"]
    assert anonymous_api.get("/metrics").status == 200


def test_healthz_answers_without_login(anonymous_api):
    answer = anonymous_api.get("/healthz")
    assert (answer.status, answer.body) == (200, b"ok\n")


def test_readyz_is_200_with_database_and_broker_and_503_without_the_broker(anonymous_api, redis_url):
    saved = celery_app.conf.broker_url, celery_app.conf.broker_write_url
    try:
        celery_app.conf.broker_url = celery_app.conf.broker_write_url = redis_url
        answer = anonymous_api.get("/readyz")
        assert (answer.status, answer.json) == (200, {"ready": True, "database": "ok", "broker": "ok"})
        celery_app.conf.broker_write_url = "redis://127.0.0.1:1/0"  # nothing listens on port 1
        answer = anonymous_api.get("/readyz")
        assert (answer.status, answer.json) == (
            503,
            {"ready": False, "database": "ok", "broker": "unreachable"},
        )
    finally:
        celery_app.conf.broker_url, celery_app.conf.broker_write_url = saved
