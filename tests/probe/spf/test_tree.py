"""analyze_spf() on whole SPF trees served by the real test DNS server."""

from __future__ import annotations

import asyncio
import time

import pytest

from tracker.probe.campaign import Campaign
from tracker.probe.spf.tree import LookupFailure, Reference, analyze_spf

LEGACY = "spf.po.2iij.net"
SUCCESSOR = "spf.smx.2iij.net"
BASE_RECORDS = {
    LEGACY: {"TXT": ["v=spf1 ip4:198.51.100.0/24 -all"]},
    SUCCESSOR: {"TXT": ["v=spf1 ip4:203.0.113.0/24 -all"]},
}


@pytest.fixture
def campaign() -> Campaign:
    return Campaign.from_dict(
        {
            "slug": "post-office",
            "name": "Post Office to Secure MX",
            "legacy": {
                "name": "Post Office",
                "mx_hosts": ["*.po.2iij.net"],
                "spf_includes": [LEGACY],
                "ip_ranges": ["198.51.100.0/24"],
                "outbound_ips": ["198.51.100.10"],
            },
            "successor": {
                "name": "Secure MX",
                "spf_includes": [SUCCESSOR],
                "outbound_ips": ["203.0.113.10", "203.0.113.11"],
            },
            "end_date": "2022-09-30",
        }
    )


@pytest.fixture
def serve(dns_server):
    def serve(records: dict) -> None:
        dns_server.set_records({**BASE_RECORDS, **records})

    return serve


def analyze(resolver, campaign, domain="customer.com"):
    return asyncio.run(analyze_spf(resolver, domain, campaign))


def test_it_finds_a_legacy_include_in_the_customers_record(serve, resolver, campaign):
    serve(
        {
            "customer.com": {"TXT": ["v=spf1 mx include:po.example include:spf.po.2iij.net -all"]},
            "po.example": {"TXT": ["v=spf1 -all"]},
        }
    )
    analysis = analyze(resolver, campaign)
    assert analysis.references == [Reference("spf-include", LEGACY, ("customer.com",))]
    assert analysis.breaks_on_legacy_removal is True
    assert (analysis.authorizes_legacy, analysis.authorizes_successor) == (True, False)
    assert analysis.suggested_record == "v=spf1 mx include:po.example include:spf.smx.2iij.net -all"
    assert analysis.suggested_for == "customer.com"
    assert (analysis.complete, analysis.error, analysis.dns_lookups) == (True, None, 3)
    assert analysis.records["spf.po.2iij.net"] == ["v=spf1 ip4:198.51.100.0/24 -all"]


def test_it_finds_a_legacy_include_three_levels_down(serve, resolver, campaign):
    serve(
        {
            "customer.com": {"TXT": ["v=spf1 include:_spf.customer.com -all"]},
            "_spf.customer.com": {"TXT": ["v=spf1 include:_spf2.customer.com ~all"]},
            "_spf2.customer.com": {"TXT": ["v=spf1 ip4:192.0.2.0/24 include:SPF.PO.2iij.net. -all"]},
        }
    )
    analysis = analyze(resolver, campaign)
    path = ("customer.com", "_spf.customer.com", "_spf2.customer.com")
    assert analysis.references == [Reference("spf-include", LEGACY, path)]
    assert analysis.breaks_on_legacy_removal is True
    assert analysis.suggested_for == "_spf2.customer.com"
    assert analysis.suggested_record == "v=spf1 ip4:192.0.2.0/24 include:spf.smx.2iij.net -all"
    assert analysis.dns_lookups == 3


def test_it_finds_a_legacy_redirect(serve, resolver, campaign):
    serve({"customer.com": {"TXT": ["v=spf1 ip4:192.0.2.1 redirect=spf.po.2iij.net"]}})
    analysis = analyze(resolver, campaign)
    assert analysis.references == [Reference("spf-redirect", LEGACY, ("customer.com",))]
    assert analysis.breaks_on_legacy_removal is True
    assert analysis.authorizes_legacy is True
    assert analysis.suggested_record == "v=spf1 ip4:192.0.2.1 redirect=spf.smx.2iij.net"


def test_a_macro_target_is_matched_after_expansion(serve, resolver, campaign):
    serve({"customer.net": {"TXT": ["v=spf1 include:SPF.PO.2iij.%{d1} -all"]}})
    analysis = analyze(resolver, campaign, "customer.net")
    assert analysis.references == [Reference("spf-include", LEGACY, ("customer.net",))]
    assert analysis.suggested_record == "v=spf1 include:spf.smx.2iij.net -all"


