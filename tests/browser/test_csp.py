"""The Content-Security-Policy in a real browser: the main pages run with no violation.

The policy forbids inline scripts (and htmx's eval and inline <style>); a page
that still needs one shows up here as a `securitypolicyviolation` event or a
console error, and the charts, htmx polling and Bootstrap menus stop working.
"""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.factories import CampaignFactory
from tests.reports import clean_report, legacy_report, store
from tracker.choices import TaskKind
from tracker.models import FollowUpTask

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Runs before any page script, outside the page's policy: it records what the policy blocks.
RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", function (event) {
  window.__cspViolations.push(event.violatedDirective + " " + (event.blockedURI || "inline") + " " + event.sourceFile + ":" + event.lineNumber);
});
"""


@pytest.fixture
def world(customer, other_customer):
    today = timezone.localdate()
    campaign = CampaignFactory(
        end_date=today + dt.timedelta(days=20), cleanup_date=today + dt.timedelta(days=50)
    )
    acme, bobcat = customer.domains.get(), other_customer.domains.get()
    now = timezone.now()
    store(campaign, acme, legacy_report(acme.name), when=now - dt.timedelta(days=3))
    store(campaign, bobcat, clean_report(bobcat.name), when=now - dt.timedelta(days=2))
    FollowUpTask.objects.create(
        campaign=campaign,
        customer=customer,
        domain=acme,
        assignee=customer.rep,
        kind=TaskKind.LEGACY_SPF_INCLUDE,
        due_date=today,
    )
    return {"campaign": campaign, "customer": customer, "acme": acme}


def _visit_all(page, base, paths):
    problems = []
    page.on(
        "console", lambda message: message.type == "error" and problems.append(f"console: {message.text}")
    )
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    page.add_init_script(RECORD_VIOLATIONS)
    for path in paths:
        response = page.goto(f"{base}{path}")
        assert response.status == 200, path
        assert "script-src 'self'" in response.headers["content-security-policy"]
        page.wait_for_load_state("networkidle")
        problems.extend(f"{path}: {v}" for v in page.evaluate("window.__cspViolations"))
    return problems


def test_a_reps_pages_raise_no_policy_violation(page, live_server, login, world):
    login("alice")
    paths = [
        reverse("tracker:customer_list"),
        reverse("tracker:customer_detail", args=[world["customer"].pk]),
        reverse("tracker:customer_edit", args=[world["customer"].pk]),
        reverse("tracker:customer_notice", args=[world["customer"].pk]),
        reverse("tracker:task_list"),
        reverse("tracker:domain_detail", args=[world["acme"].pk]),
        reverse("password_change"),
    ]
    assert _visit_all(page, live_server.url, paths) == []


def test_ops_pages_with_charts_and_menus_raise_no_policy_violation(page, live_server, login, world, ops_user):
    login("olga")
    slug = world["campaign"].slug
    paths = [
        reverse("tracker:dashboard_home"),
        reverse("tracker:campaign_dashboard", args=[slug]),
        reverse("tracker:domain_list"),
        reverse("tracker:campaign_list"),
        reverse("tracker:campaign_edit", args=[slug]),
        reverse("tracker:sweep_list", args=[slug]),
        reverse("tracker:notice_template_edit", args=[slug]),
        reverse("tracker:customer_import"),
        reverse("lockout_list"),
    ]
    assert _visit_all(page, live_server.url, paths) == []
    # The charts drew (Chart.js and the page's script ran under the policy).
    page.goto(f"{live_server.url}{reverse('tracker:campaign_dashboard', args=[slug])}")
    page.wait_for_load_state("networkidle")
    assert page.evaluate("document.querySelectorAll('canvas').length") > 0
    assert page.evaluate("Array.from(document.querySelectorAll('canvas')).some(c => c.width > 0)")


def test_the_login_and_reset_pages_raise_no_policy_violation(page, live_server, db):
    assert _visit_all(page, live_server.url, [reverse("login"), reverse("password_reset")]) == []


def test_the_campaign_switch_submits_without_an_inline_handler(page, live_server, login, world, ops_user):
    CampaignFactory(name="Second campaign", slug="second")
    login("olga")
    page.add_init_script(RECORD_VIOLATIONS)
    page.goto(f"{live_server.url}{reverse('tracker:domain_list')}")
    page.locator("#campaign-switch").select_option("second")
    page.wait_for_url("**campaign=second**")
    assert page.evaluate("window.__cspViolations") == []
