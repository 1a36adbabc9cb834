"""Probe many domains: one report per domain, bounded in time and concurrency, never a crash.

Per domain, MX, the SPF tree, DMARC (and DKIM when the campaign lists
selectors) run in parallel on one shared Resolver, whose cache makes a popular
SPF include cost one query per sweep, and so do the extra checks the campaign
turns on (checks.py: MTA-STS, TLS-RPT, report addresses, legacy DKIM, client
names, SRV, TLSA); one that needs the MX or DMARC result awaits it. Anything
unexpected (an exception, the time budget running out) becomes an error in
that domain's report and a verdict no better than `inconclusive`; the sweep
goes on. `https` says how the MTA-STS policy is fetched (CA bundle, timeout).
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import multiprocessing
from collections.abc import AsyncIterator, Iterable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING

from tracker.probe.check_context import CheckContext
from tracker.probe.checks import planned
from tracker.probe.dkim import analyze_dkim
from tracker.probe.dmarc import analyze_dmarc
from tracker.probe.domains import DomainNameError, normalize_domain
from tracker.probe.findings import Recorder
from tracker.probe.https_get import HttpsOptions
from tracker.probe.limits import (
    DEFAULT_CONCURRENCY,
    DOMAIN_TIME_BUDGET_S,
    FAILED_ANSWER_TTL_S,
    MAX_QUERIES_IN_FLIGHT,
)
from tracker.probe.mx import analyze_mx
from tracker.probe.report import INCONCLUSIVE, DomainReport, Evidence, ReportError, build_report
from tracker.probe.resolver import CACHE_LIMIT, Resolver
from tracker.probe.spf.tree import analyze_spf

if TYPE_CHECKING:
    from tracker.probe.campaign import Campaign


def invalid_domain_report(domain: str, reason: str) -> DomainReport:
    """A name that cannot be probed still gets its report (one per input), saying why."""
    shown = domain.strip()[:255]
    return DomainReport(
        domain=shown,
        verdict=INCONCLUSIVE,
        errors=[ReportError(shown, "name", f"invalid domain name: {reason}")],
    )


DEFAULT_HTTPS = HttpsOptions()


@dataclass(frozen=True)
class _Run:
    """What every domain of one call is probed with (picklable, for worker processes)."""

    budget: float
    https: HttpsOptions


async def probe_domain(
    campaign: Campaign,
    domain: str,
    resolver: Resolver,
    *,
    budget: float = DOMAIN_TIME_BUDGET_S,
    https: HttpsOptions = DEFAULT_HTTPS,
) -> DomainReport:
    """Probe one domain (any spelling: IDN, upper case, trailing dot); never raises."""
    try:
        name = normalize_domain(domain)
    except DomainNameError as exc:
        return invalid_domain_report(domain, str(exc))
    try:
        return await _probe_normalized(campaign, name, resolver, budget, https)
    except Exception as exc:  # a bug must cost one report, not the sweep
        return DomainReport(
            domain=name,
            verdict=INCONCLUSIVE,
            errors=[ReportError(name, "probe", f"internal error: {type(exc).__name__}: {exc}")],
        )


async def _outcome(task: asyncio.Future):
    """The task's result once it is done; None if it raised or was cancelled (its own error says why)."""
    await asyncio.wait([task])
    if task.cancelled() or task.exception() is not None:
        return None
    return task.result()


