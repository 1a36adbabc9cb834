"""django-filter filter sets for customer lists (and the export, which honours the same filters)."""

import django_filters
from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils.functional import cached_property

from customers.choices import MigrationStatus
from customers.models import Customer, Domain
from customers.roles import REPS_GROUP, is_ops
from tracker.choices import ACTIVE_TASK_STATUSES, Verdict
from tracker.models import DomainState, FollowUpTask
from tracker.probe.domains import DomainNameError, normalize_domain


def _reps(request):
    return get_user_model().objects.filter(groups__name=REPS_GROUP).order_by("username")


class CustomerFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(
        method="search",
        label="Search",
        widget=forms.TextInput(attrs={"class": "form-control", "placeholder": "name, account id or domain"}),
    )
    # Checkboxes in a dropdown (templates/includes/checkbox_dropdown.html), not a cramped multi-select.
    status = django_filters.MultipleChoiceFilter(
        choices=MigrationStatus.choices,
        label="Status",
        widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}),
    )
    rep = django_filters.ModelChoiceFilter(
        queryset=_reps,
        label="Rep",
        null_label="(no rep)",
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    verdict = django_filters.ChoiceFilter(
        choices=Verdict.choices,
        method="filter_verdict",
        label="Has a domain",
        empty_label="(any verdict)",
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    has_open_task = django_filters.BooleanFilter(
        method="filter_has_open_task",
        label="Open task",
        widget=forms.Select(
            attrs={"class": "form-select"}, choices=[("", "(either)"), ("true", "Yes"), ("false", "No")]
        ),
    )

    class Meta:
        model = Customer
        fields = ["q", "status", "rep", "verdict", "has_open_task"]

    def __init__(self, *args, request=None, **kwargs):
        super().__init__(*args, request=request, **kwargs)
        if request is not None and not is_ops(request.user):
            # A rep only has their own customers: the rep filter would be noise.
            del self.filters["rep"]

    @cached_property
    def campaign(self):
        """The campaign whose verdicts and tasks the list shows (tracker.dashboards.active_campaign)."""
        from tracker.dashboards import active_campaign

        return active_campaign()

    def filter_verdict(self, queryset, name, value):
        """Customers with a domain whose latest verdict, in the active campaign, is `value`."""
        if not value:
            return queryset
        if self.campaign is None:
            return queryset.none()
        states = DomainState.objects.filter(campaign=self.campaign, verdict=value)
        return queryset.filter(pk__in=states.values("domain__customer_id"))

    def filter_has_open_task(self, queryset, name, value):
        """Customers with (or without) an open rep task in the active campaign, as `next_task_due` counts."""
        if value is None:
            return queryset
        tasks = FollowUpTask.objects.filter(status__in=ACTIVE_TASK_STATUSES, for_ops=False)
        tasks = tasks.filter(campaign=self.campaign) if self.campaign is not None else tasks.none()
        with_task = Q(pk__in=tasks.values("customer_id"))
        return queryset.filter(with_task if value else ~with_task)

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