def test_a_name_under_the_legacy_domain_is_not_a_reference(serve, resolver, campaign):
    serve(
        {
            "customer.com": {"TXT": ["v=spf1 include:eu.spf.po.2iij.net -all"]},
            "eu.spf.po.2iij.net": {"TXT": ["v=spf1 -all"]},
        }
    )
    assert analyze(resolver, campaign).references == []


def test_a_reference_after_all_is_reported_but_does_not_break(serve, resolver, campaign):
    serve({"customer.com": {"TXT": ["v=spf1 include:spf.smx.2iij.net -all include:spf.po.2iij.net"]}})
    analysis = analyze(resolver, campaign)
    assert analysis.references == [Reference("spf-include", LEGACY, ("customer.com",))]
    assert analysis.breaks_on_legacy_removal is False
    assert analysis.authorizes_successor is True
    assert analysis.suggested_record == "v=spf1 include:spf.smx.2iij.net -all"
    assert analysis.dns_lookups == 1


def test_a_redirect_beside_all_does_not_break(serve, resolver, campaign):
    serve({"customer.com": {"TXT": ["v=spf1 ip4:192.0.2.1 -all redirect=spf.po.2iij.net"]}})
    analysis = analyze(resolver, campaign)
    assert [r.kind for r in analysis.references] == ["spf-redirect"]
    assert analysis.breaks_on_legacy_removal is False
    assert analysis.authorizes_legacy is False


def test_it_reads_both_records_when_a_domain_publishes_two(serve, resolver, campaign):
    serve(
        {
            "customer.com": {
                "TXT": ["v=spf1 -all", "v=spf1 include:spf.po.2iij.net -all", "google-site-verification=x"]
            }
        }
    )
    analysis = analyze(resolver, campaign)
    assert analysis.references == [Reference("spf-include", LEGACY, ("customer.com",))]
    assert analysis.error.startswith("permerror: customer.com publishes 2 SPF records")
    assert any("2 SPF records" in w for w in analysis.warnings)
    assert len(analysis.records["customer.com"]) == 2
    assert analysis.complete is True


def test_it_finds_legacy_addresses(serve, resolver, campaign):
    serve({"customer.com": {"TXT": ["v=spf1 ip4:198.51.100.0/25 ip4:192.0.2.0/24 ip6:2001:db8::/32 -all"]}})
    analysis = analyze(resolver, campaign)
    assert analysis.references == [Reference("spf-ip", "198.51.100.0/25", ("customer.com",))]
    assert analysis.breaks_on_legacy_removal is False  # addresses do not break anything
    assert analysis.authorizes_legacy is True
    # the legacy half goes, the successor's include takes its place (nothing else reaches it)
    assert (
        analysis.suggested_record == "v=spf1 include:spf.smx.2iij.net ip4:192.0.2.0/24 ip6:2001:db8::/32 -all"
    )


def test_an_include_loop_is_a_permerror_not_inconclusive(serve, resolver, campaign):
    serve(
        {
            "customer.com": {"TXT": ["v=spf1 include:a.customer.com -all"]},
            "a.customer.com": {"TXT": ["v=spf1 include:customer.com -all"]},
        }
    )
    analysis = analyze(resolver, campaign)
    assert analysis.error.startswith("permerror: include loop")
    assert (analysis.complete, analysis.failures, analysis.references) == (True, [], [])


def test_a_fifty_level_chain_ends_with_an_error_not_a_hang(serve, resolver, campaign, dns_server):
    chain = {
        f"l{i}.chain.example": {"TXT": [f"v=spf1 include:l{i + 1}.chain.example -all"]} for i in range(50)
    }
    chain["customer.com"] = {"TXT": ["v=spf1 include:l0.chain.example -all"]}
    serve(chain)
    started = time.monotonic()
    analysis = analyze(resolver, campaign)
    assert time.monotonic() - started < 5
    assert analysis.error.startswith("permerror: more than 10 DNS-querying terms")
    assert analysis.complete is False  # a reference could hide below the depth cap
    assert any("deeper than 20" in w for w in analysis.warnings)
    assert dns_server.count("l30.chain.example", "TXT") == 0


