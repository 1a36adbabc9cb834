"""The SPF advice (suggested record, spf.advice) on trees served by the real test DNS server.

A suggested record is a promise: each test checks what is offered, and for the
verified ones that the engine itself found the successor passing. The campaign
is the one a new user sets up: Post Office (spf.po.2iij.net, 198.51.100.0/24)
to Secure MX (spf.securemx.example, sending from 203.0.113.10 and .11).
"""

from __future__ import annotations

import asyncio

import pytest

from tracker.probe.campaign import Campaign
from tracker.probe.spf.tree import Reference, analyze_spf

LEGACY = "spf.po.2iij.net"
SUCCESSOR = "spf.securemx.example"
PROVIDERS = {
    LEGACY: {"TXT": ["v=spf1 ip4:198.51.100.0/24 -all"]},
    SUCCESSOR: {"TXT": ["v=spf1 ip4:203.0.113.0/24 -all"]},
}


def make_campaign(**successor) -> Campaign:
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
                **successor,
            },
            "end_date": "2022-09-30",
        }
    )


@pytest.fixture
def serve(dns_server):
    def serve(records: dict, providers: dict = PROVIDERS) -> None:
        dns_server.set_records({**providers, **records})

    return serve


def analyze(resolver, domain="customer.com", campaign=None):
    return asyncio.run(analyze_spf(resolver, domain, campaign or make_campaign()))


def assert_verified(analysis, record: str, where: str = "customer.com") -> None:
    advice = analysis.advice
    assert (advice.status, analysis.suggested_record, analysis.suggested_for) == ("verified", record, where)
    assert advice.records[0] == (where, record)
    assert "Publish this SPF record at" in advice.message and record in advice.message


# -- legacy addresses: dropped, the successor's include where the first one stood ------------------


@pytest.mark.parametrize(
    "record, expected",
    [
        ("v=spf1 ip4:198.51.100.0/24 -all", f"v=spf1 include:{SUCCESSOR} -all"),
        ("v=spf1 ip4:198.51.100.0/25 ip4:198.51.100.128/25 -all", f"v=spf1 include:{SUCCESSOR} -all"),
        ("v=spf1 a ip4:198.51.100.10 ~all", f"v=spf1 a include:{SUCCESSOR} ~all"),
        ("v=spf1 IP4:198.51.100.0/24 -all", f"v=spf1 include:{SUCCESSOR} -all"),
        (
            "v=spf1 ip4:192.0.2.0/24 ip4:198.51.100.0/24 -all",
            f"v=spf1 ip4:192.0.2.0/24 include:{SUCCESSOR} -all",
        ),
    ],
    ids=["whole-range", "two-halves", "outbound-ip-as-32", "upper-case", "after-own-block"],
)
def test_legacy_addresses_give_way_to_the_successor_include(serve, resolver, record, expected):
    serve({"customer.com": {"TXT": [record], "A": ["192.0.2.25"]}})
    analysis = analyze(resolver)
    assert [r.kind for r in analysis.references] and {r.kind for r in analysis.references} == {"spf-ip"}
    assert_verified(analysis, expected)
    assert analysis.advice.lookups == expected.count("include:") + expected.count(" a ")


def test_the_own_senders_that_were_checked_are_named(serve, resolver):
    serve(
        {"customer.com": {"TXT": ["v=spf1 a ip4:192.0.2.0/24 ip4:198.51.100.10 ~all"], "A": ["192.0.2.25"]}}
    )
    advice = analyze(resolver).advice
    assert advice.senders_checked == ["192.0.2.25", "192.0.2.0", "192.0.2.255"]
    assert "the 3 senders of yours we tried still pass" in advice.message


def test_an_included_record_of_someone_else_gives_its_first_and_last_sender(serve, resolver):
    serve(
        {
            "customer.com": {
                "TXT": [f"v=spf1 include:_spf.provider.net ip4:192.0.2.0/24 include:{LEGACY} -all"]
            },
            "_spf.provider.net": {"TXT": ["v=spf1 ip4:10.1.0.0/16 ip4:10.2.0.0/16 ip4:10.3.0.0/16 ~all"]},
        }
    )
    analysis = analyze(resolver)
    assert_verified(analysis, f"v=spf1 include:_spf.provider.net ip4:192.0.2.0/24 include:{SUCCESSOR} -all")
    assert analysis.advice.senders_checked == ["192.0.2.0", "192.0.2.255", "10.1.0.0", "10.3.255.255"]


