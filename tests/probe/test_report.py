"""The report contract (docs/domain-report.md): exact JSON shape, verdict rules and on_successor, by hand-built evidence."""

from __future__ import annotations

import json

import pytest

from tests.probe.test_mx import make_campaign
from tracker.probe.dmarc import DmarcAnalysis
from tracker.probe.mx import MxAnalysis, MxReference
from tracker.probe.report import (
    DomainReport,
    Evidence,
    ReportError,
    build_report,
)
from tracker.probe.resolver import Answer, Outcome
from tracker.probe.spf.advice import Advice
from tracker.probe.spf.tree import LookupFailure, Reference, SpfAnalysis

CAMPAIGN = make_campaign()
DOMAIN = "customer.example"

CONTRACT_KEYS = {"domain", "verdict", "legacy_references", "on_successor", "mx", "spf", "dmarc", "errors"}
MX_KEYS = {"hosts", "error"}
SPF_KEYS = {
    "record",
    "dns_lookups",
    "void_lookups",
    "breaks_on_legacy_removal",
    "authorizes_successor",
    "authorizes_legacy",
    "suggested_record",
    "error",
}
DMARC_KEYS = {"record", "policy_domain", "policy", "deprecated_tags", "error"}


def spf(**fields) -> SpfAnalysis:
    values = dict(
        record="v=spf1 include:spf.securemx.example.org -all",
        records={DOMAIN: ["v=spf1 include:spf.securemx.example.org -all"]},
        dns_lookups=1,
        void_lookups=0,
        breaks_on_legacy_removal=False,
        authorizes_successor=True,
        authorizes_legacy=False,
        suggested_record=None,
        suggested_for=None,
        references=[],
        warnings=[],
        error=None,
        failures=[],
        complete=True,
    )
    values.update(fields)
    return SpfAnalysis(**values)


def mx(**fields) -> MxAnalysis:
    values = dict(
        domain=DOMAIN, hosts=["mx.securemx.example.org"], answered=True, all_successor=True, complete=True
    )
    values.update(fields)
    return MxAnalysis(**values)


def txt(outcome: Outcome = Outcome.NOERROR) -> Answer:
    return Answer(DOMAIN, "TXT", outcome, ("v=spf1 -all",) if outcome == Outcome.NOERROR else ())


def judge(**fields) -> DomainReport:
    values = dict(
        domain=DOMAIN, campaign=CAMPAIGN, mx=mx(), spf=spf(), dmarc=DmarcAnalysis(DOMAIN), apex_txt=txt()
    )
    values.update(fields)
    return build_report(Evidence(**values))


# -- shape ---------------------------------------------------------------------------------------


def test_the_json_has_every_contract_field_with_json_types():
    report = judge(
        mx=mx(references=[MxReference("mx", "mx1.po.example.net", (DOMAIN,))], hosts=["mx1.po.example.net"]),
        spf=spf(
            references=[Reference("spf-include", "spf.po.example.net", (DOMAIN, "_spf.customer.example"))]
        ),
    )
    data = json.loads(report.to_json_line())
    assert set(data) >= CONTRACT_KEYS
    assert set(data["mx"]) >= MX_KEYS and set(data["spf"]) >= SPF_KEYS and set(data["dmarc"]) >= DMARC_KEYS
    assert data["domain"] == DOMAIN and data["verdict"] == "legacy"
    assert data["legacy_references"] == [
        {"kind": "mx", "value": "mx1.po.example.net", "path": [DOMAIN], "breaks": "end_date"},
        {
            "kind": "spf-include",
            "value": "spf.po.example.net",
            "path": [DOMAIN, "_spf.customer.example"],
            "breaks": "nothing",  # this hand-made analysis says evaluation never reaches it
        },
    ]
    assert data["errors"] == []
    assert isinstance(data["dmarc"]["deprecated_tags"], list)


def test_errors_name_the_query_type_and_reason():
    report = judge(
        mx=mx(
            complete=False,
            answered=False,
            hosts=[],
            all_successor=None,
            failures=[Answer(DOMAIN, "MX", Outcome.TIMEOUT)],
        ),
        spf=spf(failures=[LookupFailure("_spf.customer.example", "TXT", "SERVFAIL")], complete=False),
    )
    assert report.to_json()["errors"] == [
        {"name": DOMAIN, "type": "MX", "error": "timeout"},
        {"name": "_spf.customer.example", "type": "TXT", "error": "SERVFAIL"},
    ]


def test_failure_reasons():
    assert Answer("a.example", "TXT", Outcome.REFUSED).failure_reason == "REFUSED"
    assert Answer("a.example", "TXT", Outcome.ERROR, detail="FORMERR").failure_reason == "error: FORMERR"


def test_a_part_that_did_not_finish_has_null_fields_and_an_error():
    report = judge(spf=None, engine_errors=[ReportError(DOMAIN, "spf", "time budget of 30 s exceeded")])
    data = report.to_json()
    assert data["verdict"] == "inconclusive"
    assert data["spf"]["record"] is None and data["spf"]["error"] == "time budget of 30 s exceeded"
    assert set(data["spf"]) >= SPF_KEYS
    advice = data["spf"]["advice"]  # never "nothing to change" for a domain not fully checked
    assert (advice["status"], advice["reasons"], advice["records"]) == ("unknown", ["not_checked"], [])
    assert "time budget of 30 s exceeded" in advice["message"]


