"""MX analysis against the real test DNS server: legacy by name, by address, null MX, failures."""

from __future__ import annotations

import asyncio

import pytest

from tracker.probe.campaign import Campaign
from tracker.probe.mx import analyze_mx


def make_campaign(**overrides) -> Campaign:
    data = {
        "slug": "post-office",
        "name": "Post Office to Secure MX",
        "legacy": {
            "name": "Post Office",
            "mx_hosts": ["*.po.example.net"],
            "spf_includes": ["spf.po.example.net"],
            "ip_ranges": ["192.0.2.0/24", "2001:db8:1::/48"],
            "outbound_ips": ["192.0.2.10"],
        },
        "successor": {
            "name": "Secure MX",
            "mx_hosts": ["*.securemx.example.org"],
            "spf_includes": ["spf.securemx.example.org"],
            "ip_ranges": ["198.51.100.0/24"],
            "outbound_ips": ["198.51.100.10"],
            "dkim_selectors": [],
        },
        "end_date": "2026-09-30",
    }
    data.update(overrides)
    return Campaign.from_dict(data)


CAMPAIGN = make_campaign()


def mx(resolver, domain: str, campaign: Campaign = CAMPAIGN, **kwargs):
    return asyncio.run(analyze_mx(resolver, domain, campaign, **kwargs))


def test_it_finds_a_legacy_host_by_name_and_skips_its_addresses(dns_server, resolver):
    dns_server.set_records(
        {"customer.example": {"MX": [(20, "mx2.po.example.net"), (10, "mx1.po.example.net")]}}
    )
    result = mx(resolver, "customer.example")
    assert result.hosts == ["mx1.po.example.net", "mx2.po.example.net"]
    assert [(r.kind, r.value, r.path) for r in result.references] == [
        ("mx", "mx1.po.example.net", ("customer.example",)),
        ("mx", "mx2.po.example.net", ("customer.example",)),
    ]
    assert result.complete and result.all_successor is False
    assert dns_server.count("mx1.po.example.net") == 0  # the name says it all


def test_it_finds_a_legacy_host_by_address_under_the_customers_own_name(dns_server, resolver):
    dns_server.set_records(
        {
            "customer.example": {"MX": [(10, "mail.customer.example")]},
            "mail.customer.example": {"A": ["192.0.2.25"], "AAAA": ["2001:db8:1::25"]},
        }
    )
    result = mx(resolver, "customer.example")
    assert [(r.kind, r.value) for r in result.references] == [
        ("mx-address", "mail.customer.example (192.0.2.25)"),
        ("mx-address", "mail.customer.example (2001:db8:1::25)"),
    ]
    assert result.addresses == {"mail.customer.example": ["192.0.2.25", "2001:db8:1::25"]}
    assert result.complete


def test_a_host_on_successor_addresses_counts_as_the_successors(dns_server, resolver):
    dns_server.set_records(
        {
            "customer.example": {"MX": [(10, "mail.customer.example"), (20, "mx.securemx.example.org")]},
            "mail.customer.example": {"A": ["198.51.100.7"]},
        }
    )
    result = mx(resolver, "customer.example")
    assert result.references == []
    assert result.all_successor is True
    assert result.complete


def test_one_foreign_host_means_not_all_successor(dns_server, resolver):
    dns_server.set_records(
        {
            "customer.example": {"MX": [(10, "mx.securemx.example.org"), (20, "backup.elsewhere.example")]},
            "backup.elsewhere.example": {"A": ["203.0.113.9"]},
        }
    )
    result = mx(resolver, "customer.example")
    assert result.all_successor is False
    assert result.complete and result.references == []


def test_a_null_mx_accepts_no_mail(dns_server, resolver):
    dns_server.set_records({"customer.example": {"MX": [(0, ".")]}})
    result = mx(resolver, "customer.example")
    assert result.null_mx and result.hosts == [] and result.complete
    assert any("RFC 7505" in note for note in result.notes)


