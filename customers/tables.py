"""django-tables2 tables for customer lists."""

import django_tables2 as tables

from customers.models import Customer
from customers.templatetags.customers_tags import status_badge


class CustomerTable(tables.Table):
    name = tables.Column(linkify=True)
    account_id = tables.Column(verbose_name="Account")
    rep = tables.Column(verbose_name="Rep", accessor="rep__username", order_by=("rep__username",))
    status = tables.Column()
    domain_count = tables.Column(verbose_name="Domains", orderable=True, attrs={"td": {"class": "text-end"}})
    notice_sent_at = tables.DateColumn(verbose_name="Notice sent", format="Y-m-d")
    updated_at = tables.DateTimeColumn(verbose_name="Updated", format="Y-m-d H:i")

    class Meta:
        model = Customer
        fields = ("name", "account_id", "rep", "status", "domain_count", "notice_sent_at", "updated_at")
        template_name = "django_tables2/bootstrap5.html"
        attrs = {"class": "table table-sm table-hover align-middle"}
        empty_text = "No customers match."
        order_by = ("name",)

    def render_status(self, value, record):
        return status_badge(record.status)
