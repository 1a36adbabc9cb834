"""/export/ and `manage.py export_customers`: the import's columns, only visible customers."""

import csv
import io
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse
from openpyxl import load_workbook

from customers.importer import COLUMNS

URL = reverse("tracker:customer_export")


def rows(response):
    return list(csv.DictReader(io.StringIO(response.content.decode())))


def test_it_requires_login(client, customer):
    assert client.get(URL).status_code == 302


def test_it_exports_the_reps_own_customers(rep_client, customer, other_customer):
    response = rep_client.get(URL)
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    exported = rows(response)
    assert [row["account_id"] for row in exported] == ["ACC-1001"]
    assert exported[0]["domains"] == "acme.example" and exported[0]["rep_username"] == "alice"
    assert list(exported[0]) == list(COLUMNS)


def test_ops_export_everyone_filtered_like_the_list(ops_client, customer, other_customer):
    assert len(rows(ops_client.get(URL))) == 2
    assert [r["account_id"] for r in rows(ops_client.get(URL, {"q": "bobcat"}))] == ["ACC-2002"]


def test_it_exports_xlsx(ops_client, customer):
    response = ops_client.get(URL, {"format": "xlsx"})
    sheet = load_workbook(io.BytesIO(response.content)).active
    values = list(sheet.values)
    assert values[0] == COLUMNS
    assert values[1][0] == "ACC-1001"


@pytest.mark.django_db
def test_the_command_writes_csv(customer):
    out = StringIO()
    call_command("export_customers", stdout=out)
    assert out.getvalue().splitlines()[0] == ",".join(COLUMNS)
    assert "ACC-1001" in out.getvalue()


@pytest.mark.django_db
def test_the_command_writes_xlsx_to_a_file(customer, tmp_path):
    path = tmp_path / "customers.xlsx"
    call_command("export_customers", "-o", str(path), stderr=StringIO())
    assert list(load_workbook(path).active.values)[1][0] == "ACC-1001"
