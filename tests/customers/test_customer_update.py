"""Optimistic locking at the model level: a conditional UPDATE on `version`."""

import pytest

from customers.models import Customer, CustomerConflict
from tests.factories import CustomerFactory


def test_it_saves_and_bumps_the_version(rep):
    customer = CustomerFactory(rep=rep, contact_name="Old")
    changed = customer.update({"contact_name": "New", "notes": ""}, expected_version=1)
    assert changed == ["contact_name"]
    fresh = Customer.objects.get(pk=customer.pk)
    assert (fresh.contact_name, fresh.version) == ("New", 2)
    assert customer.version == 2


def test_two_editors_from_the_same_page_lose_nothing(rep, other_rep):
    customer = CustomerFactory(rep=rep, contact_name="Old")
    first = Customer.objects.get(pk=customer.pk)
    second = Customer.objects.get(pk=customer.pk)
    first.update({"contact_name": "First"}, expected_version=1)
    with pytest.raises(CustomerConflict) as excinfo:
        second.update({"contact_name": "Second"}, expected_version=1)
    assert excinfo.value.current.contact_name == "First"
    assert Customer.objects.get(pk=customer.pk).contact_name == "First"


def test_a_stale_version_conflicts_even_without_changes(rep):
    customer = CustomerFactory(rep=rep)
    Customer.objects.get(pk=customer.pk).update({"notes": "x"})
    with pytest.raises(CustomerConflict):
        Customer.objects.get(pk=customer.pk).update({"notes": "x"}, expected_version=1)


def test_status_is_not_editable_here(rep):
    customer = CustomerFactory(rep=rep)
    with pytest.raises(ValueError):
        customer.update({"status": "migrated"})
