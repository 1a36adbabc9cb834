"""Roles and the one access helper: owner, colleague (ops), outsider (another rep)."""

import pytest
from django.contrib.auth.models import AnonymousUser, Group
from django.http import Http404

from customers.access import customers_visible_to, get_customer_for_user
from customers.roles import OPS_GROUP, REPS_GROUP, is_admin, is_ops, is_rep


def test_the_groups_exist_after_migrating(db):
    assert set(Group.objects.values_list("name", flat=True)) >= {REPS_GROUP, OPS_GROUP}


def test_role_helpers(rep, ops_user, superuser):
    assert is_rep(rep) and not is_ops(rep) and not is_admin(rep)
    assert is_ops(ops_user) and not is_rep(ops_user) and not is_admin(ops_user)
    assert is_ops(superuser) and is_admin(superuser)
    assert not is_ops(AnonymousUser()) and not is_rep(AnonymousUser())


def test_an_inactive_user_has_no_role(rep):
    rep.is_active = False
    assert not is_rep(rep)


def test_roles_cost_one_query_per_user(rep, django_assert_num_queries):
    with django_assert_num_queries(1):
        is_rep(rep)
        is_ops(rep)
        is_rep(rep)


def test_reps_see_only_their_customers(rep, customer, other_customer):
    assert list(customers_visible_to(rep)) == [customer]
    assert get_customer_for_user(rep, customer.pk) == customer
    with pytest.raises(Http404):
        get_customer_for_user(rep, other_customer.pk)


def test_ops_and_admins_see_everyone(ops_user, superuser, customer, other_customer):
    assert set(customers_visible_to(ops_user)) == {customer, other_customer}
    assert set(customers_visible_to(superuser)) == {customer, other_customer}


def test_anonymous_sees_nothing(customer):
    assert not customers_visible_to(AnonymousUser()).exists()
