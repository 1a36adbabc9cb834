"""The main pages in a real browser: a rep's day, the ops dashboard, the domain evidence.

Screenshots of each page go to artifacts/screenshots/ (see conftest).
"""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.factories import CampaignFactory, CustomerFactory, DomainFactory, RepFactory
from tests.reports import clean_report, legacy_report, store
from tracker.choices import TaskKind, TaskStatus
from tracker.models import FollowUpTask

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def campaign():
    today = timezone.localdate()
    return CampaignFactory(end_date=today + dt.timedelta(days=20), cleanup_date=today + dt.timedelta(days=50))


@pytest.fixture
def world(campaign, customer, other_customer):
    """Alice's Acme (legacy, with a task) and Bob's Bobcat (clean), a few days of history."""
    now = timezone.now()
    acme, bobcat = customer.domains.get(), other_customer.domains.get()
    extra = DomainFactory(customer=CustomerFactory(rep=RepFactory(username="carol")))
    store(campaign, extra, legacy_report(extra.name), when=now - dt.timedelta(days=6))
    store(campaign, bobcat, legacy_report(bobcat.name), when=now - dt.timedelta(days=5))
    store(campaign, acme, legacy_report(acme.name), when=now - dt.timedelta(days=4))
    store(campaign, bobcat, clean_report(bobcat.name), when=now - dt.timedelta(days=2))
    task = FollowUpTask.objects.create(
        campaign=campaign,
        customer=customer,
        domain=acme,
        assignee=customer.rep,
        kind=TaskKind.LEGACY_SPF_INCLUDE,
        due_date=timezone.localdate() - dt.timedelta(days=1),
        evidence={
            "terms": [
                {
                    "kind": "spf-include",
                    "term": "include:spf.po.2iij.net",
                    "path": ["acme.example", "_spf.acme.example"],
                    "record_domain": "_spf.acme.example",
                    "record": "v=spf1 ip4:192.0.2.0/24 include:spf.po.2iij.net ~all",
                }
            ]
        },
    )
    return {"acme": acme, "bobcat": bobcat, "task": task}


def test_a_rep_filters_customers_and_marks_a_task_done(page, live_server, login, screenshot, world):
    login("alice")
    page.get_by_role("link", name="My customers", exact=True).click()  # from the rep's home
    page.get_by_label("Search").fill("acme")
    page.get_by_role("button", name="Filter").click()
    page.wait_for_load_state("networkidle")
    assert page.get_by_role("link", name="Acme Widgets").is_visible()
    assert page.get_by_role("link", name="Bobcat Logistics").count() == 0
    screenshot("rep-customers")

    page.get_by_role("link", name="Acme Widgets").click()
    page.wait_for_load_state("networkidle")
    screenshot("rep-customer-detail")

    page.get_by_role("link", name="My tasks").click()
    card = page.locator(f"#task-{world['task'].pk}")
    assert "overdue since" in card.inner_text()
    screenshot("rep-tasks")
    card.get_by_label("Note").fill("Customer removed the include")
    card.get_by_role("button", name="Done").click()
    # Acme's latest check still shows the include: the task waits for DNS, still in the queue.
    page.locator(f"#task-{world['task'].pk}[data-status='waiting_dns']").wait_for()
    assert "Customer removed the include" in page.locator(f"#task-{world['task'].pk}").inner_text()
    world["task"].refresh_from_db()
    assert world["task"].status == TaskStatus.WAITING_FOR_DNS


def test_the_domain_page_shows_the_include_tree(page, live_server, login, screenshot, world):
    login("alice")
    page.goto(f"{live_server.url}/domains/{world['acme'].pk}/")
    tree = page.locator("#include-tree")
    tree.wait_for()
    nested = tree.locator(
        "li[data-domain='acme.example'] li[data-domain='_spf.acme.example'] li[data-domain='spf.po.2iij.net']"
    )
    assert nested.count() == 1
    assert page.locator("#include-tree .legacy-term").first.inner_text() == "include:spf.po.2iij.net"
    screenshot("domain-detail")


def test_ops_see_the_dashboard_with_its_charts(page, live_server, login, screenshot, world, ops_user):
    login("olga")
    assert page.url.endswith(f"/campaigns/{world['acme'].checks.first().campaign.slug}/dashboard/"), page.url
    page.wait_for_function("window.trackerCharts && window.trackerCharts.burndown")
    size = page.evaluate(
        "() => { const c = document.getElementById('burndown-chart'); return [c.width, c.height]; }"
    )
    assert size[0] > 0 and size[1] > 0
    points = page.evaluate(
        "() => window.trackerCharts.burndown.data.datasets[0].data.filter(v => v !== null)"
    )
    assert points[-1] == 2  # acme and carol's domain are still legacy (today's live point)
    assert page.locator("#cleanup-link").inner_text() == "2 domains"
    screenshot("ops-dashboard")
    page.set_viewport_size({"width": 390, "height": 844})
    screenshot("ops-dashboard-phone")
    page.set_viewport_size({"width": 1366, "height": 900})

    page.locator("#cleanup-link").click()
    page.wait_for_load_state("networkidle")
    assert page.locator("table tbody tr").count() == 2
    screenshot("ops-domains")

    page.goto(f"{live_server.url}/campaigns/{world['acme'].checks.first().campaign.slug}/edit/")
    screenshot("ops-campaign-settings")


