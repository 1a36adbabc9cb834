"""Bulk import of reps, customers and domains from CSV or XLSX: all or nothing.

Used by `manage.py import_customers` and the ops import page; both show the
returned `ImportReport`. Rules (also on the import page):

- One row per customer, keyed by `account_id`; the header row names the
  columns (any order; `account_id` and `customer_name` are required, unknown
  columns are an error). Row numbers are spreadsheet rows: the header is row 1.
- A new customer starts with the `status` given (default not contacted). For an
  existing customer a different `status` is a workflow step and must be allowed
  (customers.choices.ALLOWED_TRANSITIONS); it is recorded in the audit log.
- `domains` (separated by spaces, `;` or `,`) are added to the customer; domains
  not in the file are kept, never deleted. A domain of another customer is an
  error: moving domains is a deliberate act, done in the admin.
- `rep_username` that does not exist creates that rep: a user in group `reps`
  with `rep_email` and an unusable password (they log in after a password reset
  by an admin). An existing user must be in `reps`. Blank keeps the current rep.
- Other columns set the field to the cell's value, blank included, so that a
  file exported by `export_customers` imports back unchanged.
- Everything happens in one transaction. Any error rolls it all back, and the
  report lists every error with row, column and problem. `dry_run` does the
  same work and always rolls back, so its counts say what would happen.
- Importing the same file twice changes nothing the second time.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from dataclasses import asdict, dataclass, field

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import DatabaseError, transaction
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from customers.choices import MigrationStatus
from customers.models import Customer, CustomerConflict, Domain, StatusChange, StatusTransitionError
from customers.roles import REPS_GROUP
from tracker.common.spreadsheets import SpreadsheetTooLarge, undefuse, xlsx_rows
from tracker.probe.domains import DomainNameError, normalize_domain

COLUMNS = (
    "account_id",
    "customer_name",
    "rep_username",
    "rep_email",
    "contact_name",
    "contact_email",
    "status",
    "notice_sent_at",
    "domains",
    "notes",
)
REQUIRED_COLUMNS = ("account_id", "customer_name")
MAX_ROWS = 50_000
_DOMAIN_SEPARATORS = re.compile(r"[\s;,]+")


class ImportFileError(ValueError):
    """The file as a whole cannot be read (wrong format, no header, too big)."""


@dataclass(frozen=True)
class RowError:
    row: int
    column: str
    problem: str

    def __str__(self) -> str:
        return f"row {self.row}, {self.column}: {self.problem}"


@dataclass
class ImportReport:
    """What an import did (or would do, or why it did nothing)."""

    rows: int = 0
    dry_run: bool = False
    errors: list[RowError] = field(default_factory=list)
    customers_created: int = 0
    customers_updated: int = 0
    customers_unchanged: int = 0
    reps_created: int = 0
    domains_added: int = 0
    status_changes: int = 0

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def applied(self) -> bool:
        return self.ok and not self.dry_run

    def error(self, row: int, column: str, problem: str) -> None:
        self.errors.append(RowError(row, column, problem))

    def summary(self) -> str:
        if self.errors:
            return f"{len(self.errors)} error(s) in {self.rows} row(s): nothing was imported."
        prefix = "Dry run, nothing saved. Would have: " if self.dry_run else ""
        return (
            f"{prefix}{self.rows} row(s): {self.customers_created} customer(s) created, "
            f"{self.customers_updated} updated, {self.customers_unchanged} unchanged; "
            f"{self.reps_created} rep(s) created, {self.domains_added} domain(s) added, "
            f"{self.status_changes} status change(s)."
        )


# Reading files ---------------------------------------------------------------


def _cell_text(value) -> str:
    """A cell as text: spreadsheets give numbers and dates, CSV gives strings."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return undefuse(str(value).strip())


