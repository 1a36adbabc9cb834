"""The record of each change of a campaign's service definitions: who, when, from where, before and after.

A legacy definition decides which domains count as legacy; a careless edit can make
hundreds of them look clean and close their tasks. Every change is kept with what the
tracker predicted it would do (tracker.queries.campaigns.legacy_change_impact), and
whether someone confirmed it against the warning.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from tracker.choices import CampaignChangeSource


class CampaignChange(models.Model):
    campaign = models.ForeignKey("tracker.Campaign", on_delete=models.CASCADE, related_name="changes")
    changed_at = models.DateTimeField(default=timezone.now)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    source = models.CharField(max_length=10, choices=CampaignChangeSource.choices)
    # The service objects as stored (docs/campaign-file.md); `before` is empty for a new campaign.
    legacy_before = models.JSONField(null=True, blank=True)
    legacy_after = models.JSONField()
    successor_before = models.JSONField(null=True, blank=True)
    successor_after = models.JSONField()
    legacy_domains = models.PositiveIntegerField(default=0, help_text="Domains legacy before the change.")
    turning_clean = models.PositiveIntegerField(
        default=0,
        help_text="Of those, the domains whose every reference the new definition no longer matches.",
    )
    confirmed = models.BooleanField(default=False, help_text="Saved against the warning about turning_clean.")

    class Meta:
        ordering = ["-changed_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.campaign_id} changed at {self.changed_at:%Y-%m-%d %H:%M}"
