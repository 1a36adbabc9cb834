"""How fast the dashboard and the domains table render on a large campaign.

    .venv/bin/python benchmarks/ui.py                      # 100,000 domains, 1,000,000 checks, SQLite
    .venv/bin/python benchmarks/ui.py --domains 20000 --checks 100000 --requests 30
    DATABASE_URL=postgres://... .venv/bin/python benchmarks/ui.py

Seeds a scratch database once (bulk inserts; re-runs reuse it when the sizes
match), then renders each page N times with Django's test client as an ops
user and prints p50/p95/max in milliseconds and the query count. The target
is p95 < 300 ms. Every page's first render after the cache is emptied (as after
a restart) is reported separately ("cold"). The burndown reads stored day
figures: the first run backfills them from the spans, as `manage.py
backfill_daily_figures` does after an upgrade (timed, reported once).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SLUG = "bench"


def configure(database: str) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tracker.project.settings")
    os.environ.setdefault("DATABASE_URL", f"sqlite:///{database}")
    os.environ.setdefault("SECURE_SSL_REDIRECT", "false")
    os.environ.setdefault("ALLOWED_HOSTS", "testserver,localhost")
    os.environ.setdefault("SECRET_KEY", "benchmark-only-not-secret")
    import django
    from django.conf import settings

    django.setup()
    # Render templates without `collectstatic` (the manifest storage needs its manifest).
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


def seed(domains: int, checks: int, reps: int = 50, domains_per_customer: int = 5) -> None:
    """Reps, customers, domains, one state per domain and `checks` check spans spread over them."""
    from django.contrib.auth.models import Group, User
    from django.db import transaction
    from django.utils import timezone

    from customers.choices import MigrationStatus
    from customers.models import Customer, Domain
    from customers.roles import OPS_GROUP, REPS_GROUP
    from tracker.choices import TaskKind, Verdict
    from tracker.models import Campaign, Check, DomainState, FollowUpTask

    today = timezone.localdate()
    campaign = Campaign.objects.filter(slug=SLUG).first()
    if (
        campaign
        and Domain.objects.count() == domains
        and Check.objects.filter(campaign=campaign).count() == checks
    ):
        print(f"reusing the seeded database ({domains:,} domains, {checks:,} checks)")
        return
    started = time.perf_counter()
    with transaction.atomic():
        for model in (FollowUpTask, Check, DomainState, Domain, Customer, Campaign):
            model.objects.all().delete()
        User.objects.filter(username__startswith="bench-").delete()
        campaign = Campaign.objects.create(
            slug=SLUG,
            name="Benchmark campaign",
            legacy={
                "name": "Post Office",
                "mx_hosts": ["*.po.2iij.net"],
                "spf_includes": ["spf.po.2iij.net"],
                "ip_ranges": [],
                "outbound_ips": [],
            },
            successor={
                "name": "Secure MX",
                "mx_hosts": [],
                "spf_includes": [],
                "ip_ranges": [],
                "outbound_ips": [],
                "dkim_selectors": [],
            },
            end_date=today + dt.timedelta(days=30),
            cleanup_date=today + dt.timedelta(days=90),
        )
        reps_group, _ = Group.objects.get_or_create(name=REPS_GROUP)
        ops_group, _ = Group.objects.get_or_create(name=OPS_GROUP)
        rep_users = User.objects.bulk_create(User(username=f"bench-rep{i}") for i in range(reps))
        reps_group.user_set.add(*rep_users)
        ops = User.objects.create(username="bench-ops")
        ops_group.user_set.add(ops)

        statuses = list(MigrationStatus)
        customer_count = domains // domains_per_customer
        customers = Customer.objects.bulk_create(
            (
                Customer(
                    name=f"Customer {i}",
                    account_id=f"B-{i:07d}",
                    rep=rep_users[i % reps],
                    status=statuses[i % len(statuses)],
                )
                for i in range(customer_count)
            ),
            batch_size=5000,
        )
        domain_rows = Domain.objects.bulk_create(
            (
                Domain(customer=customers[i // domains_per_customer], name=f"d{i}.bench.example")
                for i in range(domains)
            ),
            batch_size=5000,
        )
        print(f"  {len(domain_rows):,} domains in {time.perf_counter() - started:.0f} s")

        now = timezone.now()
        # The first `extra` domains get one span more, so that the total is exactly `checks`.
        base, extra = divmod(checks, domains)
        first = now - dt.timedelta(days=2 * (base + 1))
        batch: list[Check] = []
        latest: dict[int, tuple[Check | None, str]] = {}

        def flush() -> None:
            Check.objects.bulk_create(batch, batch_size=5000)
            batch.clear()

        for index, domain in enumerate(domain_rows):
            spans = base + (1 if index < extra else 0)
            # A third migrate during the campaign: legacy spans, then clean ones.
            switch = spans if index % 3 else (index % spans)
            for span in range(spans):
                verdict = Verdict.LEGACY if span < switch else Verdict.CLEAN
                seen = first + dt.timedelta(days=2 * span, minutes=index % 600)
                batch.append(
                    Check(
                        campaign=campaign,
                        domain=domain,
                        verdict=verdict,
                        fingerprint=f"{index}-{span}",
                        report={"domain": domain.name, "verdict": verdict},
                        first_seen_at=seen,
                        last_seen_at=seen + dt.timedelta(days=1),
                    )
                )
            latest[domain.pk] = verdict
            if len(batch) >= 50000:
                flush()
        flush()
        print(f"  {checks:,} checks in {time.perf_counter() - started:.0f} s")

        DomainState.objects.bulk_create(
            (
                DomainState(
                    campaign=campaign,
                    domain=domain,
                    verdict=latest[domain.pk],
                    last_conclusive_verdict=latest[domain.pk],
                    last_checked_at=now,
                    breaks_on_legacy_removal=latest[domain.pk] == Verdict.LEGACY,
                    has_legacy_spf_include=latest[domain.pk] == Verdict.LEGACY,
                    reference_kinds=["spf-include"] if latest[domain.pk] == Verdict.LEGACY else [],
                    has_spf=True,
                    spf_lookups=3 + index % 10,
                    has_dmarc=index % 4 != 0,
                    dmarc_policy=["none", "quarantine", "reject", ""][index % 4],
                    deprecated_tags=["pct"] if index % 7 == 0 else [],
                    on_successor=latest[domain.pk] != Verdict.LEGACY,
                )
                for index, domain in enumerate(domain_rows)
            ),
            batch_size=5000,
        )
        FollowUpTask.objects.bulk_create(
            (
                FollowUpTask(
                    campaign=campaign,
                    customer_id=domain.customer_id,
                    domain=domain,
                    assignee_id=rep_users[(index // domains_per_customer) % reps].pk,
                    kind=TaskKind.LEGACY_SPF_INCLUDE,
                    due_date=today + dt.timedelta(days=(index % 21) - 7),
                )
                for index, domain in enumerate(domain_rows)
                if latest[domain.pk] == Verdict.LEGACY and index % 5 == 0
            ),
            batch_size=5000,
        )
    print(f"seeded in {time.perf_counter() - started:.0f} s")


def measure(client, url: str, requests: int) -> dict:
    from django.db import connection, reset_queries
    from django.test.utils import CaptureQueriesContext

    timings, cpu = [], []
    queries = 0
    for _ in range(requests):
        reset_queries()
        with CaptureQueriesContext(connection) as captured:
            started, started_cpu = time.perf_counter(), time.process_time()
            response = client.get(url)
            timings.append(1000 * (time.perf_counter() - started))
            cpu.append(1000 * (time.process_time() - started_cpu))
        queries = len(captured.captured_queries)
        if response.status_code != 200:
            raise SystemExit(f"{url}: HTTP {response.status_code}")
    timings.sort()
    cpu.sort()
    return {
        "cpu_p95": cpu[max(0, int(round(0.95 * len(cpu))) - 1)],
        "p50": statistics.median(timings),
        "p95": timings[max(0, int(round(0.95 * len(timings))) - 1)],
        "max": timings[-1],
        "queries": queries,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--domains", type=int, default=100_000)
    parser.add_argument("--checks", type=int, default=1_000_000, help="check spans in all")
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument(
        "--database", default="/tmp/tracker-ui-bench.sqlite3", help="SQLite file (without DATABASE_URL)"
    )
    args = parser.parse_args()

    configure(args.database)
    from django.conf import settings
    from django.contrib.auth.models import User
    from django.core.cache import cache
    from django.core.management import call_command
    from django.test import Client

    settings.DEBUG = False
    call_command("migrate", verbosity=0)
    seed(args.domains, args.checks)
    backfill()

    client = Client()
    client.force_login(User.objects.get(username="bench-ops"))
    rep_client = Client()
    rep_client.force_login(User.objects.get(username="bench-rep0"))
    cache.clear()
    pages = {
        "dashboard": f"/campaigns/{SLUG}/dashboard/",
        "domains": f"/domains/?campaign={SLUG}",
        "domains, filtered": f"/domains/?campaign={SLUG}&verdict=legacy&breaks=true&dmarc_policy=none",
        "domains, sorted by rep": f"/domains/?campaign={SLUG}&sort=rep",
        "domains, search": f"/domains/?campaign={SLUG}&q=d4242",
        "tasks (all)": "/tasks/",
        "customers": "/customers/",
        "customers, search": "/customers/?q=Customer%204242",
        "sweeps": f"/campaigns/{SLUG}/sweeps/",
    }
    rep_pages = REP_PAGES
    print(
        f"\n{args.domains:,} domains, {args.checks:,} checks, {connection_vendor()}, {args.requests} requests each"
    )
    print(
        f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs (wall times suffer; CPU time less)"
    )
    print(f"{'page':<26}{'p50 ms':>9}{'p95 ms':>9}{'max ms':>9}{'cpu p95':>9}{'queries':>9}")
    worst = worst_cpu = 0.0
    every = [(name, url, client) for name, url in pages.items()]
    every += [(f"rep: {name}", url, rep_client) for name, url in rep_pages.items()]
    for name, url, who in every:
        cache.clear()
        started = time.perf_counter()
        if who.get(url).status_code != 200:
            raise SystemExit(f"{url}: not 200")
        cold = 1000 * (time.perf_counter() - started)
        worst = max(worst, cold)
        print(f"{name + ' (cold)':<26}{'':>9}{cold:>9.0f}{'':>9}{'':>9}")
        figures = measure(who, url, args.requests)
        worst = max(worst, figures["p95"])
        worst_cpu = max(worst_cpu, figures["cpu_p95"])
        print(
            f"{name:<26}{figures['p50']:>9.0f}{figures['p95']:>9.0f}{figures['max']:>9.0f}"
            f"{figures['cpu_p95']:>9.0f}{figures['queries']:>9}"
        )
    print(f"\nworst p95: {worst:.0f} ms wall, {worst_cpu:.0f} ms CPU (target < 300 ms)")


# Pages a sales rep works in (bench-rep0 has 1/50 of the customers).
REP_PAGES = {
    "home": "/",
    "customers": "/customers/",
    "tasks": "/tasks/",
}


def backfill() -> None:
    """The stored day figures, from the spans, and today's (once, as `backfill_daily_figures` does)."""
    from tracker.models import Campaign, DailyFigures
    from tracker.services.daily_figures import daily_figures_backfill, daily_figures_record

    campaign = Campaign.objects.get(slug=SLUG)
    if DailyFigures.objects.filter(campaign=campaign).exclude(details={}).exists():
        return
    started = time.perf_counter()
    added = daily_figures_backfill(campaign)
    print(f"backfilled {added} days of figures in {time.perf_counter() - started:.1f} s")
    started = time.perf_counter()
    daily_figures_record(campaign)  # what a sweep does when it ends
    print(f"recorded today's figures in {time.perf_counter() - started:.1f} s")


def connection_vendor() -> str:
    from django.db import connection

    return connection.vendor


if __name__ == "__main__":
    main()
