"""Customers, their domains and the audit log of their migration status.

The customer owns its state machine: status changes go through
`Customer.change_status()`, which checks the workflow (`choices.ALLOWED_TRANSITIONS`),
writes a `StatusChange` row and bumps `version`. Every write to a customer is a
conditional UPDATE on `version` (optimistic locking), so two people editing the
same customer never silently overwrite each other.
"""

from __future__ import annotations

import zoneinfo

from auditlog.models import LogEntry
from auditlog.registry import auditlog
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import F
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from customers.choices import (
    ALLOWED_TRANSITIONS,
    ImportJobStatus,
    Language,
    MigrationStatus,
    allowed_next_statuses,
)
from customers.signals import rep_changed
from tracker.probe.domains import DomainNameError, normalize_domain


class StatusTransitionError(ValueError):
    """The workflow does not allow this status change."""

    def __init__(self, from_status: str, to_status: str):
        self.from_status = from_status
        self.to_status = to_status
        allowed = ", ".join(str(s.label) for s in allowed_next_statuses(from_status)) or _("none")
        super().__init__(
            _("A customer cannot go from %(from)s to %(to)s (allowed: %(allowed)s).")
            % {
                "from": MigrationStatus(from_status).label,
                "to": MigrationStatus(to_status).label,
                "allowed": allowed,
            }
        )


class CustomerConflict(Exception):
    """Someone saved this customer after the caller read it; `current` is the saved state."""

    def __init__(self, current: Customer | None):
        self.current = current
        super().__init__(
            _("This customer was changed by someone else since you opened the page.")
            if current is not None
            else _("This customer no longer exists.")
        )


# The longest notes the edit page and the import accept (the same limit, so an export imports again).
NOTES_MAX_LENGTH = 10_000

# Fields that may change through `Customer.update()`; status has its own method.
EDITABLE_FIELDS = ("name", "account_id", "rep", "contact_name", "contact_email", "notes", "notice_sent_at")


class CustomerQuerySet(models.QuerySet):
    def for_list(self):
        """What the customer list shows, in a fixed number of queries.

        The domain count is a correlated subquery, not a join with GROUP BY: the list's
        COUNT(*) then reads customers only, and the count runs for the page's rows only
        (the grouped form took seconds at 60,000 customers on PostgreSQL).
        """
        domains = (
            Domain.objects.filter(customer=models.OuterRef("pk"))
            .order_by()
            .values("customer")
            .annotate(n=models.Count("pk"))
            .values("n")
        )
        return self.select_related("rep").annotate(
            domain_count=Coalesce(
                models.Subquery(domains, output_field=models.IntegerField()), models.Value(0)
            )
        )


