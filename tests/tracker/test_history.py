"""History spans and the domain timeline, from hand-built reports (no DNS needed)."""

import copy
import datetime as dt

import pytest

from tests.factories import CampaignFactory
from tracker.models import Check, DomainState
from tracker.queries.timeline import diff_reports, domain_timeline
from tracker.services.checks import record_report, report_fingerprint

pytestmark = pytest.mark.django_db

T0 = dt.datetime(2026, 11, 1, 2, 0, tzinfo=dt.UTC)


def make_report(domain="acme.example", verdict="legacy", **changes) -> dict:
    """A contract report: legacy SPF include, MX on the successor, DMARC reject."""
    report = {
        "domain": domain,
        "verdict": verdict,
        "legacy_references": [
            {"kind": "spf-include", "value": "spf.po.2iij.net", "path": [domain]},
        ]
        if verdict == "legacy"
        else [],
        "on_successor": False,
        "mx": {"hosts": ["mx.successor.example"], "error": None},
        "spf": {
            "record": "v=spf1 include:spf.po.2iij.net -all",
            "records": {domain: ["v=spf1 include:spf.po.2iij.net -all"]},
            "dns_lookups": 1,
            "void_lookups": 0,
            "breaks_on_legacy_removal": verdict == "legacy",
            "authorizes_successor": False,
            "authorizes_legacy": True,
            "suggested_record": "v=spf1 include:spf.successor.example -all",
            "suggested_for": domain,
            "advice": {"status": "verified", "reasons": [], "message": "", "lookups": 3},
            "error": None,
            "warnings": [],
        },
        "dmarc": {"record": "v=DMARC1; p=reject", "policy": "reject", "deprecated_tags": [], "error": None},
        "errors": [],
        "checked_at": "2026-11-01T02:00:00+00:00",
    }
    for key, value in changes.items():
        report[key] = value
    return report


def clean_report(domain="acme.example") -> dict:
    report = make_report(domain, verdict="clean")
    report["spf"] = {
        **report["spf"],
        "record": "v=spf1 include:spf.successor.example -all",
        "records": {domain: ["v=spf1 include:spf.successor.example -all"]},
        "suggested_record": None,
        "advice": {"status": "not_needed", "reasons": [], "message": "", "lookups": 1},
    }
    report["on_successor"] = True
    return report


def inconclusive_report(domain="acme.example") -> dict:
    report = make_report(domain, verdict="inconclusive")
    report["errors"] = [{"name": domain, "type": "TXT", "error": "timeout"}]
    report["spf"] = {**report["spf"], "record": None, "records": {}, "breaks_on_legacy_removal": None}
    return report


@pytest.fixture
def campaign(db):
    return CampaignFactory()


@pytest.fixture
def domain(customer):
    return customer.domains.get()


def test_the_fingerprint_ignores_dates_derived_from_the_check_time():
    report = make_report()
    report["timing"] = {"mta_sts_policy_dropped_by": "2026-11-08T02:00:00+00:00"}
    later = copy.deepcopy(report)
    later["timing"] = {"mta_sts_policy_dropped_by": "2026-11-09T02:00:00+00:00"}
    assert report_fingerprint(report) == report_fingerprint(later)


def test_the_fingerprint_ignores_the_check_time_and_reference_order():
    report = make_report()
    later = copy.deepcopy(report)
    later["checked_at"] = "2026-11-02T02:00:00+00:00"
    assert report_fingerprint(report) == report_fingerprint(later)
    assert report_fingerprint(report) != report_fingerprint(clean_report())


def test_identical_results_extend_the_span(campaign, domain):
    for hours in range(3):
        record_report(campaign, domain, make_report(), now=T0 + dt.timedelta(hours=hours))
    span = Check.objects.get()
    assert span.times_seen == 3
    assert (span.first_seen_at, span.last_seen_at) == (T0, T0 + dt.timedelta(hours=2))


def test_a_change_opens_a_new_span_and_updates_the_state(campaign, domain):
    first = record_report(campaign, domain, make_report(), now=T0)
    second = record_report(campaign, domain, clean_report(), now=T0 + dt.timedelta(hours=4))
    assert first.new_span and second.new_span and first.previous_verdict is None
    assert second.previous_verdict == "legacy"
    assert Check.objects.count() == 2
    state = DomainState.objects.get()
    assert state.verdict == "clean" and state.latest_check == second.check
    assert state.verdict_changed_at == T0 + dt.timedelta(hours=4)
    assert state.has_legacy_spf_include is False and state.on_successor is True


def test_going_back_to_an_earlier_result_is_a_new_span(campaign, domain):
    for report in (make_report(), clean_report(), make_report()):
        record_report(campaign, domain, report)
    assert list(Check.objects.order_by("first_seen_at", "pk").values_list("verdict", flat=True)) == [
        "legacy",
        "clean",
        "legacy",
    ]


