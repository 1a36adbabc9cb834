"""Tasks a rep cannot lose: done while DNS still shows the problem waits for DNS; reopen; manual tasks.

Every transition of `tracker.services.tasks` and the rules' side of it (the reopen
after the customer's expected change time, the fix that closes a waiting task),
with business days counted in the Japanese calendar.
"""

import datetime as dt

import pytest
import time_machine
from django.db import transaction

from tests import conftest_celery
from tests.conftest_celery import legacy_spf_zone, serve
from tests.factories import CampaignFactory
from tests.tracker.test_history import clean_report, inconclusive_report, make_report
from tracker.choices import ACTIVE_TASK_STATUSES, TaskEventKind, TaskKind, TaskStatus
from tracker.common.business_days import CALENDAR
from tracker.models import FollowUpTask, TaskStateError
from tracker.services.followups import due_date_for
from tracker.services.sweeps import check_store, sweep_run_sync, sweep_start
from tracker.services.tasks import snooze_until, task_create, task_done, task_reopen, tasks_bulk

sweep_dns = conftest_celery.sweep_dns

pytestmark = pytest.mark.django_db

# A Friday: two business days later is Tuesday the 10th (the weekend does not count).
FRIDAY = dt.datetime(2026, 11, 6, 2, 0, tzinfo=dt.UTC)


@pytest.fixture
def campaign(db):
    return CampaignFactory(end_date=dt.date(2027, 3, 31), cleanup_date=dt.date(2027, 6, 30))


@pytest.fixture
def domain(customer):
    return customer.domains.get()


def check(campaign, domain, report, when):
    with transaction.atomic():
        return check_store(campaign, domain, report, now=when)[1]


def legacy_task(campaign, domain, when=FRIDAY) -> FollowUpTask:
    (task,) = check(campaign, domain, make_report(), when).opened
    return FollowUpTask.objects.get(pk=task.pk)


def days(n: int) -> dt.timedelta:
    return dt.timedelta(days=n)


def actions(task) -> list[str]:
    return [event.action for event in task.events.all()]


@time_machine.travel(FRIDAY, tick=False)
def test_done_while_dns_still_shows_the_problem_waits_for_dns_and_stays_in_the_queue(campaign, domain, rep):
    task = task_done(legacy_task(campaign, domain), rep, "Customer will remove the include")
    assert task.status == TaskStatus.WAITING_FOR_DNS and task.status in ACTIVE_TASK_STATUSES
    assert task.waiting_until == dt.date(2026, 11, 10)  # Friday + 2 business days
    assert task.closed_by == rep and task.close_note == "Customer will remove the include"
    assert actions(task) == [TaskEventKind.WAITING_FOR_DNS]
    assert FollowUpTask.objects.actionable(FRIDAY.date()).filter(pk=task.pk).exists()


def test_a_check_before_the_expected_change_time_leaves_it_waiting(campaign, domain, rep):
    with time_machine.travel(FRIDAY, tick=False):
        task = task_done(legacy_task(campaign, domain), rep)
    outcome = check(campaign, domain, make_report(), FRIDAY + days(4))  # Tuesday, the last day
    assert outcome.reopened == []
    task.refresh_from_db()
    assert task.status == TaskStatus.WAITING_FOR_DNS


def test_a_check_after_the_expected_change_time_that_still_sees_the_problem_reopens_it(campaign, domain, rep):
    with time_machine.travel(FRIDAY, tick=False):
        task = task_done(legacy_task(campaign, domain), rep)
    wednesday = FRIDAY + days(5)
    (reopened,) = check(campaign, domain, make_report(), wednesday).reopened
    task.refresh_from_db()
    assert task.status == TaskStatus.OPEN and task.reopened_count == 1 and task.waiting_until is None
    assert "2026-11-10" in task.close_note and "still shows the problem" in task.close_note
    assert task.due_date == due_date_for(campaign, wednesday.date(), TaskKind.LEGACY_SPF_INCLUDE)
    assert actions(task) == [TaskEventKind.WAITING_FOR_DNS, TaskEventKind.REOPENED_BY_CHECK]
    assert task.events.last().note == task.close_note


