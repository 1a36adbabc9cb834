"""The references beyond MX, SPF and MTA-STS, each served from the test DNS server.

TLS-RPT and DMARC report addresses, DKIM keys, mail client names, SRV and TLSA:
what is found, what it breaks, the advice (verified, or withheld with a reason),
and that a failed lookup never lets the domain be `clean`.
"""

from __future__ import annotations

import hashlib

import pytest

from tests.probe.legacy_cast import (
    DOMAIN,
    LEGACY_CERT,
    LEGACY_PIN,
    SUCCESSOR_PIN,
    advice,
    full_campaign,
    probe,
    refs,
    serve,
)
from tests.probe.test_mx import make_campaign
from tracker.probe.client_hosts import CLIENT_NAMES
from tracker.probe.srv import SRV_SERVICES


def test_a_migrated_domain_with_every_check_on_is_clean(dns_server, resolver):
    serve(dns_server, {})
    report = probe(resolver)
    assert report.verdict == "clean" and report.errors == []
    checks = report.to_json()["checks"]
    assert list(checks) == [
        "mx",
        "spf",
        "mta-sts",
        "tls-rpt",
        "dmarc-report",
        "dkim",
        "client-host",
        "srv",
        "tlsa",
    ]
    assert all(check["skipped"] is None and check["failed"] == [] for check in checks.values())
    assert f"_imaps._tcp.{DOMAIN} SRV" in checks["srv"]["looked_up"]


# -- TLS-RPT -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "uri",
    [
        "mailto:tlsrpt@po.example.net",
        "mailto:tls@eu.po.example.net",
        "https://reports.po-mail.example.net/tls",
    ],
)
def test_tls_reports_to_the_legacy_service_are_lost_quietly(dns_server, resolver, uri):
    serve(dns_server, {f"_smtp._tls.{DOMAIN}": {"TXT": [f"v=TLSRPTv1; rua={uri}"]}})
    report = probe(resolver)
    assert report.verdict == "legacy"
    assert refs(report) == [("tls-rpt", f"rua={uri}", "quiet")]
    (item,) = advice(report, "tls-rpt")
    assert item["suggested"] == ["v=TLSRPTv1; rua=mailto:tlsrpt@reports.securemx.example.org"]
    assert (item["name"], item["type"], item["when"]) == (f"_smtp._tls.{DOMAIN}", "TXT", "now")
    assert report.to_json()["tls_rpt"]["rua"] == [uri]


def test_other_tls_report_addresses_are_kept(dns_server, resolver):
    serve(
        dns_server,
        {
            f"_smtp._tls.{DOMAIN}": {
                "TXT": ["v=TLSRPTv1; rua=mailto:me@customer.example,mailto:t@po.example.net"]
            }
        },
    )
    (item,) = advice(probe(resolver), "tls-rpt")
    assert item["suggested"] == [
        "v=TLSRPTv1; rua=mailto:me@customer.example,mailto:tlsrpt@reports.securemx.example.org"
    ]


def test_a_tls_rpt_record_cnamed_to_the_legacy_service(dns_server, resolver):
    serve(
        dns_server,
        {
            f"_smtp._tls.{DOMAIN}": {"CNAME": ["_smtp._tls.customer.po.example.net"]},
            "_smtp._tls.customer.po.example.net": {"TXT": ["v=TLSRPTv1; rua=mailto:me@customer.example"]},
        },
    )
    assert refs(probe(resolver)) == [
        ("tls-rpt", f"_smtp._tls.{DOMAIN} -> _smtp._tls.customer.po.example.net", "quiet")
    ]


def test_without_a_successor_address_the_tls_rpt_advice_is_withheld(dns_server, resolver):
    serve(dns_server, {f"_smtp._tls.{DOMAIN}": {"TXT": ["v=TLSRPTv1; rua=mailto:t@po.example.net"]}})
    campaign = full_campaign()
    data = campaign.to_dict()
    del data["successor"]["tlsrpt_rua"]
    (item,) = advice(probe(resolver, campaign=type(campaign).from_dict(data)), "tls-rpt")
    assert item["suggested"] is None and "successor.tlsrpt_rua" in item["withheld"]