def test_a_timeout_at_depth_two_makes_it_incomplete(serve, resolver, campaign, dns_server):
    serve(
        {
            "customer.com": {"TXT": ["v=spf1 include:_spf.customer.com -all"]},
            "_spf.customer.com": {"TXT": ["v=spf1 include:slow.example.net -all"]},
        }
    )
    dns_server.set_fault("slow.example.net", "timeout")
    analysis = analyze(resolver, campaign)
    assert analysis.complete is False
    assert LookupFailure("slow.example.net", "TXT", "timeout") in analysis.failures
    assert analysis.error.startswith("temperror: slow.example.net")
    assert analysis.authorizes_successor is None  # check_host is temperror for them
    assert analysis.references == []


def test_an_include_of_a_domain_without_spf_is_a_permerror(serve, resolver, campaign):
    serve({"customer.com": {"TXT": ["v=spf1 include:nowhere.example.net -all"]}})
    analysis = analyze(resolver, campaign)
    assert analysis.error == (
        "permerror: include:nowhere.example.net in customer.com: the target publishes no SPF record"
    )
    assert (analysis.complete, analysis.failures) == (True, [])
    assert any("nowhere.example.net is included from customer.com" in w for w in analysis.warnings)


def test_no_spf_at_all(serve, resolver, campaign):
    serve({"customer.com": {"TXT": ["hello"]}})
    analysis = analyze(resolver, campaign)
    assert (analysis.record, analysis.error, analysis.references, analysis.complete) == (None, None, [], True)
    assert analysis.authorizes_successor is False
    assert analysis.suggested_record is None


def test_a_migrated_customer_needs_no_suggestion(serve, resolver, campaign):
    serve(
        {
            "customer.com": {"TXT": ["v=spf1 mx include:spf.smx.2iij.net -all"]},
            "customer.com.": {"MX": [(10, "mx.customer.com")]},
        }
    )
    analysis = analyze(resolver, campaign)
    assert (analysis.authorizes_successor, analysis.authorizes_legacy) == (True, False)
    assert (analysis.suggested_record, analysis.suggested_for, analysis.references) == (None, None, [])


def test_the_suggestion_does_not_duplicate_the_successor(serve, resolver, campaign):
    serve(
        {
            "customer.com": {
                "TXT": ["v=spf1 include:spf.po.2iij.net ip4:198.51.100.7 include:spf.smx.2iij.net ~all"]
            }
        }
    )
    analysis = analyze(resolver, campaign)
    assert analysis.suggested_record == "v=spf1 include:spf.smx.2iij.net ~all"


def test_the_replacement_include_gets_the_default_qualifier(serve, resolver, campaign):
    serve({"customer.com": {"TXT": ["v=spf1 ?include:spf.po.2iij.net ~all"]}})
    assert analyze(resolver, campaign).suggested_record == "v=spf1 include:spf.smx.2iij.net ~all"


def test_no_suggestion_for_a_record_the_customer_does_not_control(serve, resolver, campaign):
    serve(
        {
            "customer.com": {"TXT": ["v=spf1 include:relay.partner.net -all"]},
            "relay.partner.net": {"TXT": ["v=spf1 include:spf.po.2iij.net -all"]},
        }
    )
    analysis = analyze(resolver, campaign)
    assert analysis.references == [Reference("spf-include", LEGACY, ("customer.com", "relay.partner.net"))]
    assert analysis.suggested_record is None
    assert any("relay.partner.net (not under customer.com)" in w for w in analysis.warnings)
    assert analysis.advice.status == "withheld"
    assert analysis.advice.reasons == ["legacy_still_reached", "outside_customer_domain"]


def test_the_suggestion_is_checked_against_the_lookup_limit(serve, resolver, campaign):
    names = {f"s{i}.customer.com": {"TXT": ["v=spf1 -all"]} for i in range(8)}
    includes = " ".join(f"include:s{i}.customer.com" for i in range(8))
    successor_tree = {
        SUCCESSOR: {"TXT": ["v=spf1 include:a.smx.2iij.net include:b.smx.2iij.net -all"]},
        "a.smx.2iij.net": {"TXT": ["v=spf1 ip4:203.0.113.0/25 -all"]},
        "b.smx.2iij.net": {"TXT": ["v=spf1 ip4:203.0.113.128/25 -all"]},
    }
    serve(
        {
            **names,
            **successor_tree,
            "customer.com": {"TXT": [f"v=spf1 {includes} include:spf.po.2iij.net -all"]},
        }
    )
    analysis = analyze(resolver, campaign)
    assert analysis.dns_lookups == 9
    assert analysis.suggested_record is None  # it would need 11: not offered
    assert (analysis.advice.status, analysis.advice.reasons, analysis.advice.lookups) == (
        "withheld",
        ["too_many_lookups"],
        11,
    )
    assert any(
        "would need 11 DNS lookups (the limit is 10): remove one include first" in w
        for w in analysis.warnings
    )


