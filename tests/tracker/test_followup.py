"""Follow-up rules: open, refresh, auto-close, reopen, never duplicate; closing and snoozing by hand."""

import copy
import datetime as dt

import pytest
from django.db import IntegrityError, transaction

from customers.choices import MigrationStatus
from customers.models import Customer
from tests.factories import CampaignFactory
from tests.tracker.test_history import clean_report, inconclusive_report, make_report
from tracker.choices import Priority, TaskKind, TaskStatus
from tracker.common.business_days import CALENDAR
from tracker.models import FollowUpTask
from tracker.services.followups import due_date_for, followups_wake_snoozed
from tracker.services.sweeps import check_store

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 11, 1, 2, 0, tzinfo=dt.UTC)
TODAY = NOW.date()


@pytest.fixture
def campaign(db):
    return CampaignFactory(
        end_date=TODAY + dt.timedelta(days=90), cleanup_date=TODAY + dt.timedelta(days=120)
    )


@pytest.fixture
def domain(customer):
    return customer.domains.get()


def check(campaign, domain, report, days=0):
    with transaction.atomic():
        return check_store(campaign, domain, report, now=NOW + dt.timedelta(days=days))[1]


def tasks(**filters):
    return list(FollowUpTask.objects.filter(**filters))


def test_a_legacy_spf_include_opens_a_task_for_the_rep_with_the_exact_change(campaign, domain, rep):
    outcome = check(campaign, domain, make_report())
    (task,) = outcome.opened
    assert task.kind == TaskKind.LEGACY_SPF_INCLUDE and task.assignee == rep and not task.for_ops
    assert task.status == TaskStatus.OPEN and task.customer == domain.customer
    # Due by the end date, or the business day before it (2027-01-30 is a Saturday).
    assert task.due_date == CALENDAR.on_or_before(campaign.end_date) and task.priority == Priority.LOW
    (term,) = task.evidence["terms"]
    assert term["term"] == "include:spf.po.2iij.net"
    assert term["record"] == "v=spf1 include:spf.po.2iij.net -all" and term["path"] == ["acme.example"]
    assert task.evidence["suggested_record"] == "v=spf1 include:spf.successor.example -all"
    assert task.evidence["removal_leaves_valid_record"] is True


def test_no_rule_creates_a_duplicate_of_an_open_task(campaign, domain):
    for day in range(3):
        check(campaign, domain, make_report(), days=day)
    assert len(tasks()) == 1


def test_the_database_refuses_a_second_active_task_of_the_same_kind(campaign, domain):
    check(campaign, domain, make_report())
    task = FollowUpTask.objects.get()
    task.pk = None
    with pytest.raises(IntegrityError), transaction.atomic():
        task.save()


def test_a_fixed_domain_closes_the_task_with_the_evidence_and_a_relapse_reopens_it(campaign, domain):
    check(campaign, domain, make_report())
    outcome = check(campaign, domain, clean_report(), days=1)
    (closed,) = outcome.closed
    assert closed.status == TaskStatus.AUTO_CLOSED and closed.closed_by is None
    assert closed.closing_evidence["check_verdict"] == "clean"
    assert closed.closing_evidence["terms"] == []

    outcome = check(campaign, domain, make_report(), days=2)
    (reopened,) = outcome.reopened
    assert reopened.pk == closed.pk and reopened.status == TaskStatus.OPEN
    assert reopened.reopened_count == 1 and reopened.closed_at is None
    assert len(tasks()) == 1


def test_an_inconclusive_check_never_closes_a_task(campaign, domain):
    check(campaign, domain, make_report())
    outcome = check(campaign, domain, inconclusive_report(), days=1)
    assert outcome.closed == [] and tasks(status=TaskStatus.OPEN)


def test_a_legacy_check_with_failed_lookups_closes_nothing_it_could_not_see(campaign, domain):
    check(campaign, domain, make_report())
    mx_only = make_report()
    mx_only["legacy_references"] = [{"kind": "mx", "value": "mx1.po.2iij.net", "path": []}]
    mx_only["spf"] = {**mx_only["spf"], "record": None, "records": {}}
    mx_only["errors"] = [{"name": "acme.example", "type": "TXT", "error": "SERVFAIL"}]
    outcome = check(campaign, domain, mx_only, days=1)
    assert [t.kind for t in outcome.opened] == [TaskKind.LEGACY_MX]
    assert outcome.closed == []
    assert FollowUpTask.objects.get(kind=TaskKind.LEGACY_SPF_INCLUDE).status == TaskStatus.OPEN


def test_legacy_mx_names_the_hosts(campaign, domain):
    report = make_report()
    report["legacy_references"] = [{"kind": "mx", "value": "mx1.po.2iij.net", "path": []}]
    report["mx"] = {"hosts": ["mx1.po.2iij.net"], "error": None}
    (task,) = check(campaign, domain, report).opened
    assert task.kind == TaskKind.LEGACY_MX and task.evidence["legacy_hosts"] == ["mx1.po.2iij.net"]


def test_a_customer_marked_migrated_with_legacy_dns_is_a_status_conflict(campaign, domain):
    Customer.objects.filter(pk=domain.customer_id).update(status=MigrationStatus.MIGRATED)
    domain.customer.refresh_from_db()
    kinds = {t.kind for t in check(campaign, domain, make_report()).opened}
    assert kinds == {TaskKind.LEGACY_SPF_INCLUDE, TaskKind.STATUS_CONFLICT}
    closed = {t.kind for t in check(campaign, domain, clean_report(), days=1).closed}
    assert closed == kinds


