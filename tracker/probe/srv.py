"""SRV records for mail clients (kind `srv`): RFC 6186 / RFC 8314 services and `_autodiscover._tcp`.

Mail clients that configure themselves read `_imaps._tcp.<domain>` and friends;
a target on the legacy servers stops working when they stop (`end_date`). The
advice rewrites exactly those records to the successor's host for the service,
on the service's standard port, once that host is known to be the successor's
and to resolve.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from tracker.probe.client_hosts import successor_target
from tracker.probe.findings import END_DATE, WITH_MX_MOVE, Advice, CheckResult, LegacyReference, Recorder
from tracker.probe.hosting import address_types, locate

if TYPE_CHECKING:
    from tracker.probe.check_context import CheckContext
    from tracker.probe.resolver import Answer

# SRV name prefix -> (successor.client_hosts service, the service's standard port).
SRV_SERVICES: dict[str, tuple[str, int]] = {
    "_submission._tcp": ("submission", 587),
    "_submissions._tcp": ("submission", 465),
    "_imap._tcp": ("imap", 143),
    "_imaps._tcp": ("imap", 993),
    "_pop3._tcp": ("pop3", 110),
    "_pop3s._tcp": ("pop3", 995),
    "_autodiscover._tcp": ("autodiscover", 443),
}
MAX_RECORDS_PER_NAME = 8
MAX_TARGETS_RESOLVED = 8  # per domain; targets that match neither service by name


def skip_reason(campaign) -> str | None:
    if campaign.legacy.hosts is None:
        return "the campaign does not list legacy.hosts (the legacy service's other servers)"
    return None


def _record_text(priority: int, weight: int, port: int, target: str) -> str:
    return f"{priority} {weight} {port} {target}."


async def check(context: CheckContext) -> CheckResult:
    campaign, domain = context.campaign, context.domain
    legacy, successor = campaign.legacy, campaign.successor
    recorder = Recorder(context.resolver)
    names = [f"{prefix}.{domain}" for prefix in SRV_SERVICES]
    answers: list[Answer] = list(await asyncio.gather(*(recorder.query(name, "SRV") for name in names)))
    result = CheckResult("srv")

    # Targets named by neither service: their addresses decide, if the legacy lists ranges.
    unknown = {
        target
        for answer in answers
        if not answer.failed and not answer.void
        for _, _, _, target in answer.records[:MAX_RECORDS_PER_NAME]
        if target and not legacy.matches_host(target) and not successor.matches_host(target)
    }
    resolved = {}
    if legacy.ip_ranges and unknown:
        chosen = sorted(unknown)[:MAX_TARGETS_RESOLVED]
        for target in sorted(unknown)[MAX_TARGETS_RESOLVED:]:  # unresolved: it may hide a legacy address
            recorder.note(target, "A", f"not resolved (more than {MAX_TARGETS_RESOLVED} SRV targets)")
        types = address_types(legacy)
        places = await asyncio.gather(*(locate(recorder, target, types) for target in chosen))
        resolved = dict(zip(chosen, places, strict=True))

    for prefix, name, answer in zip(SRV_SERVICES, names, answers, strict=True):
        if answer.failed:
            continue
        path = (domain, name)
        alias = next((a for a in answer.aliases if legacy.matches_host(a)), None)
        if alias is not None:
            result.references.append(LegacyReference("srv", f"{name} -> {alias}", path, END_DATE))
        legacy_records = []
        for record in answer.records[:MAX_RECORDS_PER_NAME] if not answer.void else ():
            _, _, port, target = record
            if not target:
                continue  # "." : the service is not offered here (RFC 2782)
            if legacy.matches_host(target):
                legacy_records.append(record)
                result.references.append(LegacyReference("srv", f"{name} -> {target}:{port}", path, END_DATE))
            elif target in resolved:
                hits = resolved[target].addresses_in(legacy)
                if hits:
                    legacy_records.append(record)
                for address in hits:
                    result.references.append(
                        LegacyReference("srv", f"{name} -> {target}:{port} ({address})", path, END_DATE)
                    )
        if legacy_records or alias is not None:
            result.advice.append(await _advice(recorder, campaign, prefix, name, answer, legacy_records))
    return result.took(recorder)


async def _advice(
    recorder: Recorder, campaign, prefix: str, name: str, answer: Answer, legacy_records
) -> Advice:
    service, port = SRV_SERVICES[prefix]
    records = answer.records[:MAX_RECORDS_PER_NAME] if not answer.void else ()
    current = tuple(_record_text(*record) for record in records)
    host, withheld = await successor_target(recorder, campaign, service)
    suggested = None
    if host is not None:
        kept = [_record_text(*record) for record in records if record not in legacy_records]
        new = [_record_text(priority, weight, port, host) for priority, weight, _, _ in legacy_records]
        if not legacy_records:  # the whole name is a CNAME into the legacy service: one record of ours
            new = [_record_text(0, 1, port, host)]
        suggested = tuple(dict.fromkeys([*new, *kept]))
    note = f"the successor's {service} service on its standard port {port}"
    if answer.aliases:
        note += f"; {name} is now a CNAME to {answer.aliases[0]}: publish these SRV records instead"
    return Advice("srv", name, "SRV", current, suggested, WITH_MX_MOVE, note, withheld)