def test_tls_reports_elsewhere_are_no_reference(dns_server, resolver):
    serve(dns_server, {f"_smtp._tls.{DOMAIN}": {"TXT": ["v=TLSRPTv1; rua=mailto:me@customer.example"]}})
    report = probe(resolver)
    assert report.verdict == "clean" and report.to_json()["tls_rpt"]["rua"] == ["mailto:me@customer.example"]


@pytest.mark.parametrize(
    "records,error",
    [
        (["v=TLSRPTv1; rua=ftp://po.example.net/x"], "invalid record"),
        (
            ["v=TLSRPTv1; rua=mailto:a@po.example.net", "v=TLSRPTv1; rua=mailto:b@po.example.net"],
            "senders use none",
        ),
    ],
)
def test_a_tls_rpt_record_senders_ignore_is_no_reference(dns_server, resolver, records, error):
    serve(dns_server, {f"_smtp._tls.{DOMAIN}": {"TXT": records}})
    report = probe(resolver)
    assert report.verdict == "clean" and error in report.to_json()["tls_rpt"]["error"]


# -- DMARC report addresses ------------------------------------------------------------------------------------

DMARC = "v=DMARC1; p=quarantine; rua=mailto:dmarc@po.example.net,mailto:me@customer.example; ruf=mailto:f@po.example.net; adkim=s"


def test_dmarc_reports_to_a_legacy_mailbox_are_lost_quietly(dns_server, resolver):
    serve(dns_server, {f"_dmarc.{DOMAIN}": {"TXT": [DMARC]}})
    report = probe(resolver)
    assert refs(report) == [
        ("dmarc-report", "rua=mailto:dmarc@po.example.net", "quiet"),
        ("dmarc-report", "ruf=mailto:f@po.example.net", "quiet"),
    ]
    (item,) = advice(report, "dmarc-report")
    assert item["name"] == f"_dmarc.{DOMAIN}" and item["current"] == [DMARC]
    assert item["suggested"] == [
        "v=DMARC1; p=quarantine; rua=mailto:me@customer.example,mailto:dmarc@reports.securemx.example.org; adkim=s"
    ]
    # verified: the successor's report domain accepts reports for this domain (RFC 7489 7.1)
    assert (
        f"{DOMAIN}._report._dmarc.reports.securemx.example.org TXT"
        in (report.to_json()["checks"]["dmarc-report"]["looked_up"])
    )


def test_dmarc_advice_is_withheld_when_the_successor_does_not_accept_the_reports(dns_server, resolver):
    serve(dns_server, {f"_dmarc.{DOMAIN}": {"TXT": [DMARC]}})
    dns_server.add_records({f"{DOMAIN}._report._dmarc.reports.securemx.example.org": {"TXT": ["not dmarc"]}})
    (item,) = advice(probe(resolver), "dmarc-report")
    assert item["suggested"] is None and "RFC 7489 7.1" in item["withheld"]


def test_dmarc_advice_is_withheld_when_the_authorization_cannot_be_checked(dns_server, resolver):
    serve(dns_server, {f"_dmarc.{DOMAIN}": {"TXT": [DMARC]}})
    dns_server.set_fault(f"{DOMAIN}._report._dmarc.reports.securemx.example.org", "servfail")
    report = probe(resolver)
    (item,) = advice(report, "dmarc-report")
    assert item["suggested"] is None and "could not verify" in item["withheld"]
    assert report.verdict == "legacy"  # the reference is a fact all the same


def test_dmarc_reports_elsewhere_are_no_reference(dns_server, resolver):
    serve(
        dns_server,
        {f"_dmarc.{DOMAIN}": {"TXT": ["v=DMARC1; p=reject; rua=mailto:d@reports.securemx.example.org"]}},
    )
    assert probe(resolver).verdict == "clean"


def test_a_failed_dmarc_lookup_may_hide_a_report_address(dns_server, resolver):
    serve(dns_server, {})
    dns_server.set_fault(f"_dmarc.{DOMAIN}", "timeout")
    report = probe(resolver)
    assert report.verdict == "inconclusive"
    assert report.to_json()["checks"]["dmarc-report"]["failed"][0]["name"] == f"_dmarc.{DOMAIN}"