def test_dns_showing_the_fix_closes_a_waiting_task_as_fixed(campaign, domain, rep):
    with time_machine.travel(FRIDAY, tick=False):
        task = task_done(legacy_task(campaign, domain), rep)
    (closed,) = check(campaign, domain, clean_report(), FRIDAY + days(1)).closed
    task.refresh_from_db()
    assert task.status == TaskStatus.AUTO_CLOSED and task.closing_evidence["check_verdict"] == "clean"
    assert actions(task) == [TaskEventKind.WAITING_FOR_DNS, TaskEventKind.FIXED]


def test_a_failed_lookup_is_no_fix_a_waiting_task_keeps_waiting(campaign, domain, rep):
    with time_machine.travel(FRIDAY, tick=False):
        task = task_done(legacy_task(campaign, domain), rep)
    assert check(campaign, domain, inconclusive_report(), FRIDAY + days(1)).closed == []
    task.refresh_from_db()
    assert task.status == TaskStatus.WAITING_FOR_DNS


@time_machine.travel(FRIDAY, tick=False)
def test_done_when_the_latest_check_could_not_tell_waits_for_dns(campaign, domain, rep):
    task = legacy_task(campaign, domain)
    check(campaign, domain, inconclusive_report(), FRIDAY)
    assert task_done(task, rep).status == TaskStatus.WAITING_FOR_DNS


@time_machine.travel(FRIDAY, tick=False)
def test_the_expected_change_time_comes_from_the_campaign_or_the_setting(campaign, domain, rep, settings):
    settings.TASK_EXPECTED_CHANGE_DAYS = 5
    task = task_done(legacy_task(campaign, domain), rep)
    assert task.waiting_until == CALENDAR.add(FRIDAY.date(), 5) == dt.date(2026, 11, 13)
    campaign.expected_change_days = 0
    campaign.save()
    task = task_reopen(task, rep)
    task.campaign.refresh_from_db()
    assert task_done(task, rep).waiting_until == FRIDAY.date()


@time_machine.travel(FRIDAY, tick=False)
def test_a_manual_task_marked_done_is_done(campaign, customer, rep):
    task = task_create(campaign=campaign, customer=customer, by=rep, title="Call back", due_date=None)
    task = task_done(task, rep, "Called")
    assert task.status == TaskStatus.DONE and actions(task) == [TaskEventKind.CREATED, TaskEventKind.DONE]


@time_machine.travel(FRIDAY, tick=False)
def test_a_rep_may_write_several_manual_tasks_for_one_customer(campaign, customer, rep):
    for title in ("Call back", "Send the contract"):
        task_create(campaign=campaign, customer=customer, by=rep, title=title, due_date=FRIDAY.date())
    tasks = FollowUpTask.objects.filter(kind=TaskKind.MANUAL)
    assert sorted(t.title for t in tasks) == ["Call back", "Send the contract"]
    assert {t.assignee for t in tasks} == {rep} and {t.created_by for t in tasks} == {rep}


@pytest.mark.parametrize(
    "wanted, due",
    [
        (dt.date(2027, 1, 1), dt.date(2027, 1, 4)),  # 元日, then the New Year closure and a weekend
        (dt.date(2027, 5, 3), dt.date(2027, 5, 6)),  # ゴールデンウィーク: 3, 4, 5 May are holidays
        (dt.date(2026, 11, 9), dt.date(2026, 11, 9)),  # a Monday stays
    ],
)
def test_a_manual_task_is_never_due_on_a_holiday(campaign, customer, rep, wanted, due):
    task = task_create(
        campaign=campaign, customer=customer, by=rep, title="Send the contract", due_date=wanted
    )
    assert task.due_date == due


@pytest.mark.parametrize(
    "end_date, due",
    [(dt.date(2027, 1, 1), dt.date(2026, 12, 28)), (dt.date(2027, 5, 4), dt.date(2027, 4, 30))],
)
def test_a_rule_task_due_on_a_holiday_deadline_is_due_the_business_day_before(end_date, due):
    campaign = CampaignFactory.build(end_date=end_date, cleanup_date=None)
    assert due_date_for(campaign, dt.date(2026, 11, 6), TaskKind.LEGACY_MX) == due


