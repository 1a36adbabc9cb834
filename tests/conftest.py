"""Project-wide pytest fixtures."""

import subprocess
from pathlib import Path

from tests.conftest_cast import *  # noqa: F401,F403
from tests.conftest_celery import celery_app, celery_worker, dead_nameserver, redis_url, sweep_dns  # noqa: F401
from tests.conftest_dns import dns_server, dns_server_session, resolver  # noqa: F401

LOCALE = Path(__file__).resolve().parents[1] / "locale"


def pytest_configure(config):
    """The .mo files are built, not kept in git: compile any older than its .po (as `make test` does)."""
    for po in LOCALE.glob("*/LC_MESSAGES/*.po"):
        mo = po.with_suffix(".mo")
        if not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime:
            subprocess.run(["msgfmt", "--check-format", "-o", str(mo), str(po)], check=True)