def test_spf_over_ten_lookups_now_or_after_the_suggested_change(campaign, domain):
    report = clean_report()
    report["spf"]["dns_lookups"] = 11
    (task,) = check(campaign, domain, report).opened
    assert task.kind == TaskKind.SPF_TOO_MANY_LOOKUPS and task.evidence["exceeds"] is True

    would = make_report()
    would["spf"]["suggested_record"] = None
    would["spf"]["advice"] = {
        "status": "withheld",
        "reasons": ["too_many_lookups"],
        "message": "The record would need 11 DNS lookups: remove one include first.",
        "lookups": 11,
    }
    check(campaign, domain, would, days=1)
    task = FollowUpTask.objects.get(kind=TaskKind.SPF_TOO_MANY_LOOKUPS)
    assert task.evidence["exceeds"] is False and task.evidence["suggestion_would_exceed"] is True
    spf_task = FollowUpTask.objects.get(kind=TaskKind.LEGACY_SPF_INCLUDE)
    assert spf_task.evidence["removal_leaves_valid_record"] is False


def test_an_unregistered_domain_gets_a_task(campaign, domain):
    report = make_report(verdict="unregistered")
    report["spf"] = {"record": None, "records": {}, "dns_lookups": 0, "warnings": []}
    (task,) = check(campaign, domain, report).opened
    assert task.kind == TaskKind.UNREGISTERED


def test_three_inconclusive_checks_in_a_row_make_an_ops_task_not_a_rep_task(campaign, domain):
    check(campaign, domain, inconclusive_report())
    check(campaign, domain, inconclusive_report(), days=1)
    assert tasks() == []
    (task,) = check(campaign, domain, inconclusive_report(), days=2).opened
    assert task.kind == TaskKind.INCONCLUSIVE_REPEATED and task.for_ops and task.assignee is None
    assert task.evidence["checks_in_a_row"] == 3
    # A business day after the check (2026-11-03 is 文化の日, so the 5th).
    assert task.due_date == CALENDAR.add(TODAY + dt.timedelta(days=2), 1) == dt.date(2026, 11, 5)
    check(campaign, domain, inconclusive_report(), days=3)
    assert len(tasks()) == 1
    closed = check(campaign, domain, clean_report(), days=4).closed
    assert [t.kind for t in closed] == [TaskKind.INCONCLUSIVE_REPEATED]


def test_a_task_closed_by_hand_stays_closed_until_the_evidence_changes(campaign, domain, rep):
    check(campaign, domain, make_report())
    task = FollowUpTask.objects.get().close(by=rep, note="customer moves next week")
    assert task.status == TaskStatus.DONE and task.closed_by == rep
    assert task.close_note == "customer moves next week"
    check(campaign, domain, make_report(), days=1)
    assert FollowUpTask.objects.get().status == TaskStatus.DONE

    changed = make_report()
    changed["spf"]["record"] = "v=spf1 include:spf.po.2iij.net ~all"
    changed["spf"]["records"] = {"acme.example": ["v=spf1 include:spf.po.2iij.net ~all"]}
    (reopened,) = check(campaign, domain, changed, days=2).reopened
    assert reopened.pk == task.pk and reopened.reopened_count == 1


def test_a_snoozed_task_is_not_duplicated_wakes_up_and_still_auto_closes(campaign, domain, rep):
    check(campaign, domain, make_report())
    task = FollowUpTask.objects.get().snooze(until=dt.date(2099, 1, 1), by=rep)
    assert task.status == TaskStatus.SNOOZED
    check(campaign, domain, make_report(), days=1)
    assert len(tasks()) == 1 and tasks()[0].status == TaskStatus.SNOOZED
    assert followups_wake_snoozed(today=dt.date(2099, 1, 1)) == 1
    assert FollowUpTask.objects.get().status == TaskStatus.OPEN

    FollowUpTask.objects.get().snooze(until=dt.date(2099, 1, 1), by=rep)
    assert [t.pk for t in check(campaign, domain, clean_report(), days=2).closed] == [task.pk]


def test_snoozing_needs_a_future_date_and_an_active_task(campaign, domain, rep):
    check(campaign, domain, make_report())
    task = FollowUpTask.objects.get()
    with pytest.raises(ValueError):
        task.snooze(until=dt.date(2000, 1, 1), by=rep)
    task.close(by=rep)
    with pytest.raises(ValueError):
        task.snooze(until=dt.date(2099, 1, 1), by=rep)


def test_priority_rises_as_the_end_date_approaches():
    campaign = CampaignFactory.build(end_date=dt.date(2026, 12, 31), cleanup_date=dt.date(2027, 3, 31))
    assert campaign.priority_on(dt.date(2026, 9, 1)) == Priority.LOW
    assert campaign.priority_on(dt.date(2026, 11, 15)) == Priority.NORMAL
    assert campaign.priority_on(dt.date(2026, 12, 20)) == Priority.HIGH
    assert campaign.priority_on(dt.date(2027, 1, 5)) == Priority.URGENT
    # After the end date, tasks are due by the cleanup date; after that, within a week.
    assert due_date_for(campaign, dt.date(2027, 1, 5), TaskKind.LEGACY_MX) == dt.date(2027, 3, 31)
    assert due_date_for(campaign, dt.date(2027, 4, 5), TaskKind.LEGACY_MX) == dt.date(2027, 4, 12)


def test_refreshing_an_open_task_updates_its_evidence_and_priority(campaign, domain):
    check(campaign, domain, make_report())
    later = copy.deepcopy(make_report())
    later["spf"]["record"] = "v=spf1 include:spf.po.2iij.net ~all"
    campaign.end_date = TODAY + dt.timedelta(days=10)
    check(campaign, domain, later, days=1)
    task = FollowUpTask.objects.get()
    assert task.evidence["record"] == "v=spf1 include:spf.po.2iij.net ~all"
    assert task.priority == Priority.HIGH