async def _probe_normalized(
    campaign: Campaign, name: str, resolver: Resolver, budget: float, https: HttpsOptions
) -> DomainReport:
    # MX, DMARC (and DKIM, and the extra checks) run in tasks beside the SPF analysis, which
    # runs in this one: they share the resolver's in-flight queries and cache.
    recorders = {"mx": Recorder(resolver), "spf": Recorder(resolver)}
    side = {
        "mx": asyncio.ensure_future(analyze_mx(recorders["mx"], name, campaign)),
        "dmarc": asyncio.ensure_future(analyze_dmarc(resolver, name)),
    }
    if campaign.successor.dkim_selectors:
        side["dkim"] = asyncio.ensure_future(analyze_dkim(resolver, name, campaign.successor.dkim_selectors))
    evidence = Evidence(domain=name, campaign=campaign)
    extra, evidence.skipped_checks = planned(campaign)
    checks: dict[str, asyncio.Future] = {}
    if extra:
        context = CheckContext(
            name,
            campaign,
            resolver,
            https,
            evidence.checked_at,
            mx=lambda: _outcome(side["mx"]),
            dmarc=lambda: _outcome(side["dmarc"]),
        )
        checks = {check.name: asyncio.ensure_future(check.run(context)) for check in extra}
    troubles: dict[str, str] = {}
    spf_done = False
    try:
        async with asyncio.timeout(budget):
            try:
                evidence.spf = await analyze_spf(recorders["spf"], name, campaign)
            except Exception as exc:  # noqa: BLE001 (a bug costs this part, not the domain)
                troubles["spf"] = f"internal error: {type(exc).__name__}: {exc}"
            spf_done = True
            await asyncio.wait([*side.values(), *checks.values()])
    except TimeoutError:
        pass
    finally:
        pending = [task for task in (*side.values(), *checks.values()) if not task.done()]
        for task in pending:
            task.cancel()
        if pending:
            await asyncio.wait(pending)

    budget_trouble = f"time budget of {budget:g} s exceeded"
    if not spf_done:
        troubles["spf"] = budget_trouble
    elif evidence.spf is not None:
        # The SPF fetch asked the domain's own TXT: that answer is the report's apex TXT.
        evidence.apex_txt = evidence.spf.root_answer
    for part, task in side.items():
        if task.cancelled():
            troubles[part] = budget_trouble
        elif task.exception() is not None:
            exc = task.exception()
            troubles[part] = f"internal error: {type(exc).__name__}: {exc}"
        else:
            setattr(evidence, part, task.result())
    for part in ("mx", "spf", "dmarc", "dkim"):
        if part in troubles and part != "dkim":  # DKIM is extra information: it never decides the verdict
            evidence.engine_errors.append(ReportError(name, part, troubles[part]))
    evidence.mx_lookups, evidence.spf_lookups = recorders["mx"].detached(), recorders["spf"].detached()
    for part, task in checks.items():
        if task.cancelled():
            evidence.engine_errors.append(ReportError(name, part, budget_trouble))
        elif task.exception() is not None:
            exc = task.exception()
            evidence.engine_errors.append(
                ReportError(name, part, f"internal error: {type(exc).__name__}: {exc}")
            )
        else:
            evidence.checks[part] = task.result()
    return build_report(evidence)


async def _probe_indexed(
    campaign: Campaign,
    domains: Iterable[str],
    resolver: Resolver,
    concurrency: int,
    run: _Run,
) -> AsyncIterator[tuple[int, DomainReport]]:
    """(input position, report) in completion order, at most `concurrency` domains in flight."""
    async for item in _probe_pairs(campaign, enumerate(domains), resolver, concurrency, run):
        yield item


async def _probe_pairs(
    campaign: Campaign,
    pairs: Iterable[tuple[int, str]],
    resolver: Resolver,
    concurrency: int,
    run: _Run,
) -> AsyncIterator[tuple[int, DomainReport]]:
    """Probe (index, name) pairs taken from a shared iterator by `concurrency` workers."""
    if concurrency < 1:
        raise ValueError("concurrency must be at least 1")
    work = iter(pairs)
    results: asyncio.Queue[tuple[int, DomainReport] | None] = asyncio.Queue(maxsize=concurrency)

    async def worker() -> None:
        try:
            for index, domain in work:  # a shared iterator: each worker takes the next name
                await results.put(
                    (
                        index,
                        await probe_domain(campaign, domain, resolver, budget=run.budget, https=run.https),
                    )
                )
        finally:
            await results.put(None)

    workers = [asyncio.create_task(worker()) for _ in range(concurrency)]
    running = len(workers)
    try:
        while running:
            item = await results.get()
            if item is None:
                running -= 1
            else:
                yield item
    finally:
        for task in workers:
            task.cancel()
        await asyncio.gather(*workers, return_exceptions=True)