def test_without_successor_ips_reaching_its_record_is_the_evidence(serve, resolver):
    serve({"customer.com": {"TXT": [f"v=spf1 include:{LEGACY} -all"]}})
    analysis = analyze(resolver, campaign=make_campaign(outbound_ips=[]))
    assert_verified(analysis, f"v=spf1 include:{SUCCESSOR} -all")
    assert analysis.advice.reasons == ["no_successor_ips"]
    assert "servers pass" not in analysis.advice.message


def test_legacy_addresses_in_a_nested_record_are_rewritten_there(serve, resolver):
    serve(
        {
            "customer.com": {"TXT": ["v=spf1 include:_spf.customer.com -all"]},
            "_spf.customer.com": {"TXT": ["v=spf1 ip4:192.0.2.0/24 ip4:198.51.100.0/24 ~all"]},
        }
    )
    analysis = analyze(resolver)
    assert analysis.references == [
        Reference("spf-ip", "198.51.100.0/24", ("customer.com", "_spf.customer.com"))
    ]
    assert_verified(analysis, f"v=spf1 ip4:192.0.2.0/24 include:{SUCCESSOR} ~all", "_spf.customer.com")


def test_the_include_is_not_added_where_the_record_reaches_the_successor_already(serve, resolver):
    serve(
        {
            "customer.com": {"TXT": ["v=spf1 ip4:198.51.100.0/24 include:_spf.customer.com -all"]},
            "_spf.customer.com": {"TXT": [f"v=spf1 include:{SUCCESSOR} ~all"]},
        }
    )
    assert_verified(analyze(resolver), "v=spf1 include:_spf.customer.com -all")


def test_a_wider_block_of_the_customers_own_is_kept_with_a_warning(serve, resolver):
    serve({"customer.com": {"TXT": [f"v=spf1 ip4:198.51.0.0/16 include:{LEGACY} -all"]}})
    analysis = analyze(resolver)
    assert_verified(analysis, f"v=spf1 ip4:198.51.0.0/16 include:{SUCCESSOR} -all")
    assert analysis.advice.reasons == ["wider_block_kept"]
    assert analysis.advice.senders_checked == ["198.51.0.0", "198.51.255.255"]  # their own, outside the range
    assert any("'ip4:198.51.0.0/16' also covers Post Office's servers" in w for w in analysis.warnings)


def test_a_wider_block_alone_gets_the_successor_beside_it(serve, resolver):
    serve({"customer.com": {"TXT": ["v=spf1 ip4:198.51.0.0/16 -all"]}})
    assert_verified(analyze(resolver), f"v=spf1 ip4:198.51.0.0/16 include:{SUCCESSOR} -all")


def test_a_wider_block_beside_the_successor_needs_no_change(serve, resolver):
    serve({"customer.com": {"TXT": [f"v=spf1 ip4:198.51.0.0/16 include:{SUCCESSOR} -all"]}})
    analysis = analyze(resolver)
    assert (analysis.advice.status, analysis.advice.reasons) == ("not_needed", ["wider_block_kept"])
    assert analysis.suggested_record is None
    assert [r.kind for r in analysis.references] == ["spf-ip"]  # still a reference (docs/domain-report.md)


# -- legacy includes: the successor with the default qualifier, once --------------------------------


@pytest.mark.parametrize(
    "record, expected",
    [
        (f"v=spf1 -include:{LEGACY} include:{SUCCESSOR} -all", f"v=spf1 include:{SUCCESSOR} -all"),
        (f"v=spf1 ?include:{LEGACY} -all", f"v=spf1 include:{SUCCESSOR} -all"),
        (f"v=spf1 ~include:{LEGACY} mx -all", f"v=spf1 include:{SUCCESSOR} mx -all"),
        (
            f"v=spf1 include:{LEGACY} ip4:198.51.100.7 include:{SUCCESSOR} ~all",
            f"v=spf1 include:{SUCCESSOR} ~all",
        ),
        (f"v=spf1 include:{SUCCESSOR} -all include:{LEGACY}", f"v=spf1 include:{SUCCESSOR} -all"),
        (f"v=spf1 ip4:192.0.2.1 redirect={LEGACY}", f"v=spf1 ip4:192.0.2.1 redirect={SUCCESSOR}"),
    ],
    ids=[
        "fail-qualified",
        "neutral-qualified",
        "softfail-qualified",
        "successor-already-there",
        "after-all",
        "redirect",
    ],
)
def test_a_legacy_include_becomes_a_plain_successor_include(serve, resolver, record, expected):
    serve(
        {
            "customer.com": {"TXT": [record], "MX": [(10, "mx.customer.com")]},
            "mx.customer.com": {"A": ["192.0.2.9"]},
        }
    )
    analysis = analyze(resolver)
    assert_verified(analysis, expected)


