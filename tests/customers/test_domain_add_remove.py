"""POST /customers/<pk>/domains/add/ and /domains/<id>/remove/: reps (and ops) manage a customer's domains."""

import pytest
from django.urls import reverse

from customers.models import Domain
from customers.services import DomainChangeError, domain_add, domain_remove
from tests.factories import CampaignFactory, DomainFactory
from tests.reports import legacy_report, store
from tracker.choices import TaskKind, TaskStatus
from tracker.models import Check, FollowUpTask


def add_url(customer):
    return reverse("tracker:customer_domain_add", args=[customer.pk])


def remove_url(domain):
    return reverse("tracker:customer_domain_remove", args=[domain.customer_id, domain.pk])


def names(customer):
    return sorted(customer.domains.values_list("name", flat=True))


# -- adding ------------------------------------------------------------------------------------------


def test_it_requires_login(client, customer):
    response = client.post(add_url(customer), {"names": "new.example"})
    assert response.status_code == 302 and "/login/" in response["Location"]
    assert names(customer) == ["acme.example"]


def test_a_rep_adds_to_their_own_customer(rep_client, customer):
    response = rep_client.post(add_url(customer), {"names": "new.example"}, follow=True)
    assert (
        response.redirect_chain[-1][0] == f"{reverse('tracker:customer_detail', args=[customer.pk])}#domains"
    )
    assert names(customer) == ["acme.example", "new.example"]
    assert "Added 1 domain: new.example." in response.content.decode()


def test_a_rep_gets_404_on_a_colleagues_customer(rep_client, other_customer):
    assert rep_client.post(add_url(other_customer), {"names": "new.example"}).status_code == 404
    assert not Domain.objects.filter(name="new.example").exists()


def test_ops_can_add_to_any_customer(ops_client, customer):
    assert ops_client.post(add_url(customer), {"names": "ops.example"}).status_code == 302
    assert "ops.example" in names(customer)


def test_get_is_not_allowed(rep_client, customer):
    assert rep_client.get(add_url(customer)).status_code == 405


def test_several_names_and_idn_are_stored_as_a_labels(rep_client, customer):
    response = rep_client.post(
        add_url(customer),
        {"names": "例え.jp, Two.Example.\nthree.example  münchen.de;two.example"},
        follow=True,
    )
    assert names(customer) == [
        "acme.example",
        "three.example",
        "two.example",
        "xn--mnchen-3ya.de",
        "xn--r8jz45g.jp",
    ]
    content = response.content.decode()
    assert "xn--r8jz45g.jp (例え.jp)" in content


def test_a_bad_name_gets_the_normalisers_message_and_nothing_is_saved(rep_client, customer):
    response = rep_client.post(add_url(customer), {"names": "good.example foo..bar ex_ample.com"})
    assert response.status_code == 400
    content = response.content.decode()
    assert "empty label" in content
    assert "underscores are not allowed in the registrable domain" in content
    assert names(customer) == ["acme.example"]  # all or nothing: good.example was not added


def test_a_rep_is_told_a_name_is_taken_without_learning_by_whom(rep_client, customer, other_customer):
    response = rep_client.post(add_url(customer), {"names": "fresh.example BOBCAT.example"})
    assert response.status_code == 400
    content = response.content.decode()
    assert "bobcat.example already belongs to another customer" in content
    assert "Bobcat" not in content and "ACC-2002" not in content
    assert names(customer) == ["acme.example"]
    assert names(other_customer) == ["bobcat.example"]


def test_ops_are_told_which_customer_has_the_name(ops_client, customer, other_customer):
    response = ops_client.post(add_url(customer), {"names": "bobcat.example"})
    assert response.status_code == 400
    assert "bobcat.example already belongs to Bobcat Logistics (ACC-2002)" in response.content.decode()


def test_a_name_the_customer_already_has_is_reported(rep_client, customer):
    response = rep_client.post(add_url(customer), {"names": "acme.example"})
    assert response.status_code == 400
    assert "already one of this customer&#x27;s domains" in response.content.decode()


def test_names_are_escaped_in_messages(rep_client, customer):
    response = rep_client.post(add_url(customer), {"names": "<script>x</script>.example"})
    assert response.status_code == 400
    content = response.content.decode()
    assert "<script>x" not in content and "&lt;script&gt;" in content


