"""django-filter filter sets for customer lists (and the export, which honours the same filters)."""

import django_filters
from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Q

from customers.choices import MigrationStatus
from customers.models import Customer, Domain
from customers.roles import REPS_GROUP, is_ops
from tracker.probe.domains import DomainNameError, normalize_domain


def _reps(request):
    return get_user_model().objects.filter(groups__name=REPS_GROUP).order_by("username")


class CustomerFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(
        method="search",
        label="Search",
        widget=forms.TextInput(attrs={"class": "form-control", "placeholder": "name, account id or domain"}),
    )
    status = django_filters.MultipleChoiceFilter(
        choices=MigrationStatus.choices,
        widget=forms.SelectMultiple(attrs={"class": "form-select", "size": 3}),
    )
    rep = django_filters.ModelChoiceFilter(
        queryset=_reps,
        label="Rep",
        null_label="(no rep)",
        widget=forms.Select(attrs={"class": "form-select"}),
    )

    class Meta:
        model = Customer
        fields = ["q", "status", "rep"]

    def __init__(self, *args, request=None, **kwargs):
        super().__init__(*args, request=request, **kwargs)
        if request is not None and not is_ops(request.user):
            # A rep only has their own customers: the rep filter would be noise.
            del self.filters["rep"]

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        domain_match = Q(name__icontains=value)
        try:
            # "例え.jp" finds xn--r8jz45g.jp: domains are stored as A-labels.
            domain_match |= Q(name__icontains=normalize_domain(value))
        except DomainNameError:
            pass
        # A subquery, not a join: no duplicate rows and no DISTINCT over the annotations.
        with_domain = Domain.objects.filter(domain_match).values("customer_id")
        return queryset.filter(
            Q(name__icontains=value) | Q(account_id__icontains=value) | Q(pk__in=with_domain)
        )
