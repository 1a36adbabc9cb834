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

from tracker.choices import ACTIVE_TASK_STATUSES, Priority, TaskKind, TaskStatus


class FollowUpTaskQuerySet(models.QuerySet):
    def active(self):
        return self.filter(status__in=ACTIVE_TASK_STATUSES)

    def actionable(self, today=None):
        """Open, or snoozed until a day that has come."""
        today = today or timezone.localdate()
        return self.filter(Q(status=TaskStatus.OPEN) | Q(status=TaskStatus.SNOOZED, snoozed_until__lte=today))

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
    reopened_count = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    objects = FollowUpTaskQuerySet.as_manager()

    class Meta:
        ordering = ["-priority", "due_date", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "customer", "domain", "kind"],
                condition=Q(status__in=["open", "snoozed"]),
                name="followuptask_one_active_per_domain_kind",
            ),
            # NULL domains are distinct in a unique index: customer-level tasks need their own.
            models.UniqueConstraint(
                fields=["campaign", "customer", "kind"],
                condition=Q(status__in=["open", "snoozed"], domain__isnull=True),
                name="followuptask_one_active_per_customer_kind",
            ),
        ]
        indexes = [
            models.Index(fields=["assignee", "status", "-priority"], name="task_assignee_worklist"),
            models.Index(fields=["campaign", "status", "kind"], name="task_campaign_status_kind"),
        ]

    def __str__(self) -> str:
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
        changed = [name for name in self.RULE_FACTS if getattr(self, name) != facts[name]]
        for name in changed:
            setattr(self, name, facts[name])
        return changed

    def reopen(self, facts: dict, due_date: dt.date | None) -> None:
        """The problem came back after it was fixed (or changed after a rep closed it)."""
        self.take_facts(facts)
        self.status = TaskStatus.OPEN
        self.reopened_count += 1
        self.due_date = due_date
        self.closed_at = None
        self.closed_by = None

    def close_as_fixed(self, now: dt.datetime, closing_evidence: dict) -> None:
        """A check that could see the problem shows it gone."""
        self.status = TaskStatus.AUTO_CLOSED
        self.closed_at = now
        self.closed_by = None
        self.close_note = "Fixed: a check no longer found the problem."
        self.closing_evidence = closing_evidence

    # -- steps people take (lock the row, check, save) -------------------------------------------

    def close(self, by, note: str = "") -> FollowUpTask:
        """Closed by hand; the rules reopen it only if a later check shows different evidence."""
        with transaction.atomic():
            task = FollowUpTask.objects.select_for_update().get(pk=self.pk)
            if task.is_active:
                task.status = TaskStatus.DONE
                task.closed_at = timezone.now()
                task.closed_by = by
                task.close_note = note
                task.snoozed_until = None
                task.save()
        return task

    def snooze(self, until: dt.date, by) -> FollowUpTask:
        """Out of the worklist until `until` (checks still refresh or close it)."""
        if until <= timezone.localdate():
            raise TaskStateError("snooze until a day in the future")
        with transaction.atomic():
            task = FollowUpTask.objects.select_for_update().get(pk=self.pk)
            if not task.is_active:
                raise TaskStateError("only an open task can be snoozed")
            task.status = TaskStatus.SNOOZED
            task.snoozed_until = until
            task.close_note = f"Snoozed until {until.isoformat()} by {by}" if by else task.close_note
            task.save()
        return task
