"""Choices with their presentation: each status carries its badge colour."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class MigrationStatus(models.TextChoices):
    """Where a customer stands in the move from the legacy service to its successor."""

    NOT_CONTACTED = "not_contacted", _("Not contacted")
    CONTACTED = "contacted", _("Contacted")
    SCHEDULED = "scheduled", _("Scheduled")
    MIGRATING = "migrating", _("Migrating")
    MIGRATED = "migrated", _("Migrated")
    LEAVING = "leaving", _("Leaving")
    UNREACHABLE = "unreachable", _("Unreachable")

    @property
    def colour(self) -> str:
        """Bootstrap colour name, so badges look the same on every page."""
        return STATUS_COLOURS[self]

    @property
    def is_active(self) -> bool:
        """Still being worked towards the successor."""
        return self in ACTIVE_STATUSES


STATUS_COLOURS = {
    MigrationStatus.NOT_CONTACTED: "secondary",
    MigrationStatus.CONTACTED: "info",
    MigrationStatus.SCHEDULED: "primary",
    MigrationStatus.MIGRATING: "warning",
    MigrationStatus.MIGRATED: "success",
    MigrationStatus.LEAVING: "dark",
    MigrationStatus.UNREACHABLE: "danger",
}

ACTIVE_STATUSES = frozenset(
    {
        MigrationStatus.NOT_CONTACTED,
        MigrationStatus.CONTACTED,
        MigrationStatus.SCHEDULED,
        MigrationStatus.MIGRATING,
    }
)

# The workflow, in one place (the model enforces it, views only offer it).
#
# - The happy path is not_contacted -> contacted -> scheduled -> migrating -> migrated.
# - The only forward skip is contacted -> migrating: a customer who moves on the
#   day they are told needs no appointment. Nobody reaches `migrated` without
#   passing `migrating`, and nobody is scheduled before being contacted.
# - Plans slip: scheduled -> contacted (appointment cancelled), migrating ->
#   scheduled (rolled back, new date); migrated -> migrating reopens a customer
#   whose move turned out incomplete.
# - Every active status may go to `leaving` (moving to another provider: their
#   domains still need DNS cleanup, so they stay in sweeps) or `unreachable`.
# - `unreachable` comes back as `contacted` once someone answers; `leaving`
#   comes back as `contacted` when the customer changes their mind.
ALLOWED_TRANSITIONS: dict[str, frozenset[str]] = {
    MigrationStatus.NOT_CONTACTED: frozenset({MigrationStatus.CONTACTED}),
    MigrationStatus.CONTACTED: frozenset({MigrationStatus.SCHEDULED, MigrationStatus.MIGRATING}),
    MigrationStatus.SCHEDULED: frozenset({MigrationStatus.MIGRATING, MigrationStatus.CONTACTED}),
    MigrationStatus.MIGRATING: frozenset({MigrationStatus.MIGRATED, MigrationStatus.SCHEDULED}),
    MigrationStatus.MIGRATED: frozenset({MigrationStatus.MIGRATING}),
    MigrationStatus.LEAVING: frozenset({MigrationStatus.CONTACTED}),
    MigrationStatus.UNREACHABLE: frozenset({MigrationStatus.CONTACTED}),
}
for _status in ACTIVE_STATUSES:
    ALLOWED_TRANSITIONS[_status] = ALLOWED_TRANSITIONS[_status] | {
        MigrationStatus.LEAVING,
        MigrationStatus.UNREACHABLE,
    }


def allowed_next_statuses(current: str) -> list[MigrationStatus]:
    """The statuses `current` may move to, in workflow order (for forms)."""
    allowed = ALLOWED_TRANSITIONS.get(current, frozenset())
    return [status for status in MigrationStatus if status in allowed]


class Language(models.TextChoices):
    """The languages of the interface, mails and notices (settings.LANGUAGES)."""

    # Each language in its own words, so that anyone finds theirs.
    JAPANESE = "ja", "日本語"
    ENGLISH = "en", "English"
class ImportJobStatus(models.TextChoices):
    """Where a background import stands (customers.ImportJob)."""

    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")
