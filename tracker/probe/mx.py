"""Where a domain's mail goes: MX hosts, their addresses, and which service runs them.

An MX host is the legacy service's when its name matches a legacy `mx_hosts`
pattern (kind `mx`) or when one of its addresses lies in a legacy `ip_ranges`
block (kind `mx-address`, value `"host (address)"`, e.g.
`"mx1.customer.example (192.0.2.25)"`): customers sometimes point their own
host name at the legacy servers.

Addresses are looked up only when they can change the answer (the host matches
neither service by name and the campaign lists address ranges), and only for
the families the ranges use: fewer questions, same verdict.
"""

from __future__ import annotations

import asyncio
import ipaddress
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from tracker.probe.limits import MAX_ADDRESSES_PER_HOST, MAX_MX_HOSTS_RESOLVED

if TYPE_CHECKING:
    from tracker.probe.campaign import Campaign
    from tracker.probe.resolver import Answer, Resolver


@dataclass(frozen=True)
class MxReference:
    """A legacy MX found for the domain; same shape as the SPF tree's references."""

    kind: str  # "mx" or "mx-address"
    value: str  # host name, or "host (address)"
    path: tuple[str, ...]  # (customer's domain,)


@dataclass
class MxAnalysis:
    """What the MX lookup established; `complete` is False when a failure may hide a legacy host."""

    domain: str
    hosts: list[str] = field(default_factory=list)  # by preference, then name
    addresses: dict[str, list[str]] = field(default_factory=dict)  # only hosts looked up
    null_mx: bool = False  # RFC 7505: the domain accepts no mail
    domain_missing: bool = False  # the MX query answered NXDOMAIN
    answered: bool = False  # the MX query itself got an answer (records, NODATA or NXDOMAIN)
    references: list[MxReference] = field(default_factory=list)
    all_successor: bool | None = None  # every host is the successor's; None when a failure leaves it open
    error: str | None = None
    notes: list[str] = field(default_factory=list)
    failures: list[Answer] = field(default_factory=list)
    complete: bool = False


@dataclass
class _HostAddresses:
    addresses: list[str] = field(default_factory=list)
    failures: list[Answer] = field(default_factory=list)


def _families(campaign: Campaign) -> set[int]:
    """IP versions whose addresses can make an MX host legacy or successor."""
    return {net.version for net in (*campaign.legacy.ip_ranges, *campaign.successor.ip_ranges)}


async def _lookup_addresses(resolver: Resolver, host: str, families: set[int]) -> _HostAddresses:
    rdtypes = [rdtype for version, rdtype in ((4, "A"), (6, "AAAA")) if version in families]
    answers = await asyncio.gather(*(resolver.query(host, rdtype) for rdtype in rdtypes))
    result = _HostAddresses()
    for answer in answers:
        if answer.failed:
            result.failures.append(answer)
        else:
            result.addresses.extend(answer.records)
    return result


def _ordered_hosts(records: tuple[tuple[int, str], ...]) -> tuple[list[str], bool]:
    """Host names by preference (duplicates dropped) and whether the set is a well-formed null MX."""
    if len(records) == 1 and records[0][1] == "":
        return [], True
    hosts: list[str] = []
    for _preference, exchange in sorted(records):
        if exchange and exchange not in hosts:
            hosts.append(exchange)
    return hosts, False


