"""The fault test (issue 12): a sweep on real parts survives its faults, and says the truth after.

PostgreSQL (the test database), a private Redis with append-only persistence, two
real `celery worker` processes and the test DNS server, all on loopback. During
one sweep: Redis is restarted, one worker is killed with SIGKILL (and started
again, as supervisord would), PostgreSQL is restarted, and DNS never answers for
a third of the domains. The minute job (`sweeps_heal`) is run here every second
with a 6-second lease, as beat would run it every minute with a 2-minute one; a
sweep shown stalled is resumed as ops would. Then: the sweep finished; every
domain was stored exactly once (one chunk done, one check span); no task was
closed; no domain with a failed lookup is clean.

Run alone: `pytest -m faults`. Bounded: a few minutes at most.
Not done here: partitions through network namespaces (see the merge report).
"""

from __future__ import annotations

import glob
import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest
from django.db import OperationalError, close_old_connections, connection, connections

from tests.conftest_celery import clean_zone, legacy_mx_zone, legacy_spf_zone, serve
from tests.factories import CampaignFactory, CustomerFactory, DomainFactory
from tests.tracker.test_worker_kill import database_url  # noqa: F401 (fixture)
from tracker.choices import ChunkStatus, SweepStatus, TaskStatus, Verdict
from tracker.models import Check, DomainState, FollowUpTask, Sweep, SweepChunk
from tracker.services.sweeps import sweep_resume, sweep_start, sweeps_heal

pytestmark = [pytest.mark.faults, pytest.mark.celery, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]
DOMAINS = 24
CHUNK_SIZE = 3
LEASE_S = 6.0
DEADLINE_S = 240
ZONES = (legacy_spf_zone, legacy_mx_zone, clean_zone)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class PrivateRedis:
    """redis-server with appendonly yes, restartable on the same port and directory."""

    def __init__(self, workdir: Path) -> None:
        self.binary = shutil.which("redis-server")
        self.port, self.workdir, self.process = _free_port(), workdir, None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        command = [
            self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
            "--appendonly", "yes", "--appendfsync", "always", "--dir", str(self.workdir),
        ]  # fmt: skip
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)

    def restart(self) -> None:
        self.stop()
        self.start()


@pytest.fixture
def private_redis(tmp_path):
    if shutil.which("redis-server") is None:
        pytest.skip("no redis-server")
    redis = PrivateRedis(tmp_path)
    redis.start()
    yield redis
    redis.stop()


@pytest.fixture
def broker(private_redis, settings, monkeypatch):
    """The project's Celery app on the private Redis."""
    from celery import current_app

    from tracker import tasks  # noqa: F401  (registers the task names)

    before = current_app.conf.broker_url
    settings.CELERY_BROKER_URL = private_redis.url
    monkeypatch.setenv("CELERY_BROKER_URL", private_redis.url)
    current_app.conf.broker_url = private_redis.url
    current_app.conf.task_always_eager = False
    yield private_redis
    current_app.conf.broker_url = before


def restart_postgres() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SHOW data_directory")
        data = cursor.fetchone()[0]
    connections.close_all()
    pg_ctl = shutil.which("pg_ctl") or sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))[-1]
    subprocess.run(
        ["su", "postgres", "-s", "/bin/sh", "-c", f"'{pg_ctl}' -D '{data}' -m fast -w restart >/dev/null"],
        check=True,
        timeout=60,
    )


