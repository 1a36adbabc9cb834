"""Follow-up tasks for reps (and operations): something to do about a customer's DNS.

A task's lifecycle is owned by its methods. The follow-up rules
(`tracker.services.followups`) open, refresh, reopen and close it as fixed;
those methods set the fields of one step and leave saving to the caller, which
writes a whole chunk's tasks at once. People close or snooze a task with
`close()` and `snooze()`, which lock the row and save. At most one active (open
or snoozed) task exists per (campaign, customer, domain, kind): a database
constraint, so no rule or race can create a duplicate.

"Task" in this project means such a follow-up task; Celery's tasks live in
`tracker.tasks` and are called jobs in prose where the two could be confused.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone

from tracker.choices import (
    ACTIVE_TASK_STATUSES,
    PEOPLE_TASK_KINDS,
    WORKLIST_TASK_STATUSES,
    Priority,
    TaskEventKind,
    TaskKind,
    TaskStatus,
)

# The statuses the one-active-task constraints cover (literal values: migrations keep them).
_ACTIVE_VALUES = [status.value for status in ACTIVE_TASK_STATUSES]
_PEOPLE_KIND_VALUES = [kind.value for kind in PEOPLE_TASK_KINDS]


class FollowUpTaskQuerySet(models.QuerySet):
    def active(self):
        return self.filter(status__in=ACTIVE_TASK_STATUSES)

    def actionable(self, today=None):
        """Open or waiting for DNS, or snoozed until a day that has come: the default worklist."""
        today = today or timezone.localdate()
        return self.filter(
            Q(status__in=WORKLIST_TASK_STATUSES) | Q(status=TaskStatus.SNOOZED, snoozed_until__lte=today)
        )

    def for_user(self, user):
        return self.filter(assignee=user)

    def wake_due(self, today: dt.date) -> int:
        """Snoozed tasks whose day has come are open again; returns how many."""
        return self.filter(status=TaskStatus.SNOOZED, snoozed_until__lte=today).update(
            status=TaskStatus.OPEN, snoozed_until=None
        )


class TaskStateError(ValueError):
    """The task cannot take this step (e.g. snoozing a closed task); the message says why."""


class FollowUpTask(models.Model):
    """Something a rep (or operations) has to do about a customer's DNS."""

    # What reps did is history: its campaign, customer and domain stay.
    campaign = models.ForeignKey("tracker.Campaign", on_delete=models.PROTECT, related_name="tasks")
    customer = models.ForeignKey("customers.Customer", on_delete=models.PROTECT, related_name="tasks")
    domain = models.ForeignKey(
        "customers.Domain", on_delete=models.PROTECT, null=True, blank=True, related_name="tasks"
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="followup_tasks",
        help_text="The customer's rep; empty for operations tasks.",
    )
    assignee_pinned = models.BooleanField(
        default=False, help_text="Reassigned by operations: the rules no longer set the assignee."
    )
    for_ops = models.BooleanField(default=False, help_text="An operations task, not the rep's.")
    kind = models.CharField(max_length=30, choices=TaskKind.choices)
    status = models.CharField(
        max_length=12, choices=TaskStatus.choices, default=TaskStatus.OPEN, db_index=True
    )
    priority = models.PositiveSmallIntegerField(choices=Priority.choices, default=Priority.NORMAL)
    due_date = models.DateField(null=True, blank=True)
    evidence = models.JSONField(
        default=dict, blank=True, help_text="What the check found (record, term, path)."
    )
    closing_evidence = models.JSONField(
        default=dict, blank=True, help_text="What the check that closed it found."
    )
    opened_at = models.DateTimeField(default=timezone.now)
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    close_note = models.TextField(blank=True)
    snoozed_until = models.DateField(null=True, blank=True)
    waiting_until = models.DateField(
        null=True,
        blank=True,
        help_text="Waiting for DNS: the customer's last day to make the change; a check after it reopens the task.",
    )
    title = models.CharField(max_length=200, blank=True, help_text="What to do (tasks written by people).")
    details = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    reopened_count = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    objects = FollowUpTaskQuerySet.as_manager()

    class Meta:
        ordering = ["-priority", "due_date", "pk"]
        constraints = [
            # People may write as many tasks as they like; the rules keep one per problem.
            models.UniqueConstraint(
                fields=["campaign", "customer", "domain", "kind"],
                condition=Q(status__in=_ACTIVE_VALUES) & ~Q(kind__in=_PEOPLE_KIND_VALUES),
                name="followuptask_one_active_per_domain_kind",
            ),
            # NULL domains are distinct in a unique index: customer-level tasks need their own.
            models.UniqueConstraint(
                fields=["campaign", "customer", "kind"],
                condition=Q(status__in=_ACTIVE_VALUES, domain__isnull=True)
                & ~Q(kind__in=_PEOPLE_KIND_VALUES),
                name="followuptask_one_active_per_customer_kind",
            ),
        ]
        indexes = [
            models.Index(fields=["assignee", "status", "-priority"], name="task_assignee_worklist"),
            models.Index(fields=["campaign", "status", "kind"], name="task_campaign_status_kind"),
        ]

    def __str__(self) -> str:
        if self.title:
            return self.title
        where = self.domain.name if self.domain_id and self.domain else f"customer {self.customer_id}"
        return f"{self.get_kind_display()}: {where}"

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_TASK_STATUSES

    def is_overdue(self, today=None) -> bool:
        today = today or timezone.localdate()
        return self.is_active and self.due_date is not None and self.due_date < today

    # -- steps the follow-up rules take (fields only: the caller saves) --------------------------

    # What a rule writes on a task it finds still wanted: compared before anything is written.
    RULE_FACTS = ("evidence", "priority", "assignee_id", "for_ops")

    def take_facts(self, facts: dict) -> list[str]:
        """The problem is still there: take the check's evidence, priority and assignee; the fields changed."""
        names = [name for name in self.RULE_FACTS if not (name == "assignee_id" and self.assignee_pinned)]
        changed = [name for name in names if getattr(self, name) != facts[name]]
        for name in changed:
            setattr(self, name, facts[name])
        return changed

    def reopen(self, facts: dict, due_date: dt.date | None, note: str = "") -> None:
        """The problem came back after it was fixed, changed after a rep closed it, or outlived the wait."""
        self.take_facts(facts)
        self.status = TaskStatus.OPEN
        self.reopened_count += 1
        self.due_date = due_date
        self.closed_at = None
        self.closed_by = None
        self.waiting_until = None
        if note:
            self.close_note = note

    def wait_is_over(self, today: dt.date) -> bool:
        """Waiting for DNS past the customer's expected change time."""
        return (
            self.status == TaskStatus.WAITING_FOR_DNS
            and self.waiting_until is not None
            and today > self.waiting_until
        )

    def close_as_fixed(self, now: dt.datetime, closing_evidence: dict) -> None:
        """A check that could see the problem shows it gone."""
        self.status = TaskStatus.AUTO_CLOSED
        self.closed_at = now
        self.closed_by = None
        self.waiting_until = None
        self.close_note = "Fixed: a check no longer found the problem."
        self.closing_evidence = closing_evidence

    # -- steps people take (lock the row, check, save, record the step) --------------------------
    # `tracker.services.tasks` decides which step a person's action is (done or waiting for DNS).

    def _locked(self) -> FollowUpTask:
        return FollowUpTask.objects.select_for_update().get(pk=self.pk)

    def record(self, action: TaskEventKind, by=None, note: str = "") -> TaskEvent:
        return TaskEvent.objects.create(task=self, action=action, by=by, note=note)

    def close(self, by, note: str = "") -> FollowUpTask:
        """Done by hand (the problem is gone, or it is a task people wrote)."""
        return self._mark_done(TaskStatus.DONE, TaskEventKind.DONE, by, note, waiting_until=None)

    def wait_for_dns(self, by, note: str, until: dt.date) -> FollowUpTask:
        """Done by hand while DNS still shows the problem: it stays in the queue until a check shows the fix."""
        return self._mark_done(
            TaskStatus.WAITING_FOR_DNS, TaskEventKind.WAITING_FOR_DNS, by, note, waiting_until=until
        )

    def _mark_done(self, status, event, by, note: str, waiting_until: dt.date | None) -> FollowUpTask:
        with transaction.atomic():
            task = self._locked()
            if task.is_active:
                task.status = status
                task.closed_at = timezone.now()
                task.closed_by = by
                task.close_note = note
                task.snoozed_until = None
                task.waiting_until = waiting_until
                task.save()
                task.record(event, by, note)
        return task

    def reopen_by_hand(self, by, note: str = "") -> FollowUpTask:
        """Any task that is not open can be opened again; the one-active-task rule still holds."""
        with transaction.atomic():
            task = self._locked()
            if task.status == TaskStatus.OPEN:
                raise TaskStateError("this task is already open")
            if task.status not in ACTIVE_TASK_STATUSES and task._has_active_twin():
                raise TaskStateError("another open task asks for the same thing")
            task.status = TaskStatus.OPEN
            task.reopened_count += 1
            task.closed_at = None
            task.closed_by = None
            task.snoozed_until = None
            task.waiting_until = None
            task.close_note = note
            task.save()
            task.record(TaskEventKind.REOPENED_BY_HAND, by, note)
        return task

    def _has_active_twin(self) -> bool:
        if TaskKind(self.kind).by_people:
            return False
        twins = FollowUpTask.objects.active().filter(
            campaign_id=self.campaign_id,
            customer_id=self.customer_id,
            domain_id=self.domain_id,
            kind=self.kind,
        )
        return twins.exclude(pk=self.pk).exists()

    def snooze(self, until: dt.date, by) -> FollowUpTask:
        """Out of the worklist until `until` (checks still refresh or close it)."""
        if until <= timezone.localdate():
            raise TaskStateError("snooze until a day in the future")
        with transaction.atomic():
            task = self._locked()
            if not task.is_active:
                raise TaskStateError("only an open task can be snoozed")
            task.status = TaskStatus.SNOOZED
            task.snoozed_until = until
            task.waiting_until = None
            task.close_note = f"Snoozed until {until.isoformat()} by {by}" if by else task.close_note
            task.save()
            task.record(TaskEventKind.SNOOZED, by, f"until {until.isoformat()}")
        return task

    def reassign(self, to, by) -> FollowUpTask:
        """Operations hand a task to another person."""
        with transaction.atomic():
            task = self._locked()
            if task.assignee_id != getattr(to, "pk", None):
                task.assignee = to
                task.assignee_pinned = True
                task.save()
                task.record(TaskEventKind.REASSIGNED, by, f"to {to.username}" if to else "to nobody")
        return task


class TaskEvent(models.Model):
    """One step in a task's life (done, waiting for DNS, reopened, fixed...) with who and why."""

    task = models.ForeignKey(FollowUpTask, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(default=timezone.now)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    action = models.CharField(max_length=20, choices=TaskEventKind.choices)
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["at", "pk"]
        indexes = [models.Index(fields=["task", "at"], name="taskevent_task_at")]

    def __str__(self) -> str:
        return f"{self.get_action_display()} ({self.at:%Y-%m-%d %H:%M})"
