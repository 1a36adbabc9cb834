"""Update many rows, each with its own values, in one statement.

A sweep chunk that sees changes updates hundreds of states and tasks. One
`save()` each is one round trip and one statement to plan each; Django's
`bulk_update()` builds a `CASE WHEN pk = ... THEN ...` per row and field, which
costs seconds of Python per chunk. On PostgreSQL this sends one array per
column instead: `UPDATE t SET a = v.a FROM unnest(%s::int[], ...) AS v(id, a)`.
Other databases (SQLite in development) get Django's `bulk_update()`.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.db import connection, models

BATCH = 1000  # rows per statement: bounded parameters whatever the chunk size


def bulk_update(objs: Sequence[models.Model], fields: Sequence[str]) -> None:
    """Write `fields` of every object (they must be saved already), in one statement per batch."""
    if not objs:
        return
    model = type(objs[0])
    if connection.vendor != "postgresql":
        model.objects.bulk_update(objs, fields, batch_size=BATCH)
        return
    meta = model._meta
    columns = [meta.pk, *(meta.get_field(name) for name in fields)]
    table = connection.ops.quote_name(meta.db_table)
    quoted = [connection.ops.quote_name(field.column) for field in columns]
    arrays = ", ".join(
        f"%s::{field.rel_db_type(connection) if field is meta.pk else field.db_type(connection)}[]"
        for field in columns
    )
    assignments = ", ".join(f"{column} = v.{column}" for column in quoted[1:])
    sql = (
        f"UPDATE {table} AS t SET {assignments} FROM unnest({arrays}) AS v({', '.join(quoted)})"
        f" WHERE t.{quoted[0]} = v.{quoted[0]}"
    )
    with connection.cursor() as cursor:
        for start in range(0, len(objs), BATCH):
            batch = objs[start : start + BATCH]
            params = [
                [field.get_db_prep_save(getattr(obj, field.attname), connection) for obj in batch]
                for field in columns
            ]
            cursor.execute(sql, params)
