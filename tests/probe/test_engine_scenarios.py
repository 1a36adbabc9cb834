"""Whole-engine scenarios: real DNS server on loopback, real Resolver, one report per domain."""

from __future__ import annotations

import asyncio
import time

import pytest

from tests.conftest_dns import TEST_ATTEMPTS
from tests.probe.test_mx import make_campaign
from tracker.probe.engine import probe_domain, probe_domains, probe_many

CAMPAIGN = make_campaign()
PROVIDERS = {
    "spf.po.example.net": {"TXT": ["v=spf1 ip4:192.0.2.0/24 -all"]},
    "spf.securemx.example.org": {"TXT": ["v=spf1 ip4:198.51.100.0/24 -all"]},
    "_dmarc.customer.example": {"TXT": ["v=DMARC1; p=reject"]},
}
SUCCESSOR_MX = {"MX": [(10, "mx1.securemx.example.org"), (20, "mx2.securemx.example.org")]}


def serve(dns_server, records: dict) -> None:
    dns_server.set_records({**PROVIDERS, **records})


def probe(resolver, domain: str = "customer.example", campaign=CAMPAIGN):
    return asyncio.run(probe_domain(campaign, domain, resolver))


def refs(report) -> list[tuple[str, str, list[str]]]:
    return [(r["kind"], r["value"], r["path"]) for r in report.to_json()["legacy_references"]]


# -- clean and migrated ---------------------------------------------------------------------------


def test_a_migrated_domain_is_clean_and_on_the_successor(dns_server, resolver):
    serve(
        dns_server,
        {"customer.example": {**SUCCESSOR_MX, "TXT": ["v=spf1 include:spf.securemx.example.org -all"]}},
    )
    report = probe(resolver)
    assert report.verdict == "clean"
    assert report.on_successor is True
    data = report.to_json()
    assert data["spf"]["authorizes_successor"] is True and data["spf"]["authorizes_legacy"] is False
    assert data["mx"]["hosts"] == ["mx1.securemx.example.org", "mx2.securemx.example.org"]
    assert data["dmarc"]["policy"] == "reject" and data["errors"] == []


def test_a_domain_without_spf_is_clean_but_not_on_the_successor(dns_server, resolver):
    serve(dns_server, {"customer.example": SUCCESSOR_MX})
    report = probe(resolver)
    assert report.verdict == "clean" and report.on_successor is False


# -- every reference kind ---------------------------------------------------------------------------


def test_legacy_mx_by_name(dns_server, resolver):
    serve(dns_server, {"customer.example": {"MX": [(10, "mx1.po.example.net")], "TXT": ["v=spf1 -all"]}})
    report = probe(resolver)
    assert report.verdict == "legacy" and report.on_successor is False
    assert refs(report) == [("mx", "mx1.po.example.net", ["customer.example"])]


def test_legacy_mx_by_address(dns_server, resolver):
    serve(
        dns_server,
        {
            "customer.example": {"MX": [(10, "mail.customer.example")], "TXT": ["v=spf1 -all"]},
            "mail.customer.example": {"A": ["192.0.2.25"]},
        },
    )
    assert refs(probe(resolver)) == [
        ("mx-address", "mail.customer.example (192.0.2.25)", ["customer.example"])
    ]


def test_spf_include_at_depth_one(dns_server, resolver):
    serve(
        dns_server, {"customer.example": {**SUCCESSOR_MX, "TXT": ["v=spf1 include:spf.po.example.net -all"]}}
    )
    report = probe(resolver)
    assert report.verdict == "legacy"
    assert refs(report) == [("spf-include", "spf.po.example.net", ["customer.example"])]
    assert report.spf.breaks_on_legacy_removal is True
    assert (
        report.spf.suggested_record is not None and "spf.securemx.example.org" in report.spf.suggested_record
    )


def test_spf_include_three_levels_deep(dns_server, resolver):
    serve(
        dns_server,
        {
            "customer.example": {**SUCCESSOR_MX, "TXT": ["v=spf1 include:_spf.customer.example -all"]},
            "_spf.customer.example": {"TXT": ["v=spf1 include:relay.partner.example ~all"]},
            "relay.partner.example": {"TXT": ["v=spf1 include:SPF.PO.EXAMPLE.NET. ?all"]},
        },
    )
    assert refs(probe(resolver)) == [
        (
            "spf-include",
            "spf.po.example.net",
            ["customer.example", "_spf.customer.example", "relay.partner.example"],
        )
    ]


