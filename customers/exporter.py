"""Export customers with the import's columns (CSV or XLSX), so an export imports back unchanged."""

from __future__ import annotations

import csv
import io

from django.db.models import Prefetch

from customers.importer import COLUMNS, FORMULA_PREFIXES
from customers.models import Domain

CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


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


def _csv_safe(value: str) -> str:
    # A spreadsheet would run "=cmd|..." as a formula; the importer strips the quote again.
    return "'" + value if value.startswith(FORMULA_PREFIXES) else value


def write_csv(queryset, stream) -> None:
    writer = csv.writer(stream)
    writer.writerow(COLUMNS)
    for row in export_rows(queryset):
        writer.writerow([_csv_safe(row[column]) for column in COLUMNS])


def write_xlsx(queryset, stream) -> None:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("customers")
    sheet.append(list(COLUMNS))
    for row in export_rows(queryset):
        cells = []
        for column in COLUMNS:
            cell = WriteOnlyCell(sheet, value=row[column])
            cell.data_type = "s"  # text, never a formula
            cells.append(cell)
        sheet.append(cells)
    workbook.save(stream)


def export_customers(queryset, fmt: str) -> bytes:
    """The file's bytes for `fmt` ("csv" or "xlsx")."""
    if fmt == "xlsx":
        buffer = io.BytesIO()
        write_xlsx(queryset, buffer)
        return buffer.getvalue()
    if fmt == "csv":
        text = io.StringIO(newline="")
        write_csv(queryset, text)
        return text.getvalue().encode("utf-8")
    raise ValueError(f"unknown export format {fmt!r}")
