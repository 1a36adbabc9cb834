"""django-tables2 tables for customer lists."""

import django_tables2 as tables
from django.urls import reverse
from django.utils.html import format_html

from customers.models import Customer
from customers.templatetags.customers_tags import status_badge
from tracker.choices import Verdict
from tracker.tables import filtered_url
from tracker.templatetags.tracker_tags import days_until


class CustomerTable(tables.Table):
    name = tables.Column(linkify=True)
    account_id = tables.Column(verbose_name="Account")
    rep = tables.Column(verbose_name="Rep", accessor="rep__username", order_by=("rep__username",))
    status = tables.Column()
    domain_count = tables.Column(verbose_name="Domains", orderable=True, attrs={"td": {"class": "text-end"}})
    notice_sent_at = tables.DateColumn(verbose_name="Notice sent", format="Y-m-d")
    # Annotated by tracker.dashboards.customer_workspace_annotations (the active campaign).
    legacy_domains = tables.Column(
        verbose_name="Legacy domains", orderable=True, attrs={"td": {"class": "text-end"}}
    )
    next_task_due = tables.DateColumn(verbose_name="Next task due", format="Y-m-d")
    updated_at = tables.DateTimeColumn(verbose_name="Updated", format="Y-m-d H:i")

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
        template_name = "django_tables2/bootstrap5.html"
        attrs = {"class": "table table-sm table-hover align-middle"}
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
            url = reverse("customers:customer_detail", args=[record.pk]) + "#domains"
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
