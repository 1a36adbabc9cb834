"""django-filter filter sets: customers (and their export), the domains table, the task list.

Dashboard links use the same parameter names, so a count links to exactly its rows.
Every filter that arrives by URL shows in the form as chosen (so the next submit keeps
it) and as a removable chip above the table (`filter_chips()`).
"""

from dataclasses import dataclass

import django_filters
from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.http import QueryDict
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

from customers.choices import MigrationStatus
from customers.models import Customer, Domain
from customers.roles import REPS_GROUP, is_ops
from tracker.choices import (
    ACTIVE_TASK_STATUSES,
    WORKLIST_TASK_STATUSES,
    Priority,
    SweepKind,
    SweepStatus,
    TaskKind,
    TaskStatus,
    Verdict,
)
from tracker.models import DomainState, FollowUpTask, Sweep
from tracker.probe.domains import DomainNameError, normalize_domain
from tracker.probe.limits import SPF_MAX_DNS_LOOKUPS
from tracker.queries.campaigns import active_campaign
from tracker.queries.dashboards import DMARC_POLICIES, overdue_q
from tracker.queries.evidence import FAIL, PASS, REMOVAL_FAIL, REMOVAL_PASS, REMOVAL_UNKNOWN, UNKNOWN
from tracker.queries.references import (
    BREAKS_CHOICES,
    OTHER_KIND_CHOICES,
    with_reference_breaks,
    with_reference_kind,
)
from tracker.queries.worklist import GROUP_ORDERING_CHOICES

# Reference kinds as operations think of them; MX and SPF map to a DomainState flag, the
# others (issue 13) are matched in DomainState.reference_kinds.
REFERENCE_KIND_CHOICES = (
    ("mx", "Legacy MX (host or address)"),
    ("spf-include", "Legacy SPF include / redirect"),
    ("spf-ip", "Legacy SPF address"),
    *OTHER_KIND_CHOICES,
)
_REFERENCE_KIND_FLAGS = {
    "mx": "has_legacy_mx",
    "spf-include": "has_legacy_spf_include",
    "spf-ip": "has_legacy_spf_ip",
}
YES_NO = (("true", "Yes"), ("false", "No"))
REMOVAL_CHOICES = (
    (PASS, _("Stays valid")),
    (FAIL, _("Breaks")),
    (UNKNOWN, _("Unknown (a lookup failed)")),
)
_REMOVAL_QUERIES = {PASS: REMOVAL_PASS, FAIL: REMOVAL_FAIL, UNKNOWN: REMOVAL_UNKNOWN}
# Query-string keys that are not filters a person chose (paging, ordering, export, the campaign).
NOT_CHIPS = {"page", "sort", "per_page", "_export", "campaign"}


class AnyYesNo(forms.NullBooleanSelect):
    """Any / Yes / No that shows `?x=true` as chosen (a plain Select would compare "True" to "true")."""

    def __init__(self, attrs=None, any_label=None):
        super().__init__(attrs)
        any_label = any_label or _("Any")
        self.choices = [("unknown", any_label), ("true", _("Yes")), ("false", _("No"))]


def _reps(request):
    return (
        get_user_model()
        .objects.filter(groups__name=REPS_GROUP)
        .order_by("username")
        .only("pk", "username", "first_name", "last_name")
    )


def _customers_matching(value: str):
    """Ids of customers whose name or account id contains `value`."""
    return Customer.objects.filter(Q(name__icontains=value) | Q(account_id__icontains=value)).values("pk")


def _domains_matching(value: str):
    """Ids of domains whose name contains `value`, or whose customer's name or account id does.

    A UNION of two indexed lookups (trigram indexes on PostgreSQL, customers migration
    0003), not an OR across joined tables, which PostgreSQL can only answer by
    scanning every row.
    """
    by_name = Domain.objects.filter(_domain_search(value, "name")).values("pk")
    by_customer = Domain.objects.filter(customer__in=_customers_matching(value)).values("pk")
    return by_name.union(by_customer)


