"""DANE (kind `tlsa`): `_25._tcp.<mx>` TLSA records of a customer's own MX name that pin the legacy certificate.

A customer MX name (`mx.customer.example`) pointed at the legacy servers may
carry TLSA records for the legacy service's certificate or key. Once that name
serves the successor, DANE senders find no matching record and refuse the mail
(`mx_move`), unless the successor's records are published beside them first
(RFC 7671 8.1: publish the new association, wait, then switch). Names of the
legacy or successor service themselves are theirs to manage and not looked at.

DANE counts only in DNSSEC-signed zones; the engine does not validate DNSSEC,
so a pin is reported whether or not senders can use it (a note says so).
"""

from __future__ import annotations

import asyncio
import hashlib
from typing import TYPE_CHECKING

from tracker.probe.findings import (
    AFTER_MX_MOVE,
    BEFORE_MX_MOVE,
    MX_MOVE,
    NOTHING,
    Advice,
    CheckResult,
    LegacyReference,
    Recorder,
    ReportError,
)
from tracker.probe.limits import MAX_MX_HOSTS_RESOLVED

if TYPE_CHECKING:
    from tracker.probe.campaign import Service, TlsaPin
    from tracker.probe.check_context import CheckContext

DNSSEC_NOTE = "TLSA records count only where the zone is DNSSEC-signed; DNSSEC is not checked here"


def skip_reason(campaign) -> str | None:
    if not campaign.legacy.tlsa:
        return "the campaign lists no legacy.tlsa (the legacy MX certificate or key hashes)"
    return None


def _digests(data_hex: str) -> set[str]:
    """A full certificate or key (matching type 0) stands for its SHA-256 and SHA-512 too."""
    data = bytes.fromhex(data_hex)
    return {data_hex, hashlib.sha256(data).hexdigest(), hashlib.sha512(data).hexdigest()}


def pins(record: tuple[int, int, int, str], service_pins: tuple[TlsaPin, ...]) -> bool:
    """Does one TLSA record carry (or, for full data, hash to) one of the service's pins?"""
    _usage, _selector, matching_type, data = record
    candidates = _digests(data) if matching_type == 0 else {data}
    return any(pin.data in candidates for pin in service_pins)


def record_text(record: tuple[int, int, int, str]) -> str:
    usage, selector, matching_type, data = record
    return f"{usage} {selector} {matching_type} {data}"


def customer_mx_hosts(hosts: list[str], legacy: Service, successor: Service) -> list[str]:
    return [host for host in hosts if not legacy.matches_host(host) and not successor.matches_host(host)]


async def check(context: CheckContext) -> CheckResult:
    campaign, domain = context.campaign, context.domain
    result = CheckResult("tlsa", notes=[DNSSEC_NOTE])
    mx = await context.mx()
    if mx is None or not mx.answered:
        # The MX set names the hosts to look at: without it a pin may hide anywhere.
        result.failures.append(ReportError(domain, "MX", "the MX lookup did not answer: TLSA not checked"))
        return result
    recorder = Recorder(context.resolver)
    hosts = customer_mx_hosts(mx.hosts, campaign.legacy, campaign.successor)
    for host in hosts[MAX_MX_HOSTS_RESOLVED:]:  # not looked at: a pin may hide there
        recorder.note(f"_25._tcp.{host}", "TLSA", f"not looked up (over {MAX_MX_HOSTS_RESOLVED} MX hosts)")
    names = [f"_25._tcp.{host}" for host in hosts[:MAX_MX_HOSTS_RESOLVED]]
    answers = await asyncio.gather(*(recorder.query(name, "TLSA") for name in names))
    successor_pins = campaign.successor.tlsa or ()
    for name, answer in zip(names, answers, strict=True):
        if answer.failed:
            continue
        path = (domain, name)
        alias = next((a for a in answer.aliases if campaign.legacy.matches_host(a)), None)
        records = list(answer.records) if not answer.void else []
        legacy_records = [record for record in records if pins(record, campaign.legacy.tlsa)]
        successor_ready = bool(successor_pins) and any(pins(record, successor_pins) for record in records)
        breaks = NOTHING if successor_ready and alias is None else MX_MOVE
        if alias is not None:
            result.references.append(LegacyReference("tlsa", f"{name} -> {alias}", path, MX_MOVE))
        for record in legacy_records:
            result.references.append(
                LegacyReference("tlsa", f"{name} TLSA {record_text(record)}", path, breaks)
            )
        if legacy_records or alias is not None:
            result.advice.extend(_advice(name, records, legacy_records, successor_pins, alias))
    return result.took(recorder)


def _advice(name, records, legacy_records, successor_pins, alias) -> list[Advice]:
    current = tuple(record_text(record) for record in records)
    whole = [pin for pin in successor_pins if pin.usage is not None]
    if not whole:
        reason = "the campaign lists no successor.tlsa records: add the successor's TLSA records by hand"
        return [Advice("tlsa", name, "TLSA", current, None, BEFORE_MX_MOVE, withheld=reason)]
    successor_texts = [str(pin) for pin in whole]
    kept = [record_text(record) for record in records if record not in legacy_records]
    alias_note = f" (in place of the CNAME to {alias})" if alias else ""
    both = tuple(dict.fromkeys([*current, *successor_texts])) if alias is None else tuple(successor_texts)
    return [
        Advice(
            "tlsa",
            name,
            "TLSA",
            current,
            both,
            BEFORE_MX_MOVE,
            note=f"publish the successor's records beside the current ones{alias_note}, then wait at "
            "least twice the records' TTL before the name serves the successor (RFC 7671 8.1)",
        ),
        Advice(
            "tlsa",
            name,
            "TLSA",
            both,
            tuple(dict.fromkeys([*kept, *successor_texts])),
            AFTER_MX_MOVE,
            note="once the name serves the successor: remove the legacy service's records",
        ),
    ]
