"""Bulk import of reps, customers and domains from CSV or XLSX: all or nothing.

Used by `manage.py import_customers` and the ops import page; both show the
returned `ImportReport`. The CRM sync API (`/api/sync/customers/`) sends rows as
mappings to `import_records`, under the same rules. Rules (also on the import page):

- One row per customer, keyed by `account_id`; the header row names the
  columns (any order; `account_id` and `customer_name` are required, unknown
  columns are an error). Row numbers are spreadsheet rows: the header is row 1.
- A new customer starts with the `status` given (default not contacted). For an
  existing customer a different `status` is a workflow step and must be allowed
  (customers.choices.ALLOWED_TRANSITIONS); it is recorded in the audit log.
- `domains` (separated by spaces, `;` or `,`) are added to the customer; domains
  not in the file are kept, never deleted. A domain of another customer is an
  error: moving domains is a deliberate act, done in the admin.
- `rep_username` that does not exist is an error (a typo must not create a
  rep), unless the importer asked to create reps (`create_reps`): then it becomes
  a user in group `reps` with `rep_email` and an unusable password, invited by
  mail to set one (`invite_url` builds the link). An existing user must be in
  `reps`. Blank keeps the current rep.
- CSV files may be UTF-8 (with or without BOM), CP932/Shift_JIS or UTF-16 (Excel's
  "Unicode text", tab-separated); the report names the one it read. Full-width
  letters, digits and punctuation in account ids, domains and e-mail addresses
  (`ＡＢＣ１２３`, `ｅｘａｍｐｌｅ．ｊｐ`) are normalised (NFKC) before validation,
  and the report lists each cell it changed.
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
import unicodedata
from collections.abc import Callable
from dataclasses import asdict, dataclass, field

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import DatabaseError, transaction
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from customers.choices import MigrationStatus
from customers.models import (
    NOTES_MAX_LENGTH,
    Customer,
    CustomerConflict,
    Domain,
    StatusChange,
    StatusTransitionError,
)
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
_DOMAIN_SEPARATORS = re.compile(r"[\s;,、]+")
# Columns whose full-width characters are folded (NFKC) before validation.
NORMALISED_COLUMNS = ("account_id", "domains", "contact_email", "rep_email")


class ImportFileError(ValueError):
    """The file as a whole cannot be read (wrong format, no header, too big)."""


@dataclass(frozen=True)
class RowError:
    row: int
    column: str
    problem: str

    def __str__(self) -> str:
        return _("row %(row)s, %(column)s: %(problem)s") % {
            "row": self.row,
            "column": self.column,
            "problem": self.problem,
        }


@dataclass(frozen=True)
class Normalisation:
    """A cell the import folded to its plain form: `ＡＢＣ１２３` -> `ABC123`."""

    row: int
    column: str
    before: str
    after: str

    def __str__(self) -> str:
        return _("row %(row)s, %(column)s: %(before)s → %(after)s") % vars(self)


@dataclass
class ImportReport:
    """What an import did (or would do, or why it did nothing)."""

    rows: int = 0
    dry_run: bool = False
    # What the file was read as: "XLSX", "UTF-8", "UTF-8 (BOM)", "Shift_JIS (CP932)", "UTF-16".
    file_format: str = ""
    errors: list[RowError] = field(default_factory=list)
    normalised: list[Normalisation] = field(default_factory=list)
    # Ids of the domains this import added (queued for a first check once it commits).
    new_domain_ids: list[int] = field(default_factory=list)
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

    @property
    def error_rows(self) -> int:
        """How many rows have at least one error (the header is row 1, the file as a whole row 0)."""
        return len({error.row for error in self.errors})

    def summary(self) -> str:
        if self.errors:
            return _("%(errors)s in %(rows)s: nothing was imported.") % {
                "errors": ngettext("%(count)d error", "%(count)d errors", len(self.errors))
                % {"count": len(self.errors)},
                "rows": ngettext("%(count)d row", "%(count)d rows", self.error_rows)
                % {"count": self.error_rows},
            }
        text = _(
            "%(rows)d row(s): %(created)d customer(s) created, %(updated)d updated, %(unchanged)d unchanged; "
            "%(reps)d rep(s) created, %(domains)d domain(s) added, %(statuses)d status change(s)."
        ) % {
            "rows": self.rows,
            "created": self.customers_created,
            "updated": self.customers_updated,
            "unchanged": self.customers_unchanged,
            "reps": self.reps_created,
            "domains": self.domains_added,
            "statuses": self.status_changes,
        }
        if self.dry_run:
            text = _("Dry run, nothing saved. Would have: %(summary)s") % {"summary": text}
        if self.normalised:
            text += " " + ngettext(
                "%(count)d full-width cell normalised.",
                "%(count)d full-width cells normalised.",
                len(self.normalised),
            ) % {"count": len(self.normalised)}
        return text


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


# Encodings a Japanese office saves CSV in, tried in this order after the BOMs.
UTF8, UTF8_BOM, CP932, UTF16 = "UTF-8", "UTF-8 (BOM)", "Shift_JIS (CP932)", "UTF-16"


def decode_csv(data: bytes) -> tuple[str, str]:
    """(text, the encoding it was read as): UTF-16 and UTF-8 by their BOM, then UTF-8, then CP932."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16"), UTF16
        except UnicodeDecodeError:
            raise ImportFileError(_("the file starts like UTF-16 but is not UTF-16 text")) from None
    if data.startswith(b"\xef\xbb\xbf"):
        try:
            return data[3:].decode("utf-8"), UTF8_BOM
        except UnicodeDecodeError:
            raise ImportFileError(_("the file starts like UTF-8 but is not UTF-8 text")) from None
    try:
        return data.decode("utf-8"), UTF8
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp932"), CP932
    except UnicodeDecodeError:
        raise ImportFileError(
            _("the CSV file is neither UTF-8, Shift_JIS (CP932) nor UTF-16: save it as 'CSV UTF-8'")
        ) from None


