"""Killing a real Celery worker in the middle of a chunk: the sweep still checks every domain once.

The workers are `celery worker --pool=prefork` subprocesses on the test Redis
and the test database, probing the test DNS server (slowed down so that a
chunk takes a few seconds). A killed task is delivered again with the same
task id: by its own worker when only the pool child dies (late ack, reject on
worker lost), by another worker once the broker's visibility timeout has run
out when the whole worker dies. Its chunk is claimed again and stored once.
"""

from __future__ import annotations

import os
import signal
import subprocess
from collections import Counter
from pathlib import Path
from urllib.parse import quote

import pytest
from django.db import connection

from tests import conftest_celery
from tests.conftest_celery import clean_zone, legacy_mx_zone, legacy_spf_zone, serve, wait_for
from tests.factories import CampaignFactory, CustomerFactory, DomainFactory
from tracker.choices import ChunkStatus, SweepStatus, TaskStatus
from tracker.models import Check, DomainState, FollowUpTask, Sweep, SweepChunk
from tracker.services.sweeps import sweep_start

celery_app = conftest_celery.celery_app
redis_url = conftest_celery.redis_url

pytestmark = [pytest.mark.celery, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]
LATENCY_S = 0.25  # per DNS answer: a domain takes 2-3 round trips, a chunk of 5 a few seconds
CHUNK_SIZE = 5
VISIBILITY_TIMEOUT_S = 6  # longer than a chunk runs here, or a running one is handed out again
DOMAINS = [f"k{i}.example" for i in range(2 * CHUNK_SIZE)]
FINISHED = [SweepStatus.DONE, SweepStatus.PARTIAL, SweepStatus.FAILED]
ZONES = (legacy_spf_zone, legacy_mx_zone, clean_zone)  # domain i gets ZONES[i % 3]


@pytest.fixture
def database_url(transactional_db) -> str:
    """The test database as DATABASE_URL, for the worker processes (they see committed rows)."""
    settings = connection.settings_dict
    if connection.vendor == "sqlite":
        if connection.is_in_memory_db():
            pytest.skip("SQLite test database is in memory: a worker process cannot open it (make test)")
        return f"sqlite:///{settings['NAME']}"
    if connection.vendor != "postgresql":
        pytest.skip(f"no DATABASE_URL form for {connection.vendor}")
    user = quote(settings.get("USER") or "", safe="")
    password = quote(settings.get("PASSWORD") or "", safe="")
    credentials = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    host = settings.get("HOST") or "127.0.0.1"
    port = f":{settings['PORT']}" if settings.get("PORT") else ""
    return f"postgres://{credentials}{host}{port}/{settings['NAME']}"


@pytest.fixture
def start_worker(celery_app, redis_url, database_url, dns_server, tmp_path):
    """Start `celery worker` subprocesses (each its own process group); stopped after the test."""
    workers: list[subprocess.Popen] = []
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "DB_CONN_MAX_AGE": "0",
        "CELERY_BROKER_URL": redis_url,
        "CELERY_VISIBILITY_TIMEOUT": str(VISIBILITY_TIMEOUT_S),
        "DNS_NAMESERVERS": dns_server.address,
        "DNS_TIMEOUT": "3",
        "PROBE_CONCURRENCY": "1",
    }

    def start(name: str) -> subprocess.Popen:
        log = open(tmp_path / f"{name}.log", "wb")  # noqa: SIM115 (closed with the test's tmp_path)
        command = [
            str(ROOT / ".venv/bin/celery"), "-A", "tracker.project.celery", "worker", "--pool=prefork",
            "--concurrency=1", "--without-gossip", "--without-mingle", "--without-heartbeat",
            "--loglevel=WARNING", f"--hostname={name}@%h",
        ]  # fmt: skip
        process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        workers.append(process)
        return process

    yield start
    for process in workers:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(10)


@pytest.fixture
def sweep_domains(transactional_db, dns_server):
    campaign = CampaignFactory()
    customer = CustomerFactory(name="Acme")
    domains = [DomainFactory(customer=customer, name=name) for name in DOMAINS]
    serve(dns_server, *(ZONES[i % len(ZONES)](name) for i, name in enumerate(DOMAINS)))
    dns_server.latency = LATENCY_S
    return campaign, domains


