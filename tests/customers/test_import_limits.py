"""Limits on what an import file expands to, not only on what it weighs (issue 12).

Before the fix a 1 MB XLSX used 2.1 GB of memory and 93 s: its sheet declared
more cells than any customer list has, and the zip expanded a thousandfold.
The bombs are built here, in the test.
"""

import io
import time
import tracemalloc
import zipfile

import pytest

from customers.importer import ImportFileError, read_table
from tracker.common.spreadsheets import MAX_COLUMNS, xlsx_bytes

CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
    'content-types"><Default Extension="xml" ContentType="application/xml"/><Default Extension="rels" '
    'ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Override PartName="/xl/'
    'workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-'
    'officedocument.spreadsheetml.worksheet+xml"/></Types>'
)
RELS = (
    '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/'
    '2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>'
)
WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/'
    '2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets>'
    '<sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/'
    '2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>'
)


def xlsx_with_sheet(write_sheet) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", CONTENT_TYPES)
        archive.writestr("_rels/.rels", RELS)
        archive.writestr("xl/workbook.xml", WORKBOOK)
        archive.writestr("xl/_rels/workbook.xml.rels", WORKBOOK_RELS)
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            write_sheet(sheet)
    return out.getvalue()


def bomb_sheet(sheet) -> None:
    """About 256 MB of repetitive XML (over the 200 MB limit): empty-string cells that deflate ~300-fold."""
    sheet.write(b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>')
    row = b"<row>" + b'<c t="inlineStr"><is><t></t></is></c>' * 1000 + b"</row>"
    block = row * 256
    for _ in range(256 * 1024 * 1024 // len(block)):
        sheet.write(block)
    sheet.write(b"</sheetData></worksheet>")


def test_a_decompression_bomb_is_refused_fast_with_little_memory():
    bomb = xlsx_with_sheet(bomb_sheet)
    assert len(bomb) < 2 * 1024 * 1024  # about a megabyte on the wire
    tracemalloc.start()
    started = time.monotonic()
    with pytest.raises(ImportFileError, match=r"expands to [\d,]+ MB \(at most 200 MB\)"):
        read_table(bomb, "customers.xlsx")
    elapsed = time.monotonic() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert elapsed < 2.0
    assert peak < 3 * len(bomb) + 5 * 1024 * 1024


def test_a_sheet_that_declares_every_column_is_not_padded_and_a_wide_row_is_refused():
    def declared_wide(sheet):
        sheet.write(
            b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
            b'<dimension ref="A1:XFD1048576"/><sheetData>'
            b'<row r="1"><c r="A1" t="inlineStr"><is><t>account_id</t></is></c>'
            b'<c r="B1" t="inlineStr"><is><t>customer_name</t></is></c></row>'
            b'<row r="2"><c r="A2" t="inlineStr"><is><t>A-1</t></is></c>'
            b'<c r="B2" t="inlineStr"><is><t>Acme</t></is></c></row>'
            b"</sheetData></worksheet>"
        )

    started = time.monotonic()
    rows = read_table(xlsx_with_sheet(declared_wide), "customers.xlsx")
    assert time.monotonic() - started < 2.0
    assert rows[1][:2] == ["A-1", "Acme"] and len(rows[1]) <= MAX_COLUMNS

    wide = xlsx_bytes([["account_id", "customer_name", *["x"] * MAX_COLUMNS]], "Customers")
    with pytest.raises(ImportFileError, match=f"more than {MAX_COLUMNS} columns"):
        read_table(wide, "customers.xlsx")


def test_an_ordinary_export_still_reads():
    data = xlsx_bytes([["account_id", "customer_name"], ["A-1", "Acme"]], "Customers")
    assert read_table(data, "customers.xlsx") == [["account_id", "customer_name"], ["A-1", "Acme"]]


def test_sqlite_runs_in_wal_mode_with_a_busy_timeout(tmp_path):
    """make run's SQLite: readers never fail while a background job writes."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    code = (
        "import django; django.setup()\n"
        "from django.db import connection\n"
        "with connection.cursor() as c:\n"
        "    print(c.execute('PRAGMA journal_mode').fetchone()[0], c.execute('PRAGMA busy_timeout').fetchone()[0])\n"
    )
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "DJANGO_SETTINGS_MODULE": "tracker.project.settings",
    }
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=root, env=env, capture_output=True, text=True, check=True
    )
    assert out.stdout.split() == ["wal", "20000"]