def test_a_cnamed_include_of_the_legacy_record_is_a_reference_that_breaks(serve, resolver):
    serve(
        {
            "customer.com": {
                "TXT": ["v=spf1 mx include:_spf.customer.com -all"],
                "MX": [(10, "mx.customer.com")],
            },
            "mx.customer.com": {"A": ["192.0.2.9"]},
            "_spf.customer.com": {"CNAME": LEGACY},
        }
    )
    analysis = analyze(resolver)
    assert analysis.references == [Reference("spf-include", "_spf.customer.com", ("customer.com",))]
    assert analysis.breaks_on_legacy_removal is True
    # the customer's own record is changed (a CNAME cannot carry a TXT record beside it)
    assert_verified(analysis, f"v=spf1 mx include:{SUCCESSOR} -all")
    assert analysis.advice.reasons == ["include_via_cname"]
    assert analysis.advice.senders_checked == ["192.0.2.9"]
    assert any("include:_spf.customer.com is a CNAME to Post Office's record" in w for w in analysis.warnings)


def test_a_cnamed_include_still_counts_once_the_legacy_record_is_deleted(serve, resolver):
    providers = {SUCCESSOR: PROVIDERS[SUCCESSOR]}  # the cleanup date has passed: spf.po.2iij.net is gone
    serve(
        {
            "customer.com": {"TXT": ["v=spf1 include:_spf.customer.com -all"]},
            "_spf.customer.com": {"CNAME": LEGACY},
        },
        providers,
    )
    analysis = analyze(resolver)
    assert analysis.error.startswith("permerror")  # broken by the legacy record's removal, not otherwise
    assert analysis.references == [Reference("spf-include", "_spf.customer.com", ("customer.com",))]
    assert_verified(analysis, f"v=spf1 include:{SUCCESSOR} -all")


def test_an_include_of_the_deleted_legacy_record_still_gets_its_fix(serve, resolver):
    serve({"customer.com": {"TXT": [f"v=spf1 include:{LEGACY} -all"]}}, {SUCCESSOR: PROVIDERS[SUCCESSOR]})
    analysis = analyze(resolver)
    assert analysis.error.startswith("permerror")
    assert_verified(analysis, f"v=spf1 include:{SUCCESSOR} -all")


def test_records_at_two_levels_are_both_rewritten_and_checked_together(serve, resolver):
    serve(
        {
            "customer.com": {"TXT": ["v=spf1 ip4:198.51.100.0/24 include:_spf.customer.com -all"]},
            "_spf.customer.com": {"TXT": [f"v=spf1 include:{LEGACY} ~all"]},
        }
    )
    analysis = analyze(resolver)
    assert_verified(analysis, "v=spf1 include:_spf.customer.com -all")
    assert analysis.advice.records == [
        ("customer.com", "v=spf1 include:_spf.customer.com -all"),
        ("_spf.customer.com", f"v=spf1 include:{SUCCESSOR} ~all"),
    ]
    assert "several_records" in analysis.advice.reasons
    assert (
        f"also publish this SPF record at _spf.customer.com: v=spf1 include:{SUCCESSOR} ~all"
        in analysis.warnings
    )


# -- withheld: a rewrite exists but fails the check --------------------------------------------------


def test_a_swap_that_needs_eleven_lookups_is_not_offered(serve, resolver):
    includes = " ".join(f"include:s{i}.customer.com" for i in range(8))
    serve(
        {
            **{f"s{i}.customer.com": {"TXT": ["v=spf1 -all"]} for i in range(8)},
            "customer.com": {"TXT": [f"v=spf1 {includes} include:{LEGACY} -all"]},
        },
        {
            **PROVIDERS,
            SUCCESSOR: {"TXT": ["v=spf1 include:a.securemx.example include:b.securemx.example -all"]},
            "a.securemx.example": {"TXT": ["v=spf1 ip4:203.0.113.0/25 -all"]},
            "b.securemx.example": {"TXT": ["v=spf1 ip4:203.0.113.128/25 -all"]},
        },
    )
    analysis = analyze(resolver)
    assert analysis.dns_lookups == 9  # fine today
    assert analysis.suggested_record is None and analysis.suggested_for is None
    advice = analysis.advice
    assert (advice.status, advice.reasons, advice.lookups) == ("withheld", ["too_many_lookups"], 11)
    expected = "No record suggested: the record would need 11 DNS lookups (the limit is 10): remove one include first."
    assert advice.message == expected
    assert expected in analysis.warnings


