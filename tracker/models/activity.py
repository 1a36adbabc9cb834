"""What reps do that DNS cannot show: logged calls, mails and meetings; and their saved task views."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from tracker.choices import ActivityKind


class Activity(models.Model):
    """A call, mail or meeting with a customer, with a note and the next step's date."""

    customer = models.ForeignKey("customers.Customer", on_delete=models.CASCADE, related_name="activities")
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    kind = models.CharField(max_length=10, choices=ActivityKind.choices)
    note = models.TextField()
    happened_at = models.DateTimeField(default=timezone.now)
    next_step_date = models.DateField(null=True, blank=True)
    next_step_task = models.ForeignKey(
        "tracker.FollowUpTask",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="The task the next step put in the rep's list.",
    )

    class Meta:
        ordering = ["-happened_at", "-pk"]
        verbose_name_plural = "activities"
        indexes = [models.Index(fields=["customer", "-happened_at"], name="activity_customer_when")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.happened_at:%Y-%m-%d}"

    @property
    def colour(self) -> str:
        return ActivityKind(self.kind).colour


class SavedTaskView(models.Model):
    """A named filter and ordering of the task list, one user's own (like NetBox's saved filters)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_task_views"
    )
    name = models.CharField(max_length=80)
    query = models.CharField(max_length=1000, blank=True, help_text="The task list's query string.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "pk"]
        constraints = [models.UniqueConstraint(fields=["user", "name"], name="savedtaskview_unique_name")]

    def __str__(self) -> str:
        return self.name