async def probe_domains(
    campaign: Campaign,
    domains: Iterable[str],
    resolver: Resolver,
    *,
    concurrency: int = DEFAULT_CONCURRENCY,
    budget: float = DOMAIN_TIME_BUDGET_S,
    https: HttpsOptions = DEFAULT_HTTPS,
) -> AsyncIterator[DomainReport]:
    """One report per input domain, yielded as each finishes (not in input order)."""
    run = _Run(budget, https)
    async for _index, report in _probe_indexed(campaign, domains, resolver, concurrency, run):
        yield report


# -- synchronous entry points (commands, Celery tasks, benchmarks) ------------------------------


@contextlib.contextmanager
def _fewer_collections():
    """Run the cyclic garbage collector less often while a sweep builds up its reports.

    A sweep keeps every report (millions of objects at 100,000 domains) and the
    collector's full passes walk all of them again and again: at 20,000 domains
    that was 40% of the CPU. Nearly all garbage here is freed by reference
    counting; cycles are still collected, just in bigger batches.
    """
    before = gc.get_threshold()
    gc.set_threshold(100_000, 50, 1000)
    try:
        yield
    finally:
        gc.set_threshold(*before)


def _sweep_resolver(
    nameservers: Sequence[str], timeout: float, concurrency: int, cache_limit: int = CACHE_LIMIT
) -> Resolver:
    """One resolver per sweep (per process): its cache makes shared records cost one query.

    At most MAX_QUERIES_IN_FLIGHT exchanges at once, however many domains are in flight.
    A failed answer (after every retry) is reused for FAILED_ANSWER_TTL_S, so a dead
    name that thousands of customers include costs one round of timeouts, not one
    per customer; it stays a failure, so those customers are never reported clean.
    """
    return Resolver(
        nameservers,
        timeout=timeout,
        concurrency=max(1, min(concurrency, MAX_QUERIES_IN_FLIGHT)),
        failure_ttl=FAILED_ANSWER_TTL_S,
        cache_limit=cache_limit,
    )


# Answers kept by a resolver that many calls share (about 40 MB): worth keeping are the names
# many domains ask (includes, MX hosts, DMARC organizational domains), and those come back at
# once when dropped; a domain's own answers are never asked again.
SHARED_CACHE_LIMIT = 100_000


def sweep_resolver(
    nameservers: Sequence[str], timeout: float, concurrency: int = DEFAULT_CONCURRENCY
) -> Resolver:
    """A resolver for several `probe_many(..., resolver=)` calls of one sweep, sharing its cache."""
    return _sweep_resolver(nameservers, timeout, concurrency, cache_limit=SHARED_CACHE_LIMIT)


async def _probe_list(
    campaign: Campaign,
    domains: Sequence[str],
    resolver: Resolver,
    concurrency: int,
    run: _Run,
) -> list[DomainReport]:
    reports: list[DomainReport | None] = [None] * len(domains)
    try:
        async for index, report in _probe_indexed(campaign, domains, resolver, concurrency, run):
            reports[index] = report
    finally:
        await resolver.close()  # the sockets; the answers stay for the resolver's next loop
    return [report for report in reports if report is not None]


def _probe_chunk(
    campaign: Campaign, domains: list[str], resolver: Resolver, concurrency: int, run: _Run
) -> list[DomainReport]:
    """One event loop for a list of domains, on one resolver (and cache)."""
    with _fewer_collections():
        return asyncio.run(_probe_list(campaign, domains, resolver, concurrency, run))


# -- several processes: they take batches of the list from a shared counter ----------------------

_BATCH = 32  # domains claimed at a time: small enough to balance, large enough to be cheap
_shared_counter = None  # in worker processes: the next unclaimed index (set by _init_worker)


def _init_worker(counter) -> None:
    global _shared_counter
    _shared_counter = counter


