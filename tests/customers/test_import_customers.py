"""`manage.py import_customers` and customers.importer: all or nothing, precise errors, idempotent."""

import io
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from openpyxl import Workbook

from customers.choices import MigrationStatus
from customers.exporter import export_customers
from customers.importer import import_customers
from customers.models import Customer, Domain, StatusChange
from customers.roles import is_rep
from tests.factories import CustomerFactory, DomainFactory, OpsFactory

pytestmark = pytest.mark.django_db

HEADER = "account_id,customer_name,rep_username,rep_email,contact_name,contact_email,status,domains,notes\n"
GOOD = (
    HEADER
    + "ACC-1,Acme Widgets,carol,carol@provider.example,Pat Doe,pat@acme.example,contacted,acme.example; www.acme.example,VIP\n"
    + 'ACC-2,Bobcat Logistics,carol,,,,,"bobcat.example 例え.jp",\n'
    + "ACC-3,Cobalt Bank,dave,dave@provider.example,,,migrated,cobalt.example,\n"
)


def counts():
    return (Customer.objects.count(), Domain.objects.count(), get_user_model().objects.count())


def test_it_imports_a_good_file():
    report = import_customers(GOOD.encode(), "customers.csv", create_reps=True)
    assert report.ok, report.errors
    assert (report.rows, report.customers_created, report.reps_created, report.domains_added) == (3, 3, 2, 5)
    acme = Customer.objects.get(account_id="ACC-1")
    assert (acme.name, acme.rep.username, acme.contact_email, acme.status, acme.notes) == (
        "Acme Widgets",
        "carol",
        "pat@acme.example",
        "contacted",
        "VIP",
    )
    assert sorted(acme.domains.values_list("name", flat=True)) == ["acme.example", "www.acme.example"]
    assert Domain.objects.filter(name="xn--r8jz45g.jp", customer__account_id="ACC-2").exists()
    assert Customer.objects.get(account_id="ACC-2").status == MigrationStatus.NOT_CONTACTED
    carol = get_user_model().objects.get(username="carol")
    assert is_rep(carol) and not carol.has_usable_password() and carol.email == "carol@provider.example"
    # a non-default starting status is in the audit log
    assert StatusChange.objects.filter(customer=acme, from_status="", to_status="contacted").exists()


def test_a_file_with_three_bad_rows_imports_nothing_and_says_where():
    bad = (
        GOOD
        + "ACC-4,Delta Ltd,carol,,,not-an-email,,delta.example,\n"  # row 5
        + "ACC-5,Echo Ltd,carol,,,,,ex_ample.com,\n"  # row 6
        + "ACC-6,Foxtrot Ltd,carol,,,,finished,foxtrot.example,\n"  # row 7
    )
    report = import_customers(bad.encode(), "customers.csv", create_reps=True)
    assert [(e.row, e.column) for e in report.errors] == [
        (5, "contact_email"),
        (6, "domains"),
        (7, "status"),
    ]
    assert "'not-an-email' is not an email address" in report.errors[0].problem
    assert "underscores" in report.errors[1].problem
    assert "'finished' is not a status" in report.errors[2].problem
    assert "nothing was imported" in report.summary()
    assert counts() == (0, 0, 0)


def test_reimporting_the_same_file_changes_nothing():
    import_customers(GOOD.encode(), "customers.csv", create_reps=True)
    before = list(Customer.objects.values_list("account_id", "version", "updated_at"))
    changes = StatusChange.objects.count()
    report = import_customers(GOOD.encode(), "customers.csv", create_reps=True)
    assert report.ok
    assert (report.customers_created, report.customers_updated, report.customers_unchanged) == (0, 0, 3)
    assert (report.reps_created, report.domains_added, report.status_changes) == (0, 0, 0)
    assert list(Customer.objects.values_list("account_id", "version", "updated_at")) == before
    assert StatusChange.objects.count() == changes


def test_a_status_change_follows_the_workflow_and_is_audited():
    import_customers(GOOD.encode(), "customers.csv", create_reps=True)
    ops = OpsFactory()
    ok = HEADER + "ACC-1,Acme Widgets,carol,,,,scheduled,,\n"
    report = import_customers(ok.encode(), "step.csv", by=ops, create_reps=True)
    assert report.ok and report.status_changes == 1
    change = StatusChange.objects.filter(customer__account_id="ACC-1").first()
    assert (change.from_status, change.to_status, change.changed_by) == ("contacted", "scheduled", ops)

    jump = HEADER + "ACC-2,Bobcat Logistics,carol,,,,migrated,,\n"
    report = import_customers(jump.encode(), "jump.csv", create_reps=True)
    assert [(e.row, e.column) for e in report.errors] == [(2, "status")]
    assert "cannot go from Not contacted to Migrated" in report.errors[0].problem


