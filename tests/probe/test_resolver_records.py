"""SRV and TLSA answers, and the CNAME chain every answer carries, from the real test server."""

from __future__ import annotations

import asyncio

from tracker.probe.resolver import Outcome


def query(resolver, name: str, rdtype: str):
    return asyncio.run(resolver.query(name, rdtype))


def test_srv_records_are_priority_weight_port_target(dns_server, resolver):
    dns_server.set_records(
        {"_imaps._tcp.example.com": {"SRV": [(0, 1, 993, "IMAP.example.net."), "10 5 993 ."]}}
    )
    answer = query(resolver, "_imaps._tcp.example.com", "SRV")
    assert answer.outcome == Outcome.NOERROR
    assert sorted(answer.records) == [(0, 1, 993, "imap.example.net"), (10, 5, 993, "")]


def test_tlsa_records_are_usage_selector_type_and_hex(dns_server, resolver):
    dns_server.set_records({"_25._tcp.mx.example.com": {"TLSA": [(3, 1, 1, "AB" * 32), "2 0 0 0102ff"]}})
    answer = query(resolver, "_25._tcp.mx.example.com", "TLSA")
    assert sorted(answer.records) == [(2, 0, 0, "0102ff"), (3, 1, 1, "ab" * 32)]


def test_an_answer_carries_the_cname_chain_it_followed(dns_server, resolver):
    dns_server.set_records(
        {
            "imap.example.com": {"CNAME": ["imap.provider.example"]},
            "imap.provider.example": {"CNAME": ["pool7.provider.example"]},
            "pool7.provider.example": {"A": ["192.0.2.7"]},
            "plain.example.com": {"A": ["192.0.2.8"]},
        }
    )
    answer = query(resolver, "imap.example.com", "A")
    assert answer.records == ("192.0.2.7",)
    assert answer.aliases == ("imap.provider.example", "pool7.provider.example")
    assert query(resolver, "plain.example.com", "A").aliases == ()


def test_the_chain_is_kept_when_its_end_has_no_data_or_does_not_exist(dns_server, resolver):
    dns_server.set_records(
        {
            "nodata.example.com": {"CNAME": ["host.provider.example"]},
            "host.provider.example": {"A": ["192.0.2.9"]},
            "dangling.example.com": {"CNAME": ["gone.provider.example"]},
        }
    )
    nodata = query(resolver, "nodata.example.com", "TXT")
    assert (nodata.outcome, nodata.aliases) == (Outcome.NODATA, ("host.provider.example",))
    dangling = query(resolver, "dangling.example.com", "TXT")
    assert (dangling.outcome, dangling.aliases) == (Outcome.NXDOMAIN, ("gone.provider.example",))