# -- DKIM keys hosted by the legacy service ---------------------------------------------------------------------


def test_a_selector_cnamed_into_the_legacy_service_goes_at_the_end_date(dns_server, resolver):
    serve(
        dns_server,
        {
            f"po1._domainkey.{DOMAIN}": {"CNAME": ["po1.dkim.po.example.net"]},
            "po1.dkim.po.example.net": {"TXT": ["v=DKIM1; k=rsa; p=MIIBIjAN"]},
        },
    )
    report = probe(resolver)
    assert refs(report) == [("dkim", f"po1._domainkey.{DOMAIN} -> po1.dkim.po.example.net", "end_date")]
    (item,) = advice(report, "dkim")
    assert (item["suggested"], item["when"], item["current"]) == (
        [],
        "after_end_date",
        ["po1.dkim.po.example.net."],
    )


def test_a_dangling_selector_cname_is_found_too(dns_server, resolver):
    serve(dns_server, {f"po2._domainkey.{DOMAIN}": {"CNAME": ["po2.dkim.po.example.net"]}})
    assert refs(probe(resolver)) == [
        ("dkim", f"po2._domainkey.{DOMAIN} -> po2.dkim.po.example.net", "end_date")
    ]


def test_a_key_the_customer_publishes_is_theirs(dns_server, resolver):
    serve(dns_server, {f"po1._domainkey.{DOMAIN}": {"TXT": ["v=DKIM1; p=MIIB"]}})
    assert probe(resolver).verdict == "clean"


def test_a_selector_the_successor_shares_gets_no_delete_advice(dns_server, resolver):
    serve(dns_server, {f"po1._domainkey.{DOMAIN}": {"CNAME": ["po1.dkim.po.example.net"]}})
    report = probe(resolver, campaign=full_campaign(successor={"dkim_selectors": ["po1"]}))
    (item,) = advice(report, "dkim")
    assert item["suggested"] is None and "also signs with selector 'po1'" in item["withheld"]


# -- mail client names ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("label", list(CLIENT_NAMES))
def test_each_client_name_cnamed_to_a_legacy_host(dns_server, resolver, label):
    name = f"{label}.{DOMAIN}"
    serve(dns_server, {name: {"CNAME": ["imap.po-mail.example.net"]}})
    report = probe(resolver)
    assert refs(report) == [("client-host", f"{name} -> imap.po-mail.example.net", "end_date")]
    (item,) = advice(report, "client-host")
    service = CLIENT_NAMES[label]
    if service is None:  # mail. is used for anything: no host to name
        assert item["suggested"] is None and "successor host for this name" in item["withheld"]
    else:
        host = full_campaign().successor.client_host(service)
        assert item["suggested"] == [f"{host}."] and item["when"] == "with_mx_move"


@pytest.mark.parametrize("label", list(CLIENT_NAMES))
@pytest.mark.parametrize("rdtype,address", [("A", "192.0.2.77"), ("AAAA", "2001:db8:1::77")])
def test_each_client_name_on_a_legacy_address(dns_server, resolver, label, rdtype, address):
    name = f"{label}.{DOMAIN}"
    serve(dns_server, {name: {rdtype: [address]}})
    assert refs(probe(resolver)) == [("client-host", f"{name} ({address})", "end_date")]


def test_a_client_name_that_is_also_the_mx_host_is_not_turned_into_a_cname(dns_server, resolver):
    name = f"mail.{DOMAIN}"
    serve(dns_server, {DOMAIN: {"MX": [(10, name)]}, name: {"A": ["192.0.2.25"]}})
    report = probe(resolver)
    assert ("client-host", f"{name} (192.0.2.25)", "end_date") in refs(report)
    assert ("mx-address", f"{name} (192.0.2.25)", "end_date") in refs(report)
    (item,) = advice(report, "client-host")
    assert item["suggested"] is None and "RFC 2181" in item["withheld"]