def _delimiter(text: str) -> str:
    """Tab for Excel's "Unicode text" (and any file whose header has tabs and no commas), else comma."""
    header = text.split("\n", 1)[0]
    return "\t" if "\t" in header and "," not in header else ","


def _read_csv(data: bytes) -> tuple[list[list[str]], str]:
    text, encoding = decode_csv(data)
    try:
        return list(csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text))), encoding
    except csv.Error as exc:
        raise ImportFileError(_("the CSV file cannot be read (%(error)s)") % {"error": exc}) from None


def _read_xlsx(data: bytes) -> list[list]:
    """Streamed, within limits on what the file expands to (a 1 MB zip can declare gigabytes)."""
    try:
        return xlsx_rows(data, max_rows=MAX_ROWS + 2)
    except SpreadsheetTooLarge as exc:
        raise ImportFileError(str(exc)) from None
    except Exception as exc:  # openpyxl raises many types for a broken file
        raise ImportFileError(
            _("the XLSX file cannot be read (%(error)s)") % {"error": exc.__class__.__name__}
        ) from None


# A spreadsheet number keeps 15 significant digits: a longer one (an account id typed as a
# number) was rounded when it was typed, so what the file holds is not what was meant.
EXACT_DIGITS = 15


def _column_letter(index: int) -> str:
    """0 -> A, 25 -> Z, 26 -> AA: the column as the spreadsheet names it."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def _check_number(value, row: int, column: int) -> None:
    if isinstance(value, float) and value.is_integer() and abs(value) >= 10**EXACT_DIGITS:
        cell = f"{_column_letter(column)}{row + 1}"
        raise ImportFileError(
            f"cell {cell} holds the number {int(value)}, which has more than {EXACT_DIGITS} digits: the "
            f"spreadsheet rounded it, so the id is lost. Format the column as text and type it again"
        )
def read_table_and_format(data: bytes, filename: str = "") -> tuple[list[list[str]], str]:
    """The file's rows as lists of text cells, and what it was read as (XLSX or the CSV's encoding)."""
    is_xlsx = filename.lower().endswith(".xlsx") or data[:4] == b"PK\x03\x04"
    rows, file_format = (_read_xlsx(data), "XLSX") if is_xlsx else _read_csv(data)
    if len(rows) > MAX_ROWS + 1:
        raise ImportFileError(_("the file has more than %(max)d rows; split it") % {"max": MAX_ROWS})
    for row_index, row in enumerate(rows):
        for column_index, value in enumerate(row):
            _check_number(value, row_index, column_index)
    return [[_cell_text(value) for value in row] for row in rows], file_format


def read_table(data: bytes, filename: str = "") -> list[list[str]]:
    """The file's rows as lists of text cells; XLSX by name or content, else CSV."""
    return read_table_and_format(data, filename)[0]


def fold_width(text: str) -> str:
    """Full-width letters, digits and punctuation as plain ones (NFKC): `ｅｘａｍｐｌｅ．ｊｐ` -> `example.jp`."""
    return unicodedata.normalize("NFKC", text)


def normalise_row(number: int, row: dict, report: ImportReport) -> dict:
    """The row with NORMALISED_COLUMNS folded; each change is noted in the report."""
    for column in NORMALISED_COLUMNS:
        before = row.get(column, "")
        after = fold_width(before).strip() if before else before
        if after != before:
            row[column] = after
            report.normalised.append(Normalisation(number, column, before, after))
    return row


