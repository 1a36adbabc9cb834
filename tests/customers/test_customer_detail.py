"""/customers/<pk>/: contact, status form, history, domains; other reps' customers are 404."""

import datetime as dt

from django.urls import reverse

from customers.choices import MigrationStatus
from tests.factories import DomainFactory
from tracker.models import Campaign


def url(customer):
    return reverse("tracker:customer_detail", args=[customer.pk])


def test_it_requires_login(client, customer):
    response = client.get(url(customer))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_it_shows_the_customer(rep_client, customer, rep):
    customer.change_status(MigrationStatus.CONTACTED, by=rep, note="Left a <b>voicemail</b>")
    response = rep_client.get(url(customer))
    assert response.status_code == 200
    content = response.content.decode()
    assert "Acme Widgets" in content and "acme.example" in content
    assert "Left a &lt;b&gt;voicemail&lt;/b&gt;" in content  # the note, escaped, in the history
    # the form offers only allowed next steps
    assert 'value="scheduled"' in content and 'value="migrated"' not in content


def test_it_hides_other_reps_customers(rep_client, other_customer):
    assert rep_client.get(url(other_customer)).status_code == 404


def test_ops_see_any_customer(ops_client, customer, other_customer):
    assert ops_client.get(url(other_customer)).status_code == 200


def test_an_unknown_customer_is_404(ops_client, db):
    assert ops_client.get(reverse("tracker:customer_detail", args=[999999])).status_code == 404


def test_idn_domains_show_both_forms(rep_client, customer):
    DomainFactory(customer=customer, name="例え.jp")
    content = rep_client.get(url(customer)).content.decode()
    assert "xn--r8jz45g.jp" in content and "例え.jp" in content


def _workspace(customer, domains=1):
    """`domains` more legacy domains for `customer`, each with an open task, in the active campaign."""
    from tests.factories import CampaignFactory
    from tests.reports import legacy_report, store
    from tracker.choices import TaskKind
    from tracker.models import FollowUpTask

    campaign = CampaignFactory(active=True)
    for _ in range(domains):
        domain = DomainFactory(customer=customer)
        store(campaign, domain, legacy_report(domain.name))
        FollowUpTask.objects.create(
            campaign=campaign,
            customer=customer,
            domain=domain,
            kind=TaskKind.LEGACY_SPF_INCLUDE,
            due_date=dt.date(2099, 1, 1),
        )
    return campaign


def test_it_shows_verdicts_tasks_and_the_in_place_status_form(rep_client, customer):
    _workspace(customer)
    domain = customer.domains.exclude(name="acme.example").get()
    content = rep_client.get(url(customer)).content.decode()
    assert f'href="/domains/{domain.pk}/"' in content and "verdict-legacy" in content
    assert "not checked" in content  # acme.example has no state yet
    assert "Next task:" in content
    assert 'id="open-tasks"' in content and "2099-01-01" in content and "Remove legacy SPF include" in content
    assert 'id="status-history"' in content
    # One view answers the in-place change (htmx) and the plain form post (without JavaScript).
    assert f'hx-post="/customers/{customer.pk}/status/"' in content
    assert f'action="{reverse("tracker:customer_status", args=[customer.pk])}"' in content


def test_other_reps_tasks_and_ops_tasks_are_not_listed(rep_client, customer):
    from tracker.models import FollowUpTask

    _workspace(customer)
    FollowUpTask.objects.update(for_ops=True)
    content = rep_client.get(url(customer)).content.decode()
    assert 'id="open-tasks"' not in content and "No open tasks." in content


def test_query_count_does_not_grow_with_domains_tasks_or_history(
    rep_client, customer, rep, django_assert_num_queries
):
    _workspace(customer, domains=2)
    customer.change_status(MigrationStatus.CONTACTED, by=rep)
    rep_client.get(url(customer))
    # session, user, groups, customer, its domains, active campaign, verdicts, open tasks (the next
    # task is the first of them; one more asks whether ops handed the rep any task), history,
    # notices, logged activities; then the session's new expiry
    # (idle timeout: savepoint, update, release)
    with django_assert_num_queries(15) as few:
        rep_client.get(url(customer))
    _workspace(customer, domains=10)
    customer.refresh_from_db()
    customer.change_status(MigrationStatus.SCHEDULED, by=rep)
    for number in range(3):
        customer.notices.create(campaign=Campaign.objects.first(), subject=f"Notice {number}", body="Text")
    with django_assert_num_queries(len(few.captured_queries)):
        assert rep_client.get(url(customer)).status_code == 200
