"""Backup and restore as docs/operations.md says: pg_dump the database, pg_restore it into a fresh one,
and the dashboard shows the same figures from the restored copy (read by a separate process)."""

import glob
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

import pytest
from django.db import connection

from tests import conftest_celery
from tests.conftest_celery import clean_zone, legacy_mx_zone, legacy_spf_zone, serve
from tests.factories import CampaignFactory, CustomerFactory, DomainFactory
from tracker.models import FollowUpTask
from tracker.services.sweeps import sweep_run_sync, sweep_start

sweep_dns = conftest_celery.sweep_dns

pytestmark = pytest.mark.django_db(transaction=True)

ROOT = Path(__file__).resolve().parents[2]
FIGURES = """
import json
from tracker.models import Campaign, FollowUpTask
from tracker.queries.dashboards import domain_figures, status_funnel
campaign = Campaign.objects.get(slug={slug!r})
print(json.dumps({{
    "figures": domain_figures(campaign),
    "funnel": [[str(row["status"]), row["count"]] for row in status_funnel()],
    "open_tasks": FollowUpTask.objects.filter(campaign=campaign).exclude(status="done").count(),
}}))
"""


def pg_binary(name: str) -> str | None:
    found = shutil.which(name) or sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return found if isinstance(found, str) else (found[-1] if found else None)


def url_for(database: str) -> str:
    settings = connection.settings_dict
    user = quote(settings.get("USER") or "", safe="")
    password = quote(settings.get("PASSWORD") or "", safe="")
    credentials = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    host = settings.get("HOST") or "127.0.0.1"
    port = f":{settings['PORT']}" if settings.get("PORT") else ""
    return f"postgres://{credentials}{host}{port}/{database}"


def figures_from(database_url: str, slug: str) -> dict:
    env = {**os.environ, "DATABASE_URL": database_url, "DJANGO_SETTINGS_MODULE": "tracker.project.settings"}
    code = "import django; django.setup()\n" + FIGURES.format(slug=slug)
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr[-2000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_a_pg_dump_restored_into_a_fresh_database_shows_the_same_dashboard(sweep_dns, tmp_path):
    if connection.vendor != "postgresql":
        pytest.skip("pg_dump/pg_restore need the PostgreSQL test database (make test)")
    dump, restore = pg_binary("pg_dump"), pg_binary("pg_restore")
    if not (dump and restore):
        pytest.skip("pg_dump/pg_restore not installed")
    campaign = CampaignFactory()
    customer = CustomerFactory()
    names = [f"b{i}.example" for i in range(6)]
    for name in names:
        DomainFactory(customer=customer, name=name)
    zones = (legacy_spf_zone, legacy_mx_zone, clean_zone)
    serve(sweep_dns, *(zones[i % 3](name) for i, name in enumerate(names)))
    sweep_run_sync(sweep_start(campaign, enqueue=False))
    assert FollowUpTask.objects.exists()

    source_url = url_for(connection.settings_dict["NAME"])
    before = figures_from(source_url, campaign.slug)
    assert before["figures"]["verdict_legacy"] == 4 and before["figures"]["verdict_clean"] == 2

    backup = tmp_path / "tracker.dump"
    # As documented: a custom-format dump, restored with --no-owner into a new, empty database.
    subprocess.run([dump, "--format=custom", "--no-owner", f"--file={backup}", source_url], check=True)
    restored_name = f"{connection.settings_dict['NAME']}_restored"
    with connection.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{restored_name}"')
        cursor.execute(f'CREATE DATABASE "{restored_name}"')
    try:
        restored_url = url_for(restored_name)
        subprocess.run(
            [restore, "--no-owner", "--exit-on-error", f"--dbname={restored_url}", str(backup)], check=True
        )
        assert figures_from(restored_url, campaign.slug) == before
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{restored_name}" WITH (FORCE)')
