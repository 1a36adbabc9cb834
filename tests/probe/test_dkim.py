"""DKIM selectors of the successor: published, revoked, absent, behind a CNAME, or unknown."""

from __future__ import annotations

import asyncio

from tracker.probe.dkim import analyze_dkim, key_tags


def dkim(resolver, selectors=("sm1", "sm2")):
    return asyncio.run(analyze_dkim(resolver, "customer.example", selectors))


def test_it_reads_key_tags():
    assert key_tags("v=DKIM1; k=rsa; p=MIIB IjAN") == {"v": "DKIM1", "k": "rsa", "p": "MIIBIjAN"}


def test_published_keys_directly_and_behind_a_cname(dns_server, resolver):
    dns_server.set_records(
        {
            "sm1._domainkey.customer.example": {"TXT": ["v=DKIM1; k=rsa; p=MIIBIjANBgkq"]},
            "sm2._domainkey.customer.example": {"CNAME": ["sm2.dkim.securemx.example.org."]},
            "sm2.dkim.securemx.example.org": {"TXT": [["v=DKIM1; k=rsa; ", "p=MIIBIjANBgkq"]]},
        }
    )
    result = dkim(resolver)
    assert [check.published for check in result.selectors] == [True, True]
    assert result.all_published is True


def test_revoked_and_absent_keys_are_not_published(dns_server, resolver):
    dns_server.set_records({"sm1._domainkey.customer.example": {"TXT": ["v=DKIM1; p="]}})
    result = dkim(resolver)
    assert [(c.published, c.detail) for c in result.selectors] == [
        (False, "revoked (empty p=)"),
        (False, "no DKIM key record"),
    ]
    assert result.all_published is False
    assert result.to_json()["selectors"][0]["name"] == "sm1._domainkey.customer.example"


def test_a_failed_lookup_is_unknown(dns_server, resolver):
    dns_server.set_records({"sm1._domainkey.customer.example": {"TXT": ["v=DKIM1; p=abc"]}})
    dns_server.set_fault("sm2._domainkey.customer.example", "servfail")
    result = dkim(resolver)
    assert [c.published for c in result.selectors] == [True, None]
    assert result.all_published is None
    assert [f.name for f in result.failures] == ["sm2._domainkey.customer.example"]