def test_an_inconclusive_check_keeps_the_last_known_facts(campaign, domain):
    record_report(campaign, domain, make_report())
    record_report(campaign, domain, inconclusive_report())
    record_report(campaign, domain, inconclusive_report())
    state = DomainState.objects.get()
    assert state.verdict == "inconclusive" and state.last_conclusive_verdict == "legacy"
    assert state.consecutive_inconclusive == 2
    assert state.breaks_on_legacy_removal is True and state.has_legacy_spf_include is True
    record_report(campaign, domain, make_report())
    assert DomainState.objects.get().consecutive_inconclusive == 0


def test_the_state_reads_spf_and_dmarc_facts(campaign, domain):
    report = make_report()
    report["dmarc"] = {"record": "v=DMARC1; p=none; pct=50", "policy": "none", "deprecated_tags": ["pct"]}
    report["spf"]["dns_lookups"] = 12
    report["legacy_references"].append({"kind": "mx", "value": "mx1.po.2iij.net", "path": []})
    record_report(campaign, domain, report)
    state = DomainState.objects.get()
    assert state.has_spf and state.has_dmarc and state.dmarc_policy == "none"
    assert state.deprecated_tags == ["pct"] and state.spf_lookups == 12 and state.spf_over_limit
    assert state.reference_kinds == ["mx", "spf-include"] and state.has_legacy_mx


def test_the_timeline_says_what_changed_newest_first(campaign, domain):
    record_report(campaign, domain, make_report(), now=T0)
    record_report(campaign, domain, make_report(), now=T0 + dt.timedelta(hours=1))
    moved = clean_report()
    moved["mx"] = {"hosts": ["mx2.successor.example"], "error": None}
    moved["dmarc"] = {"record": "v=DMARC1; p=quarantine", "policy": "quarantine", "deprecated_tags": []}
    record_report(campaign, domain, moved, now=T0 + dt.timedelta(hours=2))

    newest, oldest = domain_timeline(domain, campaign)
    assert oldest.is_first and oldest.changes == [] and oldest.times_seen == 2
    assert newest.verdict_changed and (newest.previous_verdict, newest.verdict) == ("legacy", "clean")
    shown = {str(change) for change in newest.changes}
    assert "verdict: legacy -> clean" in shown
    assert "reference removed: spf-include spf.po.2iij.net (via acme.example)" in shown
    assert "mx removed: mx.successor.example" in shown and "mx added: mx2.successor.example" in shown
    assert "spf removed: acme.example: v=spf1 include:spf.po.2iij.net -all" in shown
    assert "spf added: acme.example: v=spf1 include:spf.successor.example -all" in shown
    assert "dmarc: v=DMARC1; p=reject -> v=DMARC1; p=quarantine" in shown
    assert "breaks_on_legacy_removal: True -> False" in shown


def test_the_timeline_shows_lookup_errors_coming_and_going():
    changes = diff_reports(make_report(), inconclusive_report())
    assert {(c.part, c.change) for c in changes} >= {("errors", "added"), ("verdict", "changed")}


def test_the_timeline_of_a_domain_without_checks_is_empty(campaign, domain):
    assert domain_timeline(domain, campaign) == []


def test_a_new_domains_state_is_stored_complete_in_one_insert(
    campaign, domain, django_assert_max_num_queries
):
    with django_assert_max_num_queries(7):  # lock, savepoint, check insert, state insert, release
        recorded = record_report(campaign, domain, make_report(), now=T0)
    state = DomainState.objects.get()
    assert recorded.new_span and recorded.previous_verdict is None
    assert (state.verdict, state.latest_check, state.last_checked_at) == ("legacy", recorded.check, T0)
    assert state.has_legacy_spf_include is True and state.verdict_changed_at == T0


def test_a_state_another_sweep_created_meanwhile_is_updated_not_duplicated(campaign, domain, monkeypatch):
    from tracker.services import checks as history

    record_report(campaign, domain, make_report(), now=T0)
    real = history._locked_states
    # The first look finds no state (the other sweep had not committed yet), the insert then conflicts.
    calls = []
    monkeypatch.setattr(
        history,
        "_locked_states",
        lambda *a, **kw: calls.append(kw) or ({} if len(calls) == 1 else real(*a, **kw)),
    )
    later = T0 + dt.timedelta(hours=4)
    recorded = record_report(campaign, domain, make_report(), now=later)
    assert len(calls) == 2 and not recorded.new_span
    assert DomainState.objects.get().last_checked_at == later
    span = Check.objects.get()
    assert span.times_seen == 2  # the failed attempt's new span was rolled back
