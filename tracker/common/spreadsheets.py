"""CSV and XLSX files people open in Excel: one rule against formula injection, one writer each.

A spreadsheet runs a cell that starts with `=`, `+`, `-` or `@` (and some control
characters) as a formula, and everything we export may hold text from DNS or
from customers. Every text cell that could start one is prefixed with `'`, which
Excel shows as text; `undefuse()` takes the quote off again on import, so an
export imports back unchanged.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable, Sequence

from django.utils import timezone

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def defuse(value) -> str:
    """The cell's text, made inert: `=cmd|...` becomes `'=cmd|...`."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


def undefuse(text: str) -> str:
    """The text `defuse()` protected, as it was (a leading quote before a formula character goes)."""
    return text[1:] if text.startswith("'") and text[1:2] in FORMULA_PREFIXES else text


# Excel in Japan reads a CSV without a byte order mark as Shift_JIS and garbles UTF-8 names.
UTF8_BOM = b"\xef\xbb\xbf"


def csv_bytes(rows: Iterable[Sequence], *, excel: bool = False) -> bytes:
    """UTF-8 CSV, every cell defused; `excel` starts it with a BOM so that Excel reads it as UTF-8."""
    out = io.StringIO(newline="")
    writer = csv.writer(out)
    for row in rows:
        writer.writerow([defuse(cell) for cell in row])
    return (UTF8_BOM if excel else b"") + out.getvalue().encode("utf-8")


def _xlsx_value(cell):
    if isinstance(cell, str):
        return defuse(cell)
    if isinstance(cell, dt.datetime) and cell.tzinfo is not None:
        return timezone.localtime(cell).replace(tzinfo=None)  # Excel has no time zones
    return cell


def xlsx_bytes(rows: Iterable[Sequence], sheet_name: str, *, text_only: bool = False) -> bytes:
    """One sheet; `text_only` stores every cell as text (ids like 0012 keep their zeros)."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(sheet_name)
    for row in rows:
        if text_only:
            cells = []
            for value in row:
                cell = WriteOnlyCell(sheet, value=defuse(value))
                cell.data_type = "s"  # text, never a formula or a number
                cell.number_format = "@"  # and Excel keeps it text when someone edits the cell
                cells.append(cell)
            sheet.append(cells)
        else:
            sheet.append([_xlsx_value(cell) for cell in row])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


# -- reading XLSX files safely ---------------------------------------------------------------------

# An XLSX file is a zip: 1 MB can declare gigabytes of XML (a decompression bomb), and a sheet can
# declare 16,384 columns that a streaming reader pads every row to. These bound what a file may
# expand to; the upload limit alone bounds only what it weighs.
MAX_XLSX_UNCOMPRESSED_BYTES = 200 * 1024 * 1024
MAX_XLSX_MEMBERS = 1000
MAX_COLUMNS = 100


class SpreadsheetTooLarge(ValueError):
    """What the file expands to is over a limit: refused before it is decompressed."""


def check_xlsx_expansion(data: bytes, max_bytes: int = MAX_XLSX_UNCOMPRESSED_BYTES) -> None:
    """Refuse an XLSX whose zip members declare more than `max_bytes` uncompressed, fast.

    Only the zip's directory is read. Python's zipfile never inflates a member past its
    declared size, so the declared sizes bound what reading the file can cost.
    """
    import zipfile

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError):
        return  # not a zip: the reader says the file cannot be read
    if len(members) > MAX_XLSX_MEMBERS:
        raise SpreadsheetTooLarge(f"the XLSX file has {len(members)} parts (at most {MAX_XLSX_MEMBERS})")
    total = sum(member.file_size for member in members)
    if total > max_bytes:
        raise SpreadsheetTooLarge(
            f"the XLSX file expands to {total / 1024 / 1024:,.0f} MB (at most {max_bytes // 1024 // 1024} MB); "
            "split it or save it as CSV"
        )


def xlsx_rows(data: bytes, max_rows: int, max_columns: int = MAX_COLUMNS):
    """The first sheet's rows (at most `max_rows`, each at most `max_columns` cells), streamed.

    `read_only` parses the sheet as it goes; `max_col` stops the padding of every row to
    the column count the sheet declares. Raises SpreadsheetTooLarge; openpyxl's own errors
    pass through for the caller to word.
    """
    from openpyxl import load_workbook

    check_xlsx_expansion(data)
    workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    try:
        sheet = workbook.worksheets[0]
        declared = sheet.max_column  # None when the file does not say
        trim = declared is None or declared > max_columns
        limit = max_columns + 1 if declared is None else min(declared, max_columns + 1)
        rows = []
        for row in sheet.iter_rows(values_only=True, max_col=limit):
            if len(rows) >= max_rows:
                break
            if len(row) > max_columns and any(cell not in (None, "") for cell in row[max_columns:]):
                raise SpreadsheetTooLarge(f"row {len(rows) + 1} has more than {max_columns} columns")
            cells = list(row[:max_columns])
            while trim and cells and cells[-1] is None:
                cells.pop()  # padding to a declared width nobody uses
            rows.append(cells)
        return rows
    finally:
        workbook.close()
