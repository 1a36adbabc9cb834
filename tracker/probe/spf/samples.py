"""Sample senders: concrete addresses the current tree authorizes, to check that a rewrite keeps them.

A record cannot be tried with every address, so the check takes representatives
of each thing it authorizes with `pass` (a `-`, `~` or `?` term authorizes nothing):
- ip4:/ip6: networks: the first and the last address (one for a /32 or /128), so
  a rewrite that lost or narrowed a block shows at either end;
- a and mx terms: the IPv4 addresses of those hosts (the tree walk asked them
  already; a rewrite never treats A and AAAA differently);
- include targets: the first and the last of those addresses in each included
  record of someone else (a mail provider's 20 ranges): every address there is
  reached the same way, through the customer's include, and a rewrite does not
  touch that record, so its two ends stand for the rest. The customer's own
  records (under their registrable domain) give every address above.
Left out: the legacy service's ranges and outbound IPs (they are meant to go),
the successor's outbound IPs (checked on their own), and exists:/ptr, which
depend on DNS data of the client and give no address to sample. Records are
read breadth-first, the customer's own first, up to MAX_SAMPLE_SENDERS.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Awaitable, Callable

from ..campaign import Campaign
from ..domains import registrable_domain
from ..resolver import Answer
from .check_host import MAX_MX_NAMES
from .graph import Node, SpfGraph, expand_target
from .macros import MacroContext
from .suggest import term_network

MAX_SAMPLE_SENDERS = 16  # each costs two check_host() runs on answers in hand (~0.1 ms each)
_IP_MACROS = ("%{i", "%{c", "%{p", "%{I", "%{C", "%{P")

Query = Callable[[str, str], Awaitable[Answer]]


async def sample_senders(
    graph: SpfGraph,
    query: Query,
    campaign: Campaign,
    is_inside_legacy: Callable[[Node], bool],
    ctx: MacroContext,
) -> list[str]:
    """Up to MAX_SAMPLE_SENDERS addresses, in the order the tree names them."""
    excluded = {*campaign.legacy.outbound_ips, *campaign.successor.outbound_ips}
    own = registrable_domain(graph.root)
    found: list[str] = []
    for domain, node in graph.nodes.items():
        parsed = node.record
        if parsed is None or parsed.record is None or is_inside_legacy(node):
            continue
        local = MacroContext(ip=ctx.ip, sender=ctx.sender, domain=domain, helo=ctx.helo)
        candidates = []
        for term in parsed.record.mechanisms:
            if term.name == "all":
                break
            if term.qualifier == "+":
                candidates.extend(
                    str(address)
                    for address in await _term_addresses(term, domain, local, query)
                    if address not in excluded and not campaign.legacy.contains_address(str(address))
                )
        if candidates and node.owner != graph.root and registrable_domain(node.owner) != own:
            candidates = [candidates[0], candidates[-1]]
        for address in candidates:
            if address not in found:
                found.append(address)
                if len(found) == MAX_SAMPLE_SENDERS:
                    return found
    return found


async def _term_addresses(term, domain: str, ctx: MacroContext, query: Query) -> list:
    network = term_network(term)
    if network is not None:
        return [network.network_address, network.broadcast_address]
    if term.name not in ("a", "mx") or (term.value and any(m in term.value for m in _IP_MACROS)):
        return []
    target = domain if term.value is None else expand_target(term, ctx)
    if target is None:
        return []
    if term.name == "a":
        return _addresses(await query(target, "A"))
    answer = await query(target, "MX")
    hosts = [host for _, host in sorted(answer.records) if host][:MAX_MX_NAMES] if not answer.failed else []
    addresses = []
    for host in hosts:
        addresses.extend(_addresses(await query(host, "A")))
    return addresses


def _addresses(answer: Answer) -> list:
    if answer.failed:
        return []
    parsed = []
    for text in answer.records:
        try:
            parsed.append(ipaddress.ip_address(text))
        except ValueError:
            continue
    return parsed