def _read_csv(data: bytes) -> list[list[str]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ImportFileError("the CSV file is not UTF-8 encoded (save it as 'CSV UTF-8')") from None
    try:
        return list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as exc:
        raise ImportFileError(f"the CSV file cannot be read ({exc})") from None


def _read_xlsx(data: bytes) -> list[list]:
    """Streamed, within limits on what the file expands to (a 1 MB zip can declare gigabytes)."""
    try:
        return xlsx_rows(data, max_rows=MAX_ROWS + 2)
    except SpreadsheetTooLarge as exc:
        raise ImportFileError(str(exc)) from None
    except Exception as exc:  # openpyxl raises many types for a broken file
        raise ImportFileError(f"the XLSX file cannot be read ({exc.__class__.__name__})") from None


def read_table(data: bytes, filename: str = "") -> list[list[str]]:
    """The file's rows as lists of text cells; XLSX by name or content, else CSV."""
    is_xlsx = filename.lower().endswith(".xlsx") or data[:4] == b"PK\x03\x04"
    rows = _read_xlsx(data) if is_xlsx else _read_csv(data)
    if len(rows) > MAX_ROWS + 1:
        raise ImportFileError(f"the file has more than {MAX_ROWS} rows; split it")
    return [[_cell_text(value) for value in row] for row in rows]


# Importing -------------------------------------------------------------------


class _RowRejected(Exception):
    """Stop processing the current row; its errors are already in the report."""


class _Importer:
    def __init__(self, report: ImportReport, by, source: str, progress=None):
        self.report = report
        self.by = by
        self.source = source
        self.progress = progress
        self.users = {}
        self.reps_group = Group.objects.get_or_create(name=REPS_GROUP)[0]
        self.seen_accounts: dict[str, int] = {}
        self.seen_domains: dict[str, int] = {}

    def run(self, header: list[str], rows: list[tuple[int, dict]]) -> None:
        for done, (number, row) in enumerate(rows):
            if self.progress is not None:
                self.progress(done, len(rows))
            errors_before = len(self.report.errors)
            values = self.validate(number, row)
            if len(self.report.errors) != errors_before:
                continue
            users_before = dict(self.users)
            try:
                with transaction.atomic():
                    self.apply(number, values)
            except _RowRejected:
                self.users = users_before  # reps created by this row were rolled back with it
            except DatabaseError as exc:
                self.users = users_before
                self.report.error(number, "account_id", f"could not be saved ({exc.__class__.__name__})")

    # Validation: pure checks on one row, plus lookups of what already exists.

    def validate(self, number: int, row: dict) -> dict:
        error = self.report.error
        values: dict = {}
        account_id = row.get("account_id", "")
        if not account_id:
            error(number, "account_id", "is required")
        elif len(account_id) > 64:
            error(number, "account_id", "is longer than 64 characters")
        elif account_id in self.seen_accounts:
            error(number, "account_id", f"{account_id!r} is also on row {self.seen_accounts[account_id]}")
        else:
            self.seen_accounts[account_id] = number
        values["account_id"] = account_id

        name = row.get("customer_name", "")
        if not name:
            error(number, "customer_name", "is required")
        elif len(name) > 200:
            error(number, "customer_name", "is longer than 200 characters")
        values["name"] = name

        for column, limit in (("contact_name", 200), ("notes", 10_000)):
            if column in row and len(row[column]) > limit:
                error(number, column, f"is longer than {limit} characters")
        for column in ("contact_email", "rep_email"):
            if row.get(column):
                try:
                    validate_email(row[column])
                except ValidationError:
                    error(number, column, f"{row[column]!r} is not an email address")

        if row.get("rep_username"):
            try:
                UnicodeUsernameValidator()(row["rep_username"])
            except ValidationError:
                error(number, "rep_username", f"{row['rep_username']!r} is not a valid user name")

        if row.get("status"):
            status = self.parse_status(row["status"])
            if status is None:
                error(
                    number,
                    "status",
                    f"{row['status']!r} is not a status (one of: {', '.join(MigrationStatus.values)})",
                )
            values["status"] = status

        if row.get("notice_sent_at"):
            values["notice_sent_at"] = self.parse_moment(row["notice_sent_at"])
            if values["notice_sent_at"] is None:
                error(number, "notice_sent_at", f"{row['notice_sent_at']!r} is not a date (YYYY-MM-DD)")
        elif "notice_sent_at" in row:
            values["notice_sent_at"] = None

        domains = []
        for raw in _DOMAIN_SEPARATORS.split(row.get("domains", "")):
            if not raw:
                continue
            try:
                domain = normalize_domain(raw)
            except DomainNameError as exc:
                error(number, "domains", str(exc))
                continue
            if domain in self.seen_domains and self.seen_domains[domain] != number:
                error(number, "domains", f"{domain} is also on row {self.seen_domains[domain]}")
            self.seen_domains[domain] = number
            if domain not in domains:
                domains.append(domain)
        values["domains"] = domains
        values["row"] = row
        return values

    @staticmethod
    def parse_status(text: str) -> MigrationStatus | None:
        wanted = text.strip().lower().replace(" ", "_").replace("-", "_")
        return MigrationStatus(wanted) if wanted in MigrationStatus.values else None

    @staticmethod
    def parse_moment(text: str) -> dt.datetime | None:
        try:
            moment = parse_datetime(text)
            if moment is None:
                day = parse_date(text)
                moment = dt.datetime.combine(day, dt.time()) if day else None
        except ValueError:
            return None
        if moment is not None and timezone.is_naive(moment):
            moment = timezone.make_aware(moment)
        return moment

    # Applying: writes for one row, inside the import's transaction.

    def rep_for(self, number: int, row: dict):
        username = row.get("rep_username", "")
        if not username:
            return None
        if username in self.users:
            return self.users[username]
        User = get_user_model()
        user = User.objects.filter(username=username).first()
        if user is None:
            user = User(username=username, email=row.get("rep_email", ""))
            user.set_unusable_password()
            user.save()
            user.groups.add(self.reps_group)
            self.report.reps_created += 1
        elif not user.groups.filter(pk=self.reps_group.pk).exists():
            self.report.error(number, "rep_username", f"user {username!r} exists but is not a sales rep")
            raise _RowRejected
        self.users[username] = user
        return user

    def apply(self, number: int, values: dict) -> None:
        row = values["row"]
        rep = self.rep_for(number, row)
        customer = Customer.objects.filter(account_id=values["account_id"]).first()
        fields = {"name": values["name"]}
        for column in ("contact_name", "contact_email", "notes"):
            if column in row:
                fields[column] = row[column]
        if "notice_sent_at" in values:
            fields["notice_sent_at"] = values["notice_sent_at"]
        if rep is not None:
            fields["rep"] = rep

        status = values.get("status")
        if customer is None:
            not_default = bool(status) and status != MigrationStatus.NOT_CONTACTED
            customer = Customer.objects.create(
                account_id=values["account_id"],
                status=status or MigrationStatus.NOT_CONTACTED,
                status_changed_at=timezone.now() if not_default else None,
                **fields,
            )
            if not_default:
                StatusChange.objects.create(
                    customer=customer,
                    changed_by=self.by,
                    from_status="",
                    to_status=status,
                    changed_at=customer.status_changed_at,
                    note=f"Created by import of {self.source}",
                )
                self.report.status_changes += 1
            created = changed = True
        else:
            created = False
            try:
                changed = bool(customer.update(fields))
                if status and status != customer.status:
                    customer.change_status(status, by=self.by, note=f"Import of {self.source}")
                    self.report.status_changes += 1
                    changed = True
            except StatusTransitionError as exc:
                self.report.error(number, "status", str(exc))
                raise _RowRejected from None
            except CustomerConflict:
                self.report.error(number, "account_id", "was changed by someone else during the import")
                raise _RowRejected from None

        for name in values["domains"]:
            existing = Domain.objects.filter(name=name).select_related("customer").first()
            if existing is None:
                Domain.objects.create(customer=customer, name=name)
                self.report.domains_added += 1
                changed = True
            elif existing.customer_id != customer.pk:
                self.report.error(
                    number, "domains", f"{name} belongs to another customer ({existing.customer.account_id})"
                )
                raise _RowRejected
        if created:
            self.report.customers_created += 1
        elif changed:
            self.report.customers_updated += 1
        else:
            self.report.customers_unchanged += 1


def _rows_with_numbers(
    table: list[list[str]], report: ImportReport
) -> tuple[list[str], list[tuple[int, dict]]]:
    if not table or not any(table[0]):
        raise ImportFileError("the file is empty; the first row must name the columns")
    header = [cell.strip().lower().replace(" ", "_") for cell in table[0]]
    for index, column in enumerate(header):
        if column and column not in COLUMNS:
            report.error(1, column, f"unknown column (expected some of: {', '.join(COLUMNS)})")
        elif column and column in header[:index]:
            report.error(1, column, "appears twice")
    for column in REQUIRED_COLUMNS:
        if column not in header:
            report.error(1, column, "required column is missing")
    rows = []
    for offset, cells in enumerate(table[1:], start=2):
        if not any(cells):
            continue
        if len(cells) > len(header) and any(cells[len(header) :]):
            report.error(offset, "-", f"has {len(cells)} cells but the header names {len(header)} columns")
            continue
        rows.append(
            (
                offset,
                {column: (cells[i] if i < len(cells) else "") for i, column in enumerate(header) if column},
            )
        )
    return header, rows


def import_customers(
    data: bytes, filename: str = "", by=None, dry_run: bool = False, progress=None
) -> ImportReport:
    """Import a CSV/XLSX file's reps, customers and domains in one transaction (see module docs).

    `progress(rows_done, rows_total)`, when given, is called as rows are checked (background jobs).
    """
    report = ImportReport(dry_run=dry_run)
    try:
        table = read_table(data, filename)
        header, rows = _rows_with_numbers(table, report)
    except ImportFileError as exc:
        report.error(0, "file", str(exc))
        return report
    report.rows = len(rows)
    if report.errors:  # header problems: rows would be misread
        return report
    with transaction.atomic():
        _Importer(report, by, filename or "a file", progress).run(header, rows)
        if report.errors or dry_run:
            transaction.set_rollback(True)
    return report


def report_to_json(report: ImportReport) -> dict:
    """The report as stored on a background ImportJob."""
    data = asdict(report)
    data["errors"] = [[error.row, error.column, error.problem] for error in report.errors]
    return data


def report_from_json(data: dict) -> ImportReport:
    fields = {key: value for key, value in data.items() if key != "errors"}
    return ImportReport(**fields, errors=[RowError(*error) for error in data.get("errors", [])])
