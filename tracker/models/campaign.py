"""Campaigns: which legacy service is retired in favour of which successor, and when.

The contract fields (docs/campaign-file.md) are stored as they are in
the JSON file, per-service lists in JSONFields, and always validated through the
probe engine's parser (`tracker.probe.campaign.Campaign.from_dict`), so the
database, `manage.py campaign load` and the engine judge a campaign the same way.
Milestones and the `active` flag are ours and not part of the JSON contract.
"""

from __future__ import annotations

import datetime as dt

from auditlog.registry import auditlog
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from tracker.choices import Priority
from tracker.probe import campaign as probe_campaign

# Priority of follow-up work by days left to the end date (fewer days, higher priority).
HIGH_PRIORITY_DAYS = 14
NORMAL_PRIORITY_DAYS = 60


def _empty_service() -> dict:
    return {"name": "", "mx_hosts": [], "spf_includes": [], "ip_ranges": [], "outbound_ips": []}


# A legacy service is recognised by these; with none of them every domain would look clean.
LEGACY_DEFINITION_FIELDS = ("mx_hosts", "spf_includes", "ip_ranges")
EMPTY_LEGACY_MESSAGE = _(
    "lists no MX host pattern, SPF include or IP range: with nothing to recognise the legacy "
    "service by, every domain would look clean. Add at least one."
)


def legacy_definition_error(parsed: probe_campaign.Campaign) -> probe_campaign.CampaignError | None:
    """The error for a legacy service the engine could never find (issue 10: empty definitions)."""
    if any(getattr(parsed.legacy, key) for key in LEGACY_DEFINITION_FIELDS):
        return None
    return probe_campaign.CampaignError("legacy", str(EMPTY_LEGACY_MESSAGE))


# Which model field a CampaignError's field path belongs to ("legacy.ip_ranges[0]" -> legacy).
_CONTRACT_FIELDS = {"slug", "name", "legacy", "successor", "end_date", "cleanup_date"}


