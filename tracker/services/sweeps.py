"""Sweeps as services: plan a sweep, run one chunk, resume a sweep that lost workers.

The stable entry points for views and commands:

    sweep_start(campaign, domains=None, *, kind=None, requested_by=None, label="") -> Sweep
        Plan a sweep of `domains` (Domain objects or ids; None = every domain of
        the campaign) and queue its chunks after the transaction commits.
        Follow it with `Sweep.progress` ((done, total)), `Sweep.status` and
        `Sweep.alert` (refresh_from_db() to poll).
    sweep_recheck(campaign, ...) -> Sweep   legacy and inconclusive domains only
    sweep_resume(sweep) -> int               re-queue chunks that never finished
    sweep_run_sync(sweep) -> Sweep           run every chunk here, no worker (`manage.py sweep --sync`)
    sweeps_resume_stalled() -> int           hourly: resume sweeps whose chunks outlived their lease
    chunk_run(chunk_id, claimed_by="")       one chunk: probe, then store all in one transaction

A chunk's results (check spans, domain states, follow-up tasks) and its `done`
mark are written in one transaction, after a conditional claim: re-running a
chunk after a crash stores the same state, and a finished chunk is never
stored twice.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.conf import settings
from django.db import DataError, transaction
from django.db.models import Q
from django.utils import timezone

from customers.models import Domain
from tracker.choices import ChunkStatus, SweepKind, SweepStatus, Verdict
from tracker.models import CHUNK_LEASE, Campaign, DomainState, Sweep, SweepChunk
from tracker.probe.engine import probe_many, sweep_resolver
from tracker.probe.resolver import Resolver
from tracker.probe.stored import StoredReport
from tracker.services.checks import (
    extend_unchanged,
    lock_states,
    record_report,
    record_reports,
    report_fingerprint,
)
from tracker.services.enqueue import enqueue_after_commit
from tracker.services.followups import (
    FollowupWrites,
    followups_apply,
    followups_apply_one,
    locked_followups,
    rules_input_key,
    rules_key_for,
)
from tracker.services.storable import storable_report, storable_text, unstorable_report

log = logging.getLogger(__name__)

# Domains per chunk (one task, one transaction). Each chunk starts a resolver with a cold cache
# and ends with a tail of slow answers: on 2 cores, chunks of 200 ran at ~0.46 of the bare
# engine's speed, chunks of 500 at 0.61-0.65 (benchmarks/README.md, "Sweeps"); 500 still gives
# 20 chunks per 10,000 domains to spread over workers.
CHUNK_SIZE = 500


def campaign_domain_ids(campaign: Campaign) -> list[int]:
    """Every domain a campaign sweeps: all customer domains (customers are not per campaign)."""
    return list(Domain.objects.order_by("pk").values_list("pk", flat=True))


def recheck_domain_ids(campaign: Campaign) -> list[int]:
    """Domains whose last verdict was legacy or inconclusive."""
    return list(
        DomainState.objects.filter(campaign=campaign, verdict__in=[Verdict.LEGACY, Verdict.INCONCLUSIVE])
        .order_by("domain_id")
        .values_list("domain_id", flat=True)
    )


def _ids(domains: Iterable) -> list[int]:
    return sorted({d if isinstance(d, int) else d.pk for d in domains})


def sweep_start(
    campaign: Campaign,
    domains: Iterable | None = None,
    *,
    kind: str | None = None,
    requested_by=None,
    label: str = "",
    chunk_size: int = CHUNK_SIZE,
    enqueue: bool = True,
) -> Sweep:
    """Plan a sweep (rows for the sweep and its chunks) and queue the chunks once committed."""
    ids = campaign_domain_ids(campaign) if domains is None else _ids(domains)
    if kind is None:
        kind = SweepKind.FULL if domains is None else SweepKind.SINGLE
    with transaction.atomic():
        sweep = Sweep.objects.create(
            campaign=campaign, kind=kind, requested_by=requested_by, label=label[:200], total=len(ids)
        )
        SweepChunk.objects.bulk_create(
            SweepChunk(sweep=sweep, index=index, domain_ids=ids[start : start + chunk_size])
            for index, start in enumerate(range(0, len(ids), chunk_size))
        )
        sweep.chunk_count = (len(ids) + chunk_size - 1) // chunk_size
        sweep.save(update_fields=["chunk_count"])
        if not ids:
            sweep.finish_if_complete()
        elif enqueue:
            _enqueue_after_commit(sweep)
    return sweep


def sweep_recheck(campaign: Campaign, *, requested_by=None, enqueue: bool = True) -> Sweep:
    return sweep_start(
        campaign,
        recheck_domain_ids(campaign),
        kind=SweepKind.RECHECK,
        requested_by=requested_by,
        label="legacy and inconclusive domains",
        enqueue=enqueue,
    )


# The Celery task that runs one chunk (tracker.tasks.run_sweep_chunk), queued by name.
RUN_CHUNK_TASK = "tracker.run_sweep_chunk"


def _enqueue_after_commit(sweep: Sweep) -> None:
    chunk_ids = list(sweep.chunks.exclude(status=ChunkStatus.DONE).values_list("pk", flat=True))
    enqueue_after_commit(RUN_CHUNK_TASK, [[chunk_id] for chunk_id in chunk_ids])


def sweep_resume(sweep: Sweep, *, enqueue: bool = True) -> int:
    """Re-queue every chunk that is not done (its worker is gone); returns how many."""
    with transaction.atomic():
        count = sweep.unfinished_chunks().update(status=ChunkStatus.QUEUED, claimed_by="")
        if count:
            Sweep.objects.filter(pk=sweep.pk).update(status=SweepStatus.RUNNING, finished_at=None)
            if enqueue:
                _enqueue_after_commit(sweep)
    sweep.refresh_from_db()
    return count


def sweeps_resume_stalled(now=None) -> int:
    """Re-queue chunks whose worker or message was lost (running or queued past the lease); hourly.

    Only those chunks: a chunk a live worker is running keeps its claim.
    """
    now = now or timezone.now()
    stale = now - CHUNK_LEASE
    # Duplicate messages are harmless (a chunk is claimed once), lost ones are not.
    stalled = Q(status__in=[ChunkStatus.RUNNING, ChunkStatus.QUEUED]) & (
        Q(started_at__lt=stale) | Q(started_at__isnull=True, sweep__created_at__lt=stale)
    )
    with transaction.atomic():
        chunks = list(
            SweepChunk.objects.select_for_update(of=("self",))
            .filter(stalled, sweep__status__in=[SweepStatus.QUEUED, SweepStatus.RUNNING])
            .values_list("pk", "sweep_id")
        )
        ids = [pk for pk, _ in chunks]
        # A queued chunk is stamped so that it is not re-sent every hour while it waits in the queue.
        SweepChunk.objects.filter(pk__in=ids).update(status=ChunkStatus.QUEUED, claimed_by="", started_at=now)
        enqueue_after_commit(RUN_CHUNK_TASK, [[pk] for pk in ids])
    # A worker lost between storing its chunk and closing the sweep leaves it "running" forever.
    for sweep in Sweep.objects.filter(status=SweepStatus.RUNNING, created_at__lt=stale):
        sweep.finish_if_complete()
    return len(ids)


def sweep_run_sync(sweep: Sweep) -> Sweep:
    """Run every unfinished chunk in this process (for `manage.py sweep --sync` and tests)."""
    for chunk_id in sweep.unfinished_chunks().values_list("pk", flat=True):
        chunk_run(chunk_id)
    sweep.refresh_from_db()
    return sweep


@dataclass
class ChunkResult:
    checked: int
    opened: int
    closed: int
    reopened: int


# The chunks of one sweep that a worker process runs share one resolver and its answers,
# as the bare engine does over a whole list: a popular SPF include (or MX host, or DMARC
# organizational domain) is then asked once per process and sweep, not once per chunk.
# Answers are reused for this long at most; two sweeps at once keep a resolver each.
SWEEP_CACHE_MAX_AGE_S = 300.0
_SWEEP_RESOLVERS_KEPT = 2
_sweep_resolvers: dict[tuple, tuple[float, tuple, Resolver]] = {}


def resolver_for_sweep(sweep: Sweep) -> Resolver:
    """This process's resolver for a sweep, with the project's DNS settings."""
    key = (sweep.pk, sweep.created_at)  # an id alone may come back (a test database, a deleted sweep)
    config = (tuple(settings.DNS_NAMESERVERS), settings.DNS_TIMEOUT, settings.PROBE_CONCURRENCY)
    kept = _sweep_resolvers.get(key)
    now = time.monotonic()
    if kept is None or kept[1] != config or now - kept[0] > SWEEP_CACHE_MAX_AGE_S:
        _sweep_resolvers.pop(key, None)
        while len(_sweep_resolvers) >= _SWEEP_RESOLVERS_KEPT:
            _sweep_resolvers.pop(next(iter(_sweep_resolvers)))
        kept = _sweep_resolvers[key] = (now, config, sweep_resolver(*config))
    return kept[2]


def probe_reports(campaign: Campaign, names: list[str], sweep: Sweep | None = None) -> list[dict]:
    """The engine's reports as contract JSON, with the project's DNS settings."""
    reports = probe_many(
        campaign.to_probe(),
        names,
        nameservers=settings.DNS_NAMESERVERS,
        timeout=settings.DNS_TIMEOUT,
        concurrency=max(1, min(settings.PROBE_CONCURRENCY, len(names) or 1)),
        resolver=resolver_for_sweep(sweep) if sweep is not None else None,
    )
    return [report.to_json() for report in reports]


@dataclass(frozen=True, slots=True)
class DomainRow:
    """A chunk's domain as the store needs it first; model objects only for the domains that changed."""

    pk: int
    name: str
    customer_id: int
    customer_status: str
    rep_id: int | None