def test_a_rewrite_that_would_not_authorize_the_successor_is_not_offered(serve, resolver):
    serve({"customer.com": {"TXT": [f"v=spf1 -ip4:203.0.113.0/24 include:{LEGACY} -all"]}})
    analysis = analyze(resolver)
    assert analysis.suggested_record is None
    assert (analysis.advice.status, analysis.advice.reasons) == ("withheld", ["successor_not_authorized"])
    assert "Secure MX's server 203.0.113.10 would get fail, not pass" in analysis.advice.message


def test_a_rewrite_that_would_cost_an_own_sender_its_pass_is_not_offered(serve, resolver):
    # Secure MX's record (as a sloppy provider might publish it) breaks for any client it does not
    # list: three void lookups built from the client IP. Its own servers still pass.
    voids = " ".join(f"a:%{{i}}.{n}.securemx.example" for n in ("x", "y", "z"))
    serve(
        {"customer.com": {"TXT": [f"v=spf1 include:{LEGACY} ip4:192.0.2.0/24 -all"]}},
        {**PROVIDERS, SUCCESSOR: {"TXT": [f"v=spf1 ip4:203.0.113.0/24 {voids} -all"]}},
    )
    advice = analyze(resolver).advice
    assert (advice.status, advice.reasons) == ("withheld", ["sender_result_changed"])
    assert "your sender 192.0.2.0 would get permerror instead of pass" in advice.message


def test_a_reference_in_someone_elses_record_is_theirs_to_remove(serve, resolver):
    serve(
        {
            "customer.com": {"TXT": ["v=spf1 include:relay.partner.net -all"]},
            "relay.partner.net": {"TXT": [f"v=spf1 include:{LEGACY} -all"]},
        }
    )
    analysis = analyze(resolver)
    assert analysis.suggested_record is None
    assert analysis.advice.reasons == ["legacy_still_reached", "outside_customer_domain"]
    assert "relay.partner.net would still include Post Office's record" in analysis.advice.message


def test_no_successor_spf_domain_means_no_rewrite(serve, resolver):
    campaign = make_campaign(spf_includes=[])
    serve({"customer.com": {"TXT": [f"v=spf1 include:{LEGACY} -all"]}})
    advice = analyze(resolver, campaign=campaign).advice
    assert (advice.status, advice.reasons) == ("withheld", ["no_successor_include"])


# -- fix first: broken for other reasons --------------------------------------------------------------


def test_three_void_lookups_today_are_fixed_first(serve, resolver):
    serve(
        {
            "customer.com": {
                "TXT": [
                    f"v=spf1 a:gone1.customer.com a:gone2.customer.com a:gone3.customer.com include:{LEGACY} -all"
                ]
            }
        }
    )
    analysis = analyze(resolver)
    assert analysis.suggested_record is None
    advice = analysis.advice
    assert (advice.status, advice.reasons) == ("fix_first", ["too_many_void_lookups"])
    assert advice.message.startswith("Fix this first: the record already looks up 3 names that do not exist")
    assert advice.message in analysis.warnings


def test_an_include_loop_is_fixed_first(serve, resolver):
    serve(
        {
            "customer.com": {"TXT": [f"v=spf1 include:a.customer.com include:{LEGACY} -all"]},
            "a.customer.com": {"TXT": ["v=spf1 include:customer.com -all"]},
        }
    )
    advice = analyze(resolver).advice
    assert (advice.status, advice.reasons) == ("fix_first", ["include_loop"])
    assert "customer.com -> a.customer.com -> customer.com" in advice.message


def test_eleven_lookups_today_are_fixed_first(serve, resolver):
    includes = " ".join(f"include:s{i}.customer.com" for i in range(10))
    serve(
        {
            **{f"s{i}.customer.com": {"TXT": ["v=spf1 -all"]} for i in range(10)},
            "customer.com": {"TXT": [f"v=spf1 {includes} include:{LEGACY} -all"]},
        }
    )
    advice = analyze(resolver).advice
    assert (advice.status, advice.reasons) == ("fix_first", ["too_many_lookups"])
    assert (
        "the record already needs 11 DNS lookups (the limit is 10): remove one include first"
        in advice.message
    )


