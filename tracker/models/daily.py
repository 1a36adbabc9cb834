"""One row per campaign and day: how many customers and domains were still legacy (the burndown).

Computing the burndown from every check span cost seconds on a large campaign
(and again after every restart), so the figures of each day are stored once:
by the sweeps when they finish (`tracker.services.daily_figures`), by a nightly
task, and for the days before this table existed by `backfill_daily_figures`.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone


class DailyFigures(models.Model):
    """A campaign's legacy and unknown counts at the end of one day (or when last recorded that day)."""

    campaign = models.ForeignKey("tracker.Campaign", on_delete=models.CASCADE, related_name="daily_figures")
    day = models.DateField()
    legacy_domains = models.PositiveIntegerField(default=0)
    # Unknown: the last check was inconclusive (a failed lookup), never folded into "not legacy".
    unknown_domains = models.PositiveIntegerField(default=0)
    legacy_customers = models.PositiveIntegerField(default=0, help_text="with at least one legacy domain")
    unknown_customers = models.PositiveIntegerField(
        default=0, help_text="no legacy domain, but at least one inconclusive one"
    )
    # Not known for days backfilled from history (spans do not store it): null, not 0.
    breaking_domains = models.PositiveIntegerField(null=True, blank=True)
    breaking_customers = models.PositiveIntegerField(null=True, blank=True)
    recorded_at = models.DateTimeField(default=timezone.now)
    # The whole dashboard's domain figures as computed at `recorded_at` (tracker.queries.dashboards.
    # dashboard_details): a cold dashboard reads them in one query instead of aggregating every state.
    details = models.JSONField(default=dict, blank=True)
    # The newest check span they saw: when a newer one exists, the page says "as of" and asks for a refresh.
    checks_version = models.CharField(max_length=40, blank=True, default="")

    class Meta:
        ordering = ["campaign", "day"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "day"], name="dailyfigures_unique_campaign_day")
        ]

    def __str__(self) -> str:
        return f"{self.campaign_id} {self.day}: {self.legacy_domains} legacy"
