"""Follow-up tasks for reps (and operations).

A task's lifecycle is owned by its methods: the follow-up rules open, auto-close
and reopen it (`tracker.followup`); reps close or snooze it through
`tracker.followup.task_close()` / `task_snooze()`. At most one active (open or
snoozed) task exists per (campaign, customer, domain, kind): a database
constraint, so no rule or race can create a duplicate.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
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



class FollowUpTask(models.Model):
    """Something a rep (or operations) has to do about a customer's DNS."""

    campaign = models.ForeignKey("tracker.Campaign", on_delete=models.CASCADE, related_name="tasks")
    customer = models.ForeignKey("customers.Customer", on_delete=models.CASCADE, related_name="tasks")
    domain = models.ForeignKey(
        "customers.Domain", on_delete=models.CASCADE, null=True, blank=True, related_name="tasks"
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
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
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