def chunk_domains(chunk: SweepChunk) -> list[DomainRow]:
    rows = (
        Domain.objects.filter(pk__in=chunk.domain_ids)
        .order_by("pk")
        .values_list("pk", "name", "customer_id", "customer__status", "customer__rep_id")
    )
    return [DomainRow(*row) for row in rows]


def chunk_run(
    chunk_id: int, claimed_by: str = "", *, after_domain: Callable[[int], None] | None = None
) -> ChunkResult | None:
    """Claim, probe and store one chunk; None when it is done already or another worker has it.

    An exception leaves the chunk claimed and nothing stored (like a killed
    worker): the same claim (`claimed_by`, the Celery task id) may run it again.
    `after_domain(n)` is called after each stored domain (tests use it to crash).
    """
    chunk = SweepChunk.objects.select_related("sweep__campaign").get(pk=chunk_id)
    if not chunk.claim(claimed_by):
        return None
    sweep, campaign = chunk.sweep, chunk.sweep.campaign
    sweep.mark_running()
    domains = chunk_domains(chunk)
    # Wall and CPU time per phase: DNS waits show as probe wall minus CPU, DB waits as store wall minus CPU.
    wall, cpu = time.perf_counter(), time.process_time()
    reports = probe_reports(campaign, [domain.name for domain in domains], sweep)
    timings = {"probe_s": time.perf_counter() - wall, "probe_cpu_s": time.process_time() - cpu}
    wall, cpu = time.perf_counter(), time.process_time()
    result = _store_chunk(chunk, campaign, domains, reports, after_domain, timings)
    if result is not None:
        timings.update(store_s=time.perf_counter() - wall, store_cpu_s=time.process_time() - cpu)
        SweepChunk.objects.filter(pk=chunk.pk).update(timings={k: round(v, 4) for k, v in timings.items()})
        Sweep.objects.get(pk=sweep.pk).finish_if_complete()
    return result


