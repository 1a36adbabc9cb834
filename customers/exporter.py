"""Export customers with the import's columns (CSV or XLSX), so an export imports back unchanged."""

from __future__ import annotations

from django.db.models import Prefetch

from customers.importer import COLUMNS
from customers.models import Domain
from tracker.common.spreadsheets import CONTENT_TYPES, csv_bytes, xlsx_bytes

__all__ = ["CONTENT_TYPES", "export_customers", "export_rows", "export_table"]


def export_rows(queryset):
    """One dict per customer, keyed by COLUMNS, in a fixed number of queries."""
    customers = queryset.select_related("rep").prefetch_related(
        Prefetch("domains", queryset=Domain.objects.order_by("name").only("name", "customer_id"))
    )
    for customer in customers.order_by("account_id"):
        rep = customer.rep
        yield {
            "account_id": customer.account_id,
            "customer_name": customer.name,
            "rep_username": rep.get_username() if rep else "",
            "rep_email": rep.email if rep else "",
            "contact_name": customer.contact_name,
            "contact_email": customer.contact_email,
            "status": customer.status,
            "notice_sent_at": customer.notice_sent_at.isoformat() if customer.notice_sent_at else "",
            "domains": " ".join(domain.name for domain in customer.domains.all()),
            "notes": customer.notes,
        }


def export_table(queryset):
    """The header, then one row per customer: what the CSV and XLSX files hold."""
    yield list(COLUMNS)
    for row in export_rows(queryset):
        yield [row[column] for column in COLUMNS]


def export_customers(queryset, fmt: str, *, excel: bool = False) -> bytes:
    """The file's bytes for `fmt` ("csv" or "xlsx"); every cell is text, formula characters defused.

    `excel`: the CSV starts with a BOM, so that Excel (in Japan: Shift_JIS otherwise) reads UTF-8 names intact.
    """
    if fmt == "xlsx":
        return xlsx_bytes(export_table(queryset), "customers", text_only=True)
    if fmt == "csv":
        return csv_bytes(export_table(queryset), excel=excel)
    raise ValueError(f"unknown export format {fmt!r}")
