"""Issue 15 in a real browser: an ops review (the dashboard's three questions, a per-rep drill-down) and a
rep's home, at desktop width and at 390 px (a phone), with no sideways scrolling on the rep pages.

Screenshots go to artifacts/screenshots/ (see conftest).
"""

import datetime as dt

import pytest
from django.utils import timezone

from customers.choices import MigrationStatus
from tests.factories import CampaignFactory, CustomerFactory, DomainFactory
from tests.reports import inconclusive_report, legacy_report, store
from tracker.choices import TaskKind
from tracker.models import DailyFigures, FollowUpTask
from tracker.services.daily_figures import daily_figures_record

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 900}
NO_SIDEWAYS_SCROLL = "() => document.scrollingElement.scrollWidth <= window.innerWidth"


@pytest.fixture
def campaign():
    today = timezone.localdate()
    return CampaignFactory(
        internal_announcement_date=today - dt.timedelta(days=40),
        end_date=today + dt.timedelta(days=40),
        cleanup_date=today + dt.timedelta(days=60),
    )


@pytest.fixture
def world(campaign, rep, other_rep):
    """Alice: two customers still legacy, one moved; Bob: one customer, its lookups failing; 14 days of history."""
    today = timezone.localdate()
    acme = CustomerFactory(rep=rep, name="Acme Widgets 株式会社", status=MigrationStatus.CONTACTED)
    beta = CustomerFactory(rep=rep, name="Beta Logistics with a rather long company name Ltd")
    CustomerFactory(rep=rep, name="Moved Co", status=MigrationStatus.MIGRATED)
    bobcat = CustomerFactory(rep=other_rep, name="Bobcat", status=MigrationStatus.MIGRATED)
    for customer, name in (
        (acme, "acme.example"),
        (beta, "a-very-long-subdomain-name.beta-logistics.example"),
    ):
        domain = DomainFactory(customer=customer, name=name)
        store(campaign, domain, legacy_report(domain.name))
        FollowUpTask.objects.create(
            campaign=campaign,
            customer=customer,
            domain=domain,
            assignee=rep,
            kind=TaskKind.LEGACY_SPF_INCLUDE,
            due_date=today,
        )
    down = DomainFactory(customer=bobcat, name="bobcat.example")
    store(campaign, down, inconclusive_report(down.name))
    DailyFigures.objects.create(
        campaign=campaign, day=today - dt.timedelta(days=14), legacy_domains=9, legacy_customers=6
    )
    DailyFigures.objects.create(
        campaign=campaign, day=today - dt.timedelta(days=7), legacy_domains=5, legacy_customers=4
    )
    daily_figures_record(campaign)
    return {"acme": acme, "beta": beta}


def test_an_ops_review_answers_the_three_questions_and_drills_down_to_a_rep(
    page, live_server, login, screenshot, world, ops_user
):
    login("olga")
    page.wait_for_function("window.trackerCharts && window.trackerCharts.burndown")
    # (1) Are we on track? 9 -> 2 legacy domains in 14 days: half a domain a day, 4 more days.
    gone_on = (timezone.localdate() + dt.timedelta(days=4)).isoformat()
    assert page.locator("#forecast-sentence").inner_text() == (
        f"At this pace the last legacy domain is gone on {gone_on}, 56 days before the cleanup date."
    )
    assert page.locator("#legacy-domains").inner_text() == "2"
    assert page.locator("#legacy-customers").inner_text() == "2"
    assert "▼ 3 since a week ago" in page.locator("#question-on-track").inner_text()
    # Bob's lookups fail: unknown, not "0".
    assert page.locator("#legacy-domains-unknown").inner_text() == "+ 1 unknown"
    # (2) Who breaks if the legacy record goes today?
    assert page.locator("#breaking-customers").inner_text() == "2"
    # (3) Which reps are behind? Alice has 1 of 3 done, the end date needs half by today.
    alice = page.locator("tr[data-rep='alice']")
    assert "behind by" in alice.inner_text()
    assert page.locator("tr[data-rep]").first.get_attribute("data-rep") == "alice"  # most behind first
    screenshot("ops-review-dashboard")
    page.set_viewport_size(PHONE)
    screenshot("ops-review-dashboard-phone")
    page.set_viewport_size(DESKTOP)

    alice.locator("a.rep-link").click()
    page.wait_for_load_state("networkidle")
    assert "rep=" in page.url
    rows = page.locator("table tbody tr")
    assert rows.count() == 3 and "Bobcat" not in page.locator("table").inner_text()
    screenshot("ops-review-rep-drilldown")

    page.goto(f"{live_server.url}/customers/?breaks=true")
    assert page.locator("table tbody tr").count() == 2


def test_a_reps_home_at_desktop_and_on_a_phone(page, live_server, login, screenshot, world):
    login("alice")
    assert page.url == f"{live_server.url}/"
    assert page.locator("#to-move-count").inner_text() == "2"
    groups = page.locator("#tasks-this-week .task-group")
    assert groups.count() == 2
    assert "behind" in page.locator("#progress-verdict").inner_text()
    assert "33%" in page.locator("#mine-percent").inner_text()
    screenshot("rep-home")

    page.set_viewport_size(PHONE)
    for path, name in (
        ("/", "rep-home-phone"),
        ("/customers/", "rep-customers-phone"),
        (f"/customers/{world['beta'].pk}/", "rep-customer-phone"),
        ("/tasks/", "rep-tasks-phone"),
    ):
        page.goto(f"{live_server.url}{path}")
        page.wait_for_load_state("networkidle")
        screenshot(name)
        width = page.evaluate("() => [document.scrollingElement.scrollWidth, window.innerWidth]")
        assert page.evaluate(NO_SIDEWAYS_SCROLL), f"{path} scrolls sideways: {width}"
    page.goto(f"{live_server.url}/customers/")
    assert not page.locator("#filter-form").is_visible()  # filters collapsed behind a button
    page.get_by_role("button", name="Filters").click()
    page.locator("#filter-form").wait_for(state="visible")
    screenshot("rep-customers-phone-filters")