def _domain_search(value: str, name_field: str) -> Q:
    """Names containing `value`, typed as people type them: "例え.jp" finds xn--r8jz45g.jp."""
    value = value.strip()
    match = Q(**{f"{name_field}__icontains": value})
    try:
        match |= Q(**{f"{name_field}__icontains": normalize_domain(value)})
    except DomainNameError:
        pass
    return match


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
    breaks = django_filters.BooleanFilter(
        method="filter_breaks",
        label=_("Breaks on removal"),
        widget=forms.Select(
            attrs={"class": "form-select"},
            choices=[("", _("(either)")), ("true", _("Yes")), ("false", _("No"))],
        ),
    )
    has_open_task = django_filters.BooleanFilter(
        method="filter_has_open_task",
        label="Open task",
        widget=AnyYesNo(attrs={"class": "form-select"}, any_label="(either)"),
    )

    class Meta:
        model = Customer
        fields = ["q", "status", "rep", "verdict", "breaks", "has_open_task"]

    def __init__(self, *args, request=None, **kwargs):
        super().__init__(*args, request=request, **kwargs)
        if request is not None and not is_ops(request.user):
            # A rep only has their own customers: the rep filter would be noise.
            del self.filters["rep"]

    @cached_property
    def campaign(self):
        """The campaign whose verdicts and tasks the list shows."""
        return active_campaign()

    def filter_verdict(self, queryset, name, value):
        """Customers with a domain whose latest verdict, in the active campaign, is `value`."""
        if not value:
            return queryset
        if self.campaign is None:
            return queryset.none()
        states = DomainState.objects.filter(campaign=self.campaign, verdict=value)
        return queryset.filter(pk__in=states.values("domain__customer_id"))

    def filter_breaks(self, queryset, name, value):
        """Customers with (or without) a domain that breaks if the legacy SPF record is deleted (the dashboard's count)."""
        if value is None:
            return queryset
        if self.campaign is None:
            return queryset.none()
        states = DomainState.objects.filter(campaign=self.campaign, breaks_on_legacy_removal=True)
        breaking = Q(pk__in=states.values("domain__customer_id"))
        return queryset.filter(breaking if value else ~breaking)

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
        # Subqueries, not joins: no duplicate rows and no DISTINCT over the annotations.
        with_domain = Domain.objects.filter(_domain_search(value, "name")).values("customer_id")
        return queryset.filter(Q(pk__in=_customers_matching(value)) | Q(pk__in=with_domain))


class DomainStateFilterSet(django_filters.FilterSet):
    """Filters of /domains/ (rows are a campaign's DomainState rows)."""

    q = django_filters.CharFilter(method="search", label="Search", help_text="domain, customer or account id")
    # No joins to multiply rows: DISTINCT (django-filter's default here) would only cost a sort.
    verdict = django_filters.MultipleChoiceFilter(choices=Verdict.choices, distinct=False)
    reference_kind = django_filters.ChoiceFilter(
        choices=REFERENCE_KIND_CHOICES, method="filter_reference_kind", label="Reference kind"
    )
    rep = django_filters.ModelChoiceFilter(
        queryset=_reps, field_name="domain__customer__rep", label="Rep", null_label="(no rep)"
    )
    customer_status = django_filters.MultipleChoiceFilter(
        choices=MigrationStatus.choices,
        field_name="domain__customer__status",
        label="Customer status",
        distinct=False,
    )
    breaks = django_filters.BooleanFilter(field_name="breaks_on_legacy_removal", label="Breaks on removal")
    reference_breaks = django_filters.ChoiceFilter(
        choices=BREAKS_CHOICES, method="filter_reference_breaks", label=_("What a reference breaks")
    )
    on_successor = django_filters.BooleanFilter(label="On successor")
    has_spf = django_filters.BooleanFilter(label="SPF published")
    spf_over_limit = django_filters.BooleanFilter(
        method="filter_spf_over_limit", label=f"SPF over {SPF_MAX_DNS_LOOKUPS} lookups"
    )
    has_dmarc = django_filters.BooleanFilter(label="DMARC published")
    dmarc_policy = django_filters.ChoiceFilter(choices=[(p, p) for p in DMARC_POLICIES], label="DMARC policy")
    deprecated_tags = django_filters.BooleanFilter(
        method="filter_deprecated_tags", label="Deprecated DMARC tags"
    )
    # Three states (tracker.queries.evidence): the dashboard links its unknown count here.
    removal = django_filters.ChoiceFilter(
        choices=REMOVAL_CHOICES, method="filter_removal", label=_("After the legacy record goes")
    )

    class Meta:
        model = DomainState
        fields = []

    def filter_removal(self, queryset, name, value):
        return queryset.filter(_REMOVAL_QUERIES[value]) if value else queryset

    def search(self, queryset, name, value):
        value = value.strip()
        return queryset.filter(domain_id__in=_domains_matching(value)) if value else queryset

    def filter_reference_kind(self, queryset, name, value):
        if not value:
            return queryset
        if value in _REFERENCE_KIND_FLAGS:
            return queryset.filter(**{_REFERENCE_KIND_FLAGS[value]: True})
        return with_reference_kind(queryset, value)

    def filter_reference_breaks(self, queryset, name, value):
        return with_reference_breaks(queryset, value) if value else queryset

    def filter_spf_over_limit(self, queryset, name, value):
        if value is None:
            return queryset
        over = Q(spf_lookups__gt=SPF_MAX_DNS_LOOKUPS)
        return queryset.filter(over if value else ~over)

    def filter_deprecated_tags(self, queryset, name, value):
        if value is None:
            return queryset
        none = Q(deprecated_tags=[])
        return queryset.filter(~none if value else none)


