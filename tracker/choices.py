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
    # Written by people, not the rules: a call back, a contract to send, a logged next step.
    MANUAL = "manual", _("Manual task")
    NEXT_STEP = "next_step", _("Next step from the activity log")
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
    def by_people(self) -> bool:
        """People open these; a check neither opens, closes nor waits on them."""
        return self in PEOPLE_TASK_KINDS

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
    TaskKind.MANUAL: "dark",
    TaskKind.NEXT_STEP: "dark",
    TaskKind.LEGACY_MTA_STS: "danger",
    TaskKind.LEGACY_TLS_RPT: "warning",
    TaskKind.LEGACY_DMARC_REPORT: "warning",
    TaskKind.LEGACY_DKIM: "danger",
    TaskKind.LEGACY_CLIENT_HOST: "danger",
    TaskKind.LEGACY_SRV: "danger",
    TaskKind.LEGACY_TLSA: "danger",
}

PEOPLE_TASK_KINDS = (TaskKind.MANUAL, TaskKind.NEXT_STEP)


class TaskStatus(models.TextChoices):
    OPEN = "open", "Open"
    SNOOZED = "snoozed", "Snoozed"
    # Done by hand while DNS still shows the problem: in the queue until a check shows the fix.
    WAITING_FOR_DNS = "waiting_dns", _("Waiting for DNS")
    DONE = "done", "Done"
    AUTO_CLOSED = "auto_closed", "Fixed (closed by a check)"

    @property
    def colour(self) -> str:
        return {
            "open": "primary",
            "snoozed": "secondary",
            "waiting_dns": "warning",
            "done": "success",
            "auto_closed": "success",
        }[self.value]

    @property
    def is_active(self) -> bool:
        return self in ACTIVE_TASK_STATUSES


ACTIVE_TASK_STATUSES = (TaskStatus.OPEN, TaskStatus.SNOOZED, TaskStatus.WAITING_FOR_DNS)
# What the worklist shows by default: snoozed tasks are out of it until their day.
WORKLIST_TASK_STATUSES = (TaskStatus.OPEN, TaskStatus.WAITING_FOR_DNS)


class TaskEventKind(models.TextChoices):
    """A step in a task's history (FollowUpTask.events): who did what, and the note."""

    DONE = "done", _("Marked done")
    WAITING_FOR_DNS = "waiting_dns", _("Marked done; waiting for DNS to show the change")
    REOPENED_BY_CHECK = "reopened_check", _("Reopened by a check")
    REOPENED_BY_HAND = "reopened_hand", _("Reopened by hand")
    FIXED = "fixed", _("Closed: a check shows the fix")
    SNOOZED = "snoozed", _("Snoozed")
    REASSIGNED = "reassigned", _("Reassigned")
    CREATED = "created", _("Created by hand")


class ActivityKind(models.TextChoices):
    """What a rep logs on a customer's page."""

    CALL = "call", _("Call")
    MAIL = "mail", _("Mail")
    MEETING = "meeting", _("Meeting")

    @property
    def colour(self) -> str:
        return {"call": "primary", "mail": "info", "meeting": "success"}[self.value]


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


class TokenAccess(models.TextChoices):
    """What an API token may do; every token reads only what its owner may read."""

    READ = "read", _("Read only")
    READ_WRITE = "read_write", _("Read and write")


class AlertChannelKind(models.TextChoices):
    """Where an alert goes: chat services through Apprise, our own signed webhook, or e-mail."""

    SLACK = "slack", _("Slack")
    TEAMS = "teams", _("Microsoft Teams")
    LINE = "line", _("LINE")
    WEBHOOK = "webhook", _("Webhook (HMAC-SHA256 signed JSON)")
    EMAIL = "email", _("E-mail")


class AlertEvent(models.TextChoices):
    """What operations are alerted about."""

    SWEEP_FINISHED = "sweep_finished", _("Sweep finished (with its change summary)")
    SWEEP_FAILED = "sweep_failed", _("Sweep failed or DNS was down")
    MILESTONE_NEAR = "milestone_near", _("Campaign milestone near, customers still on the legacy service")
    LEGACY_STALLED = "legacy_stalled", _("Legacy count has not moved for days")


class DeliveryStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    SENT = "sent", _("Sent")
    RETRYING = "retrying", _("Failed, will retry")
    FAILED = "failed", _("Failed")

    @property
    def colour(self) -> str:
        return {"queued": "secondary", "sent": "success", "retrying": "warning", "failed": "danger"}[
            self.value
        ]
class CampaignChangeSource(models.TextChoices):
    """Where a change of a campaign's service definitions came from (tracker.models.CampaignChange)."""

    FORM = "form", _("Settings page")
    ADMIN = "admin", _("Django admin")
    LOAD = "load", _("campaign load")