def test_client_advice_needs_a_successor_host_that_resolves(dns_server, resolver):
    serve(dns_server, {f"imap.{DOMAIN}": {"CNAME": ["imap.po.example.net"]}})
    dns_server.set_fault("imap.securemx.example.org", "servfail")
    (item,) = advice(probe(resolver), "client-host")
    assert item["suggested"] is None and "not verified" in item["withheld"]
    campaign = full_campaign(successor={"client_hosts": {"imap": "imap.elsewhere.example"}})
    (item,) = advice(probe(resolver, campaign=campaign), "client-host")
    assert "not one of the successor's hosts" in item["withheld"]


# -- SRV -------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("prefix", list(SRV_SERVICES))
def test_each_srv_record_targeting_a_legacy_host(dns_server, resolver, prefix):
    name = f"{prefix}.{DOMAIN}"
    serve(dns_server, {name: {"SRV": [(5, 10, 9999, "imap.po.example.net")]}})
    report = probe(resolver)
    assert refs(report) == [("srv", f"{name} -> imap.po.example.net:9999", "end_date")]
    (item,) = advice(report, "srv")
    service, port = SRV_SERVICES[prefix]
    host = full_campaign().successor.client_host(service)
    assert item["current"] == ["5 10 9999 imap.po.example.net."]
    assert item["suggested"] == [f"5 10 {port} {host}."]  # the service's standard port


def test_an_srv_target_on_a_legacy_address_and_the_records_beside_it(dns_server, resolver):
    name = f"_imaps._tcp.{DOMAIN}"
    serve(
        dns_server,
        {
            name: {"SRV": [(0, 1, 993, f"imap.{DOMAIN}"), (10, 1, 993, "imap.backup.example")]},
            f"imap.{DOMAIN}": {"A": ["198.51.100.40"]},
            "imap.backup.example": {"A": ["192.0.2.99"]},
        },
    )
    report = probe(resolver)
    assert refs(report) == [("srv", f"{name} -> imap.backup.example:993 (192.0.2.99)", "end_date")]
    (item,) = advice(report, "srv")
    assert item["suggested"] == ["10 1 993 imap.securemx.example.org.", f"0 1 993 imap.{DOMAIN}."]


def test_a_service_not_offered_is_no_reference(dns_server, resolver):
    serve(dns_server, {f"_pop3._tcp.{DOMAIN}": {"SRV": [(0, 0, 0, ".")]}})
    assert probe(resolver).verdict == "clean"


# -- DANE TLSA ---------------------------------------------------------------------------------------------------

OWN_MX = {DOMAIN: {"MX": [(10, f"mx.{DOMAIN}")]}, f"mx.{DOMAIN}": {"A": ["198.51.100.25"]}}
TLSA_NAME = f"_25._tcp.mx.{DOMAIN}"


def test_tlsa_pinning_the_legacy_key_blocks_the_move(dns_server, resolver):
    serve(dns_server, {**OWN_MX, TLSA_NAME: {"TLSA": [(3, 1, 1, LEGACY_PIN)]}})
    report = probe(resolver)
    assert refs(report) == [("tlsa", f"{TLSA_NAME} TLSA 3 1 1 {LEGACY_PIN}", "mx_move")]
    first, second = advice(report, "tlsa")
    assert first["when"] == "before_mx_move" and second["when"] == "after_mx_move"
    assert first["suggested"] == [f"3 1 1 {LEGACY_PIN}", f"3 1 1 {SUCCESSOR_PIN}"]
    assert second["suggested"] == [f"3 1 1 {SUCCESSOR_PIN}"]
    assert any("DNSSEC" in note for note in report.to_json()["checks"]["tlsa"]["notes"])


def test_a_full_key_record_is_matched_by_its_hash(dns_server, resolver):
    campaign = full_campaign(legacy={"tlsa": [hashlib.sha256(bytes.fromhex(LEGACY_CERT)).hexdigest()]})
    serve(dns_server, {**OWN_MX, TLSA_NAME: {"TLSA": [(3, 1, 0, LEGACY_CERT)]}})
    assert [kind for kind, _, _ in refs(probe(resolver, campaign=campaign))] == ["tlsa"]


def test_with_the_successors_record_beside_it_the_legacy_pin_is_a_leftover(dns_server, resolver):
    serve(dns_server, {**OWN_MX, TLSA_NAME: {"TLSA": [(3, 1, 1, LEGACY_PIN), (3, 1, 1, SUCCESSOR_PIN)]}})
    assert refs(probe(resolver)) == [("tlsa", f"{TLSA_NAME} TLSA 3 1 1 {LEGACY_PIN}", "nothing")]