# Importing -------------------------------------------------------------------


class _RowRejected(Exception):
    """Stop processing the current row; its errors are already in the report."""


class _Importer:
    def __init__(self, report: ImportReport, by, source: str, create_reps: bool = False, progress=None):
        self.report = report
        self.by = by
        self.source = source
        self.create_reps = create_reps
        self.created_reps: list = []
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
                self.report.error(
                    number,
                    "account_id",
                    _("could not be saved (%(error)s)") % {"error": exc.__class__.__name__},
                )

    # Validation: pure checks on one row, plus lookups of what already exists.

    def validate(self, number: int, row: dict) -> dict:
        error = self.report.error
        values: dict = {}
        row = normalise_row(number, row, self.report)
        # The database cannot store a NUL: name the cell here, before a save fails on some other column.
        nul_columns = [column for column, text in row.items() if "\x00" in text]
        for column in nul_columns:
            error(number, column, "contains a NUL character (\\x00), which cannot be stored: remove it")
        if nul_columns:
            return values
        account_id = row.get("account_id", "")
        if not account_id:
            error(number, "account_id", _("is required"))
        elif len(account_id) > 64:
            error(number, "account_id", _("is longer than %(limit)d characters") % {"limit": 64})
        elif account_id in self.seen_accounts:
            error(
                number,
                "account_id",
                _("%(value)r is also on row %(row)d")
                % {"value": account_id, "row": self.seen_accounts[account_id]},
            )
        else:
            self.seen_accounts[account_id] = number
        values["account_id"] = account_id

        name = row.get("customer_name", "")
        if not name:
            error(number, "customer_name", _("is required"))
        elif len(name) > 200:
            error(number, "customer_name", _("is longer than %(limit)d characters") % {"limit": 200})
        values["name"] = name

        for column, limit in (("contact_name", 200), ("notes", NOTES_MAX_LENGTH)):
            if column in row and len(row[column]) > limit:
                error(number, column, _("is longer than %(limit)d characters") % {"limit": limit})
        for column in ("contact_email", "rep_email"):
            if row.get(column):
                try:
                    validate_email(row[column])
                except ValidationError:
                    error(number, column, _("%(value)r is not an email address") % {"value": row[column]})

        if row.get("rep_username"):
            try:
                UnicodeUsernameValidator()(row["rep_username"])
            except ValidationError:
                error(
                    number,
                    "rep_username",
                    _("%(value)r is not a valid user name") % {"value": row["rep_username"]},
                )

        if row.get("status"):
            status = self.parse_status(row["status"])
            if status is None:
                error(
                    number,
                    "status",
                    _("%(value)r is not a status (one of: %(choices)s)")
                    % {"value": row["status"], "choices": ", ".join(MigrationStatus.values)},
                )
            values["status"] = status

        if row.get("notice_sent_at"):
            values["notice_sent_at"] = self.parse_moment(row["notice_sent_at"])
            if values["notice_sent_at"] is None:
                error(
                    number,
                    "notice_sent_at",
                    _("%(value)r is not a date (YYYY-MM-DD)") % {"value": row["notice_sent_at"]},
                )
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
                error(
                    number,
                    "domains",
                    _("%(value)s is also on row %(row)d")
                    % {"value": domain, "row": self.seen_domains[domain]},
                )
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
        if user is None and not self.create_reps:
            self.report.error(
                number,
                "rep_username",
                _("there is no user %(value)r: check the spelling, or ask the import to create reps")
                % {"value": username},
            )
            raise _RowRejected
        if user is None:
            user = User(username=username, email=row.get("rep_email", ""))
            user.set_unusable_password()
            user.save()
            user.groups.add(self.reps_group)
            self.report.reps_created += 1
            self.created_reps.append(user)
        elif not user.groups.filter(pk=self.reps_group.pk).exists():
            self.report.error(
                number,
                "rep_username",
                _("user %(value)r exists but is not a sales rep") % {"value": username},
            )
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
                changed = bool(customer.update(fields, by=self.by))
                if status and status != customer.status:
                    customer.change_status(status, by=self.by, note=f"Import of {self.source}")
                    self.report.status_changes += 1
                    changed = True
            except StatusTransitionError as exc:
                self.report.error(number, "status", str(exc))
                raise _RowRejected from None
            except CustomerConflict:
                self.report.error(number, "account_id", _("was changed by someone else during the import"))
                raise _RowRejected from None

        for name in values["domains"]:
            existing = Domain.objects.filter(name=name).select_related("customer").first()
            if existing is None:
                self.report.new_domain_ids.append(Domain.objects.create(customer=customer, name=name).pk)
                self.report.domains_added += 1
                changed = True
            elif existing.customer_id != customer.pk:
                self.report.error(
                    number,
                    "domains",
                    _("%(value)s belongs to another customer (%(account)s)")
                    % {"value": name, "account": existing.customer.account_id},
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
        raise ImportFileError(_("the file is empty; the first row must name the columns"))
    header = [cell.strip().lower().replace(" ", "_") for cell in table[0]]
    for index, column in enumerate(header):
        if column and column not in COLUMNS:
            report.error(
                1,
                column,
                _("unknown column (expected some of: %(columns)s)") % {"columns": ", ".join(COLUMNS)},
            )
        elif column and column in header[:index]:
            report.error(1, column, _("appears twice"))
    for column in REQUIRED_COLUMNS:
        if column not in header:
            report.error(1, column, _("required column is missing"))
    rows = []
    for offset, cells in enumerate(table[1:], start=2):
        if not any(cells):
            continue
        if len(cells) > len(header) and any(cells[len(header) :]):
            report.error(
                offset,
                "-",
                _("has %(cells)d cells but the header names %(columns)d columns")
                % {"cells": len(cells), "columns": len(header)},
            )
            continue
        rows.append(
            (
                offset,
                {column: (cells[i] if i < len(cells) else "") for i, column in enumerate(header) if column},
            )
        )
    return header, rows


def import_records(
    records: list[dict],
    by=None,
    source: str = "the API",
    dry_run: bool = False,
    create_reps: bool = False,
    invite: Callable | None = None,
) -> ImportReport:
    """Import rows given as mappings (the CRM sync API): the same rules and transaction as a file.

    Row numbers are positions in `records`, from 1. A key a record leaves out
    keeps that field as it is (in a file, a column applies to every row);
    `domains` may be a list. Unknown keys are errors of their row.
    """
    report = ImportReport(dry_run=dry_run, rows=len(records))
    if len(records) > MAX_ROWS:
        report.error(0, "file", f"more than {MAX_ROWS} rows; split them")
        return report
    rows = []
    for number, record in enumerate(records, start=1):
        row = {}
        for column, value in record.items():
            if column not in COLUMNS:
                report.error(number, column, f"unknown field (expected some of: {', '.join(COLUMNS)})")
                continue
            if column == "domains" and isinstance(value, list | tuple):
                value = " ".join(str(item) for item in value)
            row[column] = "" if value is None else str(value).strip()
        rows.append((number, row))
    _apply_rows(report, by, source, list(COLUMNS), rows, dry_run, create_reps, invite)
    report.errors.sort(key=lambda error: error.row)
    return report


def import_customers(
    data: bytes,
    filename: str = "",
    by=None,
    dry_run: bool = False,
    create_reps: bool = False,
    invite: Callable | None = None,
    progress: Callable | None = None,
) -> ImportReport:
    """Import a CSV/XLSX file's reps, customers and domains in one transaction (see module docs).

    `invite(user)` is called for each rep the import created, once it has committed;
    `progress(rows_done, rows_total)`, when given, is called as rows are checked (background jobs).
    """
    report = ImportReport(dry_run=dry_run)
    try:
        table, report.file_format = read_table_and_format(data, filename)
        header, rows = _rows_with_numbers(table, report)
    except ImportFileError as exc:
        report.error(0, "file", str(exc))
        return report
    report.rows = len(rows)
    if report.errors:  # header problems: rows would be misread
        return report
    _apply_rows(report, by, filename or "a file", header, rows, dry_run, create_reps, invite, progress)
    return report


def _apply_rows(report, by, source, header, rows, dry_run, create_reps, invite, progress=None) -> None:
    """All rows in one transaction, rolled back on any error or a dry run; invitations after commit."""
    with transaction.atomic():
        importer = _Importer(report, by, source, create_reps=create_reps, progress=progress)
        importer.run(header, rows)
        if report.errors or dry_run:
            transaction.set_rollback(True)
            report.new_domain_ids = []
        elif invite is not None:
            for user in importer.created_reps:
                transaction.on_commit(lambda user=user: invite(user))


def report_to_json(report: ImportReport) -> dict:
    """The report as stored on a background ImportJob."""
    data = asdict(report)
    data["errors"] = [[error.row, error.column, error.problem] for error in report.errors]
    return data


def report_from_json(data: dict) -> ImportReport:
    fields = {key: value for key, value in data.items() if key != "errors"}
    return ImportReport(**fields, errors=[RowError(*error) for error in data.get("errors", [])])
