"""The status changed in place (htmx fragment for the customer page): owner only, workflow enforced.

htmx posts with an `HX-Request` header and gets the fragment back; the same view
answers a plain form post with the whole page (tests/customers/test_customer_status_view.py).
Clients of earlier versions post to `/status-inline/`: the same view answers there.
"""

import pytest

from customers.choices import MigrationStatus
from tracker.queries.campaigns import active_campaign
from tracker.queries.workspace import customer_domain_rows, customer_open_tasks, next_open_task

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture(params=["status", "status-inline"])
def url(request):
    return lambda customer: f"/customers/{customer.pk}/{request.param}/"


def test_it_requires_login(client, customer, url):
    assert client.post(url(customer), **HTMX).status_code == 302


def test_the_customer_page_offers_only_the_allowed_next_statuses(rep_client, customer):
    text = rep_client.get(f"/customers/{customer.pk}/").content.decode()
    assert '<option value="contacted">Contacted</option>' in text
    assert 'value="migrated"' not in text


def test_a_rep_changes_the_status_and_gets_the_history_row(rep_client, customer, rep, url):
    response = rep_client.post(
        url(customer),
        {"to_status": "contacted", "note": "Phoned <b>IT</b>", "version": customer.version},
        **HTMX,
    )
    assert response.status_code == 200
    customer.refresh_from_db()
    assert customer.status == MigrationStatus.CONTACTED
    change = customer.status_changes.get()
    assert change.changed_by == rep and change.note == "Phoned <b>IT</b>"
    text = response.content.decode()
    assert 'hx-swap-oob="afterbegin:#status-history"' in text
    assert "Phoned &lt;b&gt;IT&lt;/b&gt;" in text


def test_a_step_the_workflow_forbids_is_refused(rep_client, customer, url):
    response = rep_client.post(url(customer), {"to_status": "migrated", "version": customer.version}, **HTMX)
    assert response.status_code == 400
    customer.refresh_from_db()
    assert customer.status == MigrationStatus.NOT_CONTACTED


def test_a_stale_version_is_a_conflict(rep_client, customer, url):
    stale = customer.version
    customer.change_status(MigrationStatus.CONTACTED)
    response = rep_client.post(url(customer), {"to_status": "contacted", "version": stale}, **HTMX)
    assert response.status_code in (400, 409)
    assert customer.status_changes.count() == 1


def test_other_reps_customers_are_404(rep_client, other_customer, url):
    response = rep_client.post(url(other_customer), {"to_status": "contacted", "version": 1}, **HTMX)
    assert response.status_code == 404
    assert not other_customer.status_changes.exists()


def _render(text, **context):
    from django.template import Context, Template

    return Template("{% load tracker_tags %}" + text).render(Context(context))


def test_the_verdict_badges_show_each_domains_verdict(customer, rep):
    import datetime as dt

    from tests.factories import CampaignFactory, DomainFactory
    from tests.reports import clean_report, legacy_report, store

    campaign = CampaignFactory(end_date=dt.date(2099, 1, 1))
    store(campaign, customer.domains.get(), legacy_report("acme.example"))
    other = DomainFactory(customer=customer, name="acme-shop.example")
    store(campaign, other, clean_report(other.name))
    DomainFactory(customer=customer, name="acme-new.example")
    rows = customer_domain_rows(customer, active_campaign())
    html = _render('{% include "includes/verdict_badges.html" %}', customer=customer, domain_rows=rows)
    assert "verdict-legacy" in html and "verdict-clean" in html and "not checked" in html
    assert "breaks on removal" in html


def test_the_next_task_and_the_list_annotations(customer, rep):
    import datetime as dt

    from customers.models import Customer
    from tests.factories import CampaignFactory
    from tests.reports import legacy_report, store
    from tracker.models import FollowUpTask
    from tracker.queries.workspace import customer_list_annotations

    campaign = CampaignFactory(end_date=dt.date(2099, 1, 1))
    domain = customer.domains.get()
    store(campaign, domain, legacy_report(domain.name))
    FollowUpTask.objects.create(
        campaign=campaign, customer=customer, domain=domain, kind="legacy_mx", due_date=dt.date(2099, 1, 1)
    )
    FollowUpTask.objects.create(
        campaign=campaign,
        customer=customer,
        domain=domain,
        kind="legacy_spf_include",
        due_date=dt.date(2098, 1, 1),
    )
    next_task = next_open_task(customer_open_tasks(rep, customer))
    html = _render('{% include "includes/next_task.html" %}', customer=customer, next_task=next_task)
    assert "Remove legacy SPF include" in html and "2098-01-01" in html
    row = Customer.objects.annotate(**customer_list_annotations(campaign)).get(pk=customer.pk)
    assert (row.legacy_domains, row.next_task_due) == (1, dt.date(2098, 1, 1))
