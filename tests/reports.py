"""Domain reports as the engine writes them (docs/domain-report.md), and storing them as sweeps do.

View and dashboard tests build their data from these instead of probing DNS.
"""

import datetime as dt

from django.db import transaction

from tracker.services.checks import record_report

LEGACY_INCLUDE = "spf.po.2iij.net"


def legacy_report(name: str, **overrides) -> dict:
    """A report (docs/domain-report.md) of a domain whose SPF includes the legacy record via a nested include."""
    report = {
        "domain": name,
        "verdict": "legacy",
        "legacy_references": [
            {"kind": "spf-include", "value": LEGACY_INCLUDE, "path": [name, f"_spf.{name}"]},
        ],
        "on_successor": False,
        "mx": {"hosts": [f"mx1.{name}"], "error": None},
        "spf": {
            "record": f"v=spf1 include:_spf.{name} -all",
            "dns_lookups": 3,
            "void_lookups": 0,
            "breaks_on_legacy_removal": True,
            "authorizes_successor": False,
            "authorizes_legacy": True,
            "suggested_record": "v=spf1 include:spf.securemx.example -all",
            "suggested_for": f"_spf.{name}",
            "advice": {"status": "verified", "reasons": [], "message": "", "lookups": 3},
            "error": None,
            "warnings": [],
            "records": {
                name: [f"v=spf1 include:_spf.{name} -all"],
                f"_spf.{name}": [f"v=spf1 ip4:192.0.2.0/24 include:{LEGACY_INCLUDE} ~all"],
                LEGACY_INCLUDE: ["v=spf1 ip4:198.51.100.0/24 -all"],
            },
        },
        "dmarc": {
            "record": "v=DMARC1; p=none; pct=50",
            "policy_domain": name,
            "policy": "none",
            "deprecated_tags": ["pct"],
            "error": None,
        },
        "errors": [],
        "checked_at": "2026-11-28T10:00:00+00:00",
    }
    report.update(overrides)
    return report


def clean_report(name: str) -> dict:
    report = legacy_report(name)
    report.update(verdict="clean", legacy_references=[], on_successor=True)
    report["spf"] = dict(
        report["spf"],
        record="v=spf1 include:spf.securemx.example -all",
        breaks_on_legacy_removal=False,
        authorizes_successor=True,
        suggested_record=None,
        advice={"status": "not_needed", "reasons": [], "message": "", "lookups": 1},
        records={name: ["v=spf1 include:spf.securemx.example -all"]},
    )
    report["dmarc"] = dict(report["dmarc"], record="v=DMARC1; p=reject", policy="reject", deprecated_tags=[])
    return report


def inconclusive_report(name: str) -> dict:
    """A report whose lookups timed out (a DNS outage): nothing is known, nothing is clean."""
    report = legacy_report(name)
    report.update(
        verdict="inconclusive",
        legacy_references=[],
        on_successor=None,
        mx={"hosts": [], "error": "timeout"},
        errors=[
            {"name": name, "type": "MX", "error": "timeout"},
            {"name": name, "type": "TXT", "error": "timeout"},
        ],
    )
    report["spf"] = dict(
        report["spf"],
        record=None,
        records={},
        dns_lookups=None,
        breaks_on_legacy_removal=None,
        authorizes_successor=None,
        authorizes_legacy=None,
        suggested_record=None,
        advice=None,
        error="timeout",
    )
    return report


def store(campaign, domain, report: dict, when: dt.datetime | None = None):
    """Store a report as the sweeps do (history span + domain state)."""
    with transaction.atomic():
        return record_report(campaign, domain, report, now=when)
