"""Where a name really lives: the CNAME chain its answer followed, and its addresses.

Customers point their own names at a provider two ways: a CNAME to the
provider's host (`imap.customer.example -> imap.po.example.net`) or an A/AAAA
record with the provider's address. Both are legacy references; this module
reads either from the answers, asking only for the address families the
campaign's ranges use (A alone when there are none: its answer shows the chain).
"""

from __future__ import annotations

import asyncio
import ipaddress
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tracker.probe.campaign import Service
    from tracker.probe.findings import Recorder
    from tracker.probe.resolver import Answer


@dataclass
class Whereabouts:
    """A name's CNAME chain and addresses, from its A/AAAA answers."""

    name: str
    aliases: list[str] = field(default_factory=list)
    addresses: list[str] = field(default_factory=list)
    failed: bool = False  # a lookup failed: the name may point anywhere
    exists: bool = False  # some answer had records or aliases

    def legacy_alias(self, service: Service) -> str | None:
        """The first name in the chain that is one of the service's hosts."""
        return next((alias for alias in self.aliases if service.matches_host(alias)), None)

    def addresses_in(self, service: Service) -> list[str]:
        return [address for address in self.addresses if service.contains_address(address)]


def address_types(*services: Service) -> list[str]:
    """A and/or AAAA, for the families the services' ranges use; A alone when no range is given."""
    versions = {net.version for service in services for net in service.ip_ranges}
    types = [rdtype for version, rdtype in ((4, "A"), (6, "AAAA")) if version in versions]
    return types or ["A"]


def whereabouts(name: str, answers: list[Answer]) -> Whereabouts:
    found = Whereabouts(name)
    for answer in answers:
        found.failed |= answer.failed
        for alias in answer.aliases:
            if alias not in found.aliases:
                found.aliases.append(alias)
        if not answer.failed and not answer.void:
            found.addresses.extend(address for address in answer.records if address not in found.addresses)
        found.exists |= bool(answer.aliases) or (not answer.failed and not answer.void)
    found.addresses.sort(key=_address_order)
    return found


async def locate(recorder: Recorder, name: str, rdtypes: list[str]) -> Whereabouts:
    """Ask the A/AAAA questions for `name` (together) and read where it lives."""
    if len(rdtypes) == 1:
        answers = [await recorder.query(name, rdtypes[0])]
    else:
        answers = list(await asyncio.gather(*(recorder.query(name, rdtype) for rdtype in rdtypes)))
    return whereabouts(name, answers)


def _address_order(text: str) -> tuple[int, int]:
    ip = ipaddress.ip_address(text)
    return ip.version, int(ip)