class Customer(models.Model):
    """A business customer of the legacy service, worked by one sales rep."""

    name = models.CharField(_("name"), max_length=200)
    account_id = models.CharField(
        _("account id"), max_length=64, unique=True, help_text=_("The customer's id in the billing system.")
    )
    # A rep who leaves is deactivated and their customers handed over, never deleted.
    rep = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("sales rep"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="customers",
    )
    contact_name = models.CharField(_("contact name"), max_length=200, blank=True)
    contact_email = models.EmailField(_("contact email"), blank=True)
    notes = models.TextField(_("notes"), blank=True)
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=MigrationStatus.choices,
        default=MigrationStatus.NOT_CONTACTED,
        db_index=True,
    )
    status_changed_at = models.DateTimeField(_("status changed at"), null=True, blank=True)
    notice_sent_at = models.DateTimeField(
        _("retirement notice sent"),
        null=True,
        blank=True,
        help_text=_("When the retirement notice reached them."),
    )
    version = models.PositiveIntegerField(default=1, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = CustomerQuerySet.as_manager()

    class Meta:
        ordering = ["name", "pk"]
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        # The list's default order: a page is an index range, not a sort of every customer.
        indexes = [models.Index(fields=["name", "id"], name="customer_list_order")]

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
        """Conditional UPDATE: applies `changes` only if nobody saved since `expected_version`.

        An UPDATE sends no save signal, so the change log entry (before/after) is written here.
        """
        now = timezone.now()
        before = {name: _logged(getattr(self, _attname(name))) for name in changes}
        updated = Customer.objects.filter(pk=self.pk, version=expected_version).update(
            version=F("version") + 1, updated_at=now, **changes
        )
        if updated != 1:
            raise CustomerConflict(Customer.objects.select_related("rep").filter(pk=self.pk).first())
        for field_name, value in changes.items():
            setattr(self, field_name, value)
        after = {name: _logged(getattr(self, _attname(name))) for name in changes}
        diff = {name: [before[name], after[name]] for name in changes if before[name] != after[name]}
        if diff:
            LogEntry.objects.log_create(self, action=LogEntry.Action.UPDATE, changes=diff, force_log=True)
        self.version = expected_version + 1
        self.updated_at = now

    def update(
        self, changes: dict, expected_version: int | None = None, by=None, quiet: bool = False
    ) -> list[str]:
        """Save edited fields (see EDITABLE_FIELDS); returns the names of those that changed.

        `expected_version` is the version the editor's page was built from; a
        stale one raises CustomerConflict and writes nothing. A new rep sends
        `rep_changed` (their tasks follow them; see customers.signals); `quiet`
        asks its listeners not to mail the new rep (a hand-over mails once for all).
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
        previous_rep_id = self.rep_id
        with transaction.atomic():
            self._write(version, **changed)
            if "rep" in changed:
                rep_changed.send(Customer, customer=self, previous_rep_id=previous_rep_id, by=by, quiet=quiet)
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


def _attname(name: str) -> str:
    return "rep_id" if name == "rep" else name


def _logged(value):
    """A field's value as the change log stores it (text, like django-auditlog's own entries)."""
    return "None" if value is None else str(value)


class Domain(models.Model):
    """A customer's domain, stored as a lower-case A-label (see tracker.probe.domains)."""

    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.CASCADE, related_name="domains"
    )
    name = models.CharField(_("domain"), max_length=253, unique=True)
    created_at = models.DateTimeField(_("added at"), auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("domain")
        verbose_name_plural = _("domains")

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

    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="status_changes")
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    changed_at = models.DateTimeField(_("changed at"), default=timezone.now, db_index=True)
    # Empty `from_status`: the customer was created with `to_status` (e.g. by an import).
    from_status = models.CharField(_("from"), max_length=20, choices=MigrationStatus.choices, blank=True)
    to_status = models.CharField(_("to"), max_length=20, choices=MigrationStatus.choices)
    note = models.TextField(_("note"), blank=True)

    objects = StatusChangeQuerySet.as_manager()

    class Meta:
        ordering = ["-changed_at", "-pk"]
        get_latest_by = "changed_at"
        verbose_name = _("status change")
        verbose_name_plural = _("status changes")

    def __str__(self) -> str:
        return f"{self.customer_id}: {self.from_status or '-'} -> {self.to_status}"

    def save(self, *args, **kwargs):
        if self.pk is not None and not self._state.adding:
            raise TypeError("The status history is append-only.")
        super().save(*args, **kwargs)


def validate_time_zone(value: str) -> None:
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ValidationError(_("%(value)s is not a time zone."), params={"value": value}) from None


class UserProfileQuerySet(models.QuerySet):
    def for_user(self, user) -> UserProfile:
        """The user's profile, or an unsaved one with the deployment's defaults: created on first save."""
        profile = self.filter(user=user).first()
        return profile if profile is not None else UserProfile(user=user)


class UserProfile(models.Model):
    """A person's language and time zone: pages, digests and dates follow them."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile")
    # Blank: the browser's language on pages, the deployment's LANGUAGE_CODE in mails.
    language = models.CharField(_("language"), max_length=8, choices=Language.choices, blank=True)
    # Blank: the deployment's TIME_ZONE.
    time_zone = models.CharField(_("time zone"), max_length=64, blank=True, validators=[validate_time_zone])
    # The local date of the last task digest, so each rep gets one per day at their own hour.
    digest_sent_on = models.DateField(null=True, blank=True, editable=False)

    objects = UserProfileQuerySet.as_manager()

    class Meta:
        verbose_name = _("user profile")
        verbose_name_plural = _("user profiles")

    def __str__(self) -> str:
        return f"{self.user_id}: {self.language or '-'} {self.time_zone or '-'}"

    @property
    def mail_language(self) -> str:
        """The language of this person's mails: theirs, else the deployment's."""
        return self.language or settings.LANGUAGE_CODE

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.time_zone or settings.TIME_ZONE)


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
    create_reps = models.BooleanField(default=False, help_text="Unknown rep_username: create the rep (and invite).")
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


# The change log (django-auditlog): every create, edit and delete with before/after values.
# Customer edits are conditional UPDATEs, logged by Customer._write; the version counter is noise.
auditlog.register(Customer, exclude_fields=["version", "updated_at", "created_at"])
auditlog.register(Domain, exclude_fields=["created_at"])