def _claim(counter, domains: Sequence[str], batch: int) -> Iterator[tuple[int, str]]:
    """(index, name) pairs from batches claimed under the counter's lock, until the list is done."""
    total = len(domains)
    while True:
        with counter.get_lock():
            start = counter.value
            if start >= total:
                return
            counter.value = end = min(start + batch, total)
        for index in range(start, end):
            yield index, domains[index]


async def _probe_claimed(
    counter,
    campaign: Campaign,
    domains: Sequence[str],
    nameservers: Sequence[str],
    timeout: float,
    concurrency: int,
    run: _Run,
    batch: int,
) -> list[tuple[int, DomainReport]]:
    found: list[tuple[int, DomainReport]] = []
    resolver = _sweep_resolver(nameservers, timeout, concurrency)
    try:
        pairs = _claim(counter, domains, batch)
        async for item in _probe_pairs(campaign, pairs, resolver, concurrency, run):
            found.append(item)
    finally:
        await resolver.close()
    return found


def _probe_shared(
    campaign: Campaign,
    domains: list[str],
    nameservers: list[str],
    timeout: float,
    concurrency: int,
    run: _Run,
    batch: int,
) -> list[tuple[int, DomainReport]]:
    """A worker process: probe batches of the list until none is left."""
    with _fewer_collections():
        return asyncio.run(
            _probe_claimed(_shared_counter, campaign, domains, nameservers, timeout, concurrency, run, batch)
        )


def probe_many(
    campaign: Campaign,
    domains: Iterable[str],
    nameservers: Sequence[str] = (),
    timeout: float = 2.0,
    concurrency: int = DEFAULT_CONCURRENCY,
    *,
    processes: int = 1,
    budget: float = DOMAIN_TIME_BUDGET_S,
    resolver: Resolver | None = None,
    https: HttpsOptions = DEFAULT_HTTPS,
) -> list[DomainReport]:
    """Probe a list of domains from synchronous code; reports in input order.

    `resolver` (from `sweep_resolver()`; one process only): answers cached by earlier
    calls are reused, e.g. by the chunks of one sweep that a worker process runs, so a
    popular SPF include is asked once per process and sweep, not once per chunk.

    `processes > 1` uses that many processes (so a sweep can use more than one
    core): this one and `processes - 1` workers, each with its own loop and
    resolver, `concurrency / processes` domains in flight each. They take small
    batches of the list from a shared counter, so the work stays balanced and
    this process starts probing while the workers are still starting up. Not
    inside a Celery prefork worker (daemonic processes may not have children):
    there, scale with more workers and chunks instead.

    `https`: how the MTA-STS policy is fetched (a CA bundle for private PKIs and tests).
    """
    run = _Run(budget, https)
    domains = list(domains)
    nameservers = list(nameservers)
    processes = max(1, min(processes, len(domains) // 50 or 1))
    if resolver is not None or processes == 1:
        resolver = resolver or _sweep_resolver(nameservers, timeout, concurrency)
        return _probe_chunk(campaign, domains, resolver, concurrency, run)
    per_process = max(1, concurrency // processes)
    batch = max(1, min(_BATCH, len(domains) // (processes * 16)))
    # spawn, not fork: the caller may run threads (a test DNS server, Django, Celery).
    context = multiprocessing.get_context("spawn")
    counter = context.Value("q", 0)
    reports: list[DomainReport | None] = [None] * len(domains)
    with ProcessPoolExecutor(
        max_workers=processes - 1, mp_context=context, initializer=_init_worker, initargs=(counter,)
    ) as pool:
        futures = [
            pool.submit(_probe_shared, campaign, domains, nameservers, timeout, per_process, run, batch)
            for _ in range(processes - 1)
        ]
        with _fewer_collections():
            here = asyncio.run(
                _probe_claimed(counter, campaign, domains, nameservers, timeout, per_process, run, batch)
            )
            for index, report in [*here, *(item for future in futures for item in future.result())]:
                reports[index] = report
    return [report for report in reports if report is not None]
