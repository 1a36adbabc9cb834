"""Choices of the tracker app with their presentation: each value carries its badge colour."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Verdict(models.TextChoices):
    """A domain's verdict, as the probe engine's report states it (docs/domain-report.md)."""

    CLEAN = "clean", "Clean"
    LEGACY = "legacy", "Legacy"
    INCONCLUSIVE = "inconclusive", "Inconclusive"
    UNREGISTERED = "unregistered", "Unregistered"

    @property
    def colour(self) -> str:
        return VERDICT_COLOURS[self]


VERDICT_COLOURS = {
    Verdict.CLEAN: "success",
    Verdict.LEGACY: "danger",
    Verdict.INCONCLUSIVE: "warning",
    Verdict.UNREGISTERED: "secondary",
}


class SweepKind(models.TextChoices):
    FULL = "full", "Full sweep"
    RECHECK = "recheck", "Re-check of legacy and inconclusive domains"
    SINGLE = "single", "Re-check now"

    @property
    def colour(self) -> str:
        return {"full": "primary", "recheck": "info", "single": "secondary"}[self.value]


class SweepStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    PARTIAL = "partial", "Partial"  # finished, but some chunks never ran (resume it)
    FAILED = "failed", "Failed"

    @property
    def colour(self) -> str:
        return SWEEP_STATUS_COLOURS[self]

    @property
    def is_finished(self) -> bool:
        return self in (SweepStatus.DONE, SweepStatus.PARTIAL, SweepStatus.FAILED)


SWEEP_STATUS_COLOURS = {
    SweepStatus.QUEUED: "secondary",
    SweepStatus.RUNNING: "primary",
    SweepStatus.DONE: "success",
    SweepStatus.PARTIAL: "warning",
    SweepStatus.FAILED: "danger",
}


class ChunkStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"

    @property
    def colour(self) -> str:
        return {"queued": "secondary", "running": "primary", "done": "success", "failed": "danger"}[
            self.value
        ]


class TaskKind(models.TextChoices):
    """What a follow-up task asks for; the follow-up rules (tracker.services.followups) open them."""

    LEGACY_SPF_INCLUDE = "legacy_spf_include", "Remove legacy SPF include"
    LEGACY_MX = "legacy_mx", "Move MX off the legacy service"
    STATUS_CONFLICT = "status_conflict", "Marked migrated, DNS still legacy"
    SPF_TOO_MANY_LOOKUPS = "spf_too_many_lookups", "SPF over 10 DNS lookups"
    UNREGISTERED = "unregistered", "Domain not registered"
    INCONCLUSIVE_REPEATED = "inconclusive_repeated", "Inconclusive three checks in a row"
    # The other DNS references to the legacy service (issue 13), one task per reference kind.
    LEGACY_MTA_STS = "legacy_mta_sts", _("Update the MTA-STS policy")
    LEGACY_TLS_RPT = "legacy_tls_rpt", _("Move TLS-RPT reports off the legacy service")
    LEGACY_DMARC_REPORT = "legacy_dmarc_report", _("Move DMARC reports off the legacy service")
    LEGACY_DKIM = "legacy_dkim", _("Replace the legacy DKIM key")
    LEGACY_CLIENT_HOST = "legacy_client_host", _("Point mail client names at the successor")
    LEGACY_SRV = "legacy_srv", _("Point SRV records at the successor")
    LEGACY_TLSA = "legacy_tlsa", _("Replace the legacy TLSA record")

    @property
    def colour(self) -> str:
        return TASK_KIND_COLOURS[self]

    @property
    def for_ops(self) -> bool:
        """Operations, not the rep, look into DNS trouble."""
        return self == TaskKind.INCONCLUSIVE_REPEATED


TASK_KIND_COLOURS = {
    TaskKind.LEGACY_SPF_INCLUDE: "danger",
    TaskKind.LEGACY_MX: "danger",
    TaskKind.STATUS_CONFLICT: "warning",
    TaskKind.SPF_TOO_MANY_LOOKUPS: "warning",
    TaskKind.UNREGISTERED: "secondary",
    TaskKind.INCONCLUSIVE_REPEATED: "info",
    TaskKind.LEGACY_MTA_STS: "danger",
    TaskKind.LEGACY_TLS_RPT: "warning",
    TaskKind.LEGACY_DMARC_REPORT: "warning",
    TaskKind.LEGACY_DKIM: "danger",
    TaskKind.LEGACY_CLIENT_HOST: "danger",
    TaskKind.LEGACY_SRV: "danger",
    TaskKind.LEGACY_TLSA: "danger",
}


class TaskStatus(models.TextChoices):
    OPEN = "open", "Open"
    SNOOZED = "snoozed", "Snoozed"
    DONE = "done", "Done"
    AUTO_CLOSED = "auto_closed", "Fixed (closed by a check)"

    @property
    def colour(self) -> str:
        return {"open": "primary", "snoozed": "secondary", "done": "success", "auto_closed": "success"}[
            self.value
        ]

    @property
    def is_active(self) -> bool:
        return self in ACTIVE_TASK_STATUSES


ACTIVE_TASK_STATUSES = (TaskStatus.OPEN, TaskStatus.SNOOZED)


class Priority(models.IntegerChoices):
    """Rises as the campaign's end date approaches (Campaign.priority_on)."""

    LOW = 1, "Low"
    NORMAL = 2, "Normal"
    HIGH = 3, "High"
    URGENT = 4, "Urgent"

    @property
    def colour(self) -> str:
        return {1: "secondary", 2: "info", 3: "warning", 4: "danger"}[self.value]


class NoticeChannel(models.TextChoices):
    EMAIL = "email", "Email"
    OTHER = "other", "Other means (phone, letter, meeting)"

    @property
    def colour(self) -> str:
        return {"email": "primary", "other": "secondary"}[self.value]


class CampaignChangeSource(models.TextChoices):
    """Where a change of a campaign's service definitions came from (tracker.models.CampaignChange)."""

    FORM = "form", _("Settings page")
    ADMIN = "admin", _("Django admin")
    LOAD = "load", _("campaign load")
