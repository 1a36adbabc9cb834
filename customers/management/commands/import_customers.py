"""`manage.py import_customers FILE [--dry-run]`: reps, customers and domains from CSV/XLSX.

All or nothing; prints the row-by-row error report (see customers.importer).
"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from customers.importer import import_customers
from customers.invitations import invite_rep


class Command(BaseCommand):
    help = "Import reps, customers and domains from a CSV or XLSX file (one transaction)."

    def add_arguments(self, parser):
        parser.add_argument(
            "file", help="a .csv (UTF-8, Shift_JIS/CP932 or UTF-16) or .xlsx file with a header row"
        )
        parser.add_argument("--dry-run", action="store_true", help="check and count, then roll back")
        parser.add_argument(
            "--create-reps",
            action="store_true",
            help="create the reps the file names who do not exist (each is mailed a set-password link)",
        )

    def handle(self, *args, file, dry_run, create_reps, **options):
        path = Path(file)
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise CommandError(f"{file}: {exc.strerror}") from None
        report = import_customers(
            data, filename=path.name, dry_run=dry_run, create_reps=create_reps, invite=invite_rep
        )
        if report.file_format:
            self.stderr.write(f"read as {report.file_format}")
        for error in report.errors:
            self.stderr.write(str(error))
        for change in report.normalised:
            self.stderr.write(f"normalised {change}")
        if not report.ok:
            raise CommandError(report.summary())
        self.stdout.write(report.summary())
