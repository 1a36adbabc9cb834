"""Check history and each domain's current state.

`Check` rows are spans: identical consecutive results (same fingerprint) extend
the latest row (`last_seen_at`, `times_seen`) instead of adding one, so stored
rows grow with changes, not with sweeps. `DomainState` is one denormalized row
per (campaign, domain) with the latest facts the dashboards filter on; it
changes only through `tracker.services.checks.record_report()`.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from tracker.choices import Verdict


class Check(models.Model):
    """What a probe found for a domain, from when it was first seen until it was last seen."""

    # History: a campaign or domain with checks cannot be deleted (archive the campaign instead).
    campaign = models.ForeignKey("tracker.Campaign", on_delete=models.PROTECT, related_name="checks")
    domain = models.ForeignKey("customers.Domain", on_delete=models.PROTECT, related_name="checks")
    sweep = models.ForeignKey(
        "tracker.Sweep",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="checks",
        help_text="The sweep that first saw this result.",
    )
    verdict = models.CharField(max_length=15, choices=Verdict.choices)
    fingerprint = models.CharField(max_length=64, help_text="SHA-256 of the report without timestamps.")
    report = models.JSONField(help_text="The domain report (docs/domain-report.md) as first seen.")
    first_seen_at = models.DateTimeField(default=timezone.now)
    last_seen_at = models.DateTimeField(default=timezone.now)
    times_seen = models.PositiveIntegerField(default=1)

    class Meta:
        # Spans of one domain never overlap, so the newest first seen is the newest last seen.
        # No index holds last_seen_at or times_seen: extending a span (what most checks do) is
        # then a HOT update on PostgreSQL, one heap write and no index writes.
        ordering = ["-first_seen_at", "-pk"]
        get_latest_by = "first_seen_at"
        indexes = [
            models.Index(fields=["domain", "campaign", "-first_seen_at"], name="check_domain_recent"),
            models.Index(fields=["campaign", "first_seen_at"], name="check_campaign_first_seen"),
        ]

    def __str__(self) -> str:
        return f"{self.domain_id}: {self.verdict} x{self.times_seen}"


class DomainState(models.Model):
    """The latest known facts about one domain in one campaign (what dashboards query)."""

    campaign = models.ForeignKey("tracker.Campaign", on_delete=models.CASCADE, related_name="domain_states")
    domain = models.ForeignKey("customers.Domain", on_delete=models.CASCADE, related_name="states")
    latest_check = models.ForeignKey(
        Check, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    verdict = models.CharField(max_length=15, choices=Verdict.choices, db_index=True)
    # The last verdict a check could decide (not inconclusive): what we last knew for sure.
    last_conclusive_verdict = models.CharField(max_length=15, choices=Verdict.choices, blank=True)
    # The conclusive verdict before that, and when it changed: "newly legacy" and "fixed"
    # for the ops summary, unaffected by inconclusive blips in between.
    previous_conclusive_verdict = models.CharField(max_length=15, choices=Verdict.choices, blank=True)
    conclusive_changed_at = models.DateTimeField(null=True, blank=True)
    last_checked_at = models.DateTimeField(null=True, blank=True)
    verdict_changed_at = models.DateTimeField(null=True, blank=True)
    consecutive_inconclusive = models.PositiveIntegerField(default=0)
    on_successor = models.BooleanField(null=True)
    breaks_on_legacy_removal = models.BooleanField(null=True)
    has_legacy_mx = models.BooleanField(default=False, help_text="kind mx or mx-address")
    has_legacy_spf_include = models.BooleanField(default=False, help_text="kind spf-include or spf-redirect")
    has_legacy_spf_ip = models.BooleanField(default=False, help_text="kind spf-ip")
    reference_kinds = models.JSONField(default=list, blank=True)
    # What the references break (end_date, cleanup, mx_move, quiet, nothing), for lists and dashboards.
    reference_breaks = models.JSONField(default=list, blank=True)
    has_spf = models.BooleanField(null=True)
    spf_lookups = models.PositiveIntegerField(null=True, blank=True)
    has_dmarc = models.BooleanField(null=True)
    dmarc_policy = models.CharField(max_length=20, blank=True)
    deprecated_tags = models.JSONField(default=list, blank=True)
    error_count = models.PositiveIntegerField(default=0)
    # What the follow-up rules last ran on (tracker.services.followups.rules_input_key): while a new
    # check brings the same key, their outcome is the same, so a sweep skips them.
    rules_key = models.CharField(max_length=120, blank=True, default="")

    class Meta:
        ordering = ["domain__name"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "domain"], name="domainstate_unique_campaign_domain")
        ]
        indexes = [
            models.Index(fields=["campaign", "verdict"], name="domainstate_campaign_verdict"),
            models.Index(fields=["campaign", "breaks_on_legacy_removal"], name="domainstate_campaign_breaks"),
        ]

    def __str__(self) -> str:
        return f"{self.domain_id} in {self.campaign_id}: {self.verdict}"

    @property
    def spf_over_limit(self) -> bool:
        return self.spf_lookups is not None and self.spf_lookups > 10
