"""Customers, their domains and the audit log of their migration status.

The customer owns its state machine: status changes go through
`Customer.change_status()`, which checks the workflow (`choices.ALLOWED_TRANSITIONS`),
writes a `StatusChange` row and bumps `version`. Every write to a customer is a
conditional UPDATE on `version` (optimistic locking), so two people editing the
same customer never silently overwrite each other.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import F
from django.utils import timezone

from customers.choices import ALLOWED_TRANSITIONS, ImportJobStatus, MigrationStatus, allowed_next_statuses
from tracker.probe.domains import DomainNameError, normalize_domain


class StatusTransitionError(ValueError):
    """The workflow does not allow this status change."""

    def __init__(self, from_status: str, to_status: str):
        self.from_status = from_status
        self.to_status = to_status
        allowed = ", ".join(s.label for s in allowed_next_statuses(from_status)) or "none"
        super().__init__(
            f"A customer cannot go from {MigrationStatus(from_status).label} to "
            f"{MigrationStatus(to_status).label} (allowed: {allowed})."
        )


class CustomerConflict(Exception):
    """Someone saved this customer after the caller read it; `current` is the saved state."""

    def __init__(self, current: Customer | None):
        self.current = current
        super().__init__(
            "This customer was changed by someone else since you opened the page."
            if current is not None
            else "This customer no longer exists."
        )


# Fields that may change through `Customer.update()`; status has its own method.
EDITABLE_FIELDS = ("name", "account_id", "rep", "contact_name", "contact_email", "notes", "notice_sent_at")


class CustomerQuerySet(models.QuerySet):
    def for_list(self):
        """What the customer list shows, in a fixed number of queries."""
        return self.select_related("rep").annotate(domain_count=models.Count("domains", distinct=True))


class Customer(models.Model):
    """A business customer of the legacy service, worked by one sales rep."""

    name = models.CharField(max_length=200)
    account_id = models.CharField(
        "account id", max_length=64, unique=True, help_text="The customer's id in the billing system."
    )
    rep = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="sales rep",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="customers",
    )
    contact_name = models.CharField(max_length=200, blank=True)
    contact_email = models.EmailField(blank=True)
    notes = models.TextField(blank=True)
    status = models.CharField(
        max_length=20, choices=MigrationStatus.choices, default=MigrationStatus.NOT_CONTACTED, db_index=True
    )
    status_changed_at = models.DateTimeField(null=True, blank=True)
    notice_sent_at = models.DateTimeField(
        "retirement notice sent", null=True, blank=True, help_text="When the retirement notice reached them."
    )
    version = models.PositiveIntegerField(default=1, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = CustomerQuerySet.as_manager()

    class Meta:
        ordering = ["name", "pk"]

    def __str__(self) -> str:
        return f"{self.name} ({self.account_id})"

    @property
    def status_choice(self) -> MigrationStatus:
        return MigrationStatus(self.status)

    def can_change_status(self, to_status: str) -> bool:
        return to_status in ALLOWED_TRANSITIONS.get(self.status, frozenset())

    def allowed_next_statuses(self) -> list[MigrationStatus]:
        return allowed_next_statuses(self.status)

    def _write(self, expected_version: int, **changes) -> None:
        """Conditional UPDATE: applies `changes` only if nobody saved since `expected_version`."""
        now = timezone.now()
        updated = Customer.objects.filter(pk=self.pk, version=expected_version).update(
            version=F("version") + 1, updated_at=now, **changes
        )
        if updated != 1:
            raise CustomerConflict(Customer.objects.select_related("rep").filter(pk=self.pk).first())
        for field_name, value in changes.items():
            setattr(self, field_name, value)
        self.version = expected_version + 1
        self.updated_at = now

    def update(self, changes: dict, expected_version: int | None = None) -> list[str]:
        """Save edited fields (see EDITABLE_FIELDS); returns the names of those that changed.

        `expected_version` is the version the editor's page was built from; a
        stale one raises CustomerConflict and writes nothing.
        """
        unknown = set(changes) - set(EDITABLE_FIELDS)
        if unknown:
            raise ValueError(f"not editable here: {', '.join(sorted(unknown))}")
        changed = {name: value for name, value in changes.items() if getattr(self, name) != value}
        version = self.version if expected_version is None else expected_version
        if not changed:
            if version != self.version:
                # Nothing to write, but the editor must still learn about the other edit.
                raise CustomerConflict(Customer.objects.select_related("rep").filter(pk=self.pk).first())
            return []
        self._write(version, **changed)
        return list(changed)

    def change_status(
        self, to_status: str, by=None, note: str = "", expected_version: int | None = None
    ) -> StatusChange:
        """Move along the workflow and record who did it; StatusTransitionError if not allowed."""
        to_status = MigrationStatus(to_status)
        if not self.can_change_status(to_status):
            raise StatusTransitionError(self.status, to_status)
        from_status = self.status
        now = timezone.now()
        with transaction.atomic():
            self._write(
                self.version if expected_version is None else expected_version,
                status=to_status.value,
                status_changed_at=now,
            )
            return StatusChange.objects.create(
                customer=self,
                changed_by=by,
                changed_at=now,
                from_status=from_status,
                to_status=to_status.value,
                note=note,
            )


class Domain(models.Model):
    """A customer's domain, stored as a lower-case A-label (see tracker.probe.domains)."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="domains")
    name = models.CharField(max_length=253, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        # Every path (admin, import, shell) stores the canonical form.
        try:
            self.name = normalize_domain(self.name)
        except DomainNameError as exc:
            raise ValidationError({"name": str(exc)}) from None
        super().save(*args, **kwargs)

    def clean_fields(self, exclude=None):
        if not exclude or "name" not in exclude:
            try:
                self.name = normalize_domain(self.name)
            except DomainNameError as exc:
                raise ValidationError({"name": str(exc)}) from None
        super().clean_fields(exclude=exclude)


class StatusChangeQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise TypeError("The status history is append-only.")


class StatusChange(models.Model):
    """One step in a customer's workflow: the audit log. Rows are written once, never edited."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="status_changes")
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    changed_at = models.DateTimeField(default=timezone.now, db_index=True)
    # Empty `from_status`: the customer was created with `to_status` (e.g. by an import).
    from_status = models.CharField(max_length=20, choices=MigrationStatus.choices, blank=True)
    to_status = models.CharField(max_length=20, choices=MigrationStatus.choices)
    note = models.TextField(blank=True)

    objects = StatusChangeQuerySet.as_manager()

    class Meta:
        ordering = ["-changed_at", "-pk"]
        get_latest_by = "changed_at"

    def __str__(self) -> str:
        return f"{self.customer_id}: {self.from_status or '-'} -> {self.to_status}"

    def save(self, *args, **kwargs):
        if self.pk is not None and not self._state.adding:
            raise TypeError("The status history is append-only.")
        super().save(*args, **kwargs)


class ImportJob(models.Model):
    """A big import run by a worker: the upload, its progress and its all-or-nothing report.

    Imports beyond IMPORT_BACKGROUND_ROWS rows take longer than a request should (3,000
    rows took 40 s in the request and held the SQLite lock meanwhile): the page stores the
    upload here, a Celery job imports it (tracker.run_import_job), and the page shows
    `rows_done` of `rows_total` and then the same report as a small import.
    """

    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    filename = models.CharField(max_length=255)
    data = models.BinaryField(help_text="The uploaded file, as sent.")
    dry_run = models.BooleanField(default=False)
    status = models.CharField(max_length=10, choices=ImportJobStatus.choices, default=ImportJobStatus.QUEUED)
    rows_total = models.PositiveIntegerField(default=0)
    rows_done = models.PositiveIntegerField(default=0)
    report = models.JSONField(default=dict, blank=True, help_text="customers.importer.ImportReport as JSON.")
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"import {self.pk} of {self.filename} ({self.status})"

    @property
    def is_finished(self) -> bool:
        return self.status in (ImportJobStatus.DONE, ImportJobStatus.FAILED)

    @property
    def percent(self) -> int:
        return 100 if not self.rows_total else min(100, int(100 * self.rows_done / self.rows_total))
