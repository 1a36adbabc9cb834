"""`manage.py export_customers [--format csv|xlsx] [-o FILE]`: the import's columns, every customer."""

from django.core.management.base import BaseCommand, CommandError

from customers.exporter import export_customers
from customers.models import Customer


class Command(BaseCommand):
    help = "Export every customer with the columns import_customers reads."

    def add_arguments(self, parser):
        parser.add_argument(
            "--format", choices=["csv", "xlsx"], default=None, help="default: from -o, else csv"
        )
        parser.add_argument("-o", "--output", help="file to write (default: standard output, CSV only)")
        parser.add_argument(
            "--excel", action="store_true", help="CSV with a BOM, so that Excel reads Japanese names intact"
        )

    def handle(self, *args, format, output, excel, **options):
        fmt = format or ("xlsx" if output and output.lower().endswith(".xlsx") else "csv")
        if fmt == "xlsx" and not output:
            raise CommandError("XLSX is binary: give a file with -o FILE.xlsx")
        data = export_customers(Customer.objects.all(), fmt, excel=excel)
        if output:
            with open(output, "wb") as handle:
                handle.write(data)
            self.stderr.write(f"Wrote {output}.")
        else:
            self.stdout.write(data.decode("utf-8-sig" if excel else "utf-8"), ending="")