def test_tlsa_cnamed_into_the_legacy_service(dns_server, resolver):
    serve(
        dns_server,
        {**OWN_MX, TLSA_NAME: {"CNAME": ["_25._tcp.mx1.po.example.net"]},
         "_25._tcp.mx1.po.example.net": {"TLSA": [(3, 1, 1, "ef" * 32)]}},
    )  # fmt: skip
    assert refs(probe(resolver)) == [("tlsa", f"{TLSA_NAME} -> _25._tcp.mx1.po.example.net", "mx_move")]


def test_the_services_own_mx_names_are_not_asked_for_tlsa(dns_server, resolver):
    serve(dns_server, {DOMAIN: {"MX": [(10, "mx1.po.example.net"), (20, "mx1.securemx.example.org")]}})
    probe(resolver)
    assert (
        dns_server.count("_25._tcp.mx1.po.example.net")
        == dns_server.count("_25._tcp.mx1.securemx.example.org")
        == 0
    )


# -- failures and skipped checks ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name,check",
    [
        (f"_smtp._tls.{DOMAIN}", "tls-rpt"),
        (f"po1._domainkey.{DOMAIN}", "dkim"),
        (f"webmail.{DOMAIN}", "client-host"),
        (f"_submissions._tcp.{DOMAIN}", "srv"),
        (TLSA_NAME, "tlsa"),
    ],
)
@pytest.mark.parametrize("fault", ["servfail", "timeout"])
def test_a_failed_lookup_of_any_check_is_never_clean(dns_server, resolver, name, check, fault):
    serve(dns_server, OWN_MX)
    dns_server.set_fault(name, fault)
    report = probe(resolver)
    assert report.verdict == "inconclusive"
    failed = report.to_json()["checks"][check]["failed"]
    assert {entry["name"] for entry in failed} == {name}  # A and AAAA for a client name
    assert any(error.name == name for error in report.errors)


def test_a_campaign_without_the_new_fields_asks_nothing_more(dns_server, resolver):
    serve(
        dns_server,
        {f"_smtp._tls.{DOMAIN}": {"TXT": ["v=TLSRPTv1; rua=mailto:t@po.example.net"]},
         f"imap.{DOMAIN}": {"CNAME": ["imap.po.example.net"]}},
    )  # fmt: skip
    report = probe(resolver, campaign=make_campaign())
    assert report.verdict == "clean"
    asked = {query.name for query in dns_server.queries}
    assert asked <= {DOMAIN, f"_dmarc.{DOMAIN}", "_dmarc.example", "spf.securemx.example.org"}
    checks = report.to_json()["checks"]
    assert {name for name, check in checks.items() if check["skipped"]} == {
        "mta-sts", "tls-rpt", "dmarc-report", "dkim", "client-host", "srv", "tlsa",
    }  # fmt: skip
    assert all(check["looked_up"] == [] for name, check in checks.items() if check["skipped"])


def test_the_same_dns_gives_the_same_report(dns_server, resolver):
    from tests.conftest_dns import TEST_ATTEMPTS, TEST_TIMEOUT
    from tracker.probe.resolver import Resolver

    serve(
        dns_server,
        {
            **OWN_MX,
            TLSA_NAME: {"TLSA": [(3, 1, 1, LEGACY_PIN)]},
            f"imap.{DOMAIN}": {"CNAME": ["imap.po.example.net"]},
            f"_imaps._tcp.{DOMAIN}": {"SRV": [(0, 1, 993, "imap.po.example.net")]},
        },
    )
    dns_server.set_fault(f"webmail.{DOMAIN}", "servfail")
    first = probe(resolver).to_json()
    again = probe(Resolver([dns_server.address], timeout=TEST_TIMEOUT, attempts=TEST_ATTEMPTS)).to_json()
    cached = probe(resolver).to_json()  # every answer from the cache this time
    for data in (first, again, cached):
        del data["checked_at"], data["timing"]
    assert first == again == cached
