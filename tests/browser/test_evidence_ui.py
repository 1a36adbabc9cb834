"""Issue 10 in a real browser: a timed-out domain shows no "pass"; a dashboard filter survives adding a rep.

Screenshots go to artifacts/screenshots/ (see conftest).
"""

import datetime as dt
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.utils import timezone

from tests.conftest_dns import TEST_TIMEOUT
from tests.factories import CampaignFactory, CustomerFactory, DomainFactory
from tests.reports import clean_report, legacy_report, store
from tests.tracker.test_evidence import LEGACY, SUCCESSOR
from tracker.probe.engine import probe_many

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def campaign():
    return CampaignFactory(
        legacy=LEGACY, successor=SUCCESSOR, end_date=timezone.localdate() + dt.timedelta(days=30)
    )


def test_a_timed_out_domain_shows_no_pass(
    page, live_server, login, screenshot, campaign, customer, dns_server
):
    domain = DomainFactory(customer=customer, name="timedout.example")
    for name in ("timedout.example", "_dmarc.timedout.example"):
        dns_server.set_fault(name, "timeout")
    # In a thread of its own: Playwright keeps an event loop running in this one.
    with ThreadPoolExecutor(1) as pool:
        probe = campaign.to_probe()
        [report] = pool.submit(probe_many, probe, [domain.name], [dns_server.address], TEST_TIMEOUT).result()
    store(campaign, domain, report.to_json())

    login("alice")
    page.goto(f"{live_server.url}/domains/{domain.pk}/")
    checklist = page.locator("#checklist")
    checklist.wait_for()
    assert page.locator(".checklist-item").count() == 6
    assert page.locator(".checklist-item[data-state='unknown']").count() == 6
    text = page.inner_text("body")
    assert "pass" not in checklist.inner_text().split()
    assert "No SPF record" not in text
    assert "SPF lookup of timedout.example timed out" in text
    screenshot("domain-timed-out")

    page.goto(f"{live_server.url}/customers/{customer.pk}/")
    line = page.locator(".domain-verdict", has_text="timedout.example")
    assert line.get_attribute("data-removal") == "unknown"
    assert "Unknown: SPF lookup of timedout.example timed out" in line.inner_text()
    screenshot("customer-timed-out")


def test_a_dashboard_filter_survives_adding_a_rep(
    page, live_server, login, screenshot, campaign, rep, other_rep, ops_user
):
    for owner, breaking, clean in ((rep, 3, 2), (other_rep, 4, 1)):
        customer = CustomerFactory(rep=owner)
        for i in range(breaking):
            domain = DomainFactory(customer=customer, name=f"b{i}.{owner.username}.example")
            store(campaign, domain, legacy_report(domain.name))
        for i in range(clean):
            domain = DomainFactory(customer=customer, name=f"c{i}.{owner.username}.example")
            store(campaign, domain, clean_report(domain.name))

    login("olga")
    page.goto(f"{live_server.url}/domains/?campaign={campaign.slug}&breaks=true")
    assert page.locator("select[name=breaks]").input_value() == "true"
    assert page.locator("tbody tr").count() == 7
    page.locator("select[name=rep]").select_option(str(rep.pk))
    page.get_by_role("button", name="Filter").click()
    page.wait_for_load_state("networkidle")
    chips = page.locator(".filter-chip")
    assert sorted(chips.all_inner_texts()) == ["Breaks on removal: Yes ×", "Rep: Alice Archer ×"]
    assert page.locator("tbody tr").count() == 3
    assert "breaks=true" in page.url and f"rep={rep.pk}" in page.url
    screenshot("domains-two-chips")

    page.locator(".filter-chip[data-filter='rep']").click()
    page.wait_for_load_state("networkidle")
    assert page.locator("tbody tr").count() == 7
    assert page.locator(".filter-chip").all_inner_texts() == ["Breaks on removal: Yes ×"]