def test_spf_redirect(dns_server, resolver):
    serve(dns_server, {"customer.example": {**SUCCESSOR_MX, "TXT": ["v=spf1 redirect=spf.po.example.net"]}})
    report = probe(resolver)
    assert refs(report) == [("spf-redirect", "spf.po.example.net", ["customer.example"])]
    assert report.spf.authorizes_legacy is True


def test_spf_ip_overlapping_a_legacy_range(dns_server, resolver):
    serve(
        dns_server,
        {"customer.example": {**SUCCESSOR_MX, "TXT": ["v=spf1 ip4:192.0.2.128/25 ip6:2001:db8:1::/64 -all"]}},
    )
    kinds = [kind for kind, _, _ in refs(probe(resolver))]
    assert kinds == ["spf-ip", "spf-ip"]


def test_a_reference_after_all_is_published_but_does_not_break(dns_server, resolver):
    serve(
        dns_server, {"customer.example": {**SUCCESSOR_MX, "TXT": ["v=spf1 -all include:spf.po.example.net"]}}
    )
    report = probe(resolver)
    assert report.verdict == "legacy"
    assert report.spf.breaks_on_legacy_removal is False


def test_references_in_two_spf_records(dns_server, resolver):
    serve(
        dns_server,
        {
            "customer.example": {
                **SUCCESSOR_MX,
                "TXT": ["v=spf1 include:spf.po.example.net -all", "v=spf1 -all"],
            }
        },
    )
    report = probe(resolver)
    assert report.verdict == "legacy"
    assert report.to_json()["spf"]["error"].startswith("permerror")


# -- records that are broken but answered ------------------------------------------------------------


def test_an_include_loop_is_a_permerror_not_inconclusive(dns_server, resolver):
    serve(
        dns_server,
        {
            "customer.example": {**SUCCESSOR_MX, "TXT": ["v=spf1 include:a.customer.example -all"]},
            "a.customer.example": {"TXT": ["v=spf1 include:customer.example -all"]},
        },
    )
    report = probe(resolver)
    assert report.verdict == "clean"
    assert report.to_json()["spf"]["error"].startswith("permerror")


def test_over_the_lookup_limit_is_reported(dns_server, resolver):
    includes = " ".join(f"include:s{i}.customer.example" for i in range(12))
    records = {f"s{i}.customer.example": {"TXT": [f"v=spf1 ip4:203.0.113.{i} -all"]} for i in range(12)}
    serve(dns_server, {"customer.example": {**SUCCESSOR_MX, "TXT": [f"v=spf1 {includes} -all"]}, **records})
    data = probe(resolver).to_json()
    assert data["spf"]["dns_lookups"] == 12
    assert data["spf"]["error"].startswith("permerror")
    assert data["verdict"] == "clean"


# -- failures at each level ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "broken",
    ["customer.example", "_spf.customer.example", "relay.partner.example"],
)
def test_a_timeout_at_any_spf_level_is_inconclusive(dns_server, resolver, broken):
    serve(
        dns_server,
        {
            "customer.example": {**SUCCESSOR_MX, "TXT": ["v=spf1 include:_spf.customer.example -all"]},
            "_spf.customer.example": {"TXT": ["v=spf1 include:relay.partner.example ~all"]},
            "relay.partner.example": {"TXT": ["v=spf1 ip4:203.0.113.1 ?all"]},
        },
    )
    dns_server.set_fault(broken, "timeout", "TXT")
    report = probe(resolver)
    assert report.verdict == "inconclusive"
    assert {"name": broken, "type": "TXT", "error": "timeout"} in report.to_json()["errors"]


@pytest.mark.parametrize(
    "fault,reason", [("servfail", "SERVFAIL"), ("refused", "REFUSED"), ("timeout", "timeout")]
)
def test_a_failed_mx_query_is_inconclusive(dns_server, resolver, fault, reason):
    serve(
        dns_server,
        {"customer.example": {**SUCCESSOR_MX, "TXT": ["v=spf1 include:spf.securemx.example.org -all"]}},
    )
    dns_server.set_fault("customer.example", fault, "MX")
    report = probe(resolver)
    assert report.verdict == "inconclusive" and report.on_successor is None
    assert report.to_json()["errors"] == [{"name": "customer.example", "type": "MX", "error": reason}]


