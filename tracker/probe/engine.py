"""Probe many domains: one report per domain, bounded in time and concurrency, never a crash.

Per domain, MX, the SPF tree, DMARC (and DKIM when the campaign lists
selectors) run in parallel on one shared Resolver, whose cache makes a popular
SPF include cost one query per sweep. Anything unexpected (an exception, the
time budget running out) becomes an error in that domain's report and a
verdict no better than `inconclusive`; the sweep goes on.
"""

from __future__ import annotations

import asyncio
import math
import multiprocessing
from collections.abc import AsyncIterator, Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import TYPE_CHECKING

from tracker.probe.dkim import analyze_dkim
from tracker.probe.dmarc import analyze_dmarc
from tracker.probe.domains import DomainNameError, normalize_domain
from tracker.probe.limits import DEFAULT_CONCURRENCY, DOMAIN_TIME_BUDGET_S
from tracker.probe.mx import analyze_mx
from tracker.probe.report import INCONCLUSIVE, DomainReport, Evidence, ReportError, build_report
from tracker.probe.resolver import Resolver
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


async def probe_domain(
    campaign: Campaign, domain: str, resolver: Resolver, *, budget: float = DOMAIN_TIME_BUDGET_S
) -> DomainReport:
    """Probe one domain (any spelling: IDN, upper case, trailing dot); never raises."""
    try:
        name = normalize_domain(domain)
    except DomainNameError as exc:
        return invalid_domain_report(domain, str(exc))
    try:
        return await _probe_normalized(campaign, name, resolver, budget)
    except Exception as exc:  # a bug must cost one report, not the sweep
        return DomainReport(
            domain=name,
            verdict=INCONCLUSIVE,
            errors=[ReportError(name, "probe", f"internal error: {type(exc).__name__}: {exc}")],
        )


async def _probe_normalized(campaign: Campaign, name: str, resolver: Resolver, budget: float) -> DomainReport:
    jobs = {
        "mx": analyze_mx(resolver, name, campaign),
        "spf": analyze_spf(resolver, name, campaign),
        # The SPF fetch asks this too; the resolver shares the in-flight query, so it is free.
        "apex": resolver.query(name, "TXT"),
        "dmarc": analyze_dmarc(resolver, name),
    }
    if campaign.successor.dkim_selectors:
        jobs["dkim"] = analyze_dkim(resolver, name, campaign.successor.dkim_selectors)
    tasks = {part: asyncio.ensure_future(job) for part, job in jobs.items()}
    done, pending = await asyncio.wait(tasks.values(), timeout=budget)
    for task in pending:
        task.cancel()
    if pending:
        await asyncio.wait(pending)

    evidence = Evidence(domain=name, campaign=campaign)
    for part, task in tasks.items():
        if task in pending:
            trouble = f"time budget of {budget:g} s exceeded"
        elif task.exception() is not None:
            exc = task.exception()
            trouble = f"internal error: {type(exc).__name__}: {exc}"
        else:
            setattr(evidence, "apex_txt" if part == "apex" else part, task.result())
            continue
        if part != "dkim":  # DKIM is extra information: it never decides the verdict
            evidence.engine_errors.append(ReportError(name, part, trouble))
    return build_report(evidence)


async def _probe_indexed(
    campaign: Campaign,
    domains: Iterable[str],
    resolver: Resolver,
    concurrency: int,
    budget: float,
) -> AsyncIterator[tuple[int, DomainReport]]:
    """(input position, report) in completion order, at most `concurrency` domains in flight."""
    if concurrency < 1:
        raise ValueError("concurrency must be at least 1")
    work = iter(enumerate(domains))
    results: asyncio.Queue[tuple[int, DomainReport] | None] = asyncio.Queue(maxsize=concurrency)

    async def worker() -> None:
        try:
            for index, domain in work:  # a shared iterator: each worker takes the next name
                await results.put((index, await probe_domain(campaign, domain, resolver, budget=budget)))
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
) -> AsyncIterator[DomainReport]:
    """One report per input domain, yielded as each finishes (not in input order)."""
    async for _index, report in _probe_indexed(campaign, domains, resolver, concurrency, budget):
        yield report


# -- synchronous entry points (commands, Celery tasks, benchmarks) ------------------------------


async def _probe_list(
    campaign: Campaign,
    domains: Sequence[str],
    nameservers: Sequence[str],
    timeout: float,
    concurrency: int,
    budget: float,
) -> list[DomainReport]:
    reports: list[DomainReport | None] = [None] * len(domains)
    resolver = Resolver(nameservers, timeout=timeout, concurrency=max(concurrency, 1))
    try:
        async for index, report in _probe_indexed(campaign, domains, resolver, concurrency, budget):
            reports[index] = report
    finally:
        await resolver.close()
    return [report for report in reports if report is not None]


def _probe_chunk(
    campaign: Campaign,
    domains: list[str],
    nameservers: list[str],
    timeout: float,
    concurrency: int,
    budget: float,
) -> list[DomainReport]:
    """One worker process: its own event loop and resolver (and cache)."""
    return asyncio.run(_probe_list(campaign, domains, nameservers, timeout, concurrency, budget))


def probe_many(
    campaign: Campaign,
    domains: Iterable[str],
    nameservers: Sequence[str] = (),
    timeout: float = 2.0,
    concurrency: int = DEFAULT_CONCURRENCY,
    *,
    processes: int = 1,
    budget: float = DOMAIN_TIME_BUDGET_S,
) -> list[DomainReport]:
    """Probe a list of domains from synchronous code; reports in input order.

    `processes > 1` splits the list across worker processes (each with its own
    loop and resolver) so a sweep can use more than one core. Not inside a
    Celery prefork worker (daemonic processes may not have children): there,
    scale with more workers and chunks instead.
    """
    domains = list(domains)
    nameservers = list(nameservers)
    processes = max(1, min(processes, len(domains) // 50 or 1))
    if processes == 1:
        return _probe_chunk(campaign, domains, nameservers, timeout, concurrency, budget)
    size = math.ceil(len(domains) / processes)
    chunks = [domains[start : start + size] for start in range(0, len(domains), size)]
    per_process = max(1, concurrency // len(chunks))
    # spawn, not fork: the caller may run threads (a test DNS server, Django, Celery).
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=len(chunks), mp_context=context) as pool:
        futures = [
            pool.submit(_probe_chunk, campaign, chunk, nameservers, timeout, per_process, budget)
            for chunk in chunks
        ]
        return [report for future in futures for report in future.result()]