def test_recheck_now_polls_and_shows_the_fresh_result(
    page, live_server, login, screenshot, world, dns_server, settings, celery_worker
):
    """The real thing: the button queues a sweep on Redis, a Celery worker probes the test DNS server, the page polls."""
    dns_server.set_records(
        {
            "acme.example": {"MX": [(10, "mx1.acme.example")], "TXT": ["v=spf1 ip4:198.51.100.7 -all"]},
            "mx1.acme.example": {"A": "198.51.100.25"},
            "_dmarc.acme.example": {"TXT": ["v=DMARC1; p=reject"]},
        }
    )
    settings.DNS_NAMESERVERS = [dns_server.address]
    settings.DNS_TIMEOUT = 0.5
    login("alice")
    page.goto(f"{live_server.url}/domains/{world['acme'].pk}/")
    assert page.locator("#domain-verdict").inner_text().strip() == "Legacy"
    page.get_by_role("button", name="Re-check now").click()
    page.locator("#recheck-done").wait_for(timeout=30_000)
    assert page.locator("#domain-verdict").inner_text().strip() == "Clean"
    assert page.locator("#checklist [data-check='no_legacy_spf']").get_attribute("data-state") == "pass"
    assert page.locator("#include-tree .legacy-term").count() == 0
    assert page.locator("#timeline > li").count() == 2  # the history gained the fresh span
    screenshot("domain-rechecked")


def test_a_rep_filters_changes_a_status_in_place_and_sees_it_in_the_history(
    page, live_server, login, screenshot, world
):
    """The real customer page: htmx swaps the status card and prepends the history row; a conflict shows in place."""
    login("alice")
    page.get_by_role("link", name="My customers", exact=True).click()  # from the rep's home
    customer = world["acme"].customer
    page.get_by_label("Has a domain").select_option(label="Legacy")
    page.get_by_label("Open task").select_option(label="Yes")
    page.get_by_role("button", name="Filter").click()
    page.wait_for_load_state("networkidle")
    rows = page.locator("table tbody tr")
    assert rows.count() == 1
    assert "1 legacy" in rows.first.inner_text()
    assert world["task"].due_date.isoformat() in rows.first.inner_text()
    screenshot("rep-customers-filtered")

    page.get_by_role("link", name="Acme Widgets").click()
    page.wait_for_load_state("networkidle")
    assert page.locator(".domain-verdicts .verdict-legacy").count() == 1
    assert page.locator("#open-tasks tbody tr").count() == 1
    assert page.locator(".next-task").is_visible()
    assert page.locator("#status-history .history-empty").is_visible()
    status = page.locator(f"#customer-status-{customer.pk}")
    status.get_by_label("New status").select_option("contacted")
    status.get_by_label("Note").fill("Called their IT")
    status.get_by_role("button", name="Change status").click()
    page.locator("#status-history tr.table-success").wait_for()
    assert "Called their IT" in page.locator("#status-history tr").first.inner_text()
    assert not page.locator("#status-history .history-empty").is_visible()
    assert page.url.endswith(f"/customers/{customer.pk}/")  # changed in place, no page load
    assert (
        page.locator(f"#customer-status-{customer.pk} [data-status]").get_attribute("data-status")
        == "contacted"
    )
    customer.refresh_from_db()
    assert customer.status == "contacted"
    screenshot("rep-customer-detail-status-changed")

    # Someone else moves the customer on meanwhile: the stale form gets the conflict message in place.
    customer.change_status("scheduled")
    status = page.locator(f"#customer-status-{customer.pk}")
    status.get_by_label("New status").select_option("migrating")
    status.get_by_role("button", name="Change status").click()
    page.locator(f"#customer-status-{customer.pk} [role=alert]").wait_for()
    assert "Someone changed this customer" in page.locator(f"#customer-status-{customer.pk}").inner_text()
    assert (
        page.locator(f"#customer-status-{customer.pk} [data-status]").get_attribute("data-status")
        == "scheduled"
    )
    customer.refresh_from_db()
    assert customer.status == "scheduled"


def test_ops_filter_by_several_statuses_from_the_checkbox_dropdown(
    page, live_server, login, screenshot, world, ops_user
):
    world["bobcat"].customer.change_status("contacted")
    login(ops_user.username)
    page.goto(f"{live_server.url}/customers/")
    toggle = page.get_by_role("button", name="Status Any")
    toggle.click()
    page.get_by_label("Contacted", exact=True).check()
    page.get_by_label("Unreachable").check()
    screenshot("ops-customers-status-filter-open")
    page.get_by_role("button", name="Filter").click()
    page.wait_for_load_state("networkidle")
    assert "status=contacted" in page.url and "status=unreachable" in page.url
    assert page.get_by_role("link", name="Bobcat Logistics").is_visible()
    assert page.get_by_role("link", name="Acme Widgets").count() == 0
    assert page.get_by_role("button", name="Status Contacted, Unreachable").is_visible()
    screenshot("ops-customers-status-filtered")


def test_a_rep_adds_and_removes_a_domain(page, live_server, login, screenshot, world):
    login("alice")
    customer = world["acme"].customer
    page.goto(f"{live_server.url}{reverse('tracker:customer_detail', args=[customer.pk])}")
    page.get_by_label("Add domains").fill("例え.jp, foo..bar")
    page.get_by_role("button", name="Add domain").click()
    assert "empty label" in page.locator("#domain-add").inner_text()
    page.get_by_label("Add domains").fill("例え.jp, typo.example")
    page.get_by_role("button", name="Add domain").click()
    page.wait_for_load_state("networkidle")
    assert "xn--r8jz45g.jp (例え.jp)" in page.locator(".alert-success").inner_text()
    screenshot("rep-customer-domains-added")
    page.get_by_role("link", name="Remove typo.example").click()
    page.get_by_role("button", name="Remove typo.example").click()
    page.wait_for_load_state("networkidle")
    assert "Removed typo.example." in page.locator(".alert-success").inner_text()
    assert not customer.domains.filter(name="typo.example").exists()