def test_no_mx_records_is_an_answer(dns_server, resolver):
    dns_server.set_records({"customer.example": {"TXT": ["hello"]}})
    result = mx(resolver, "customer.example")
    assert result.hosts == [] and result.complete and result.error is None
    assert not result.domain_missing and result.all_successor is False


def test_an_unknown_domain_is_reported_missing(dns_server, resolver):
    dns_server.set_records({})
    result = mx(resolver, "nowhere.example")
    assert result.domain_missing and result.complete and "NXDOMAIN" in result.error


@pytest.mark.parametrize(
    "fault,reason", [("timeout", "timeout"), ("servfail", "SERVFAIL"), ("refused", "REFUSED")]
)
def test_a_failed_mx_query_leaves_it_incomplete(dns_server, resolver, fault, reason):
    dns_server.set_records({"customer.example": {"MX": [(10, "mx1.po.example.net")]}})
    dns_server.set_fault("customer.example", fault)
    result = mx(resolver, "customer.example")
    assert not result.complete and result.all_successor is None
    assert result.error == f"MX lookup failed: {reason}"
    assert [(f.name, f.rdtype) for f in result.failures] == [("customer.example", "MX")]


def test_a_failed_address_lookup_can_hide_a_legacy_mx(dns_server, resolver):
    dns_server.set_records(
        {
            "customer.example": {"MX": [(10, "mail.customer.example")]},
            "mail.customer.example": {"A": ["203.0.113.1"]},
        }
    )
    dns_server.set_fault("mail.customer.example", "servfail", "AAAA")
    result = mx(resolver, "customer.example")
    assert not result.complete
    assert [(f.name, f.rdtype, str(f.outcome)) for f in result.failures] == [
        ("mail.customer.example", "AAAA", "SERVFAIL")
    ]
    assert result.all_successor is False  # 203.0.113.1 is not a successor address: known


def test_addresses_are_not_asked_when_no_range_could_match(dns_server, resolver):
    campaign = make_campaign(
        legacy={"name": "Post Office", "mx_hosts": ["*.po.example.net"]},
        successor={"name": "Secure MX", "mx_hosts": ["*.securemx.example.org"]},
    )
    dns_server.set_records({"customer.example": {"MX": [(10, "mail.customer.example")]}})
    result = mx(resolver, "customer.example", campaign)
    assert result.complete and result.all_successor is False
    assert dns_server.count("mail.customer.example") == 0


def test_only_the_families_in_use_are_asked(dns_server, resolver):
    campaign = make_campaign(
        legacy={"name": "Post Office", "ip_ranges": ["192.0.2.0/24"]},
        successor={"name": "Secure MX", "ip_ranges": ["198.51.100.0/24"]},
    )
    dns_server.set_records(
        {
            "customer.example": {"MX": [(10, "mail.customer.example")]},
            "mail.customer.example": {"A": ["192.0.2.1"]},
        }
    )
    result = mx(resolver, "customer.example", campaign)
    assert [r.kind for r in result.references] == ["mx-address"]
    assert dns_server.count("mail.customer.example", "AAAA") == 0


def test_all_addresses_resolves_every_host_for_display(dns_server, resolver):
    dns_server.set_records(
        {
            "customer.example": {"MX": [(10, "mx.securemx.example.org")]},
            "mx.securemx.example.org": {"A": ["198.51.100.1"], "AAAA": ["2001:db8:2::1"]},
        }
    )
    result = mx(resolver, "customer.example", all_addresses=True)
    assert result.addresses == {"mx.securemx.example.org": ["198.51.100.1", "2001:db8:2::1"]}
    assert result.all_successor is True


def test_hundreds_of_mx_hosts_are_bounded(dns_server, resolver):
    hosts = [(i, f"mx{i}.customer.example") for i in range(300)]
    dns_server.set_records({"customer.example": {"MX": hosts}})
    result = mx(resolver, "customer.example")
    assert len(result.addresses) == 16
    assert not result.complete  # unresolved hosts may sit in a legacy range
    assert any("not resolved" in note for note in result.notes)