def test_csrf_is_enforced(client, rep, customer):
    from django.test import Client

    csrf_client = Client(enforce_csrf_checks=True)
    csrf_client.force_login(rep)
    assert csrf_client.post(add_url(customer), {"names": "new.example"}).status_code == 403
    assert names(customer) == ["acme.example"]


def test_the_service_rejects_an_empty_submission(customer, rep):
    with pytest.raises(DomainChangeError, match="at least one"):
        domain_add(customer, [], by=rep)


# -- removing ----------------------------------------------------------------------------------------


def test_removing_requires_login(client, customer):
    domain = customer.domains.get()
    assert client.post(remove_url(domain)).status_code == 302
    assert Domain.objects.filter(pk=domain.pk).exists()


def test_get_asks_for_confirmation_and_changes_nothing(rep_client, customer):
    domain = customer.domains.get()
    response = rep_client.get(remove_url(domain))
    assert response.status_code == 200
    assert b"Remove acme.example" in response.content and b'id="domain-remove"' in response.content
    assert Domain.objects.filter(pk=domain.pk).exists()


def test_a_rep_removes_an_unchecked_domain(rep_client, customer):
    domain = customer.domains.get()
    response = rep_client.post(remove_url(domain), follow=True)
    assert "Removed acme.example." in response.content.decode()
    assert names(customer) == []


def test_a_rep_gets_404_removing_a_colleagues_domain(rep_client, other_customer):
    domain = other_customer.domains.get()
    assert rep_client.post(remove_url(domain)).status_code == 404
    assert rep_client.get(remove_url(domain)).status_code == 404
    assert Domain.objects.filter(pk=domain.pk).exists()


def test_a_domain_id_under_the_wrong_customer_is_404(rep_client, customer, other_customer):
    foreign = other_customer.domains.get()
    url = reverse("tracker:customer_domain_remove", args=[customer.pk, foreign.pk])
    assert rep_client.post(url).status_code == 404
    assert Domain.objects.filter(pk=foreign.pk).exists()


def test_ops_can_remove_any_customers_domain(ops_client, other_customer):
    domain = other_customer.domains.get()
    assert ops_client.post(remove_url(domain)).status_code == 302
    assert not Domain.objects.filter(pk=domain.pk).exists()


def test_a_checked_domain_with_tasks_is_kept_with_its_history(rep_client, customer):
    campaign = CampaignFactory(active=True)
    domain = customer.domains.get()
    store(campaign, domain, legacy_report(domain.name))
    FollowUpTask.objects.create(
        campaign=campaign, customer=customer, domain=domain, kind=TaskKind.LEGACY_SPF_INCLUDE
    )
    confirm = rep_client.get(remove_url(domain)).content.decode()
    assert "1 stored check and 1 follow-up task" in confirm and 'id="domain-remove"' not in confirm

    response = rep_client.post(remove_url(domain), follow=True)
    assert "acme.example was not removed: it has 1 stored check and 1 follow-up task" in (
        response.content.decode()
    )
    assert Domain.objects.filter(pk=domain.pk).exists()
    assert Check.objects.filter(domain=domain).count() == 1
    assert FollowUpTask.objects.get().status == TaskStatus.OPEN


def test_closed_tasks_alone_also_keep_the_domain(customer, rep):
    domain = customer.domains.get()
    FollowUpTask.objects.create(
        campaign=CampaignFactory(),
        customer=customer,
        domain=domain,
        kind=TaskKind.LEGACY_MX,
        status=TaskStatus.DONE,
    )
    with pytest.raises(DomainChangeError, match="1 follow-up task"):
        domain_remove(domain, by=rep)
    assert Domain.objects.filter(pk=domain.pk).exists()


def test_the_detail_page_offers_add_and_remove(rep_client, customer):
    DomainFactory(customer=customer, name="xn--r8jz45g.jp")
    content = rep_client.get(reverse("tracker:customer_detail", args=[customer.pk])).content.decode()
    assert f'action="/customers/{customer.pk}/domains/add/"' in content
    assert 'aria-label="Remove acme.example"' in content
    assert "(例え.jp)" in content
