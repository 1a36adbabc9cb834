"""Authorisation for customers, in one greppable place.

Reps see and edit only their own customers (others are a 404, so ids leak
nothing); ops and admins see everyone. Views never filter customers themselves.
"""

from django.shortcuts import get_object_or_404

from customers.models import Customer
from customers.roles import is_ops


def customers_visible_to(user, queryset=None):
    """The customers `user` may see (and edit)."""
    queryset = Customer.objects.all() if queryset is None else queryset
    if is_ops(user):
        return queryset
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return queryset.none()
    return queryset.filter(rep=user)


def get_customer_for_user(user, pk, queryset=None) -> Customer:
    """The customer `pk` if `user` may see it, else Http404."""
    return get_object_or_404(customers_visible_to(user, queryset), pk=pk)
