"""Insert or update many rows, each with its own values, in one statement.

A sweep chunk stores hundreds of spans (each with its ~1.5 kB report), states
and tasks. One `save()` each is one round trip and one statement to plan each;
Django's `bulk_update()` builds a `CASE WHEN pk = ... THEN ...` per row and
field (seconds of Python per chunk); its `bulk_create()` sends one array per
column, but as text, and psycopg escapes every quote of every JSON document in
Python: 55 ms per 500 reports, against 13 ms in binary. So on PostgreSQL these
send one binary array per column:

    INSERT INTO t (a, b) SELECT * FROM unnest(%b::int[], %b::jsonb[]) RETURNING id
    UPDATE t SET a = v.a FROM unnest(%b::bigint[], %b::int[]) AS v(id, a) WHERE t.id = v.id

Other databases (SQLite in development) get Django's `bulk_create()` and `bulk_update()`.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from django.db import connection, models

BATCH = 1000  # rows per statement: bounded parameters whatever the chunk size


def bulk_insert(objs: Sequence[models.Model]) -> None:
    """INSERT new objects (every concrete field but the primary key) and set their primary keys."""
    if not objs:
        return
    model = type(objs[0])
    if connection.vendor != "postgresql":
        model.objects.bulk_create(objs, batch_size=BATCH)
        return
    meta = model._meta
    fields = [field for field in meta.concrete_fields if field is not meta.pk]
    columns = ", ".join(connection.ops.quote_name(field.column) for field in fields)
    sql = (
        f"INSERT INTO {connection.ops.quote_name(meta.db_table)} ({columns})"
        f" SELECT * FROM unnest({_arrays(fields)}) RETURNING {connection.ops.quote_name(meta.pk.column)}"
    )
    with _binary_cursor() as cursor:
        for batch in _batches(objs):
            cursor.execute(sql, [[_value(field, obj, add=True) for obj in batch] for field in fields])
            for obj, (pk,) in zip(batch, cursor.fetchall(), strict=True):
                obj.pk = pk
                obj._state.adding, obj._state.db = False, connection.alias


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
    quoted = [connection.ops.quote_name(field.column) for field in columns]
    assignments = ", ".join(f"{column} = v.{column}" for column in quoted[1:])
    sql = (
        f"UPDATE {connection.ops.quote_name(meta.db_table)} AS t SET {assignments}"
        f" FROM unnest({_arrays(columns)}) AS v({', '.join(quoted)}) WHERE t.{quoted[0]} = v.{quoted[0]}"
    )
    with _binary_cursor() as cursor:
        for batch in _batches(objs):
            cursor.execute(sql, [[_value(field, obj) for obj in batch] for field in columns])


def _arrays(fields) -> str:
    """One binary array parameter per column, cast to the column's type."""
    types = [
        field.rel_db_type(connection) if field.primary_key else field.db_type(connection) for field in fields
    ]
    return ", ".join(f"%b::{db_type}[]" for db_type in types)


def _value(field, obj, add: bool = False):
    value = field.pre_save(obj, add) if add else getattr(obj, field.attname)
    return field.get_db_prep_save(value, connection)


def _batches(objs: Sequence) -> Iterator[Sequence]:
    for start in range(0, len(objs), BATCH):
        yield objs[start : start + BATCH]


@contextmanager
def _binary_cursor():
    """A cursor on Django's connection (same transaction, same query log) that binds on the server.

    Django's own cursors bind client-side, which cannot send binary parameters.
    """
    from django.db.backends.postgresql.base import ServerBindingCursor

    connection.ensure_connection()
    raw = ServerBindingCursor(connection.connection)
    cursor = connection.make_debug_cursor(raw) if connection.queries_logged else connection.make_cursor(raw)
    try:
        yield cursor
    finally:
        cursor.close()