def test_references_inside_the_legacy_record_are_not_the_customers(serve, resolver, campaign):
    serve({"customer.com": {"TXT": ["v=spf1 include:spf.po.2iij.net -all"]}})
    analysis = analyze(resolver, campaign)
    assert [r.kind for r in analysis.references] == ["spf-include"]  # not the legacy record's own ip4


def test_each_record_is_fetched_once(serve, resolver, campaign, dns_server):
    serve(
        {
            "customer.com": {"TXT": ["v=spf1 include:a.shared.net include:b.shared.net -all"]},
            "a.shared.net": {"TXT": ["v=spf1 include:common.shared.net -all"]},
            "b.shared.net": {"TXT": ["v=spf1 include:common.shared.net -all"]},
            "common.shared.net": {"TXT": ["v=spf1 include:spf.po.2iij.net -all"]},
        }
    )
    analysis = analyze(resolver, campaign)
    assert dns_server.count("common.shared.net", "TXT") == 1
    assert dns_server.count("customer.com", "TXT") == 1
    assert analysis.dns_lookups == 6  # receivers evaluate common.shared.net twice
    assert analysis.references == [
        Reference("spf-include", LEGACY, ("customer.com", "a.shared.net", "common.shared.net"))
    ]


def test_hostile_records_are_bounded(serve, resolver, campaign):
    strings = tuple(["v=spf1"] + [f" include:h{i}.hostile.example" for i in range(500)])
    serve({"customer.com": {"TXT": [strings]}})
    started = time.monotonic()
    analysis = analyze(resolver, campaign)
    assert time.monotonic() - started < 5
    assert analysis.error.startswith("permerror:")
    assert analysis.complete is False
    assert any("bytes (over 450)" in w for w in analysis.warnings)


def test_void_lookups_are_counted(serve, resolver, campaign):
    serve(
        {
            "customer.com": {
                "TXT": ["v=spf1 a:gone1.customer.com a:gone2.customer.com mx:gone3.customer.com -all"]
            }
        }
    )
    analysis = analyze(resolver, campaign)
    assert analysis.void_lookups == 3
    assert analysis.error.startswith("permerror: more than 2 void lookups")


def test_a_timeout_at_the_customers_own_record(dns_server, resolver, campaign):
    dns_server.set_records(BASE_RECORDS)
    dns_server.set_fault("customer.com", "timeout", "TXT")
    analysis = analyze(resolver, campaign)
    assert (analysis.record, analysis.complete) == (None, False)
    assert analysis.failures == [LookupFailure("customer.com", "TXT", "timeout")]
    assert analysis.error.startswith("temperror")
    assert (analysis.authorizes_successor, analysis.authorizes_legacy) == (None, None)


def test_a_servfail_is_named(dns_server, resolver, campaign):
    dns_server.set_records(
        {**BASE_RECORDS, "customer.com": {"TXT": ["v=spf1 include:_spf.customer.com -all"]}}
    )
    dns_server.set_fault("_spf.customer.com", "servfail")
    analysis = analyze(resolver, campaign)
    assert analysis.failures == [LookupFailure("_spf.customer.com", "TXT", "SERVFAIL")]
    assert analysis.complete is False


def test_a_record_with_thousands_of_terms_is_cut_and_incomplete(serve, resolver, campaign):
    serve({"customer.com": {"TXT": ["v=spf1 " + " ".join(f"ip4:192.0.2.{i % 250}" for i in range(1200))]}})
    analysis = analyze(resolver, campaign)
    assert analysis.complete is False
    assert any("only the first 1000 were followed" in w for w in analysis.warnings)


def test_a_legacy_include_in_a_record_with_a_syntax_error_is_still_a_reference(serve, resolver, campaign):
    serve(
        {
            "customer.com": {
                "TXT": ["v=spf1 include:SPF.po.2iij.net. <script>x</script> redirect=spf.po.2iij.net"]
            }
        }
    )
    result = analyze(resolver, campaign)
    assert result.references == [
        Reference("spf-include", LEGACY, ("customer.com",)),
        Reference("spf-redirect", LEGACY, ("customer.com",)),
    ]
    assert result.error is not None and result.error.startswith("permerror")
    assert result.suggested_record is None
    assert any("syntax error" in warning for warning in result.warnings)
    assert result.complete
