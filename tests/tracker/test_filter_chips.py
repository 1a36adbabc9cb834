"""Filters that keep their values (issue 10 item 8, issue 15 filter chips) on every list.

A filter from a dashboard link (`/domains/?breaks=true`) shows as chosen in the form, survives
adding another filter, and is a chip whose link removes only that filter.
"""

import datetime as dt
import re
from urllib.parse import parse_qs, urlsplit

import pytest
from django.utils import timezone

from customers.choices import MigrationStatus
from tests.factories import CampaignFactory, CustomerFactory, DomainFactory
from tests.reports import clean_report, legacy_report, store
from tracker.services.sweeps import sweep_start


@pytest.fixture
def campaign(db):
    return CampaignFactory(end_date=timezone.localdate() + dt.timedelta(days=30))


@pytest.fixture
def domains(campaign, rep, other_rep):
    """alice: 3 breaking + 1 clean; bob: 2 breaking + 2 clean."""
    for owner, breaking, clean in ((rep, 3, 1), (other_rep, 2, 2)):
        customer = CustomerFactory(rep=owner)
        for i in range(breaking):
            domain = DomainFactory(customer=customer, name=f"b{i}.{owner.username}.example")
            store(campaign, domain, legacy_report(domain.name))
        for i in range(clean):
            domain = DomainFactory(customer=customer, name=f"c{i}.{owner.username}.example")
            store(campaign, domain, clean_report(domain.name))


def selected_options(html: str, name: str) -> list[str]:
    select = re.search(rf'<select name="{name}"[^>]*>(.*?)</select>', html, re.S).group(1)
    return re.findall(r'<option value="([^"]*)" selected>', select)


def form_query(html: str) -> dict:
    """What submitting the filter form as rendered would send (selected options, inputs with a value)."""
    form = html[
        html.index('aria-label="Filters"') : html.index("</form>", html.index('aria-label="Filters"'))
    ]
    query = {}
    for name in re.findall(r'<select name="([^"]+)"', form):
        values = selected_options(form, name)
        if values:
            query[name] = values
    for name, value in re.findall(
        r'<input type="(?:hidden|text|search)" name="([^"]+)" value="([^"]*)"', form
    ):
        if value:
            query.setdefault(name, []).append(value)
    return query


def chips(response) -> dict[str, tuple[str, str]]:
    return {chip.name: (chip.value, chip.remove_url) for chip in response.context["filter_chips"]}


def test_a_dashboard_filter_shows_in_the_form_and_survives_adding_the_rep(ops_client, domains, campaign, rep):
    response = ops_client.get("/domains/", {"campaign": campaign.slug, "breaks": "true"})
    html = response.content.decode()
    assert response.context["table"].paginator.count == 5
    assert selected_options(html, "breaks") == ["true"]
    # The rep adds a filter: the form as rendered still carries breaks=true.
    query = form_query(html)
    assert query["breaks"] == ["true"] and query["campaign"] == [campaign.slug]
    query["rep"] = [str(rep.pk)]
    response = ops_client.get("/domains/", {k: v for k, v in query.items()})
    assert response.context["table"].paginator.count == 3
    found = chips(response)
    assert found["breaks"][0] == "Yes" and found["rep"][0] == "Alice Archer"


def test_each_chip_removes_only_its_filter(ops_client, domains, campaign, rep):
    response = ops_client.get(
        "/domains/", {"campaign": campaign.slug, "breaks": "true", "rep": rep.pk, "page": 1}
    )
    remove_rep = parse_qs(urlsplit(chips(response)["rep"][1]).query)
    assert remove_rep == {"campaign": [campaign.slug], "breaks": ["true"]}
    response = ops_client.get("/domains/" + chips(response)["rep"][1])
    assert response.context["table"].paginator.count == 5
    assert (
        'class="badge rounded-pill text-bg-light border text-decoration-none filter-chip" data-filter="breaks"'
        in (response.content.decode())
    )


def test_a_multiple_choice_filter_gets_a_chip_per_value(ops_client, domains, campaign):
    response = ops_client.get("/domains/", {"verdict": ["legacy", "clean"]})
    assert selected_options(response.content.decode(), "verdict") == ["clean", "legacy"]
    remove_clean = parse_qs(urlsplit(response.context["filter_chips"][1].remove_url).query)
    assert [c.value for c in response.context["filter_chips"]] == ["Legacy", "Clean"]
    assert remove_clean == {"verdict": ["legacy"]}


def test_the_three_state_removal_filter_counts_unknown_apart(ops_client, domains, campaign, customer):
    domain = customer.domains.get()
    report = legacy_report(domain.name, verdict="inconclusive", legacy_references=[])
    store(campaign, domain, report)
    counts = {
        state: ops_client.get("/domains/", {"removal": state}).context["table"].paginator.count
        for state in ("pass", "fail", "unknown")
    }
    assert counts == {"pass": 3, "fail": 5, "unknown": 1}


def test_the_customer_list_keeps_a_yes_no_filter(ops_client, domains, customer):
    response = ops_client.get(
        "/customers/", {"has_open_task": "false", "status": MigrationStatus.NOT_CONTACTED}
    )
    html = response.content.decode()
    assert re.search(r'<option value="false" selected>', html)
    assert set(chips(response)) == {"has_open_task", "status"}


def test_the_task_list_keeps_its_filters_and_shows_chips(rep_client, domains, campaign):
    response = rep_client.get("/tasks/", {"overdue": "false", "kind": "legacy_spf_include"})
    html = response.content.decode()
    assert selected_options(html, "overdue") == ["false"]
    assert selected_options(html, "kind") == ["legacy_spf_include"]
    assert set(chips(response)) == {"overdue", "kind"}


def test_the_sweep_list_shows_chips(ops_client, campaign, domains):
    sweep_start(campaign, enqueue=False)
    response = ops_client.get(f"/campaigns/{campaign.slug}/sweeps/", {"status": "queued"})
    assert selected_options(response.content.decode(), "status") == ["queued"]
    assert chips(response)["status"][0] == "Queued"
