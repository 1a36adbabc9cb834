"""Customer notices: the campaign's editable template, and each notice drafted, edited and sent."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from customers.choices import Language
from tracker.choices import NoticeChannel


class NoticeTemplate(models.Model):
    """A campaign's editable customer notice in one language (Django template syntax; see tracker.services.notices)."""

    campaign = models.ForeignKey(
        "tracker.Campaign", on_delete=models.CASCADE, related_name="notice_templates"
    )
    # Customers are Japanese businesses: their notices are Japanese unless someone writes another.
    language = models.CharField(max_length=8, choices=Language.choices, default=Language.JAPANESE)
    subject = models.CharField(max_length=200)
    body = models.TextField(
        help_text="Django template. Context: customer, campaign, domains (each with its DNS changes), deadline."
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["campaign", "language"], name="notice_template_one_per_language")
        ]

    def __str__(self) -> str:
        return f"Notice template for {self.campaign_id} ({self.language})"


class CustomerNotice(models.Model):
    """A notice to a customer: drafted, maybe edited, then sent; part of the customer's history."""

    customer = models.ForeignKey("customers.Customer", on_delete=models.PROTECT, related_name="notices")
    campaign = models.ForeignKey("tracker.Campaign", on_delete=models.PROTECT, related_name="notices")
    subject = models.CharField(max_length=200)
    body = models.TextField()
    recipient = models.EmailField(blank=True)
    drafted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    drafted_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    channel = models.CharField(max_length=10, choices=NoticeChannel.choices, blank=True)

    class Meta:
        ordering = ["-drafted_at", "-pk"]
        indexes = [models.Index(fields=["customer", "-drafted_at"], name="notice_customer_recent")]

    def __str__(self) -> str:
        return f"{self.subject} ({'sent' if self.sent_at else 'draft'})"

    @property
    def is_sent(self) -> bool:
        return self.sent_at is not None
