"""Import input that used to go wrong: long notes, long account ids in XLSX, NUL characters; plus a
property test feeding random rows to the importer and random templates to the notice renderer."""

import csv
import io

import pytest
from django.db import connection
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook

from customers.exporter import export_customers
from customers.importer import import_customers
from customers.models import Customer, Domain
from tracker.forms import CustomerForm

pytestmark = pytest.mark.django_db

HEADER = ["account_id", "customer_name", "rep_username", "contact_email", "domains", "notes"]


def xlsx(rows) -> bytes:
    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_the_edit_form_and_the_import_agree_on_the_notes_limit(customer):
    form = CustomerForm(
        data={"name": "Acme", "account_id": "ACC-1001", "notes": "n" * 10_001, "version": customer.version},
        instance=customer,
    )
    assert not form.is_valid() and "notes" in form.errors
    customer.update({"notes": "n" * 10_000})
    exported = export_customers(Customer.objects.all(), "csv")
    report = import_customers(exported, "customers.csv")
    assert report.ok, report.errors


def test_an_account_id_that_excel_rounded_is_refused_naming_the_cell():
    data = xlsx([HEADER, [1.2345678901234567e19, "Big Number KK", "", "", "big.example", ""]])
    report = import_customers(data, "customers.xlsx")
    assert not report.ok
    message = str(report.errors[0])
    assert "A2" in message and "more than 15 digits" in message and "Format the column as text" in message
    assert not Customer.objects.exists()


def test_a_long_account_id_in_a_text_cell_is_read_exactly():
    data = xlsx([HEADER, ["12345678901234567890", "Big Number KK", "", "", "big.example", ""]])
    report = import_customers(data, "customers.xlsx")
    assert report.ok, report.errors
    assert Customer.objects.get().account_id == "12345678901234567890"


@pytest.mark.parametrize("column", ["customer_name", "notes", "contact_email", "domains"])
def test_a_nul_in_a_cell_blames_its_column(column):
    row = {
        "account_id": "ACC-9",
        "customer_name": "Nul KK",
        "rep_username": "",
        "contact_email": "",
        "domains": "",
    }
    row["notes"] = ""
    row[column] = "bad\x00value"
    csv = ",".join(HEADER) + "\n" + ",".join(row[name] for name in HEADER) + "\n"
    report = import_customers(csv.encode(), "customers.csv")
    assert not report.ok
    assert [(error.row, error.column) for error in report.errors] == [(2, column)]
    assert "NUL" in report.errors[0].problem
    assert not Customer.objects.exists()


# Property tests: whatever the rows and templates, a clear result and never a partial write.

cell = st.one_of(
    st.text(max_size=30),
    st.text(alphabet="abc.-\x00\n\r,;\"'=+@ 例", max_size=20),
    st.sampled_from(["", "ACC-1", "acme.example", "contacted", "not-a-status", "a@b.example", "x" * 300]),
)
rows = st.lists(st.lists(cell, min_size=len(HEADER), max_size=len(HEADER)), min_size=1, max_size=8)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=rows)
def test_random_rows_give_a_report_and_write_all_or_nothing(rows):
    before = (Customer.objects.count(), Domain.objects.count())
    out = io.StringIO()
    csv.writer(out).writerows([HEADER, *rows])
    report = import_customers(out.getvalue().encode(), "random.csv")
    after = (Customer.objects.count(), Domain.objects.count())
    if report.ok:
        assert after[0] >= before[0]
    else:
        assert report.errors and after == before
        assert all(error.column for error in report.errors)
    assert connection.in_atomic_block  # the test's own transaction is still usable


template_piece = st.sampled_from(
    [
        "{{ customer.name }}",
        "{% for d in domains %}",
        "{% endfor %}",
        "{% if deadline %}",
        "{% endif %}",
        "{{ deadline|date:'Y' }}",
        "{% with a=1 %}",
        "{% endwith %}",
        "{% load static %}",
        "{{ ",
        "}}",
        "{% include 'x' %}",
        "{{ customer.rep.password }}",
        "{% widthratio 1 0 1 %}",
        "{{ campaign.name|add:1 }}",
        "text\n",
    ]
)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(pieces=st.lists(template_piece, max_size=30))
def test_random_templates_are_saved_or_refused_never_a_500(ops_client, customer, pieces):
    from tests.factories import CampaignFactory
    from tracker.models import Campaign, NoticeTemplate

    campaign = Campaign.objects.first() or CampaignFactory()
    body = "".join(pieces)
    response = ops_client.post(
        f"/campaigns/{campaign.slug}/notice-template/", {"subject": "S", "body": body, "action": "preview"}
    )
    assert response.status_code in (200, 400)
    assert not NoticeTemplate.objects.exists()  # a preview never saves