def test_two_spf_records_are_replaced_by_one_first(serve, resolver):
    serve({"customer.com": {"TXT": [f"v=spf1 include:{LEGACY} -all", "v=spf1 mx -all"]}})
    analysis = analyze(resolver)
    assert analysis.suggested_record is None
    assert (analysis.advice.status, analysis.advice.reasons) == ("fix_first", ["multiple_records"])
    assert "customer.com publishes 2 SPF records" in analysis.advice.message
    assert "replace both with one record" in analysis.advice.message


def test_an_include_of_a_domain_without_spf_is_fixed_first(serve, resolver):
    serve({"customer.com": {"TXT": [f"v=spf1 include:nowhere.example.net include:{LEGACY} -all"]}})
    advice = analyze(resolver).advice
    assert (advice.status, advice.reasons) == ("fix_first", ["include_without_spf"])
    assert advice.message == (
        "Fix this first: 'include:nowhere.example.net' in customer.com's record names a domain without"
        " an SPF record: remove it. Then we can suggest the change for Secure MX."
    )


def test_a_syntax_error_is_fixed_first(serve, resolver):
    serve({"customer.com": {"TXT": [f"v=spf1 include:{LEGACY} ip4:300.1.2.3 -all"]}})
    advice = analyze(resolver).advice
    assert (advice.status, advice.reasons) == ("fix_first", ["syntax_error"])


# -- not needed, unknown ------------------------------------------------------------------------------


def test_a_migrated_domain_needs_nothing(serve, resolver):
    serve({"customer.com": {"TXT": [f"v=spf1 mx include:{SUCCESSOR} -all"]}})
    analysis = analyze(resolver)
    assert (analysis.advice.status, analysis.advice.reasons) == ("not_needed", [])
    assert analysis.suggested_record is None


def test_a_timeout_anywhere_makes_it_unknown_not_nothing_to_change(serve, resolver, dns_server):
    serve(
        {
            "customer.com": {"TXT": [f"v=spf1 include:_spf.customer.com include:{SUCCESSOR} -all"]},
            "_spf.customer.com": {"TXT": ["v=spf1 include:slow.partner.net -all"]},
        }
    )
    dns_server.set_fault("slow.partner.net", "timeout")
    analysis = analyze(resolver)
    assert analysis.references == []  # none found, but one could hide in slow.partner.net
    advice = analysis.advice
    assert (advice.status, advice.reasons) == ("unknown", ["lookup_failed"])
    assert advice.message == (
        "Not known yet: the lookup of slow.partner.net TXT failed (timeout). We check again on the next sweep."
    )


def test_a_failure_while_checking_the_rewrite_makes_it_unknown(serve, resolver, dns_server):
    serve({"customer.com": {"TXT": [f"v=spf1 include:{LEGACY} -all"]}})
    dns_server.set_fault(SUCCESSOR, "servfail")
    analysis = analyze(resolver)
    assert analysis.suggested_record is None
    assert (analysis.advice.status, analysis.advice.reasons) == ("unknown", ["lookup_failed"])
    assert any(f.name == SUCCESSOR for f in analysis.failures)


def test_a_tree_cut_at_the_depth_cap_is_unknown(serve, resolver):
    chain = {
        f"l{i}.chain.example": {"TXT": [f"v=spf1 include:l{i + 1}.chain.example -all"]} for i in range(30)
    }
    serve({**chain, "customer.com": {"TXT": [f"v=spf1 include:l0.chain.example include:{LEGACY} -all"]}})
    advice = analyze(resolver).advice
    assert (advice.status, advice.reasons) == ("unknown", ["tree_incomplete"])


# -- RFC 7208 4.6.4 in the tree: MX hosts -------------------------------------------------------------


def test_eleven_mx_hosts_are_a_permerror_for_unmatched_mail(serve, resolver):
    hosts = {f"mx{i}.customer.com": {"A": [f"192.0.2.{i}"]} for i in range(1, 12)}
    serve(
        {
            **hosts,
            "customer.com": {
                "TXT": ["v=spf1 mx -all"],
                "MX": [(i, f"mx{i}.customer.com") for i in range(1, 12)],
            },
        }
    )
    analysis = analyze(resolver)
    assert analysis.error.startswith("permerror:") and "more than 10 MX hosts" in analysis.error