def check_store(campaign: Campaign, domain: Domain, report: dict, *, sweep=None, now=None):
    """Store one report (history span, state) and run the follow-up rules on it: (Recorded, RuleOutcome).

    Call inside a transaction; tests and single checks use it. Unlike a chunk, it
    always runs the rules, even when nothing changed.
    """
    now = now or timezone.now()
    report = storable_report(domain.name, report, Verdict.values)
    key = rules_key_for(campaign, domain, report_fingerprint(report), timezone.localdate(now))
    recorded = record_report(campaign, domain, report, sweep=sweep, now=now, rules_key=key)
    outcome = followups_apply_one(campaign, domain, report, recorded.state.consecutive_inconclusive, now=now)
    return recorded, outcome


def _store_chunk(chunk, campaign, rows, reports, after_domain, timings) -> ChunkResult | None:
    """Store a chunk's reports and its done mark in one transaction.

    A domain whose check brings the rules key its state holds (same result, same
    customer status and rep, same priority) only extends its span: no model
    object, no task read. The others are stored and run through the rules.
    Every report is made storable first (DNS text is hostile); a domain deleted
    while its chunk was probed is skipped; if the database still refuses the
    chunk's data, each domain is stored on its own and the one it refuses gets an
    inconclusive check saying why: one bad domain never costs the others theirs.
    """
    now = timezone.now()
    today = timezone.localdate(now)  # once: the time zone lookup costs more than a rule
    priority = campaign.priority_on(today)
    items = [
        _StoreItem(row, storable_report(row.name, report, Verdict.values), priority)
        for row, report in zip(rows, reports, strict=True)
    ]
    with transaction.atomic():
        still_mine = (
            SweepChunk.objects.select_for_update()
            .filter(pk=chunk.pk, status=ChunkStatus.RUNNING, claimed_by=chunk.claimed_by)
            .exists()
        )
        if not still_mine:
            return None  # resumed and finished elsewhere meanwhile
        present = _lock_present_domains([item.row.pk for item in items])
        items = [item for item in items if item.row.pk in present]
        try:
            with transaction.atomic():
                outcome = _store_items(chunk, campaign, items, now, today, after_domain)
        except DataError:
            log.warning("sweep %s chunk %s: data refused, storing domain by domain", chunk.sweep_id, chunk.pk)
            outcome = _store_one_by_one(chunk, campaign, items, now, today, priority)
        reports = [item.report for item in items]
        counts = Counter(report["verdict"] for report in reports)
        SweepChunk.objects.filter(pk=chunk.pk).update(
            status=ChunkStatus.DONE,
            finished_at=timezone.now(),
            checked=len(reports),
            legacy_count=counts[Verdict.LEGACY],
            clean_count=counts[Verdict.CLEAN],
            inconclusive_count=counts[Verdict.INCONCLUSIVE],
            unregistered_count=counts[Verdict.UNREGISTERED],
            timeout_count=sum(StoredReport(report).timed_out for report in reports),
            error="",
            timings=timings,
        )
    return ChunkResult(checked=len(reports), **outcome)


