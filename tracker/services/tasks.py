"""What people do to follow-up tasks: done (or waiting for DNS), reopen, snooze, reassign, write one.

"Done" is a promise the rep makes, not a fact: while the domain's latest check
still shows the problem, a task marked done waits for DNS (still in the queue)
until a check shows the fix, or is reopened by the rules once the customer's
expected change time has passed. The rows' own steps are `FollowUpTask`
methods; this module decides which step an action is.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tracker.choices import TaskEventKind, TaskKind, TaskStatus, Verdict
from tracker.common.business_days import CALENDAR
from tracker.models import DomainState, FollowUpTask, TaskStateError
from tracker.probe.stored import StoredReport
from tracker.services.followups import RULES, followups_forget_rules


def problem_still_shown(task: FollowUpTask) -> bool:
    """Does the domain's latest check still show this task's problem? Unknown counts as yes."""
    rule = RULES.get(TaskKind(task.kind))
    if rule is None or task.domain_id is None:
        return False
    state = (
        DomainState.objects.filter(campaign_id=task.campaign_id, domain_id=task.domain_id)
        .select_related("latest_check")
        .first()
    )
    if state is None or state.latest_check is None:
        return False
    report = StoredReport(state.latest_check.report)
    if report.verdict == Verdict.INCONCLUSIVE:
        return True  # a failed lookup is no sign of a fix
    finding = rule(report, task.customer)
    return finding.present or not report.complete


def waiting_until_for(task: FollowUpTask, today: dt.date) -> dt.date:
    """The last business day the customer has to make the change."""
    return CALENDAR.add(today, task.campaign.expected_change_days_or_default())


def task_done(task: FollowUpTask, by, note: str = "") -> FollowUpTask:
    """Done by hand: closed if the problem is gone, else waiting for DNS (and still in the queue)."""
    if problem_still_shown(task):
        task = task.wait_for_dns(by, note, waiting_until_for(task, timezone.localdate()))
    else:
        task = task.close(by, note)
    if task.domain_id:
        # The next check runs the rules even if DNS is unchanged, so the task meets the facts.
        followups_forget_rules(task.campaign_id, [task.domain_id])
    return task


def task_reopen(task: FollowUpTask, by, note: str = "") -> FollowUpTask:
    """Any task not open (done, fixed, waiting, snoozed) opens again; its due date moves to a business day."""
    task = task.reopen_by_hand(by, note)
    today = timezone.localdate()
    if task.due_date is None or task.due_date < today:
        FollowUpTask.objects.filter(pk=task.pk).update(due_date=CALENDAR.on_or_after(today))
        task.due_date = CALENDAR.on_or_after(today)
    if task.domain_id:
        followups_forget_rules(task.campaign_id, [task.domain_id])
    return task


class SnoozePreset:
    TOMORROW = "tomorrow"
    NEXT_WEEK = "next_week"
    DATE = "date"

    CHOICES = (
        (TOMORROW, gettext_lazy("Tomorrow")),
        (NEXT_WEEK, gettext_lazy("Next week")),
        (DATE, gettext_lazy("Until a date")),
    )


def snooze_until(preset: str, today: dt.date, day: dt.date | None = None) -> dt.date:
    """The day a snooze preset means: the next business day, next week's first business day, or `day`."""
    if preset == SnoozePreset.TOMORROW:
        return CALENDAR.add(today, 1)
    if preset == SnoozePreset.NEXT_WEEK:
        monday = today + dt.timedelta(days=7 - today.weekday())
        return CALENDAR.on_or_after(monday)
    if day is None:
        raise TaskStateError(_("pick the day to snooze until"))
    return day


def task_create(
    *, campaign, customer, by, title: str, due_date: dt.date | None, details: str = "", kind=TaskKind.MANUAL
) -> FollowUpTask:
    """A task a person writes (call back, send the contract); due on a business day."""
    due = CALENDAR.on_or_after(due_date) if due_date else None
    with transaction.atomic():
        task = FollowUpTask.objects.create(
            campaign=campaign,
            customer=customer,
            assignee=customer.rep,
            kind=kind,
            title=title,
            details=details,
            due_date=due,
            priority=campaign.priority_on(timezone.localdate()),
            created_by=by,
        )
        task.record(TaskEventKind.CREATED, by, title)
    return task


@dataclass
class BulkResult:
    """What a bulk action did, and what it could not do (with why)."""

    changed: int = 0
    skipped: list[tuple[FollowUpTask, str]] = None

    def __post_init__(self):
        self.skipped = self.skipped or []


BULK_ACTIONS = ("done", "snooze", "reassign")


def tasks_bulk(tasks: list[FollowUpTask], action: str, by, *, until=None, assignee=None) -> BulkResult:
    """One action on many tasks (already checked to be the user's); each task is its own step."""
    result = BulkResult()
    for task in tasks:
        try:
            if action == "done":
                if task.status in (TaskStatus.DONE, TaskStatus.AUTO_CLOSED):
                    raise TaskStateError(_("already closed"))
                task_done(task, by)
            elif action == "snooze":
                task.snooze(until, by)
            elif action == "reassign":
                task.reassign(assignee, by)
            else:
                raise TaskStateError(_("unknown action"))
        except TaskStateError as exc:
            result.skipped.append((task, str(exc)))
        else:
            result.changed += 1
    return result