class Campaign(models.Model):
    """A retirement campaign, as people run it (milestones) and as sweeps probe it (to_probe)."""

    slug = models.SlugField(max_length=64, unique=True)
    name = models.CharField(max_length=200)
    legacy = models.JSONField(
        default=_empty_service,
        help_text="name, mx_hosts, spf_includes, ip_ranges, outbound_ips; optional: hosts, mail_domains, "
        "dkim_selectors, tlsa (docs/campaign-file.md)",
    )
    successor = models.JSONField(
        default=_empty_service,
        help_text="name, mx_hosts, spf_includes, ip_ranges, outbound_ips, dkim_selectors; optional: hosts, "
        "tlsa, client_hosts, dmarc_rua, tlsrpt_rua (docs/campaign-file.md)",
    )
    end_date = models.DateField(help_text="The legacy service stops.")
    cleanup_date = models.DateField(
        null=True, blank=True, help_text="The legacy SPF record is deleted (sweeps continue until then)."
    )
    active = models.BooleanField(
        default=True, help_text="Active campaigns are swept and shown on dashboards."
    )
    expected_change_days = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        help_text="Business days a customer has to change DNS after a rep marks a task done; "
        "empty: the TASK_EXPECTED_CHANGE_DAYS setting (2).",
    )
    # Campaigns are never deleted: their checks, tasks and notices are the record of the retirement.
    archived = models.BooleanField(
        default=False, help_text="Finished and kept for the record: not swept, not active, never deleted."
    )
    internal_announcement_date = models.DateField(null=True, blank=True)
    customer_announcement_date = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-active", "end_date", "slug"]

    def __str__(self) -> str:
        return self.name

    @classmethod
    def from_db(cls, db, field_names, values):
        """Remember `active` as loaded, so that saving can tell an activation (schedules follow it)."""
        instance = super().from_db(db, field_names, values)
        instance.loaded_active = instance.__dict__.get("active")
        return instance

    @property
    def was_activated(self) -> bool:
        """Active now, and new or inactive when loaded."""
        return bool(self.active) and getattr(self, "loaded_active", None) is not True
    def archive(self) -> None:
        """Put the campaign away with its history: no more sweeps, off the dashboards."""
        self.archived, self.active = True, False
        self.save(update_fields=["archived", "active", "updated_at"])  # a save: the change log records it

    # Dates ---------------------------------------------------------------------

    def next_deadline(self, today: dt.date) -> dt.date | None:
        """The end date until it passes, then the cleanup date; None once both are past."""
        for deadline in (self.end_date, self.cleanup_date):
            if deadline is not None and deadline >= today:
                return deadline
        return None

    def expected_change_days_or_default(self) -> int:
        """Business days a customer has to change DNS after their rep marks a task done."""
        if self.expected_change_days is not None:
            return self.expected_change_days
        return settings.TASK_EXPECTED_CHANGE_DAYS

    def priority_on(self, today: dt.date) -> Priority:
        """Follow-up priority: rises as the end date approaches; urgent once the service has stopped."""
        if today > self.end_date:
            return Priority.URGENT
        days_left = (self.end_date - today).days
        if days_left <= HIGH_PRIORITY_DAYS:
            return Priority.HIGH
        if days_left <= NORMAL_PRIORITY_DAYS:
            return Priority.NORMAL
        return Priority.LOW

    # The JSON contract ---------------------------------------------------------

    def to_contract(self) -> dict:
        """The campaign JSON exactly as docs/campaign-file.md defines it (what `campaign dump` writes)."""
        return self.to_probe().to_dict()

    def to_probe(self) -> probe_campaign.Campaign:
        """The probe engine's view of this campaign; CampaignError if the stored data is invalid."""
        return probe_campaign.Campaign.from_dict(self._raw_contract())

    def _raw_contract(self) -> dict:
        def date_text(value):
            return value.isoformat() if hasattr(value, "isoformat") else value

        return {
            "slug": self.slug,
            "name": self.name,
            "legacy": self.legacy,
            "successor": self.successor,
            "end_date": date_text(self.end_date),
            "cleanup_date": date_text(self.cleanup_date),
        }

    def apply_contract(self, parsed: probe_campaign.Campaign) -> None:
        """Copy a parsed campaign's contract fields onto this row (not saved)."""
        data = parsed.to_dict()
        self.slug = parsed.slug
        self.name = data["name"]
        self.legacy = data["legacy"]
        self.successor = data["successor"]
        self.end_date = parsed.end_date
        self.cleanup_date = parsed.cleanup_date

    def clean(self):
        super().clean()
        if self.archived and self.active:
            raise ValidationError(
                {"active": "An archived campaign cannot be active: it is kept for the record."}
            )
        try:
            parsed = self.to_probe()
            error = legacy_definition_error(parsed)
            if error is not None:
                raise error
        except probe_campaign.CampaignError as exc:
            root = exc.field.split(".")[0].split("[")[0]
            raise ValidationError(
                {root if root in _CONTRACT_FIELDS else None: f"{exc.field}: {exc.message}"}
            ) from None
        # Store the canonical form (lower-case hosts, normalised CIDRs).
        data = parsed.to_dict()
        self.legacy = data["legacy"]
        self.successor = data["successor"]
        self._check_milestones()

    def _check_milestones(self) -> None:
        errors = {}
        if (
            self.internal_announcement_date
            and self.customer_announcement_date
            and self.customer_announcement_date < self.internal_announcement_date
        ):
            errors["customer_announcement_date"] = "must not be before the internal announcement"
        if (
            self.customer_announcement_date
            and self.end_date
            and self.end_date < self.customer_announcement_date
        ):
            errors["customer_announcement_date"] = "must not be after the end date"
        if errors:
            raise ValidationError(errors)

    @classmethod
    def from_contract(cls, data: dict) -> tuple[Campaign, bool]:
        """Create or update the campaign described by contract JSON `data` (CampaignError if invalid).

        Returns (campaign, created). Milestones and `active` of an existing
        campaign are kept: the JSON file does not carry them. A legacy service
        without MX patterns, SPF includes or ranges is refused like a contract error.
        """
        parsed = probe_campaign.Campaign.from_dict(data)
        error = legacy_definition_error(parsed)
        if error is not None:
            raise error
        campaign = cls.objects.filter(slug=parsed.slug).first()
        created = campaign is None
        if created:
            campaign = cls()
        campaign.apply_contract(parsed)
        campaign.save()
        return campaign, created


# The change log (django-auditlog): every edit of a campaign, with before/after values.
auditlog.register(Campaign, exclude_fields=["updated_at", "created_at"])
