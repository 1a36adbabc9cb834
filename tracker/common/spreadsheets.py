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
