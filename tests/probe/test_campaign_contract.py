"""The campaign contract's optional fields: parsing, canonical form, round trip, errors by field."""

from __future__ import annotations

import json

import pytest

from tests.probe.legacy_cast import LEGACY_PIN, SUCCESSOR_PIN, full_campaign
from tests.probe.test_mx import make_campaign
from tracker.probe.campaign import Campaign, CampaignError

DESIGN_EXAMPLE = {
    "slug": "post-office",
    "name": "Post Office to Secure MX",
    "legacy": {
        "name": "Post Office",
        "mx_hosts": ["*.po.2iij.net"],
        "spf_includes": ["spf.po.2iij.net"],
        "ip_ranges": [],
        "outbound_ips": [],
    },
    "successor": {
        "name": "Secure MX",
        "mx_hosts": [],
        "spf_includes": [],
        "ip_ranges": [],
        "outbound_ips": [],
        "dkim_selectors": [],
    },
    "end_date": "2022-09-30",
    "cleanup_date": None,
}


def with_field(side: str, key: str, value) -> dict:
    data = json.loads(json.dumps(DESIGN_EXAMPLE))
    data[side][key] = value
    return data


def test_the_design_example_dumps_exactly_as_it_was():
    campaign = Campaign.from_dict(DESIGN_EXAMPLE)
    assert json.dumps(campaign.to_dict()) == json.dumps(DESIGN_EXAMPLE)
    legacy = campaign.legacy
    assert (legacy.hosts, legacy.mail_domains, legacy.dkim_selectors, legacy.tlsa) == (None, None, None, None)


def test_every_optional_field_round_trips_in_canonical_order():
    data = full_campaign().to_dict()
    assert Campaign.from_dict(data).to_dict() == data
    assert list(data["legacy"]) == [
        "name", "mx_hosts", "spf_includes", "ip_ranges", "outbound_ips",
        "dkim_selectors", "hosts", "mail_domains", "tlsa",
    ]  # fmt: skip
    assert list(data["successor"])[5:] == [
        "dkim_selectors", "hosts", "tlsa", "client_hosts", "dmarc_rua", "tlsrpt_rua",
    ]  # fmt: skip
    assert data["legacy"]["tlsa"] == [LEGACY_PIN] and data["successor"]["tlsa"] == [f"3 1 1 {SUCCESSOR_PIN}"]


def test_an_empty_list_is_kept_apart_from_an_absent_field():
    campaign = Campaign.from_dict(with_field("legacy", "hosts", []))
    assert campaign.legacy.hosts == () and campaign.to_dict()["legacy"]["hosts"] == []


def test_values_are_normalised():
    data = with_field("legacy", "hosts", ["*.Mail.PO.example.", "ＩＭＡＰ.po.example"])
    data["legacy"]["mail_domains"] = ["PO.Example.NET"]
    data["legacy"]["tlsa"] = [LEGACY_PIN.upper(), f"3  1 1  {LEGACY_PIN.upper()}"]
    data["successor"]["client_hosts"] = {"submission": "SMTP.securemx.example.org.", "imap": "imap.s.example"}
    campaign = Campaign.from_dict(data)
    out = campaign.to_dict()
    assert out["legacy"]["hosts"] == ["*.mail.po.example", "imap.po.example"]
    assert out["legacy"]["mail_domains"] == ["po.example.net"]
    assert out["legacy"]["tlsa"] == [LEGACY_PIN, f"3 1 1 {LEGACY_PIN}"]
    assert out["successor"]["client_hosts"] == {
        "imap": "imap.s.example",
        "submission": "smtp.securemx.example.org",
    }


def test_host_matching_joins_mx_hosts_and_hosts():
    legacy = full_campaign().legacy
    assert legacy.matches_host("imap.po-mail.example.net") and legacy.matches_host("mx1.po.example.net")
    assert not legacy.matches_mx_host("imap.po-mail.example.net")
    assert legacy.matches_mail_domain("PO.example.net.") and legacy.matches_mail_domain("eu.po.example.net")
    assert not legacy.matches_mail_domain("po.example.net.evil.example")


@pytest.mark.parametrize(
    "side,key,value,field,message",
    [
        ("legacy", "hosts", "x.example", "legacy.hosts", "must be a list"),
        ("legacy", "hosts", ["bad host"], "legacy.hosts[0]", "not a valid host name"),
        ("legacy", "mail_domains", [""], "legacy.mail_domains[0]", "non-empty host name"),
        ("legacy", "dkim_selectors", ["-bad"], "legacy.dkim_selectors[0]", "not a DKIM selector"),
        ("legacy", "tlsa", ["abcd"], "legacy.tlsa[0]", "SHA-256 or SHA-512"),
        ("legacy", "tlsa", ["4 1 1 " + "ab" * 32], "legacy.tlsa[0]", "usage 0-3"),
        ("legacy", "tlsa", ["3 1 1 " + "ab" * 16], "legacy.tlsa[0]", "64 hex digits"),
        ("successor", "tlsa", ["ab" * 32], "successor.tlsa[0]", "usage selector matching-type"),
        ("successor", "client_hosts", {"ftp": "x.example"}, "successor.client_hosts.ftp", "unknown service"),
        ("successor", "client_hosts", ["imap"], "successor.client_hosts", "must be an object"),
        ("successor", "dmarc_rua", ["https://r.example/"], "successor.dmarc_rua[0]", "mailto:"),
        ("successor", "tlsrpt_rua", ["ftp://r.example/"], "successor.tlsrpt_rua[0]", "mailto: or https:"),
        ("successor", "mail_domains", ["s.example"], "successor.mail_domains", "unknown field"),
        ("legacy", "client_hosts", {}, "legacy.client_hosts", "unknown field"),
        ("legacy", "colour", "blue", "legacy.colour", "unknown field"),
    ],
)
def test_bad_values_name_their_field(side, key, value, field, message):
    with pytest.raises(CampaignError) as caught:
        Campaign.from_dict(with_field(side, key, value))
    assert caught.value.field == field and message in caught.value.message


def test_the_existing_test_campaign_is_unchanged():
    data = make_campaign().to_dict()
    assert "hosts" not in data["legacy"] and "dkim_selectors" not in data["legacy"]
    assert data["successor"]["dkim_selectors"] == []
