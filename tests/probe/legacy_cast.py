"""The cast of the reference tests: a campaign that turns every check on, and the providers' records."""

from __future__ import annotations

import asyncio

from tracker.probe.campaign import Campaign
from tracker.probe.engine import probe_domain

DOMAIN = "customer.example"
LEGACY_PIN = "ab" * 32  # SHA-256 of the legacy MX key, as the campaign lists it
SUCCESSOR_PIN = "cd" * 32
LEGACY_CERT = "30820122300d06092a864886f70d01010105000382010f00"  # a full key (matching type 0)


def full_campaign(legacy: dict | None = None, successor: dict | None = None) -> Campaign:
    data = {
        "slug": "post-office",
        "name": "Post Office to Secure MX",
        "legacy": {
            "name": "Post Office",
            "mx_hosts": ["*.po.example.net"],
            "spf_includes": ["spf.po.example.net"],
            "ip_ranges": ["192.0.2.0/24", "2001:db8:1::/48"],
            "outbound_ips": ["192.0.2.10"],
            "dkim_selectors": ["po1", "po2"],
            "hosts": ["*.po-mail.example.net"],
            "mail_domains": ["po.example.net", "*.po.example.net"],
            "tlsa": [LEGACY_PIN],
        },
        "successor": {
            "name": "Secure MX",
            "mx_hosts": ["*.securemx.example.org"],
            "spf_includes": ["spf.securemx.example.org"],
            "ip_ranges": ["198.51.100.0/24"],
            "outbound_ips": ["198.51.100.10"],
            "dkim_selectors": [],
            "hosts": ["*.securemx.example.org"],
            "tlsa": [f"3 1 1 {SUCCESSOR_PIN}"],
            "client_hosts": {
                "imap": "imap.securemx.example.org",
                "pop3": "pop.securemx.example.org",
                "submission": "smtp.securemx.example.org",
                "webmail": "webmail.securemx.example.org",
                "autodiscover": "autodiscover.securemx.example.org",
                "autoconfig": "autoconfig.securemx.example.org",
            },
            "dmarc_rua": ["mailto:dmarc@reports.securemx.example.org"],
            "tlsrpt_rua": ["mailto:tlsrpt@reports.securemx.example.org"],
        },
        "end_date": "2026-09-30",
    }
    data["legacy"].update(legacy or {})
    data["successor"].update(successor or {})
    return Campaign.from_dict(data)


PROVIDERS = {
    "spf.po.example.net": {"TXT": ["v=spf1 ip4:192.0.2.0/24 -all"]},
    "spf.securemx.example.org": {"TXT": ["v=spf1 ip4:198.51.100.0/24 -all"]},
    "imap.po.example.net": {"A": ["192.0.2.30"]},
    "imap.po-mail.example.net": {"A": ["192.0.2.31"]},
    **{
        f"{label}.securemx.example.org": {"A": [f"198.51.100.{40 + i}"]}
        for i, label in enumerate(["imap", "pop", "smtp", "webmail", "autodiscover", "autoconfig"])
    },
    f"{DOMAIN}._report._dmarc.reports.securemx.example.org": {"TXT": ["v=DMARC1"]},
}
# A migrated customer: successor MX, successor SPF, nothing else published.
MIGRATED = {
    DOMAIN: {
        "MX": [(10, "mx1.securemx.example.org"), (20, "mx2.securemx.example.org")],
        "TXT": ["v=spf1 include:spf.securemx.example.org -all"],
    },
}


def serve(dns_server, records: dict, base: dict = MIGRATED) -> None:
    """The providers, the customer's base records, then the test's records (per name and type)."""
    merged = {name: dict(types) for name, types in {**PROVIDERS, **base}.items()}
    for name, types in records.items():
        merged.setdefault(name, {}).update(types)
    dns_server.set_records(merged)


def probe(resolver, campaign=None, domain: str = DOMAIN, **kwargs):
    return asyncio.run(probe_domain(campaign or full_campaign(), domain, resolver, **kwargs))


def refs(report, kind: str | None = None) -> list[tuple[str, str, str]]:
    """(kind, value, breaks) of the report's references, optionally of one kind."""
    return [
        (ref["kind"], ref["value"], ref["breaks"])
        for ref in report.to_json()["legacy_references"]
        if kind is None or ref["kind"] == kind
    ]


def advice(report, kind: str) -> list[dict]:
    return [item for item in report.to_json()["advice"] if item["kind"] == kind]
