"""Mail client names (kind `client-host`): `imap.<domain>` and friends pointing at the legacy servers.

Customers give their users names under their own domain (`imap.customer.example`)
and point them at the provider, by CNAME or by address. When the legacy servers
stop, every mail client configured with such a name stops connecting (`end_date`).
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from tracker.probe.findings import END_DATE, WITH_MX_MOVE, Advice, CheckResult, LegacyReference, Recorder
from tracker.probe.hosting import Whereabouts, address_types, locate

if TYPE_CHECKING:
    from tracker.probe.check_context import CheckContext

# The names looked up under the customer's domain, and the successor service (campaign
# `successor.client_hosts`) that replaces each; `mail.` is used for anything, so it has none.
CLIENT_NAMES: dict[str, str | None] = {
    "mail": None,
    "pop": "pop3",
    "pop3": "pop3",
    "imap": "imap",
    "smtp": "submission",
    "webmail": "webmail",
    "autodiscover": "autodiscover",
    "autoconfig": "autoconfig",
}


def skip_reason(campaign) -> str | None:
    if campaign.legacy.hosts is None:
        return "the campaign does not list legacy.hosts (the legacy service's other servers)"
    return None


def legacy_references(domain: str, place: Whereabouts, legacy, kind: str) -> list[LegacyReference]:
    """A CNAME into the legacy hosts, else each address in a legacy range (as MX references do)."""
    path = (domain, place.name)
    alias = place.legacy_alias(legacy)
    if alias is not None:
        return [LegacyReference(kind, f"{place.name} -> {alias}", path, END_DATE)]
    return [
        LegacyReference(kind, f"{place.name} ({address})", path, END_DATE)
        for address in place.addresses_in(legacy)
    ]


async def successor_target(
    recorder: Recorder, campaign, service: str | None
) -> tuple[str | None, str | None]:
    """(host, None) when the successor names a host for `service` that is its own and resolves; else (None, why)."""
    host = campaign.successor.client_host(service) if service else None
    if host is None:
        listed = f"successor.client_hosts.{service}" if service else "a successor host for this name"
        return None, f"the campaign does not name {listed}: point it at the successor's server by hand"
    if not campaign.successor.matches_host(host):
        return None, f"{host} (successor.client_hosts.{service}) is not one of the successor's hosts"
    place = await locate(recorder, host, ["A", "AAAA"])
    if place.failed and not place.addresses:
        return None, f"{host} could not be looked up: the target is not verified"
    if not place.addresses:
        return None, f"{host} has no address: the target is not verified"
    return host, None


async def check(context: CheckContext) -> CheckResult:
    campaign, domain = context.campaign, context.domain
    recorder = Recorder(context.resolver)
    rdtypes = address_types(campaign.legacy)
    names = [f"{label}.{domain}" for label in CLIENT_NAMES]
    places = await asyncio.gather(*(locate(recorder, name, rdtypes) for name in names))
    result = CheckResult("client-host")
    mx = await context.mx()
    mx_hosts = set(mx.hosts) if mx is not None else None
    for label, place in zip(CLIENT_NAMES, places, strict=True):
        found = legacy_references(domain, place, campaign.legacy, "client-host")
        if not found:
            continue
        result.references.extend(found)
        result.advice.append(await _advice(recorder, campaign, label, place, mx_hosts))
    return result.took(recorder)


async def _advice(recorder: Recorder, campaign, label: str, place: Whereabouts, mx_hosts) -> Advice:
    current = (
        (f"CNAME {place.aliases[0]}.",) if place.aliases else tuple(f"A/AAAA {a}" for a in place.addresses)
    )
    withheld = None
    if mx_hosts is None:
        withheld = "the domain's MX lookup did not finish: cannot tell whether this name is an MX host"
    elif place.name in mx_hosts:
        withheld = (
            f"{place.name} is also an MX host, which may not be a CNAME (RFC 2181 10.3): "
            "it changes with the MX move"
        )
    host = None
    if withheld is None:
        host, withheld = await successor_target(recorder, campaign, CLIENT_NAMES[label])
    return Advice(
        kind="client-host",
        name=place.name,
        type="CNAME",
        current=current,
        suggested=None if host is None else (f"{host}.",),
        when=WITH_MX_MOVE,
        note="replaces the records now at this name (a CNAME cannot sit beside other records)",
        withheld=withheld,
    )
