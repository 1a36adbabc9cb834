"""Trigram indexes for "contains" searches on PostgreSQL (domain name, customer name, account id).

Searches are `icontains`, which PostgreSQL runs as `UPPER(col::text) LIKE '%…%'`:
a B-tree cannot help, a trigram GIN index on that very expression can. pg_trgm is
a trusted extension (PostgreSQL 13+): the database owner may create it. SQLite
(development) has no such index and scans, which is fast at its sizes.
"""

from django.db import migrations

INDEXES = {
    "customers_domain_name_trgm": ("customers_domain", "name"),
    "customers_customer_name_trgm": ("customers_customer", "name"),
    "customers_customer_account_trgm": ("customers_customer", "account_id"),
}


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for index, (table, column) in INDEXES.items():
        schema_editor.execute(
            f'CREATE INDEX IF NOT EXISTS "{index}" ON "{table}" USING gin (UPPER("{column}"::text) gin_trgm_ops)'
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for index in INDEXES:
        schema_editor.execute(f'DROP INDEX IF EXISTS "{index}"')


class Migration(migrations.Migration):
    dependencies = [("customers", "0002_create_role_groups")]

    operations = [migrations.RunPython(create, drop)]