def test_a_failure_does_not_hide_a_reference_found_elsewhere(dns_server, resolver):
    serve(dns_server, {"customer.example": {"MX": [(10, "mx.po.example.net")], "TXT": ["v=spf1 -all"]}})
    dns_server.set_fault("_dmarc.customer.example", "servfail")
    report = probe(resolver)
    assert report.verdict == "legacy"
    assert report.to_json()["dmarc"]["error"].endswith("SERVFAIL")


def test_a_failed_dmarc_lookup_is_never_clean(dns_server, resolver):
    serve(
        dns_server,
        {"customer.example": {**SUCCESSOR_MX, "TXT": ["v=spf1 include:spf.securemx.example.org -all"]}},
    )
    dns_server.set_fault("_dmarc.customer.example", "timeout")
    assert probe(resolver).verdict == "inconclusive"


# -- names ----------------------------------------------------------------------------------------------


def test_an_nxdomain_domain_is_unregistered(dns_server, resolver):
    serve(dns_server, {})
    report = probe(resolver, "gone.example")
    assert report.verdict == "unregistered"
    assert report.to_json()["mx"]["error"] == "the domain does not exist (NXDOMAIN)"


def test_an_idn_domain_is_probed_as_its_a_label(dns_server, resolver):
    serve(dns_server, {"xn--bcher-kva.example": {"MX": [(10, "mx.po.example.net")]}})
    report = probe(resolver, "Bücher.example.")
    assert report.domain == "xn--bcher-kva.example"
    assert report.verdict == "legacy"


def test_an_invalid_name_gets_a_report_saying_why(resolver):
    report = probe(resolver, "not a domain")
    assert report.verdict == "inconclusive"
    assert report.to_json()["errors"][0]["error"].startswith("invalid domain name")


def test_a_null_mx_domain(dns_server, resolver):
    serve(dns_server, {"customer.example": {"MX": [(0, ".")], "TXT": ["v=spf1 -all"]}})
    report = probe(resolver)
    assert report.verdict == "clean"
    assert report.to_json()["mx"]["null_mx"] is True and report.to_json()["mx"]["hosts"] == []


# -- DMARC through the engine ------------------------------------------------------------------------


def test_dmarc_from_the_organizational_domain_with_np(dns_server, resolver):
    serve(
        dns_server,
        {
            "mail.customer.example": {**SUCCESSOR_MX, "TXT": ["v=spf1 -all"]},
            "_dmarc.customer.example": {"TXT": ["v=DMARC1; p=reject; sp=quarantine; ri=86400"]},
        },
    )
    dmarc = probe(resolver, "mail.customer.example").to_json()["dmarc"]
    assert dmarc["policy_domain"] == "customer.example"
    assert dmarc["policy"] == "quarantine"
    assert dmarc["deprecated_tags"] == ["ri"]
    assert dmarc["dmarcbis"]["policy_domain"] == "customer.example"


def test_np_is_the_policy_of_a_subdomain_that_does_not_exist(dns_server, resolver):
    serve(dns_server, {"_dmarc.customer.example": {"TXT": ["v=DMARC1; p=reject; sp=quarantine; np=none"]}})
    report = probe(resolver, "gone.customer.example")
    assert report.verdict == "unregistered"
    assert report.to_json()["dmarc"]["policy"] == "none"


# -- hostile domains ---------------------------------------------------------------------------------


def test_a_fifty_level_include_chain_is_reported_quickly(dns_server, resolver):
    chain = {
        f"l{i}.customer.example": {"TXT": [f"v=spf1 include:l{i + 1}.customer.example -all"]}
        for i in range(50)
    }
    chain["l50.customer.example"] = {"TXT": ["v=spf1 include:spf.po.example.net -all"]}
    serve(dns_server, {"customer.example": {"TXT": ["v=spf1 include:l0.customer.example -all"]}, **chain})
    started = time.monotonic()
    report = probe(resolver)
    assert time.monotonic() - started < 5
    assert report.verdict in ("legacy", "inconclusive")  # past the depth bound nothing may be called clean
    assert report.to_json()["spf"]["error"].startswith("permerror")


def test_a_record_of_500_strings_is_reported_quickly(dns_server, resolver):
    strings = ["v=spf1"] + [f" ip4:203.0.{i // 250}.{i % 250}" for i in range(498)] + [" -all"]
    serve(dns_server, {"customer.example": {**SUCCESSOR_MX, "TXT": [strings]}})
    started = time.monotonic()
    report = probe(resolver)
    assert time.monotonic() - started < 5
    assert report.verdict in ("clean", "inconclusive")
    assert len(report.to_json_line()) < 200_000