class _StoreItem:
    """One domain of a chunk on its way to the store: its row, storable report, fingerprint and rules key."""

    __slots__ = ("row", "report", "fingerprint", "key")

    def __init__(self, row: DomainRow, report: dict, priority) -> None:
        self.row, self.report = row, report
        self.fingerprint = report_fingerprint(report)
        self.key = rules_input_key(
            self.fingerprint, row.customer_id, row.customer_status, row.rep_id, priority
        )


def _lock_present_domains(domain_ids: list[int]) -> set[int]:
    """The chunk's domains that still exist, kept from deletion until the store commits."""
    return set(
        Domain.objects.select_for_update(no_key=True)
        .filter(pk__in=domain_ids)
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def _store_items(chunk, campaign, items, now, today, after_domain) -> dict[str, int]:
    stored = lock_states(campaign, [item.row.pk for item in items])
    unchanged, changed = [], []
    for item in items:
        state = stored.get(item.row.pk)
        if (
            state is not None
            and state.latest_check_id is not None
            and state.rules_key == item.key
            and item.report["verdict"] != Verdict.INCONCLUSIVE  # its counter moves on
        ):
            unchanged.append(state)
        else:
            changed.append((item.row.pk, item.report, item.key, item.fingerprint))
    extend_unchanged(unchanged, now)
    if after_domain is not None:
        for number in range(1, len(unchanged) + 1):
            after_domain(number)
    return _store_changed(
        chunk, campaign, changed, now, today, after_domain, numbered_from=len(unchanged) + 1
    )


def _store_one_by_one(chunk, campaign, items, now, today, priority) -> dict[str, int]:
    """Each domain in its own savepoint; one the database refuses is stored as an unstorable check."""
    totals = {"opened": 0, "closed": 0, "reopened": 0}
    for number, item in enumerate(items):
        try:
            with transaction.atomic():
                outcome = _store_items(chunk, campaign, [item], now, today, None)
        except DataError as exc:
            log.warning("sweep %s: domain %s refused by the database: %s", chunk.sweep_id, item.row.pk, exc)
            reason = f"the database refused it ({type(exc).__name__})"
            items[number] = item = _StoreItem(item.row, unstorable_report(item.row.name, reason), priority)
            with transaction.atomic():
                outcome = _store_items(chunk, campaign, [item], now, today, None)
        for name in totals:
            totals[name] += outcome[name]
    return totals


def _store_changed(chunk, campaign, changed, now, today, after_domain, numbered_from: int) -> dict[str, int]:
    """Store the reports that changed something (or are new) and run the rules on them."""
    totals = {"opened": 0, "closed": 0, "reopened": 0}
    if not changed:
        return totals
    domains = Domain.objects.select_related("customer").in_bulk([pk for pk, *_ in changed])
    items = [(domains[pk], report) for pk, report, *_ in changed]
    recorded = record_reports(
        campaign,
        items,
        sweep=chunk.sweep,
        now=now,
        rules_keys={pk: key for pk, _, key, _ in changed},
        fingerprints={pk: fingerprint for pk, _, _, fingerprint in changed},
    )
    tasks = locked_followups(campaign, [domain for domain, _ in items])
    writes = FollowupWrites(now)
    for number, ((domain, report), stored) in enumerate(
        zip(items, recorded, strict=True), start=numbered_from
    ):
        outcome = followups_apply(
            campaign,
            domain,
            report,
            stored.state.consecutive_inconclusive,
            writes=writes,
            tasks=tasks[domain.pk],
            today=today,
        )
        totals["opened"] += len(outcome.opened)
        totals["closed"] += len(outcome.closed)
        totals["reopened"] += len(outcome.reopened)
        if after_domain is not None:
            after_domain(number)
    writes.save()
    return totals


def chunk_fail(chunk_id: int, error: str) -> None:
    """Give up on a chunk (a bug, not infrastructure): the sweep ends partial, resumable."""
    error = storable_text(error)
    SweepChunk.objects.filter(pk=chunk_id).exclude(status=ChunkStatus.DONE).update(
        status=ChunkStatus.FAILED, finished_at=timezone.now(), error=error[:2000]
    )
    chunk = SweepChunk.objects.select_related("sweep").get(pk=chunk_id)
    Sweep.objects.filter(pk=chunk.sweep_id).update(error=error[:2000])
    chunk.sweep.finish_if_complete()