def test_the_spf_advice_is_reported_as_codes_and_words():
    checked = Advice(
        "verified",
        ["wider_block_kept"],
        "Publish this SPF record at customer.example: v=spf1 include:spf.securemx.example.org -all",
        lookups=1,
        void_lookups=0,
        records=[(DOMAIN, "v=spf1 include:spf.securemx.example.org -all")],
        senders_checked=["192.0.2.1"],
    )
    data = judge(
        spf=spf(advice=checked, suggested_record=checked.records[0][1], suggested_for=DOMAIN)
    ).to_json()
    assert data["spf"]["advice"] == {
        "status": "verified",
        "reasons": ["wider_block_kept"],
        "message": checked.message,
        "lookups": 1,
        "void_lookups": 0,
        "records": [{"domain": DOMAIN, "record": "v=spf1 include:spf.securemx.example.org -all"}],
        "senders_checked": ["192.0.2.1"],
    }
    assert data["spf"]["suggested_record"] == "v=spf1 include:spf.securemx.example.org -all"
    json.dumps(data)  # plain JSON types throughout


# -- verdicts ------------------------------------------------------------------------------------


def test_everything_answered_and_nothing_legacy_is_clean():
    assert judge().verdict == "clean"


def test_a_reference_is_a_fact_even_when_lookups_failed():
    report = judge(
        mx=mx(references=[MxReference("mx", "mx1.po.example.net", (DOMAIN,))], all_successor=False),
        spf=spf(failures=[LookupFailure(DOMAIN, "TXT", "timeout")], complete=False, record=None),
    )
    assert report.verdict == "legacy"


@pytest.mark.parametrize(
    "fields",
    [
        {"mx": mx(complete=False, failures=[Answer("mail.customer.example", "A", Outcome.SERVFAIL)])},
        {"spf": spf(complete=False, failures=[LookupFailure("x.example", "TXT", "timeout")])},
        {"spf": spf(complete=False)},
        {"dmarc": DmarcAnalysis(DOMAIN, failures=[Answer("_dmarc." + DOMAIN, "TXT", Outcome.TIMEOUT)])},
        {"mx": None, "engine_errors": [ReportError(DOMAIN, "mx", "internal error: KeyError")]},
    ],
)
def test_never_clean_when_a_lookup_failed(fields):
    assert judge(**fields).verdict == "inconclusive"


def test_nxdomain_at_the_apex_is_unregistered():
    report = judge(
        mx=mx(hosts=[], domain_missing=True, all_successor=False),
        spf=spf(record=None, records={}, authorizes_successor=None),
        apex_txt=txt(Outcome.NXDOMAIN),
    )
    assert report.verdict == "unregistered"


def test_unregistered_even_when_another_lookup_timed_out():
    report = judge(
        mx=mx(hosts=[], domain_missing=True, all_successor=False),
        spf=spf(record=None, records={}, complete=False, failures=[LookupFailure(DOMAIN, "TXT", "timeout")]),
        apex_txt=Answer(DOMAIN, "TXT", Outcome.TIMEOUT),
    )
    assert report.verdict == "unregistered"


def test_a_server_that_contradicts_itself_is_not_unregistered():
    report = judge(mx=mx(hosts=[], domain_missing=True, all_successor=False), apex_txt=txt())
    assert report.verdict == "clean"


# -- on_successor ----------------------------------------------------------------------------------


def test_on_successor_when_mx_and_spf_are_the_successors():
    assert judge().on_successor is True


@pytest.mark.parametrize(
    "fields",
    [
        {"mx": mx(all_successor=False)},
        {"spf": spf(authorizes_successor=False)},
        {"spf": spf(record=None, records={}, authorizes_successor=None)},  # no SPF at all
        {"mx": mx(all_successor=None, complete=False), "spf": spf(authorizes_successor=False)},
    ],
)
def test_not_on_successor_as_soon_as_one_part_is_known_false(fields):
    assert judge(**fields).on_successor is False


@pytest.mark.parametrize(
    "fields",
    [
        {"mx": mx(all_successor=None, complete=False)},
        {"spf": spf(authorizes_successor=None, complete=False)},
        {"spf": spf(record=None, records={}, authorizes_successor=None), "apex_txt": txt(Outcome.TIMEOUT)},
    ],
)
def test_on_successor_is_null_when_failures_leave_it_open(fields):
    assert judge(**fields).on_successor is None


def test_without_successor_ips_the_include_in_the_tree_is_the_evidence():
    campaign = make_campaign(
        successor={
            "name": "Secure MX",
            "mx_hosts": ["*.securemx.example.org"],
            "spf_includes": ["spf.securemx.example.org"],
        }
    )
    tree = {
        DOMAIN: ["v=spf1 include:spf.securemx.example.org -all"],
        "spf.securemx.example.org": ["v=spf1 -all"],
    }
    assert judge(campaign=campaign, spf=spf(authorizes_successor=None, records=tree)).on_successor is True
    alone = {DOMAIN: ["v=spf1 mx -all"]}
    assert judge(campaign=campaign, spf=spf(authorizes_successor=None, records=alone)).on_successor is False
