"""Alert channels that operations configure, and the log of every delivery attempt.

A channel is one destination (a Slack or Teams webhook, a LINE token, our own
signed webhook, an e-mail address) with the events it wants. A delivery is one
alert to one channel: queued in the sweep's transaction, sent by a Celery job
with retries, and its outcome kept here, so a failing channel is visible and
never holds up the sweep that raised the alert.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tracker.choices import AlertChannelKind, AlertEvent, DeliveryStatus


class AlertChannel(models.Model):
    """Where alerts go, and which ones."""

    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=12, choices=AlertChannelKind.choices)
    target = models.CharField(
        _("target"),
        max_length=1000,
        help_text=_(
            "Slack/Teams: the incoming-webhook URL; LINE: an Apprise line:// URL; webhook: the URL to POST to; "
            "e-mail: the address."
        ),
    )
    secret = models.CharField(
        _("signing secret"),
        max_length=200,
        blank=True,
        help_text=_("Webhook only: the key of the X-Tracker-Signature header (HMAC-SHA256 of the body)."),
    )
    events = models.JSONField(_("events"), default=list, help_text="AlertEvent values; empty means all.")
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name", "pk"]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_kind_display()})"

    def wants(self, event: str) -> bool:
        return self.active and (not self.events or event in self.events)


class AlertDelivery(models.Model):
    """One alert to one channel: what was sent, how many attempts, and how it ended."""

    channel = models.ForeignKey(AlertChannel, on_delete=models.CASCADE, related_name="deliveries")
    event = models.CharField(max_length=20, choices=AlertEvent.choices)
    title = models.CharField(max_length=200)
    body = models.TextField()
    payload = models.JSONField(default=dict, blank=True, help_text="The facts, as the webhook sends them.")
    status = models.CharField(
        max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.QUEUED, db_index=True
    )
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.event} to {self.channel_id}: {self.status}"

    @property
    def status_colour(self) -> str:
        return DeliveryStatus(self.status).colour
