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
    sweeps_resume_stalled() -> int           every minute: re-queue dead claims and lost messages, flag stalls
    chunk_run(chunk_id, claimed_by="")       one chunk: probe, then store all in one transaction

A chunk's results (check spans, domain states, follow-up tasks) and its `done`
mark are written in one transaction, after a conditional claim: re-running a
chunk after a crash stores the same state, and a finished chunk is never
stored twice.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.conf import settings
from django.db import DatabaseError, DataError, connections, transaction
from django.db.models import Max, Q
from django.utils import timezone
from django.utils.translation import gettext

from customers.models import Domain
from tracker.choices import ChunkStatus, SweepKind, SweepStatus, Verdict
from tracker.models import Campaign, DomainState, Sweep, SweepChunk, chunk_lease
from tracker.probe.engine import probe_many, sweep_resolver
from tracker.probe.https_get import HttpsOptions
from tracker.probe.resolver import Resolver
from tracker.probe.stored import StoredReport
from tracker.services.alerts import alerts_sweep_finished
from tracker.services.checks import (
    extend_unchanged,
    lock_states,
    record_report,
    record_reports,
    report_fingerprint,
)
from tracker.services.daily_figures import daily_figures_record, daily_figures_refresh_soon
from tracker.services.enqueue import BrokerUnavailable, broker_check, enqueue_after_commit
from tracker.services.followups import (
    FollowupWrites,
    followups_apply,
    followups_apply_one,
    followups_keep_waiting_in_view,
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
    if enqueue and ids:
        broker_check()  # before anything is saved: a broker that is down leaves no ghost sweep
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


def imported_domains_check(domain_ids: list[int], *, requested_by=None) -> list[Sweep]:
    """Domains an import added are checked at once in every active campaign, not at the next daily sweep."""
    if not domain_ids:
        return []
    return [
        sweep_start(
            campaign,
            domain_ids,
            kind=SweepKind.SINGLE,
            requested_by=requested_by,
            label=f"{len(domain_ids)} imported domain(s)",
        )
        for campaign in Campaign.objects.filter(active=True)
    ]


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


def _enqueue_after_commit(sweep: Sweep, chunk_ids: list[int] | None = None) -> None:
    """Send the chunks once committed; if the broker refuses, they are marked not queued (failed)."""
    if chunk_ids is None:
        chunk_ids = list(sweep.chunks.exclude(status=ChunkStatus.DONE).values_list("pk", flat=True))
    enqueue_after_commit(
        RUN_CHUNK_TASK,
        [[chunk_id] for chunk_id in chunk_ids],
        on_failure=lambda error: _mark_not_queued(sweep.pk, chunk_ids, str(error)),
    )


def _mark_not_queued(sweep_id: int, chunk_ids: list[int], error: str) -> None:
    """The broker refused the chunks: fail them (resumable), so the sweep ends failed, not "queued" forever."""
    with transaction.atomic():
        SweepChunk.objects.filter(pk__in=chunk_ids).exclude(status=ChunkStatus.DONE).update(
            status=ChunkStatus.FAILED, claimed_by="", finished_at=timezone.now(), error=error[:2000]
        )
        Sweep.objects.filter(pk=sweep_id).update(error=error[:2000])
        Sweep.objects.get(pk=sweep_id).finish_if_complete()


def sweep_resume(sweep: Sweep, *, enqueue: bool = True) -> int:
    """Re-queue every chunk that is not done (its worker is gone); returns how many.

    With `enqueue`, the broker is asked first: when it is unreachable
    (BrokerUnavailable) nothing changes.
    """
    if enqueue and sweep.unfinished_chunks().exists():
        broker_check()
    now = timezone.now()
    with transaction.atomic():
        chunk_ids = list(
            SweepChunk.objects.select_for_update()
            .filter(sweep=sweep)
            .exclude(status=ChunkStatus.DONE)
            .values_list("pk", flat=True)
        )
        count = SweepChunk.objects.filter(pk__in=chunk_ids).update(
            status=ChunkStatus.QUEUED, claimed_by="", queued_at=now, heartbeat_at=None
        )
        if count:
            Sweep.objects.filter(pk=sweep.pk).update(
                status=SweepStatus.RUNNING, finished_at=None, stalled_at=None
            )
            if enqueue:
                _enqueue_after_commit(sweep, chunk_ids)
    sweep.refresh_from_db()
    return count


@dataclass
class StallReport:
    requeued: int  # chunks sent again
    stalled: list[int]  # sweeps newly marked stalled
    recovered: list[int]  # sweeps a worker is on again


def sweeps_resume_stalled(now=None) -> int:
    """Every minute (beat): re-queue chunks with dead claims or lost messages; flag sweeps that stalled.

    Returns how many chunks were queued again (see sweeps_heal for the details).
    """
    return sweeps_heal(now).requeued


def sweeps_heal(now=None) -> StallReport:
    """Re-queue what was lost and say which sweeps stalled.

    - a running chunk whose claim was not renewed for a lease lost its worker: queued again;
    - queued chunks whose messages were sent a lease ago, while no worker anywhere gave a sign
      of life for a lease, were lost with the broker's queue (a Redis restart): sent again
      (duplicates are harmless: a chunk is claimed once);
    - an unfinished sweep none of whose chunks a worker touched for a lease is *stalled*: it
      gets `stalled_at`, the reason and an alert (the ops summary mails it), and the Resume
      button; it is marked recovered once a worker touches it again.
    A broker that is down leaves everything as it was, and the sweeps flagged as stalled.
    """
    now = now or timezone.now()
    stale = now - chunk_lease()
    unfinished = [SweepStatus.QUEUED, SweepStatus.RUNNING]
    workers_alive = SweepChunk.objects.filter(heartbeat_at__gte=stale).exists()
    dead_claims = Q(status=ChunkStatus.RUNNING) & (Q(heartbeat_at__lt=stale) | Q(heartbeat_at__isnull=True))
    lost_messages = Q(status=ChunkStatus.QUEUED) & (
        Q(queued_at__lt=stale) | Q(queued_at__isnull=True, sweep__created_at__lt=stale)
    )
    wanted = dead_claims if workers_alive else dead_claims | lost_messages
    broker_down = ""
    try:
        with transaction.atomic():
            ids = list(
                SweepChunk.objects.select_for_update(of=("self",))
                .filter(wanted, sweep__status__in=unfinished)
                .values_list("pk", flat=True)
            )
            if ids:
                broker_check()
            # Stamped: not sent again before another lease has passed.
            SweepChunk.objects.filter(pk__in=ids).update(
                status=ChunkStatus.QUEUED, claimed_by="", queued_at=now, heartbeat_at=None
            )
            enqueue_after_commit(RUN_CHUNK_TASK, [[pk] for pk in ids])
    except BrokerUnavailable as exc:
        ids, broker_down = [], str(exc)
    report = StallReport(requeued=len(ids), stalled=[], recovered=[])
    for sweep in Sweep.objects.filter(status__in=unfinished, created_at__lt=stale):
        # A worker lost between storing its chunk and closing the sweep leaves it "running" forever.
        if sweep.finish_if_complete():
            continue
        last_sign = sweep.chunks.aggregate(last=Max("heartbeat_at"))["last"]
        if last_sign is not None and last_sign >= stale:
            if sweep.stalled_at is not None:
                Sweep.objects.filter(pk=sweep.pk).update(stalled_at=None)
                report.recovered.append(sweep.pk)
        elif sweep.stalled_at is None and (broker_down or not workers_alive):
            # (While workers run other chunks, an untouched sweep is waiting in the queue, not stalled.)
            _mark_stalled(sweep, now, last_sign, broker_down)
            report.stalled.append(sweep.pk)
    return report


def _mark_stalled(sweep: Sweep, now, last_sign, broker_down: str) -> None:
    waiting = sweep.unfinished_chunks().exclude(status=ChunkStatus.FAILED).count()
    since = timezone.localtime(last_sign or sweep.created_at).strftime("%Y-%m-%d %H:%M")
    if broker_down:
        why = gettext("the task queue is unreachable, so its chunks cannot be queued again")
    else:
        why = gettext(
            "no worker is taking its chunks: no worker may be running, or the broker lost its queue "
            "(restarted without persistence); its chunks were queued again"
        )
    reason = gettext(
        "Stalled: no worker has worked on this sweep since %(since)s (%(waiting)d of %(total)d chunks "
        "unfinished); %(why)s. Press Resume once the workers and the task queue are up."
    ) % {"since": since, "waiting": waiting, "total": sweep.chunk_count, "why": why}
    sweep.stall_reason = reason
    sweep.stalled_at = now
    sweep.refresh_counters()
    Sweep.objects.filter(pk=sweep.pk).update(stalled_at=now, stall_reason=reason, alert=sweep.alert)
    log.warning("sweep %s stalled: %s", sweep.pk, reason)


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


def probe_https_options(ca_file: str | None = None) -> HttpsOptions:
    """How MTA-STS policies are fetched: settings.PROBE_HTTPS, settings.MTA_STS_CA_FILE, `ca_file` over both."""
    fields = dict(settings.PROBE_HTTPS or {})
    fields.setdefault("ca_file", settings.MTA_STS_CA_FILE)
    if ca_file:
        fields["ca_file"] = ca_file
    return HttpsOptions(**fields)


def probe_reports(campaign: Campaign, names: list[str], sweep: Sweep | None = None) -> list[dict]:
    """The engine's reports as contract JSON, with the project's DNS settings."""
    reports = probe_many(
        campaign.to_probe(),
        names,
        nameservers=settings.DNS_NAMESERVERS,
        timeout=settings.DNS_TIMEOUT,
        concurrency=max(1, min(settings.PROBE_CONCURRENCY, len(names) or 1)),
        resolver=resolver_for_sweep(sweep) if sweep is not None else None,
        https=probe_https_options(),
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
    with ChunkHeartbeat(chunk.pk, chunk.claimed_by):
        return _run_claimed(chunk, sweep, campaign, after_domain)


class ChunkHeartbeat:
    """Renews a chunk's claim every SWEEP_HEARTBEAT_S while its worker probes and stores it.

    A thread with its own database connection: a worker that dies stops renewing, and
    the chunk is queued again a lease (SWEEP_CHUNK_LEASE_S) later, not after the task's
    half-hour time limit.
    """

    def __init__(self, chunk_id: int, claimed_by: str) -> None:
        self.chunk_id, self.claimed_by = chunk_id, claimed_by
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, name=f"heartbeat-{chunk_id}", daemon=True)

    def __enter__(self) -> ChunkHeartbeat:
        self.thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self.stop.set()
        self.thread.join(timeout=10)

    def _run(self) -> None:
        try:
            while not self.stop.wait(settings.SWEEP_HEARTBEAT_S):
                try:
                    SweepChunk.objects.filter(
                        pk=self.chunk_id, status=ChunkStatus.RUNNING, claimed_by=self.claimed_by
                    ).update(heartbeat_at=timezone.now())
                except DatabaseError as exc:  # the database is back soon, or the lease runs out
                    log.warning("heartbeat of chunk %s failed: %s", self.chunk_id, exc)
                    connections.close_all()
        finally:
            connections.close_all()  # this thread's connections only


def _run_claimed(chunk, sweep, campaign, after_domain) -> ChunkResult | None:
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
        _after_chunk(Sweep.objects.select_related("campaign").get(pk=sweep.pk))
    return result


def _after_chunk(sweep: Sweep) -> None:
    """Count the chunk in the sweep's progress at once (the live page shows it) and have the dashboard's
    figures recounted (at most once a minute); when the sweep is complete, close it, record them and
    raise the alert (queued, never blocking)."""
    if sweep.finish_if_complete():
        daily_figures_record(sweep.campaign)
        alerts_sweep_finished(sweep)
    else:
        sweep.save_counters()
        daily_figures_refresh_soon(sweep.campaign)


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
    followups_keep_waiting_in_view(campaign, [outcome])
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
            heartbeat_at=timezone.now(),
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
    outcomes = []
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
        outcomes.append(outcome)
        totals["opened"] += len(outcome.opened)
        totals["closed"] += len(outcome.closed)
        totals["reopened"] += len(outcome.reopened)
        if after_domain is not None:
            after_domain(number)
    writes.save()
    followups_keep_waiting_in_view(campaign, outcomes)
    return totals


def chunk_fail(chunk_id: int, error: str) -> None:
    """Give up on a chunk (a bug, not infrastructure): the sweep ends partial, resumable."""
    error = storable_text(error)
    SweepChunk.objects.filter(pk=chunk_id).exclude(status=ChunkStatus.DONE).update(
        status=ChunkStatus.FAILED, finished_at=timezone.now(), error=error[:2000]
    )
    chunk = SweepChunk.objects.select_related("sweep__campaign").get(pk=chunk_id)
    Sweep.objects.filter(pk=chunk.sweep_id).update(error=error[:2000])
    _after_chunk(chunk.sweep)
