"""Evidence that never overstates: pass, fail or unknown, the failed lookup named (issue 10 item 2).

Reports come from the engine probing the test DNS server (faults on demand), stored as sweeps do.
"""

import datetime as dt

import pytest
from django.utils import timezone

from tests.conftest_dns import TEST_TIMEOUT
from tests.factories import CampaignFactory, CustomerFactory, DomainFactory, post_office_contract
from tests.reports import store
from tracker.models import DomainState
from tracker.probe.engine import probe_many
from tracker.probe.stored import StoredReport
from tracker.queries.checklist import checklist
from tracker.queries.evidence import removal_counts, removal_evidence

SUCCESSOR = {
    "name": "Secure MX",
    "mx_hosts": ["mx1.securemx.example", "mx2.securemx.example"],
    "spf_includes": ["spf.securemx.example"],
    "ip_ranges": ["198.51.100.0/24"],
    "outbound_ips": ["198.51.100.10"],
    "dkim_selectors": [],
}
LEGACY = dict(post_office_contract()["legacy"], ip_ranges=["192.0.2.0/24"], outbound_ips=["192.0.2.10"])
PROVIDERS = {
    "spf.po.2iij.net": {"TXT": ["v=spf1 ip4:192.0.2.0/24 -all"]},
    "spf.securemx.example": {"TXT": ["v=spf1 ip4:198.51.100.0/24 -all"]},
    "mx1.securemx.example": {"A": ["198.51.100.25"]},
}
ZONES = {
    "timedout.example": {
        "MX": [(10, "mx1.securemx.example")],
        "TXT": ["v=spf1 include:spf.securemx.example -all"],
    },
    "cut.example": {"MX": [(10, "mx1.securemx.example")], "TXT": ["v=spf1 include:_spf.cut.example -all"]},
    "_spf.cut.example": {"TXT": ["v=spf1 include:spf.po.2iij.net -all"]},
    "incl.example": {"MX": [(10, "mx1.po.2iij.net")], "TXT": ["v=spf1 include:spf.po.2iij.net ~all"]},
    "clean.example": {
        "MX": [(10, "mx1.securemx.example")],
        "TXT": ["v=spf1 include:spf.securemx.example -all"],
    },
    "_dmarc.clean.example": {"TXT": ["v=DMARC1; p=reject"]},
}


@pytest.fixture
def campaign(db):
    return CampaignFactory(
        legacy=LEGACY, successor=SUCCESSOR, end_date=timezone.localdate() + dt.timedelta(days=30)
    )


@pytest.fixture
def probed(dns_server, campaign, rep):
    """probed(name) -> the stored domain, probed by the engine against the test DNS server."""
    dns_server.set_records({**PROVIDERS, **ZONES})
    # Every lookup of timedout.example and of its _dmarc name times out; cut.example loses its nested record.
    for name in ("timedout.example", "_dmarc.timedout.example", "_spf.cut.example"):
        dns_server.set_fault(name, "timeout")
    customer = CustomerFactory(rep=rep, name="Evidence Co")

    def probe(name):
        domain = DomainFactory(customer=customer, name=name)
        [report] = probe_many(campaign.to_probe(), [name], [dns_server.address], timeout=TEST_TIMEOUT)
        store(campaign, domain, report.to_json())
        return domain

    return probe


def states(items):
    return {item.key: item.state for item in items}


def page_checklist(client, domain):
    response = client.get(f"/domains/{domain.pk}/")
    assert response.status_code == 200
    return response


def test_a_timed_out_domain_gets_no_pass_anywhere(rep_client, probed):
    domain = probed("timedout.example")
    response = page_checklist(rep_client, domain)
    items = response.context["checklist"]
    assert {item.state for item in items} == {"unknown"}
    text = response.content.decode()
    assert ">pass<" not in text
    assert "No SPF record" not in text
    # Absence is a finding only when the lookup answered: a timeout may hide the term or the hosts.
    assert "No legacy term" not in text and "No MX hosts" not in text
    assert "SPF lookup of timedout.example timed out" in text
    assert "MX lookup of timedout.example timed out" in text
    assert "DMARC lookup of _dmarc.timedout.example timed out" in text