def test_a_domain_of_another_customer_is_an_error():
    DomainFactory(name="acme.example", customer=CustomerFactory(account_id="OTHER-9"))
    report = import_customers(GOOD.encode(), "customers.csv", create_reps=True)
    assert [(e.row, e.column) for e in report.errors] == [(2, "domains")]
    assert "belongs to another customer (OTHER-9)" in report.errors[0].problem
    assert Customer.objects.count() == 1


def test_duplicates_within_the_file_name_the_other_row():
    dup = HEADER + "ACC-1,A,,,,,,a.example,\nACC-1,B,,,,,,b.example,\nACC-3,C,,,,,,a.example,\n"
    report = import_customers(dup.encode(), "dup.csv", create_reps=True)
    assert [str(e) for e in report.errors] == [
        "row 3, account_id: 'ACC-1' is also on row 2",
        "row 4, domains: a.example is also on row 2",
    ]


def test_header_problems_are_reported_on_row_one():
    report = import_customers(b"account_id,colour\nACC-1,red\n", "x.csv", create_reps=True)
    assert {(e.row, e.column) for e in report.errors} == {(1, "colour"), (1, "customer_name")}


def test_an_existing_user_who_is_not_a_rep_is_refused():
    OpsFactory(username="olga")
    report = import_customers((HEADER + "ACC-1,Acme,olga,,,,,,\n").encode(), "x.csv")
    assert "not a sales rep" in report.errors[0].problem


def test_dry_run_counts_but_saves_nothing():
    report = import_customers(GOOD.encode(), "customers.csv", dry_run=True, create_reps=True)
    assert report.ok and not report.applied and report.customers_created == 3
    assert counts() == (0, 0, 0)


def test_it_imports_xlsx_with_numbers_and_dates():
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["account_id", "customer_name", "rep_username", "status", "notice_sent_at", "domains"])
    sheet.append([1001, "Acme Widgets", "carol", "Contacted", "2026-02-01", "acme.example;例え.jp"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    report = import_customers(buffer.getvalue(), "customers.xlsx", create_reps=True)
    assert report.ok, report.errors
    customer = Customer.objects.get(account_id="1001")
    assert customer.status == "contacted"
    assert customer.notice_sent_at.date().isoformat() == "2026-02-01"
    assert customer.domains.count() == 2


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_an_export_imports_back_unchanged(fmt):
    import_customers(GOOD.encode(), "customers.csv", create_reps=True)
    Customer.objects.filter(account_id="ACC-3").update(notes="=HYPERLINK(1)")
    before = list(Customer.objects.values_list("account_id", "version", "notes"))
    data = export_customers(Customer.objects.all(), fmt)
    report = import_customers(data, f"export.{fmt}", create_reps=True)
    assert report.ok, report.errors
    assert report.customers_unchanged == 3
    assert list(Customer.objects.values_list("account_id", "version", "notes")) == before


def test_the_command_prints_the_summary(tmp_path):
    path = tmp_path / "customers.csv"
    path.write_text(GOOD)
    out = StringIO()
    call_command("import_customers", str(path), "--create-reps", stdout=out)
    assert "3 customer(s) created" in out.getvalue()
    assert Customer.objects.count() == 3


def test_the_command_fails_with_the_error_report(tmp_path):
    path = tmp_path / "customers.csv"
    path.write_text(HEADER + "ACC-1,,,,,,,,\n")
    err = StringIO()
    with pytest.raises(CommandError, match="1 error"):
        call_command("import_customers", str(path), "--create-reps", stderr=err)
    assert "row 2, customer_name: is required" in err.getvalue()


def test_the_command_dry_run_saves_nothing(tmp_path):
    path = tmp_path / "customers.csv"
    path.write_text(GOOD)
    out = StringIO()
    call_command("import_customers", str(path), "--create-reps", "--dry-run", stdout=out)
    assert "Dry run" in out.getvalue()
    assert Customer.objects.count() == 0