# -- many domains ----------------------------------------------------------------------------------


def test_probe_domains_yields_one_report_per_domain_and_shares_queries(dns_server, resolver):
    records = {
        f"c{i}.example": {**SUCCESSOR_MX, "TXT": ["v=spf1 include:spf.securemx.example.org -all"]}
        for i in range(30)
    }
    serve(dns_server, records)
    domains = [f"c{i}.example" for i in range(30)] + ["bad name"]

    async def run():
        return [report async for report in probe_domains(CAMPAIGN, domains, resolver, concurrency=8)]

    reports = asyncio.run(run())
    assert sorted(r.domain for r in reports) == sorted(["bad name", *domains[:-1]])
    assert dns_server.count("spf.securemx.example.org", "TXT") == 1
    per_domain = dns_server.query_count / 30
    assert per_domain < 6, per_domain


def test_probe_many_keeps_input_order_across_processes(dns_server):
    records = {f"c{i}.example": {"MX": [(10, "mx.po.example.net")]} for i in range(120)}
    serve(dns_server, records)
    domains = [f"c{i}.example" for i in range(120)]
    reports = probe_many(CAMPAIGN, domains, [dns_server.address], timeout=0.5, concurrency=20, processes=2)
    assert [r.domain for r in reports] == domains
    assert {r.verdict for r in reports} == {"legacy"}


def test_a_domain_over_its_time_budget_is_inconclusive(dns_server, resolver):
    serve(dns_server, {"customer.example": SUCCESSOR_MX})
    dns_server.set_fault("customer.example", "timeout", "TXT")
    report = asyncio.run(probe_domain(CAMPAIGN, "customer.example", resolver, budget=0.1))
    assert report.verdict == "inconclusive"
    assert any("time budget" in e["error"] for e in report.to_json()["errors"])


# -- DKIM (extra key) ------------------------------------------------------------------------------


def test_dkim_selectors_are_reported_but_never_decide_the_verdict(dns_server, resolver):
    successor = {
        "name": "Secure MX",
        "mx_hosts": ["*.securemx.example.org"],
        "spf_includes": ["spf.securemx.example.org"],
        "outbound_ips": ["198.51.100.10"],
        "dkim_selectors": ["sm1", "sm2"],
    }
    campaign = make_campaign(successor=successor)
    serve(
        dns_server,
        {
            "customer.example": {**SUCCESSOR_MX, "TXT": ["v=spf1 include:spf.securemx.example.org -all"]},
            "sm1._domainkey.customer.example": {"TXT": ["v=DKIM1; k=rsa; p=MIIBIjAN"]},
        },
    )
    dns_server.set_fault("sm2._domainkey.customer.example", "servfail")
    report = probe(resolver, campaign=campaign)
    dkim = report.to_json()["dkim"]
    assert [s["published"] for s in dkim["selectors"]] == [True, None]
    assert report.verdict == "clean" and report.errors == []


def test_a_failed_own_txt_is_asked_once_and_check_host_does_not_wait_again(dns_server, resolver):
    """check_host() would start with the same failed TXT question: it is not asked a second round."""
    serve(dns_server, {"customer.example": SUCCESSOR_MX})
    dns_server.set_fault("customer.example", "timeout", "TXT")
    report = probe(resolver)
    assert report.verdict == "inconclusive" and report.on_successor is None
    spf = report.to_json()["spf"]
    assert spf["authorizes_successor"] is None and spf["authorizes_legacy"] is None
    assert dns_server.attempts("customer.example", "TXT") == TEST_ATTEMPTS


def test_probe_many_in_several_processes_reports_every_domain_once(dns_server):
    records = {
        f"c{i}.example": (
            {"MX": [(10, "mx.po.example.net")]}
            if i % 2
            else {**SUCCESSOR_MX, "TXT": ["v=spf1 include:spf.securemx.example.org -all"]}
        )
        for i in range(300)
    }
    serve(dns_server, records)
    domains = [f"c{i}.example" for i in range(300)]
    reports = probe_many(CAMPAIGN, domains, [dns_server.address], timeout=0.5, concurrency=40, processes=3)
    assert [r.domain for r in reports] == domains
    assert [r.verdict for r in reports] == ["clean" if i % 2 == 0 else "legacy" for i in range(300)]
