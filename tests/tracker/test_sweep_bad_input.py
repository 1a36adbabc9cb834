"""Bad input from DNS, or a domain deleted mid-sweep, costs at most that domain its check, never the chunk.

PostgreSQL cannot hold U+0000 in text or JSON: before the fix one NUL byte in a
TXT record failed the whole chunk (DataError), on every sweep and every resume.
"""

import pytest
from django.db import connection

from customers.models import Domain
from tests import conftest_celery
from tests.conftest_celery import clean_zone, legacy_spf_zone, serve
from tests.factories import CampaignFactory, CustomerFactory, DomainFactory
from tracker.choices import SweepStatus, Verdict
from tracker.models import Check, DomainState
from tracker.probe.stored import StoredReport
from tracker.services import sweeps
from tracker.services.storable import storable, storable_text
from tracker.services.sweeps import sweep_resume, sweep_run_sync, sweep_start

sweep_dns = conftest_celery.sweep_dns

pytestmark = pytest.mark.django_db

NUL_SPF = "v=spf1 include:spf.po.2iij.net \x00 -all"
NAMES = ("a.example", "nul.example", "z.example")


@pytest.fixture
def campaign(db):
    return CampaignFactory()


@pytest.fixture
def three_domains(db):
    customer = CustomerFactory()
    return [DomainFactory(customer=customer, name=name) for name in NAMES]


def serve_with_nul(dns_server, txt=NUL_SPF):
    nul_zone = {"nul.example": {"MX": [(10, "mx.successor.example")], "TXT": [txt]}}
    serve(dns_server, legacy_spf_zone("a.example"), nul_zone, clean_zone("z.example"))


def test_a_nul_byte_in_a_txt_record_is_stored_escaped_and_the_chunk_completes(
    campaign, three_domains, sweep_dns
):
    serve_with_nul(sweep_dns)
    sweep = sweep_run_sync(sweep_start(campaign, enqueue=False))
    assert sweep.status == SweepStatus.DONE
    assert sweep.progress == (3, 3)
    assert (sweep.legacy_count, sweep.clean_count) == (2, 1)  # nul.example still names the legacy include
    report = Check.objects.get(domain__name="nul.example").report
    assert report["spf"]["record"] == "v=spf1 include:spf.po.2iij.net \\x00 -all"
    assert "\x00" not in str(report)
    # The record is a syntax error: never "clean", and it says so.
    assert report["verdict"] != Verdict.CLEAN
    assert "control" in report["spf"]["error"]
    assert DomainState.objects.filter(campaign=campaign).count() == 3


def test_a_second_sweep_and_a_resume_of_a_nul_record_store_the_same_span(campaign, three_domains, sweep_dns):
    serve_with_nul(sweep_dns)
    sweep_run_sync(sweep_start(campaign, enqueue=False))
    second = sweep_run_sync(sweep_start(campaign, enqueue=False))
    assert second.status == SweepStatus.DONE
    assert sweep_resume(second, enqueue=False) == 0
    check = Check.objects.get(domain__name="nul.example")
    assert check.times_seen == 2  # same fingerprint: the escaped text is stable


def test_other_control_characters_and_lone_surrogates_are_escaped_visibly():
    assert storable_text("a\x01b\x1fc\x7fd\ud800e\tf") == "a\\x01b\\x1fc\\x7fd\\ud800e\\x09f"
    assert storable_text(storable_text("x\x00y")) == "x\\x00y"  # idempotent
    assert storable({"k\x00": ["v\x00", 1, None, {"n": True}]}) == {
        "k\\x00": ["v\\x00", 1, None, {"n": True}]
    }


def test_a_domain_deleted_while_its_chunk_is_probed_is_skipped(
    campaign, three_domains, sweep_dns, monkeypatch
):
    serve_with_nul(sweep_dns, txt="v=spf1 -all")
    probe = sweeps.probe_reports

    def probe_then_delete(campaign, names, sweep=None):
        reports = probe(campaign, names, sweep)
        Domain.objects.filter(name="nul.example").delete()  # ops delete it mid-probe
        return reports

    monkeypatch.setattr(sweeps, "probe_reports", probe_then_delete)
    sweep = sweep_run_sync(sweep_start(campaign, enqueue=False))
    assert sweep.status == SweepStatus.DONE
    assert sweep.progress == (2, 3)  # the deleted domain is not counted as checked
    assert sorted(Check.objects.values_list("domain__name", flat=True)) == ["a.example", "z.example"]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="only PostgreSQL refuses U+0000")
def test_a_report_the_database_refuses_costs_only_its_own_domain(
    campaign, three_domains, sweep_dns, monkeypatch
):
    """If the escaping ever misses something, the database's refusal is isolated to that domain."""
    serve_with_nul(sweep_dns)
    monkeypatch.setattr(sweeps, "storable_report", lambda domain, report, verdicts: report)
    sweep = sweep_run_sync(sweep_start(campaign, enqueue=False))
    assert sweep.status == SweepStatus.DONE
    assert sweep.progress == (3, 3)
    states = {s.domain.name: s for s in DomainState.objects.select_related("domain", "latest_check")}
    assert (states["a.example"].verdict, states["z.example"].verdict) == (Verdict.LEGACY, Verdict.CLEAN)
    refused = states["nul.example"]
    assert refused.verdict == Verdict.INCONCLUSIVE  # never clean: we could not keep what DNS said
    assert StoredReport(refused.latest_check.report).errors
    assert "could not be stored" in refused.latest_check.report["errors"][0]["error"]
