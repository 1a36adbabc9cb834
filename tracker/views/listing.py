"""The one list view: filter, table, ordering, pagination, export, in that order.

The page also gets `filter_chips` (tracker.filters.filter_chips): each filter the URL
sets, with a link that removes just that one.

Every list page (customers, domains, tasks, sweeps) configures it with a
queryset, a FilterSet and a table instead of writing it (netbox's generic list
view). `?_export=csv` or `?_export=xlsx` returns the filtered, ordered rows,
all of them, as the table shows them.
"""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django_tables2 import RequestConfig

from tracker.common.spreadsheets import CONTENT_TYPES, csv_bytes, xlsx_bytes
from tracker.filters import filter_chips

PER_PAGE = 50
# `?per_page=` is the reader's to choose, within these bounds; anything else is the default.
MAX_PER_PAGE = 500


def _sane_per_page(request) -> None:
    """Replaces a `per_page` that is not a whole number in 1..MAX_PER_PAGE (django-tables2 would fail on it)."""
    raw = request.GET.get("per_page")
    if raw is None:
        return
    query = request.GET.copy()
    try:
        number = int(raw.strip())
    except ValueError:
        query.pop("per_page")
    else:
        query["per_page"] = str(min(max(number, 1), MAX_PER_PAGE))
    request.GET = query


def render_list(
    request,
    *,
    queryset,
    filterset_class,
    table_class,
    template_name: str,
    context: dict | None = None,
    table_kwargs: dict | None = None,
    per_page: int = PER_PAGE,
    export_name: str | None = None,
):
    """The page of `table_class` over `queryset` filtered by `filterset_class` from the query string."""
    _sane_per_page(request)
    filterset = filterset_class(request.GET, queryset=queryset, request=request)
    rows = filterset.qs if filterset.is_valid() else queryset.none()
    table = table_class(rows, **(table_kwargs or {}))
    export_format = request.GET.get("_export")
    if export_name and export_format in CONTENT_TYPES:
        RequestConfig(request, paginate=False).configure(table)
        return export_response(table.as_values(), export_format, export_name)
    RequestConfig(request, paginate={"per_page": per_page}).configure(table)
    page = {"filter": filterset, "table": table, "filter_chips": filter_chips(filterset, request.GET)}
    return render(request, template_name, {**page, **(context or {})})


def csv_for_excel(request) -> bool:
    """CSV with a BOM for Excel unless `?encoding=utf-8` asks for plain UTF-8; Japanese users get it by default."""
    encoding = request.GET.get("encoding", "")
    if encoding in ("excel", "utf-8"):
        return encoding == "excel"
    return (getattr(request, "LANGUAGE_CODE", "") or "").startswith("ja")


def export_response(
    rows, export_format: str, name: str, *, text_only: bool = False, excel: bool = False
) -> HttpResponse:
    """Rows (the first one the header) as a CSV or XLSX download named after the list and today."""
    if export_format == "xlsx":
        body = xlsx_bytes(rows, name[:31], text_only=text_only)
    else:
        body = csv_bytes(rows, excel=excel)
    response = HttpResponse(body, content_type=CONTENT_TYPES[export_format])
    filename = f"{name}-{timezone.localdate().isoformat()}.{export_format}"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
