"""The one list view of the tracker: filter, table, ordering, pagination, export, in that order.

Views configure it (a queryset, a FilterSet, a Table) instead of writing it
(netbox's generic list view). `?_export=csv` or `?_export=xlsx` returns the
filtered, ordered rows, all of them, as the table shows them.
"""

from __future__ import annotations

import csv
import datetime as dt
import io

from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django_tables2 import RequestConfig

EXPORT_FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def render_list(
    request,
    *,
    queryset,
    filterset_class,
    table_class,
    template_name: str,
    context: dict | None = None,
    table_kwargs: dict | None = None,
    per_page: int = 50,
    export_name: str = "export",
):
    filterset = filterset_class(request.GET, queryset=queryset, request=request)
    rows = filterset.qs if filterset.is_valid() else queryset.none()
    table = table_class(rows, **(table_kwargs or {}))
    export_format = request.GET.get("_export")
    if export_format in EXPORT_FORMATS:
        RequestConfig(request, paginate=False).configure(table)
        return export_response(table, export_format, export_name)
    RequestConfig(request, paginate={"per_page": per_page}).configure(table)
    return render(request, template_name, {"filter": filterset, "table": table, **(context or {})})


def export_response(table, export_format: str, name: str) -> HttpResponse:
    """The table's rows (plain values, every column) as a CSV or XLSX download."""
    rows = table.as_values()
    body = _xlsx(rows) if export_format == "xlsx" else _csv(rows)
    response = HttpResponse(body, content_type=EXPORT_FORMATS[export_format])
    filename = f"{name}-{timezone.localdate().isoformat()}.{export_format}"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _csv(rows) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    for row in rows:
        # Spreadsheets run cells starting with = + - @ as formulas: DNS text must stay text.
        writer.writerow([_defuse(cell) for cell in row])
    return out.getvalue()


def _xlsx(rows) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("export")
    for row in rows:
        sheet.append([_xlsx_cell(cell) for cell in row])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _xlsx_cell(cell):
    if isinstance(cell, str):
        return _defuse(cell)
    if isinstance(cell, dt.datetime) and cell.tzinfo is not None:
        return timezone.localtime(cell).replace(tzinfo=None)  # Excel has no time zones
    return cell


def _defuse(cell):
    text = "" if cell is None else str(cell)
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text
