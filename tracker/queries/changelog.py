"""The change log of a customer (and its domains) for operations: who changed what, before and after."""

from __future__ import annotations

from dataclasses import dataclass

from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db.models import Q

from customers.models import Customer, Domain

SHOWN = 50


@dataclass
class ChangeRow:
    entry: LogEntry
    field: str
    before: str
    after: str


def customer_change_log(customer: Customer, limit: int = SHOWN) -> list[ChangeRow]:
    """The latest edits of `customer` and of its domains (also removed ones), newest first, one row per field."""
    customer_type = ContentType.objects.get_for_model(Customer)
    domain_type = ContentType.objects.get_for_model(Domain)
    domain_ids = [str(pk) for pk in customer.domains.values_list("pk", flat=True)]
    entries = (
        LogEntry.objects.filter(
            Q(content_type=customer_type, object_pk=str(customer.pk))
            | Q(content_type=domain_type, object_pk__in=domain_ids)
            | Q(content_type=domain_type, changes__customer__1=str(customer.pk))
        )
        .select_related("actor", "content_type")
        .order_by("-timestamp", "-pk")[:limit]
    )
    rows = []
    for entry in entries:
        changes = entry.changes_dict or {}
        for field, values in changes.items():
            before, after = (
                (list(values) + ["", ""])[:2] if isinstance(values, list | tuple) else ("", values)
            )
            rows.append(ChangeRow(entry, field, _shown(before), _shown(after)))
        if not changes:
            rows.append(ChangeRow(entry, "", "", ""))
    return rows


def _shown(value) -> str:
    return "" if value in (None, "None") else str(value)