def test_an_include_tree_cut_off_by_a_timeout_is_unknown(rep_client, probed):
    domain = probed("cut.example")
    response = page_checklist(rep_client, domain)
    found = states(response.context["checklist"])
    assert found["mx"] == "pass"  # the MX answer came back: that fact stands
    assert found["no_legacy_spf"] == found["valid_after_removal"] == found["lookup_limit"] == "unknown"
    text = response.content.decode()
    assert "SPF lookup of _spf.cut.example timed out" in text
    # The cut node is drawn as a failed lookup, never as "no SPF record".
    assert 'lookup-failed">SPF lookup of _spf.cut.example timed out' in text
    assert "no SPF record found" not in text


def test_a_domain_that_does_not_exist_gets_no_pass(rep_client, probed):
    domain = probed("gone.example")  # not in any zone: NXDOMAIN
    items = page_checklist(rep_client, domain).context["checklist"]
    assert "pass" not in states(items).values()
    assert states(items)["valid_after_removal"] == states(items)["lookup_limit"] == "unknown"
    assert all(
        "gone.example does not exist (NXDOMAIN)" in item.summary for item in items if item.state == "unknown"
    )


def test_a_domain_with_every_answer_keeps_its_passes_and_fails(rep_client, probed):
    clean = probed("clean.example")
    assert set(states(page_checklist(rep_client, clean).context["checklist"]).values()) == {"pass"}
    legacy = probed("incl.example")
    found = states(page_checklist(rep_client, legacy).context["checklist"])
    assert found["mx"] == found["no_legacy_spf"] == found["valid_after_removal"] == "fail"
    assert found["lookup_limit"] == "pass"


def test_a_report_without_the_checks_part_still_names_the_failed_lookup(probed, campaign):
    """Reports stored before the engine listed failures per check fall back on `errors`."""
    domain = probed("timedout.example")
    report = dict(DomainState.objects.get(domain=domain).latest_check.report)
    report.pop("checks")
    found = {item.key: item for item in checklist(report, campaign)}
    assert found["valid_after_removal"].state == "unknown"
    assert "SPF lookup of timedout.example timed out" in found["valid_after_removal"].summary


def test_the_customer_page_names_the_failed_lookup(rep_client, probed):
    probed("timedout.example")
    probed("clean.example")
    probed("incl.example")
    response = rep_client.get(f"/customers/{DomainState.objects.first().domain.customer_id}/")
    rows = {row.domain.name: row for row in response.context["domain_rows"]}
    assert rows["timedout.example"].removal.state == "unknown"
    assert rows["timedout.example"].evidence.state == "unknown"
    assert rows["clean.example"].removal.state == "pass" and rows["clean.example"].evidence.state == "pass"
    assert rows["incl.example"].removal.state == "fail" and rows["incl.example"].evidence.state == "fail"
    text = response.content.decode()
    assert "Unknown: SPF lookup of timedout.example timed out" in text
    assert "removal: unknown" in text and "breaks on removal" in text and "stays valid on removal" in text


def test_removal_counts_keep_unknown_apart(probed, campaign):
    for name in ("timedout.example", "cut.example", "gone.example", "clean.example", "incl.example"):
        probed(name)
    counts = removal_counts(DomainState.objects.filter(campaign=campaign))
    assert counts == {"pass": 1, "fail": 1, "unknown": 3}


def test_removal_evidence_of_a_timeout_is_never_pass(probed):
    domain = probed("timedout.example")
    evidence = removal_evidence(StoredReport(DomainState.objects.get(domain=domain).latest_check.report))
    assert evidence.state == "unknown" and evidence.reason == "SPF lookup of timedout.example timed out"
