"""Fixtures for sweeps: DNS settings pointing at the test server, a real Redis, a real Celery worker.

- `sweep_dns`: the test DNS server, with the project's DNS settings pointing at it;
- `dead_nameserver`: an address that swallows every query (the DNS server is down);
- `redis_url`: `TEST_REDIS_URL` if set (CI), else a private redis-server on a free loopback port;
- `celery_worker`: an in-process worker on that Redis (tests using it need `transactional_db`).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from collections.abc import Callable, Iterator

import pytest

TEST_DNS_TIMEOUT = 0.3


@pytest.fixture
def sweep_dns(dns_server, settings):
    settings.DNS_NAMESERVERS = [dns_server.address]
    settings.DNS_TIMEOUT = TEST_DNS_TIMEOUT
    settings.PROBE_CONCURRENCY = 20
    return dns_server


@pytest.fixture
def dead_nameserver() -> Iterator[str]:
    """A UDP port on loopback that reads nothing and answers nothing: every lookup times out.

    Point the DNS settings at it when the test wants the server to go down.
    """
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    yield f"127.0.0.1:{sock.getsockname()[1]}"
    sock.close()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory) -> Iterator[str]:
    if os.environ.get("TEST_REDIS_URL"):
        yield os.environ["TEST_REDIS_URL"]
        return
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("no redis-server and no TEST_REDIS_URL")
    port = _free_port()
    workdir = tmp_path_factory.mktemp("redis")
    process = subprocess.Popen(
        [
            binary,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(workdir),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.05)
    try:
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture
def celery_app(redis_url, settings):
    """The project's Celery app on the test Redis, with an empty queue."""
    import redis
    from kombu import Connection

    from tracker import tasks  # noqa: F401  (registers the task names)
    from tracker.project.celery import app

    settings.CELERY_BROKER_URL = redis_url
    redis.Redis.from_url(redis_url).flushdb()
    app.conf.broker_url = redis_url
    app.conf.task_always_eager = False
    with Connection(redis_url) as connection:
        connection.ensure_connection(max_retries=3)
    yield app
    redis.Redis.from_url(redis_url).flushdb()


@pytest.fixture
def celery_worker(celery_app, transactional_db):
    """A real worker, in this process (solo pool: one task at a time, safe on SQLite too)."""
    from celery.contrib.testing.worker import start_worker

    with start_worker(celery_app, pool="solo", perform_ping_check=False, shutdown_timeout=20) as worker:
        yield worker


def wait_for(condition: Callable[[], object], timeout: float = 60.0, interval: float = 0.1):
    """Poll until condition() is truthy (the worker runs in another thread); returns its value."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout} s waiting for {condition}")


# -- zones for sweep tests (the CampaignFactory campaign: legacy *.po.2iij.net, spf.po.2iij.net) ------

LEGACY_PROVIDER = {
    "spf.po.2iij.net": {"TXT": ["v=spf1 ip4:192.0.2.0/24 -all"]},
    "mx1.po.2iij.net": {"A": ["192.0.2.25"]},
    "mx.successor.example": {"A": ["198.51.100.25"]},
}


def legacy_spf_zone(domain: str) -> dict:
    """Mail on the successor, but SPF still includes the legacy service."""
    return {
        domain: {"MX": [(10, "mx.successor.example")], "TXT": ["v=spf1 include:spf.po.2iij.net -all"]},
        f"_dmarc.{domain}": {"TXT": ["v=DMARC1; p=reject"]},
    }


def legacy_mx_zone(domain: str) -> dict:
    return {domain: {"MX": [(10, "mx1.po.2iij.net")], "TXT": ["v=spf1 -all"]}}


def clean_zone(domain: str) -> dict:
    return {
        domain: {"MX": [(10, "mx.successor.example")], "TXT": ["v=spf1 ip4:198.51.100.0/24 -all"]},
        f"_dmarc.{domain}": {"TXT": ["v=DMARC1; p=reject"]},
    }


def serve(dns_server, *zones: dict) -> None:
    records = dict(LEGACY_PROVIDER)
    for zone in zones:
        records.update(zone)
    dns_server.set_records(records)
