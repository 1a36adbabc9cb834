"""How fast the API's lists and /metrics answer on a large campaign (the UI benchmark's data).

    .venv/bin/python benchmarks/api.py --domains 20000 --spans 3 --requests 20
    DATABASE_URL=postgres://... .venv/bin/python benchmarks/api.py

Seeds (or reuses) the scratch database of benchmarks/ui.py, makes an API token
for its ops user, then asks each URL N times with Django's test client and the
token, and prints p50/p95/max in milliseconds and the query count; "304" rows
send the first answer's ETag back (what a poller pays).
"""

from __future__ import annotations

import argparse
import os
import time

import ui  # benchmarks/ui.py: configure(), seed(), measure()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--domains", type=int, default=20_000)
    parser.add_argument("--spans", type=int, default=3)
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--database", default="/tmp/tracker-api-bench.sqlite3")
    args = parser.parse_args()

    ui.configure(args.database)
    from django.conf import settings
    from django.contrib.auth.models import User
    from django.core.management import call_command
    from django.test import Client

    from tracker.services.tokens import token_create

    settings.DEBUG = False
    call_command("migrate", verbosity=0)
    ui.seed(args.domains, args.spans)
    _row, token = token_create(User.objects.get(username="bench-ops"), "bench", "read")
    client = Client(headers={"Authorization": f"Bearer {token}"})
    urls = {
        "customers": "/api/customers/",
        "customers, status filter": "/api/customers/?status=contacted&page_size=500",
        "domains": f"/api/domains/?campaign={ui.SLUG}",
        "domains, legacy+breaks": f"/api/domains/?campaign={ui.SLUG}&verdict=legacy&breaks=true",
        "tasks": "/api/tasks/",
        "changes since a day ago": f"/api/changes/?campaign={ui.SLUG}&since=2000-01-01T00:00:00Z",
        "metrics": "/metrics",
    }
    print(f"\n{args.domains:,} domains, {ui.connection_vendor()}, {args.requests} requests each")
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    print(f"{'url':<28}{'p50 ms':>9}{'p95 ms':>9}{'max ms':>9}{'queries':>9}")
    for name, url in urls.items():
        figures = ui.measure(client, url, args.requests)
        print(
            f"{name:<28}{figures['p50']:>9.0f}{figures['p95']:>9.0f}{figures['max']:>9.0f}{figures['queries']:>9}"
        )
    for name in ("customers", "domains"):
        etag = client.get(urls[name])["ETag"]
        started = time.perf_counter()
        for _ in range(args.requests):
            assert client.get(urls[name], headers={"If-None-Match": etag}).status_code == 304
        print(f"{name + ' (304)':<28}{1000 * (time.perf_counter() - started) / args.requests:>9.0f}")


if __name__ == "__main__":
    main()