class TaskFilterSet(django_filters.FilterSet):
    """Filters of /tasks/; `assignee` and `for_ops` only for operations."""

    q = django_filters.CharFilter(method="search", label="Search", help_text="domain or customer")
    campaign = django_filters.CharFilter(
        field_name="campaign__slug", widget=django_filters.widgets.forms.HiddenInput
    )
    status = django_filters.MultipleChoiceFilter(choices=TaskStatus.choices, distinct=False)
    kind = django_filters.MultipleChoiceFilter(choices=TaskKind.choices, distinct=False)
    priority = django_filters.MultipleChoiceFilter(choices=Priority.choices, distinct=False)
    overdue = django_filters.BooleanFilter(method="filter_overdue", label="Overdue")
    assignee = django_filters.ModelChoiceFilter(
        queryset=_reps, field_name="assignee", label="Assignee", null_label="(nobody)"
    )
    for_ops = django_filters.BooleanFilter(label="Operations task")
    # Read by the view (it orders customer groups, not rows); here so forms and saved views carry it.
    ordering = django_filters.ChoiceFilter(
        choices=GROUP_ORDERING_CHOICES, method="keep_order", label=_("Order"), empty_label=None
    )

    class Meta:
        model = FollowUpTask
        fields = []

    def __init__(self, data=None, *args, request=None, **kwargs):
        if data is not None and not data.get("status"):
            # The worklist by default: what is still to do now (snoozed tasks wait for their day).
            data = data.copy()
            data.setlist("status", [s.value for s in WORKLIST_TASK_STATUSES])
        super().__init__(data, *args, request=request, **kwargs)
        if request is not None and not is_ops(request.user):
            del self.filters["assignee"]
            del self.filters["for_ops"]

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(domain_id__in=_domains_matching(value)) | Q(customer__in=_customers_matching(value))
        )

    def filter_overdue(self, queryset, name, value):
        if value is None:
            return queryset
        overdue = overdue_q(timezone.localdate())
        return queryset.filter(overdue if value else ~overdue)

    def keep_order(self, queryset, name, value):
        return queryset


class SweepFilterSet(django_filters.FilterSet):
    """Filters of a campaign's sweeps page."""

    status = django_filters.MultipleChoiceFilter(choices=SweepStatus.choices, distinct=False)
    kind = django_filters.MultipleChoiceFilter(choices=SweepKind.choices, distinct=False)

    class Meta:
        model = Sweep
        fields = []


# -- chips ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FilterChip:
    """One active filter: what it is, its value as people read it, and the URL without it."""

    name: str
    label: str
    value: str
    remove_url: str


def _value_label(field, value: str) -> str:
    """The label a form field shows for one raw query value (the raw value if it lists none)."""
    if isinstance(field, forms.NullBooleanField):
        return {"true": _("Yes"), "false": _("No")}.get(value.lower(), value)
    if isinstance(field, forms.ModelChoiceField):
        if value == getattr(field, "null_value", "null"):
            return str(getattr(field, "null_label", None) or value)
        try:
            chosen = field.to_python(value)
        except forms.ValidationError:
            return value
        full_name = getattr(chosen, "get_full_name", lambda: "")()
        return full_name or str(chosen)
    for choice, label in getattr(field, "choices", ()):
        if str(choice) == value:
            return str(label)
    return value


def _without(query: QueryDict, name: str, value: str) -> str:
    remaining = query.copy()
    remaining.setlist(name, [v for v in query.getlist(name) if v != value])
    remaining.pop("page", None)
    return f"?{remaining.urlencode()}"


def filter_chips(filterset, query: QueryDict) -> list[FilterChip]:
    """Every filter the query string sets (one chip per chosen value), each with a link removing it."""
    chips = []
    form = filterset.form
    for name in filterset.filters:
        if name in NOT_CHIPS or name not in form.fields or form.fields[name].widget.is_hidden:
            continue
        field = form.fields[name]
        for value in query.getlist(name):
            if not value.strip() or (isinstance(field, forms.NullBooleanField) and value == "unknown"):
                continue
            label = str(field.label or name)
            chips.append(FilterChip(name, label, _value_label(field, value), _without(query, name, value)))
    return chips