@pytest.mark.parametrize("status", ["done", "auto_closed", "waiting_dns", "snoozed"])
def test_any_task_that_is_not_open_can_be_reopened_by_hand(campaign, domain, rep, ops_user, status):
    with time_machine.travel(FRIDAY, tick=False):
        task = legacy_task(campaign, domain)
        if status == "done":
            task = task.close(rep)
        elif status == "auto_closed":
            check(campaign, domain, clean_report(), FRIDAY)
            task.refresh_from_db()
        elif status == "waiting_dns":
            task = task_done(task, rep)
        else:
            task = task.snooze(FRIDAY.date() + days(3), rep)
        assert task.status == status
        task = task_reopen(task, ops_user, "Customer called: still broken")
    assert task.status == TaskStatus.OPEN and task.closed_at is None and task.snoozed_until is None
    assert task.close_note == "Customer called: still broken"
    event = task.events.last()
    assert (event.action, event.by, event.note) == (
        TaskEventKind.REOPENED_BY_HAND,
        ops_user,
        "Customer called: still broken",
    )


@time_machine.travel(FRIDAY, tick=False)
def test_reopening_an_open_task_or_one_with_an_open_twin_is_refused(campaign, domain, rep):
    task = legacy_task(campaign, domain)
    with pytest.raises(TaskStateError):
        task_reopen(task, rep)
    old = task.close(rep)
    FollowUpTask.objects.create(
        campaign=campaign, customer=domain.customer, domain=domain, kind=old.kind, assignee=rep
    )
    with pytest.raises(TaskStateError, match="another open task"):
        task_reopen(old, rep)
    old.refresh_from_db()
    assert old.status == TaskStatus.DONE


@time_machine.travel(FRIDAY, tick=False)
def test_snooze_presets_count_business_days():
    friday = FRIDAY.date()
    assert snooze_until("tomorrow", friday) == dt.date(2026, 11, 9)  # Monday, not Saturday
    assert snooze_until("next_week", friday) == dt.date(2026, 11, 9)
    assert snooze_until("next_week", dt.date(2026, 12, 29)) == dt.date(2027, 1, 4)
    assert snooze_until("tomorrow", dt.date(2027, 4, 30)) == dt.date(2027, 5, 6)  # past ゴールデンウィーク
    assert snooze_until("date", friday, dt.date(2026, 11, 20)) == dt.date(2026, 11, 20)


@time_machine.travel(FRIDAY, tick=False)
def test_bulk_done_takes_each_tasks_own_step(campaign, customer, domain, rep):
    rule_task = legacy_task(campaign, domain)
    manual = task_create(campaign=campaign, customer=customer, by=rep, title="Call back", due_date=None)
    result = tasks_bulk([rule_task, manual], "done", rep)
    assert result.changed == 2 and result.skipped == []
    rule_task.refresh_from_db()
    manual.refresh_from_db()
    assert (rule_task.status, manual.status) == (TaskStatus.WAITING_FOR_DNS, TaskStatus.DONE)


# -- the sweep's fast path: an unchanged check still reopens a task whose wait is over ---------------


@pytest.fixture
def legacy_dns(sweep_dns, customer):
    serve(sweep_dns, legacy_spf_zone("acme.example"))
    return sweep_dns


def test_an_unchanged_sweep_after_the_wait_reopens_the_task(campaign, legacy_dns, rep):
    def sweep():
        sweep_run_sync(sweep_start(campaign, enqueue=False))

    with time_machine.travel(FRIDAY, tick=False):
        sweep()
        task = task_done(FollowUpTask.objects.get(kind=TaskKind.LEGACY_SPF_INCLUDE), rep)
        sweep()  # DNS unchanged, the wait not over: still waiting
        task.refresh_from_db()
        assert task.status == TaskStatus.WAITING_FOR_DNS
    with time_machine.travel(FRIDAY + days(2), tick=False):  # Sunday: still within the wait
        sweep()
        task.refresh_from_db()
        assert task.status == TaskStatus.WAITING_FOR_DNS
    with time_machine.travel(FRIDAY + days(5), tick=False):  # Wednesday, DNS still the same
        sweep()
    task.refresh_from_db()
    assert task.status == TaskStatus.OPEN and task.reopened_count == 1
    assert task.events.last().action == TaskEventKind.REOPENED_BY_CHECK