async def analyze_mx(
    resolver: Resolver, domain: str, campaign: Campaign, *, all_addresses: bool = False
) -> MxAnalysis:
    """Read the domain's MX set and classify each host; DNS trouble is recorded, never raised.

    `all_addresses` resolves A and AAAA of every host (for display) instead of
    only what the verdict needs.
    """
    result = MxAnalysis(domain=domain)
    answer = await resolver.query(domain, "MX")
    if answer.failed:
        result.failures.append(answer)
        result.error = f"MX lookup failed: {answer.failure_reason}"
        return result  # complete stays False: the MX set may name a legacy host
    result.answered = True
    if answer.void:
        result.domain_missing = answer.outcome == "NXDOMAIN"
        result.error = "the domain does not exist (NXDOMAIN)" if result.domain_missing else None
        if not result.domain_missing:
            result.notes.append("no MX records: mail goes to the domain's own address (RFC 5321 section 5.1)")
        result.all_successor = False
        result.complete = True
        return result

    result.hosts, result.null_mx = _ordered_hosts(answer.records)
    if result.null_mx:
        result.notes.append("null MX (RFC 7505): the domain accepts no mail")
    elif any(exchange == "" for _, exchange in answer.records):
        result.notes.append("a null MX '.' beside other hosts is ignored (RFC 7505 section 3)")

    families = {4, 6} if all_addresses else _families(campaign)
    owner = {host: _owner_by_name(campaign, host) for host in result.hosts}
    result.references = [MxReference("mx", h, (domain,)) for h in result.hosts if owner[h] == "legacy"]
    to_resolve = [h for h in result.hosts if families and (all_addresses or owner[h] == "other")]
    skipped = to_resolve[MAX_MX_HOSTS_RESOLVED:]
    to_resolve = to_resolve[:MAX_MX_HOSTS_RESOLVED]
    looked_up = await asyncio.gather(*(_lookup_addresses(resolver, h, families) for h in to_resolve))

    host_successor: dict[str, bool | None] = {h: owner[h] == "successor" for h in result.hosts}
    legacy_families = {net.version for net in campaign.legacy.ip_ranges}
    complete = True
    for host, found in zip(to_resolve, looked_up, strict=True):
        result.addresses[host] = _sorted_addresses(found.addresses)[:MAX_ADDRESSES_PER_HOST]
        result.failures.extend(found.failures)
        result.references.extend(
            MxReference("mx-address", f"{host} ({address})", (domain,))
            for address in _sorted_addresses(found.addresses)
            if campaign.legacy.contains_address(address)
        )
        if any(_family(f.rdtype) in legacy_families for f in found.failures):
            complete = False
        if owner[host] == "other":
            host_successor[host] = _successor_by_address(campaign, found)
    if skipped:
        result.notes.append(
            f"{len(skipped)} more MX hosts beyond the first {MAX_MX_HOSTS_RESOLVED} were not resolved"
        )
        complete = complete and not legacy_families
        for host in skipped:
            if owner[host] == "other":
                host_successor[host] = None if campaign.successor.ip_ranges else False

    result.complete = complete
    result.all_successor = _all_successor(host_successor, result.null_mx)
    if result.failures and not result.error:
        result.error = "address lookup failed for " + ", ".join(sorted({f.name for f in result.failures}))
    return result


def _owner_by_name(campaign: Campaign, host: str) -> str:
    if campaign.legacy.matches_mx_host(host):
        return "legacy"
    if campaign.successor.matches_mx_host(host):
        return "successor"
    return "other"


def _family(rdtype: str) -> int:
    return 6 if rdtype == "AAAA" else 4


def _successor_by_address(campaign: Campaign, found: _HostAddresses) -> bool | None:
    """True when every address (of the families the successor uses) is in a successor range.

    None when a failed lookup leaves it open.
    """
    if any(campaign.legacy.contains_address(a) for a in found.addresses):
        return False
    successor_families = {net.version for net in campaign.successor.ip_ranges}
    addresses = [a for a in found.addresses if ipaddress.ip_address(a).version in successor_families]
    if any(not campaign.successor.contains_address(a) for a in addresses):
        return False
    if any(_family(f.rdtype) in successor_families for f in found.failures):
        return None
    return bool(addresses)


def _all_successor(host_successor: dict[str, bool | None], null_mx: bool) -> bool | None:
    """False as soon as one host is known not to be the successor's; None if one is unknown."""
    if null_mx:
        return True  # no host receives mail, so none is a non-successor host
    if not host_successor:
        return False
    values = host_successor.values()
    if any(v is False for v in values):
        return False
    if any(v is None for v in values):
        return None
    return True


def _sorted_addresses(addresses: list[str]) -> list[str]:
    def key(text: str) -> tuple[int, int | str]:
        try:
            ip = ipaddress.ip_address(text)
        except ValueError:
            return (9, text)
        return (ip.version, int(ip))

    return sorted(set(addresses), key=key)
