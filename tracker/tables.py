"""django-tables2 tables of the pages, and LinkedCountColumn: a count that links to its rows."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode

import django_tables2 as tables
from django.urls import reverse
from django.utils import dateformat, timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from customers.models import Customer
from tracker.choices import Verdict
from tracker.models import DomainState
from tracker.templatetags.tracker_tags import days_until, status_badge, verdict_badge, yes_no_unknown

TABLE_ATTRS = {"class": "table table-sm table-hover align-middle"}
TABLE_TEMPLATE = "django_tables2/bootstrap5.html"


def filtered_url(viewname: str, params: dict | list, base: str | None = None) -> str:
    """The URL of a list with these filters (`params` may repeat keys as a list of pairs)."""
    base = base or reverse(viewname)
    pairs = params.items() if isinstance(params, dict) else params
    query = urlencode([(key, value) for key, value in pairs if value is not None], doseq=True)
    return f"{base}?{query}" if query else base


def local_time(value, fmt: str = "Y-m-d H:i") -> str:
    """A datetime in the configured time zone (DateTimeColumn renders a template per cell: slow)."""
    return dateformat.format(timezone.localtime(value), fmt) if value else ""


class UrlPattern:
    """`reverse()` once per table, then fill in the pk: reversing per cell costs ~0.1 ms each."""

    def __init__(self, viewname: str):
        self.prefix, self.suffix = reverse(viewname, args=[987654321]).split("987654321")

    def __call__(self, pk) -> str:
        return f"{self.prefix}{pk}{self.suffix}"


class LinkedCountColumn(tables.Column):
    """A count that links to the list of exactly the rows it counts (netbox's idea).

    `params(record)` returns the filters of that list; a zero is shown unlinked.
    """

    def __init__(self, viewname: str, params, *args, **kwargs):
        self.viewname = viewname
        self.params = params
        self.base = None
        kwargs.setdefault("attrs", {"td": {"class": "text-end"}, "th": {"class": "text-end"}})
        super().__init__(*args, **kwargs)

    def render(self, value, record):
        if not value:
            return format_html('<span class="text-body-secondary">{}</span>', value or 0)
        if self.base is None:
            self.base = reverse(self.viewname)  # once per table (columns are copied per table)
        return format_html(
            '<a href="{}">{}</a>', filtered_url(self.viewname, self.params(record), self.base), value
        )

    def value(self, value):
        return value


# Columns a phone (under Bootstrap's md, 768 px) does without: the list then fits 390 px, no sideways scroll.
WIDE_ONLY = {"th": {"class": "d-none d-md-table-cell"}, "td": {"class": "d-none d-md-table-cell"}}
WIDE_ONLY_END = {
    "th": {"class": "d-none d-md-table-cell"},
    "td": {"class": "text-end d-none d-md-table-cell"},
}


class CustomerTable(tables.Table):
    name = tables.Column(
        linkify=("tracker:customer_detail", [tables.A("pk")]), attrs={"td": {"class": "text-break"}}
    )
    account_id = tables.Column(verbose_name="Account", attrs=WIDE_ONLY)
    rep = tables.Column(
        verbose_name="Rep", accessor="rep__username", order_by=("rep__username",), attrs=WIDE_ONLY
    )
    status = tables.Column()
    domain_count = tables.Column(verbose_name="Domains", orderable=True, attrs=WIDE_ONLY_END)
    notice_sent_at = tables.DateColumn(verbose_name="Notice sent", format="Y-m-d", attrs=WIDE_ONLY)
    # Annotated by tracker.queries.workspace.customer_list_annotations (the active campaign).
    legacy_domains = tables.Column(
        verbose_name="Legacy domains", orderable=True, attrs={"td": {"class": "text-end"}}
    )
    next_task_due = tables.DateColumn(verbose_name="Next task due", format="Y-m-d")
    updated_at = tables.DateTimeColumn(verbose_name="Updated", format="Y-m-d H:i", attrs=WIDE_ONLY)

    class Meta:
        model = Customer
        fields = (
            "name",
            "account_id",
            "rep",
            "status",
            "domain_count",
            "legacy_domains",
            "next_task_due",
            "notice_sent_at",
            "updated_at",
        )
        template_name = TABLE_TEMPLATE
        attrs = TABLE_ATTRS
        empty_text = "No customers match."
        order_by = ("name",)

    def __init__(self, *args, campaign=None, ops=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.campaign = campaign
        self.ops = ops

    def render_status(self, value, record):
        return status_badge(record.status)

    def render_legacy_domains(self, value, record):
        if not value:
            return "0"
        if self.ops and self.campaign is not None:
            # Operations go to the campaign's domain list, filtered to this customer's legacy domains.
            url = filtered_url(
                "tracker:domain_list",
                {"campaign": self.campaign.slug, "verdict": Verdict.LEGACY.value, "q": record.account_id},
            )
        else:
            # The domain list is for operations; a rep finds the verdicts on the customer page.
            url = reverse("tracker:customer_detail", args=[record.pk]) + "#domains"
        return format_html(
            '<a class="badge text-bg-danger verdict-legacy" href="{}">{} legacy</a>', url, value
        )

    def render_next_task_due(self, value, record):
        if not value:
            return "—"
        overdue = (days_until(value) or 0) < 0
        return format_html(
            '<span class="{}">{}</span>', "text-danger fw-semibold" if overdue else "", value.isoformat()
        )


class DomainStateTable(tables.Table):
    """The /domains/ table: one row per domain of a campaign, with its latest verdict and facts."""

    # The columns the table reads (the view loads only these).
    fields_read = (
        "domain__name",
        "domain__customer__name",
        "domain__customer__account_id",
        "domain__customer__status",
        "domain__customer__rep__username",
        "domain__customer__rep__first_name",
        "domain__customer__rep__last_name",
        "verdict",
        "reference_kinds",
        "breaks_on_legacy_removal",
        "on_successor",
        "spf_lookups",
        "dmarc_policy",
        "last_checked_at",
    )

    domain = tables.Column(accessor="domain__name", verbose_name="Domain", order_by=("domain__name",))
    customer = tables.Column(accessor="domain__customer__name", verbose_name="Customer")
    account_id = tables.Column(accessor="domain__customer__account_id", verbose_name="Account", visible=False)
    rep = tables.Column(accessor="domain__customer__rep__username", verbose_name="Rep")
    customer_status = tables.Column(accessor="domain__customer__status", verbose_name="Customer status")
    verdict = tables.Column()
    reference_kinds = tables.Column(verbose_name="References", orderable=False)
    breaks_on_legacy_removal = tables.Column(verbose_name="Breaks on removal")
    on_successor = tables.Column(verbose_name="On successor")
    spf_lookups = tables.Column(
        verbose_name="SPF lookups", attrs={"td": {"class": "text-end"}, "th": {"class": "text-end"}}
    )
    dmarc_policy = tables.Column(verbose_name="DMARC")
    last_checked_at = tables.Column(verbose_name="Last checked")

    class Meta:
        model = DomainState
        fields = ()
        sequence = (
            "domain",
            "customer",
            "account_id",
            "rep",
            "customer_status",
            "verdict",
            "reference_kinds",
            "breaks_on_legacy_removal",
            "on_successor",
            "spf_lookups",
            "dmarc_policy",
            "last_checked_at",
        )
        attrs = TABLE_ATTRS
        template_name = "tracker/tables/domain_state_table.html"
        empty_text = "No domains match."
        order_by = ("domain",)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.domain_url = UrlPattern("tracker:domain_detail")
        self.customer_url = UrlPattern("tracker:customer_detail")

    def row_html(self, record) -> str:
        """One <tr> in the columns' order, built directly: the generic per-cell path costs ~1 ms a row.

        Cells come from the same render_* methods; the header and the exports stay django-tables2's.
        """
        customer = record.domain.customer
        cells = [
            ("", self.render_domain(record.domain.name, record)),
            ("", self.render_customer(customer.name, record)),
            ("", customer.rep.username if customer.rep_id else "—"),
            ("", self.render_customer_status(record)),
            ("", self.render_verdict(record.verdict, record)),
            ("", self.render_reference_kinds(record.reference_kinds)),
            ("", self.render_breaks_on_legacy_removal(record.breaks_on_legacy_removal)),
            ("", self.render_on_successor(record.on_successor)),
            ("text-end", "—" if record.spf_lookups is None else record.spf_lookups),
            ("", record.dmarc_policy or "—"),
            ("", self.render_last_checked_at(record.last_checked_at)),
        ]
        return format_html("<tr>{}</tr>", format_html_join("", '<td class="{}">{}</td>', cells))

    def render_domain(self, value, record):
        return format_html('<a href="{}">{}</a>', self.domain_url(record.domain_id), value)

    def render_customer(self, value, record):
        return format_html('<a href="{}">{}</a>', self.customer_url(record.domain.customer_id), value)

    def render_customer_status(self, record):
        return status_badge(record.domain.customer.status)

    def render_verdict(self, value, record):
        return verdict_badge(record.verdict)

    def render_reference_kinds(self, value):
        return ", ".join(value) if value else "-"

    def render_breaks_on_legacy_removal(self, value):
        return yes_no_unknown(value, yes_is_bad=True)

    def render_on_successor(self, value):
        return yes_no_unknown(value)

    def render_last_checked_at(self, value):
        return local_time(value)

    # Exports get plain values, not badges.
    def value_domain(self, value):
        return value

    def value_customer(self, value):
        return value

    def value_verdict(self, record):
        return record.verdict

    def value_customer_status(self, record):
        return record.domain.customer.status

    def value_reference_kinds(self, value):
        return " ".join(value or [])

    def value_breaks_on_legacy_removal(self, value):
        return "" if value is None else str(value).lower()

    def value_on_successor(self, value):
        return "" if value is None else str(value).lower()

    def value_last_checked_at(self, value):
        return local_time(value)


def _rep_customers(statuses=()):
    return lambda record: [("rep", record.pk), *(("status", s) for s in statuses)]


class RepProgressTable(tables.Table):
    """Per-rep progress on the dashboard; every figure links to its rows."""

    username = tables.Column(verbose_name="Rep")
    customer_count = LinkedCountColumn("tracker:customer_list", _rep_customers(), verbose_name="Customers")
    not_migrated = LinkedCountColumn(
        "tracker:customer_list",
        _rep_customers(["not_contacted", "contacted", "scheduled", "migrating"]),
        verbose_name="Not yet migrated",
    )
    done_share = tables.Column(verbose_name=_("Done"), attrs={"td": {"class": "text-end"}})
    needed_share = tables.Column(verbose_name=_("Needed by today"), attrs={"td": {"class": "text-end"}})
    behind = tables.Column(verbose_name=_("On track?"), order_by=("gap",))
    legacy_domains = LinkedCountColumn("tracker:domain_list", None, verbose_name="Legacy domains")
    open_tasks = LinkedCountColumn("tracker:task_list", None, verbose_name="Open tasks")
    overdue_tasks = LinkedCountColumn("tracker:task_list", None, verbose_name="Overdue tasks")
    last_activity = tables.Column(verbose_name="Last activity", default="never")

    class Meta:
        attrs = TABLE_ATTRS
        template_name = TABLE_TEMPLATE
        empty_text = "No sales reps yet."
        # Unsorted, the rows come most behind first (tracker.queries.dashboards.rep_progress).
        row_attrs = {"data-rep": lambda record: record.username}

    def __init__(self, *args, campaign, **kwargs):
        slug = campaign.slug
        super().__init__(*args, **kwargs)
        self.columns["legacy_domains"].column.params = lambda r: {
            "campaign": slug,
            "rep": r.pk,
            "verdict": "legacy",
        }
        self.columns["open_tasks"].column.params = lambda r: {"campaign": slug, "assignee": r.pk}
        self.columns["overdue_tasks"].column.params = lambda r: {
            "campaign": slug,
            "assignee": r.pk,
            "overdue": "true",
        }

    def render_last_activity(self, value):
        return local_time(value)

    def render_done_share(self, value, record):
        return format_html(
            '{}% <span class="text-body-secondary small">({}/{})</span>',
            round(100 * value),
            record.done,
            record.customer_count,
        )

    def render_needed_share(self, value):
        return f"{round(100 * value)}%"

    def render_behind(self, value, record):
        if record.done_share is None:
            return "–"
        if value:
            points = round(100 * record.gap)
            return format_html(
                '<span class="badge text-bg-danger behind-flag">{}</span>',
                gettext("behind by %(points)s points") % {"points": points},
            )
        return format_html('<span class="badge text-bg-success">{}</span>', gettext("on track"))

    def render_username(self, value, record):
        """The rep's name links to their customers: the drill-down from "who is behind"."""
        full = record.get_full_name()
        return format_html(
            '<a class="rep-link" href="{}">{}</a> <span class="text-body-secondary small">{}</span>',
            filtered_url("tracker:customer_list", {"rep": record.pk}),
            full or value,
            value if full else "",
        )


class TaskTable(tables.Table):
    """The worklist: each task a card (evidence and in-place actions), paginated like every list."""

    task = tables.Column(accessor="pk", verbose_name="Task", orderable=False)

    class Meta:
        attrs = TABLE_ATTRS
        template_name = "tracker/tables/task_cards.html"
        empty_text = "Nothing to do here."
        orderable = False  # the worklist order (tracker.queries.worklist) is the order

    def __init__(self, *args, today: dt.date, **kwargs):
        super().__init__(*args, **kwargs)
        # The cards compare due dates with today; django-tables2 renders them without the page's context.
        self.today = today
        self.tomorrow = today + dt.timedelta(days=1)


class SweepTable(tables.Table):
    """Sweeps of a campaign, newest first: what ran, what it found, and a Resume button where it stopped."""

    started = tables.DateTimeColumn(accessor="created_at", verbose_name="Started", format="Y-m-d H:i")
    kind = tables.TemplateColumn(
        '{{ record.get_kind_display }}{% if record.label %} <span class="text-body-secondary small">'
        "{{ record.label }}</span>{% endif %}",
        verbose_name="Kind",
    )
    status = tables.TemplateColumn(
        "{% load i18n tracker_tags %}{% sweep_status_badge record.status %}"
        '{% if record.is_stalled %} <span class="badge text-bg-danger sweep-stalled" title="{{ record.stall_reason }}">'
        '{% translate "Stalled" %}</span>{% endif %}',
        verbose_name="Status",
    )
    checked = tables.TemplateColumn(
        "{% load humanize %}{{ record.done|intcomma }} / {{ record.total|intcomma }}",
        verbose_name="Checked",
        attrs={"td": {"class": "text-end"}, "th": {"class": "text-end"}},
    )
    legacy_count = tables.Column(verbose_name="Legacy", attrs={"td": {"class": "text-end"}, "th": {"class": "text-end"}})
    inconclusive_count = tables.Column(
        verbose_name="Inconclusive", attrs={"td": {"class": "text-end"}, "th": {"class": "text-end"}}
    )
    chunks_failed = tables.Column(
        verbose_name="Failed chunks", attrs={"td": {"class": "text-end"}, "th": {"class": "text-end"}}
    )
    duration = tables.TemplateColumn(
        "{% load tracker_tags %}{% if record.duration %}{{ record.duration|duration_text }}{% else %}–{% endif %}",
        verbose_name="Duration",
        attrs={"td": {"class": "text-end"}, "th": {"class": "text-end"}},
    )
    alert = tables.TemplateColumn(
        '{% if record.alert %}<span class="text-danger small">{{ record.alert }}</span>'
        '{% elif record.error %}<span class="text-danger small">{{ record.error|truncatechars:120 }}</span>{% endif %}',
        verbose_name="Alert",
    )
    actions = tables.TemplateColumn(
        "{% load i18n %}{% if record.can_resume %}"
        "<form method=\"post\" action=\"{% url 'tracker:sweep_resume' record.campaign.slug record.pk %}\">"
        '{% csrf_token %}<button type="submit" class="btn btn-sm btn-outline-warning">{% translate "Resume" %}'
        "</button></form>"
        "{% endif %}",
        verbose_name="",
    )

    class Meta:
        attrs = TABLE_ATTRS
        template_name = TABLE_TEMPLATE
        empty_text = "No sweep yet."
        orderable = False

    def render_chunks_failed(self, value):
        return format_html('<span class="text-danger">{}</span>', value) if value else "0"
