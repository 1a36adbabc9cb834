"""Other projects' SPF test suites (shared/testdata/peers/spf), run against the real test DNS server.

How each format is read is in shared/testdata/peers/SOURCES.md and peers_dns.py.
Every case passes except where the vector contradicts RFC 7208: those are listed
in RFC_7208_DIFFERS with the section and why, and run as strict xfails (so a
listed case that starts passing is noticed and taken off the list).
"""

from __future__ import annotations

import asyncio
import functools

import pytest

from tests.probe.spf.peers_dns import (
    load_openspf,
    load_stalwart,
    openspf_zone,
    shared_testdata_path,
)
from tracker.probe.spf.check_host import check_host

PEERS = shared_testdata_path("peers", "spf")

OPENSPF_FILES = {
    "rfc4408": "openspf-rfc4408/rfc4408-tests.yml",
    "pyspf": "pyspf/test.yml",
    "blitiri": "blitiri-spf/blitirispf-tests.yml",
    "spf-iterator": "mail-spf-iterator/misc.yml",
}
# Not run at all (SOURCES.md): pyspf-only lax/harsh modes (`strict: 0`/`strict: 2`), and one
# of them expects "ambiguous", which is no RFC result.
NOT_APPLICABLE = frozenset({"default-modifier", "default-modifier-harsh"})

# Vectors that contradict RFC 7208, each with the section and a one-line reason.
_SINGLE_LABEL = "RFC 7208 4.3: a <domain> that is not multi-label (foo@d00) gives `none` at once"
_EXISTS_IS_A = "RFC 7208 5.7: exists: looks up A records only, also for IPv6 clients (the name has AAAA only)"
_SENDER_ID = "RFC 7208 4.5: only `v=spf1` records are SPF; spf2.0 (Sender ID) records are discarded: `none`"
RFC_7208_DIFFERS: dict[str, str] = {
    # blitiri's own tests use single-label names (d00, mx10): their point (lookup limits, MX
    # hosts not found) is covered on multi-label names in test_check_host.py.
    "blitiri:resolution-with-10-lookups": (
        "RFC 7208 7.1: domain-end needs a top label: include:d11 is a syntax error (permerror)"
    ),
    "blitiri:mx-resolution-10-terms": _SINGLE_LABEL,
    "blitiri:mx-resolution-11-terms": _SINGLE_LABEL,
    "blitiri:one-mx-not-found": _SINGLE_LABEL,
    "blitiri:all-mx-not-found": _SINGLE_LABEL,
    "blitiri:include-not-found": _SINGLE_LABEL,
    "blitiri:redirect-not-found": _SINGLE_LABEL,
    "spf-iterator:sender-id": _SENDER_ID,
    "spf-iterator:sender-id-pick-mfrom1": _SENDER_ID,
    "spf-iterator:sender-id-pick-mfrom2": _SENDER_ID,
    "stalwart-spf:all:1": (
        "RFC 7208 4.6: a syntax error anywhere (unknown mechanism 'ip:', even after all) is a permerror"
    ),
    "stalwart-spf:basic:9": (
        "RFC 7208 4.6.4: ten a: terms without addresses are ten void lookups: permerror after the 2nd"
    ),
    "stalwart-spf:exists:2": _EXISTS_IS_A,
    "stalwart-spf:ip:11": (
        "RFC 7208 5 (last paragraph), 5.6: an IPv4 client is matched by ip4: only, never by ip6:::ffff:..."
    ),
    "stalwart-spf:macro:4": _EXISTS_IS_A,
}

EXPECTED_COUNTS = {"rfc4408": 191, "pyspf": 14, "blitiri": 21, "spf-iterator": 9, "stalwart-spf": 163}


@functools.cache
def openspf_cases() -> list:
    cases = []
    for suite, relative in OPENSPF_FILES.items():
        cases.extend(load_openspf(PEERS / relative, suite, NOT_APPLICABLE))
    return cases


@functools.cache
def stalwart_cases() -> list:
    cases = []
    for path in sorted((PEERS / "stalwart-mail-auth").glob("*.yml")):
        cases.extend(load_stalwart(path))
    return cases


def params(cases: list) -> list:
    marked = []
    for case in cases:
        marks = []
        if case.key in RFC_7208_DIFFERS:
            marks.append(pytest.mark.xfail(reason=RFC_7208_DIFFERS[case.key], strict=True))
        marked.append(pytest.param(case, id=case.key, marks=marks))
    return marked


def serve(dns_server, records: dict, faults) -> None:
    dns_server.set_records(records)
    for name, fault, rdtype in faults:
        dns_server.set_fault(name, fault, rdtype)


@pytest.mark.parametrize("case", params(openspf_cases()))
def test_openspf_format_case(dns_server, resolver, case):
    records, faults = openspf_zone(case.zonedata)
    serve(dns_server, records, faults)
    domain = case.mailfrom.rpartition("@")[2] if case.mailfrom else case.helo
    outcome = asyncio.run(check_host(resolver, case.host, domain, case.mailfrom, case.helo))
    assert outcome.result in case.expected, f"{case.key}: got {outcome}"
    if outcome.result == "fail" and case.explanation and case.explanation != "DEFAULT":
        assert outcome.explanation.lower() == case.explanation.lower()


@pytest.mark.parametrize("case", params(stalwart_cases()))
def test_stalwart_case(dns_server, resolver, case):
    serve(dns_server, case.records, case.faults)

    async def verify():  # mail-auth's verify_spf: the HELO identity, then MAIL FROM if HELO passed
        outcome = await check_host(resolver, case.ip, case.helo, "", case.helo)
        if outcome.result != "pass":
            return outcome
        domain = case.sender.rpartition("@")[2] if "@" in case.sender else case.helo
        return await check_host(resolver, case.ip, domain, case.sender, case.helo)

    outcome = asyncio.run(verify())
    assert outcome.result == case.expected, f"{case.key} ({case.name}): got {outcome}"
    if case.explanation:
        assert outcome.explanation == case.explanation


def test_every_suite_is_all_there():
    counts = {suite: 0 for suite in EXPECTED_COUNTS}
    for case in [*openspf_cases(), *stalwart_cases()]:
        counts[case.key.split(":")[0]] += 1
    assert counts == EXPECTED_COUNTS
    keys = [case.key for case in [*openspf_cases(), *stalwart_cases()]]
    assert len(keys) == len(set(keys))
    assert set(RFC_7208_DIFFERS) <= set(keys)  # no stale exception