def pool_children(worker: subprocess.Popen) -> list[int]:
    path = Path(f"/proc/{worker.pid}/task/{worker.pid}/children")
    return [int(pid) for pid in path.read_text().split()] if path.exists() else []


def chunk_being_probed(sweep: Sweep, dns_server) -> SweepChunk | None:
    """The chunk a worker has claimed, once its domains' DNS queries have begun."""
    chunk = SweepChunk.objects.filter(sweep=sweep, status=ChunkStatus.RUNNING).first()
    return chunk if chunk is not None and dns_server.query_count > 0 else None


def assert_checked_once(sweep: Sweep, killed: SweepChunk, tmp_path) -> None:
    try:
        wait_for(lambda: Sweep.objects.filter(pk=sweep.pk, status__in=FINISHED).exists(), timeout=90)
    except AssertionError:
        logs = "\n".join(path.read_text(errors="replace")[-3000:] for path in tmp_path.glob("*.log"))
        raise AssertionError(f"the sweep did not finish; worker logs:\n{logs}") from None
    sweep.refresh_from_db()
    assert sweep.status == SweepStatus.DONE
    assert sweep.progress == (len(DOMAINS), len(DOMAINS))
    # Zones repeat legacy SPF, legacy MX, clean: 4 + 3 legacy, 3 clean.
    assert (sweep.legacy_count, sweep.clean_count, sweep.inconclusive_count) == (7, 3, 0)
    assert sorted(SweepChunk.objects.filter(sweep=sweep).values_list("status", "checked")) == [
        (ChunkStatus.DONE, CHUNK_SIZE),
        (ChunkStatus.DONE, CHUNK_SIZE),
    ]
    killed.refresh_from_db()
    assert killed.attempts >= 2  # claimed again after the kill, under the same task id

    checks = list(Check.objects.values_list("domain__name", "times_seen"))
    assert sorted(name for name, _ in checks) == sorted(DOMAINS)
    assert {times for _, times in checks} == {1}  # stored once: a second store would extend the span
    assert sorted(DomainState.objects.values_list("domain__name", flat=True)) == sorted(DOMAINS)
    tasks = Counter(FollowUpTask.objects.values_list("domain__name", "kind", "status"))
    assert set(tasks.values()) == {1}
    assert sum(1 for (_, _, status) in tasks if status == TaskStatus.OPEN) == 7


def test_a_killed_pool_process_is_replaced_and_its_chunk_stored_once(
    start_worker, sweep_domains, dns_server, tmp_path
):
    campaign, _ = sweep_domains
    worker = start_worker("first")
    sweep = sweep_start(campaign, chunk_size=CHUNK_SIZE)
    chunk = wait_for(lambda: chunk_being_probed(sweep, dns_server), timeout=60, interval=0.05)
    children = pool_children(worker)
    assert len(children) == 1, children
    os.kill(children[0], signal.SIGKILL)
    wait_for(lambda: pool_children(worker) and pool_children(worker) != children, timeout=30)
    chunk.refresh_from_db()
    assert chunk.status == ChunkStatus.RUNNING and not Check.objects.exists(), "killed too late"

    assert_checked_once(sweep, chunk, tmp_path)
    assert worker.poll() is None  # the same worker ran it again


def test_a_killed_worker_leaves_its_chunk_to_another_worker_which_stores_it_once(
    start_worker, sweep_domains, dns_server, tmp_path
):
    campaign, _ = sweep_domains
    first = start_worker("first")
    sweep = sweep_start(campaign, chunk_size=CHUNK_SIZE)
    chunk = wait_for(lambda: chunk_being_probed(sweep, dns_server), timeout=60, interval=0.05)
    os.killpg(first.pid, signal.SIGKILL)  # the worker and its pool child: the message stays unacked
    first.wait(10)
    chunk.refresh_from_db()
    assert chunk.status == ChunkStatus.RUNNING and not Check.objects.exists(), "killed too late"

    start_worker("second")
    assert_checked_once(sweep, chunk, tmp_path)