@pytest.fixture
def workers(broker, database_url, dns_server, tmp_path):  # noqa: F811
    started: dict[str, subprocess.Popen] = {}
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "DB_CONN_MAX_AGE": "0",
        "CELERY_BROKER_URL": broker.url,
        "CELERY_VISIBILITY_TIMEOUT": "8",
        "SWEEP_CHUNK_LEASE_S": str(LEASE_S),
        "SWEEP_HEARTBEAT_S": "1",
        "DNS_NAMESERVERS": dns_server.address,
        "DNS_TIMEOUT": "0.5",
        "PROBE_CONCURRENCY": "4",
    }

    def start(name: str) -> subprocess.Popen:
        log = open(tmp_path / f"{name}.log", "ab")  # noqa: SIM115 (closed with the test's tmp_path)
        command = [
            str(ROOT / ".venv/bin/celery"), "-A", "tracker.project.celery", "worker", "--pool=prefork",
            "--concurrency=1", "--without-gossip", "--without-mingle", "--without-heartbeat",
            "--loglevel=WARNING", f"--hostname={name}@%h",
        ]  # fmt: skip
        started[name] = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        return started[name]

    yield start
    for process in started.values():
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(10)


def _query(fn, default=None):
    """Read from the test database, riding out its restart."""
    try:
        return fn()
    except OperationalError:
        close_old_connections()
        connections.close_all()
        return default


def test_a_sweep_survives_redis_and_postgres_restarts_a_killed_worker_and_dns_timeouts(
    workers, broker, dns_server, settings
):
    settings.SWEEP_CHUNK_LEASE_S = LEASE_S
    campaign = CampaignFactory()
    customer = CustomerFactory()
    names = [f"f{i:02d}.example" for i in range(DOMAINS)]
    for name in names:
        DomainFactory(customer=customer, name=name)
    serve(dns_server, *(ZONES[i % 3](name) for i, name in enumerate(names)))
    timing_out = set(names[::3])  # a third of the domains never get an answer
    for name in timing_out:
        dns_server.set_fault(name, "timeout")
    dns_server.latency = 0.1

    worker_a, _worker_b = workers("a"), workers("b")
    sweep = sweep_start(campaign, chunk_size=CHUNK_SIZE)
    done = lambda: SweepChunk.objects.filter(sweep=sweep, status=ChunkStatus.DONE).count()  # noqa: E731

    deadline = time.monotonic() + DEADLINE_S
    faults = [
        (1, "redis", broker.restart),
        (
            2,
            "kill worker a",
            lambda: (os.killpg(worker_a.pid, signal.SIGKILL), worker_a.wait(10), workers("a")),
        ),
        (4, "postgres", restart_postgres),
    ]
    resumed = 0
    while time.monotonic() < deadline:
        finished = _query(lambda: Sweep.objects.get(pk=sweep.pk).is_finished, False)
        if finished:
            break
        if faults and _query(done, 0) >= faults[0][0]:
            faults.pop(0)[2]()
        report = _query(sweeps_heal)
        current = _query(lambda: Sweep.objects.get(pk=sweep.pk))
        if report is not None and current is not None and current.is_stalled:
            sweep_resume(current)  # what ops do when the page shows "Stalled"
            resumed += 1
        time.sleep(1)
    assert not faults, f"the sweep ended before every fault was injected: {faults}"
    sweep.refresh_from_db()
    assert sweep.status == SweepStatus.DONE, (sweep.status, sweep.progress, sweep.error)
    assert sweep.progress == (DOMAINS, DOMAINS)
    # Every domain checked exactly once: one done chunk each, one history span each.
    assert SweepChunk.objects.filter(sweep=sweep).exclude(status=ChunkStatus.DONE).count() == 0
    assert sorted(Check.objects.values_list("domain__name", flat=True)) == names
    # Nothing marked clean that had a failed lookup; the timed-out domains are inconclusive.
    for state in DomainState.objects.select_related("domain"):
        if state.verdict == Verdict.CLEAN:
            assert state.error_count == 0, state.domain.name
        if state.domain.name in timing_out:
            assert state.verdict in (Verdict.INCONCLUSIVE, Verdict.LEGACY), state.domain.name
    assert not DomainState.objects.filter(domain__name__in=timing_out, verdict=Verdict.CLEAN).exists()
    # No task closed wrongly: a first sweep only opens tasks.
    assert not FollowUpTask.objects.filter(status=TaskStatus.DONE).exists()
